#!/bin/sh
# Runs /run/sbtest/script from fw_cfg with the result disk mounted on /result,
# then powers off. The host reads /result and the serial console.
modprobe qemu_fw_cfg 2>/dev/null
f=/sys/firmware/qemu_fw_cfg/by_name/opt/shrinkbox/script/raw
[ -e "$f" ] || return 0
mkdir -p /run/sbtest /result
cat "$f" >/run/sbtest/script
mount -t ext4 LABEL=sbresult /result 2>/dev/null || mount -t ext4 /dev/vdb /result
echo "SBTEST: start $(cat /proc/uptime)" >/dev/console
DM_DISABLE_UDEV=1 bash /run/sbtest/script >/dev/console 2>&1
echo "SBTEST: end rc=$? $(cat /proc/uptime)" >/dev/console
sync
umount /result
sync
poweroff -f
