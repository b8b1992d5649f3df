#!/bin/sh
# dracut pre-mount hook: the LUKS device is open (dracut's crypt module) and the
# LVs active (its lvm module), the root filesystem not yet mounted. Sourced by
# dracut's init, so dracut-lib.sh's warn and emergency_shell are at hand.
#
# Exit 10 from the boot script: an LV's active table does not match its
# committed metadata after a failed reload (left suspended, or stale), and the
# root must not be mounted through it. The emergency shell (with rd.shell=0
# dracut halts instead) is where the fix it printed can be run, or the system
# rebooted; leaving the shell goes on with the boot once no device-mapper
# device is suspended any more.
sh /usr/lib/shrinkbox/shrinkbox-boot.sh
if [ $? -eq 10 ]; then
	while :; do
		warn "shrinkbox: an LV is not on the table its metadata says; the boot stops" \
			"before the root mounts. What to run: /run/initramfs/shrinkbox.log"
		emergency_shell -n shrinkbox "shrinkbox: see /run/initramfs/shrinkbox.log"
		sh /usr/lib/shrinkbox/shrinkbox-boot.sh --check && break
	done
fi
