#!/bin/sh
# dracut pre-mount hook: the LUKS device is open (dracut's crypt module) and the
# LVs active (its lvm module), the root filesystem not yet mounted. Sourced by
# dracut's init, or in a systemd-based image by /bin/dracut-pre-mount from
# dracut-pre-mount.service (98dracut-systemd), which systemd orders
# After=dracut-initqueue.service (where the lvm module's lvm_scan activates the
# LVs) and cryptsetup.target, Before=sysroot.mount, systemd-fsck-root.service
# and initrd-root-fs.target, with no start timeout (Type=oneshot). Either way
# dracut-lib.sh's getcmdline, warn and emergency_shell are at hand.
#
# Under systemd the options come from getcmdline, so that those of "dracut
# --kernel-cmdline" (/etc/cmdline.d) count too; the shell flavour keeps
# reading /proc/cmdline.
#
# The console: the boot script hides a plymouth splash (or quits plymouth
# when the passphrase may be asked) right before shrinkbox runs, a command or
# a scheduled request alike (sb_console); and since e2fsck and resize2fs print
# nothing until they end, it says "still working" after 10 s without output
# (sb_beat), under initramfs-tools too.
#
# Exit 10 from the boot script: an LV's active table does not match its
# committed metadata after a failed reload (left suspended, or stale), and the
# root must not be mounted through it. The emergency shell (with rd.shell=0
# dracut halts instead) is where the fix it printed can be run, or the system
# rebooted; leaving the shell goes on with the boot once no device-mapper
# device is suspended any more.
sb_hook_args=""
if [ -n "$DRACUT_SYSTEMD" ]; then
	{ getcmdline; echo; } >/run/shrinkbox.cmdline
	sb_hook_args="--cmdline /run/shrinkbox.cmdline"
fi
sb_hook_cmd=""
if [ -e /run/shrinkbox.cmdline-warnings ] ||
	getarg rd.shrinkbox.shrink= >/dev/null || getarg rd.shrinkbox.grow= >/dev/null ||
	getarg rd.shrinkbox.cmd= >/dev/null; then
	sb_hook_cmd=1
fi
# A request "shrinkbox schedule" may have left (the boot script looks, and
# says nothing when there is none): every boot of an image that records where.
if [ -n "$sb_hook_cmd" ] || [ -s /etc/shrinkbox/request-fs ]; then
	[ -e /run/shrinkbox.cmdline-warnings ] && cat /run/shrinkbox.cmdline-warnings >/dev/console
	# shellcheck disable=SC2086 # the options are words on purpose
	sh /usr/lib/shrinkbox/shrinkbox-boot.sh $sb_hook_args
	sb_hook_rc=$?
	if [ $sb_hook_rc -eq 10 ]; then
		while :; do
			warn "shrinkbox: an LV is not on the table its metadata says; the boot stops" \
				"before the root mounts. What to run: /run/initramfs/shrinkbox.log"
			emergency_shell -n shrinkbox "shrinkbox: see /run/initramfs/shrinkbox.log"
			sh /usr/lib/shrinkbox/shrinkbox-boot.sh --check && break
		done
	fi
	unset sb_hook_pid sb_hook_beatpid sb_hook_rc
fi
unset -f sb_hook_beat
unset sb_hook_args sb_hook_cmd SB_BEAT
