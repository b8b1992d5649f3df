#!/bin/bash
# The main job: generate a laptop-like encrypted disk inside a QEMU guest (a real
# Debian kernel; the disk is built there by the real sfdisk, cryptsetup, lvm and
# mkfs), boot it again through an initramfs made by the real dracut with the
# shrinkbox module, and there, before any root filesystem is mounted, shrink the
# whole stack from 2600 MiB to 1 GiB with one command. Prints the stack before
# and after, with the extent maps, and what the real tools say afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/vm/lib.sh
. tests/vm/gen.sh

make -s static
vm_kernel
vm_initrd
key=$( (cat scripts/demo.scn tests/vm/gen.sh; echo "$KVER") | sha256sum | cut -c1-16)
mk=$VM_CACHE/maker-demo-$key
if [ ! -e "$mk/done" ]; then
	echo "== building the demo disk inside a guest (cached for the next run)"
	rm -rf "$mk" && mkdir -p "$mk"
	truncate -s 4G "$mk/disk.img"
	vm_result_disk "$mk/result.img"
	gen_maker scripts/demo.scn >"$mk/maker.sh"
	vm_run "$mk/disk.img" "$mk/result.img" "$mk/maker.sh" "$mk/console.log" 900
	grep -q SBMAKER-OK "$mk/console.log" || { echo "the maker stage failed: $mk/console.log"; exit 1; }
	touch "$mk/done"
fi
work=$(mktemp -d /var/tmp/sbdemo.XXXXXX)
cp --sparse=always "$mk/disk.img" "$work/disk.img"
vm_result_disk "$work/result.img"
gen_test scripts/demo.scn >"$work/test.sh"
echo "== booting the disk; shrinkbox runs in the initramfs, before root mounts (TCG: a few minutes)"
vm_run "$work/disk.img" "$work/result.img" "$work/test.sh" "$work/console.log" 1200
tr -d '\r' <"$work/console.log" | sed -n '/^SBTEST: start/,/^SBTEST-OK/p' |
	grep -v -E '^\[ *[0-9]+\.[0-9]+\]|^SBTEST|WARNING: |Udev is running'
echo
echo "== what the real tools say afterwards (in the same guest)"
echo "vgck exit code: $(vm_result "$work/result.img" vgck.rc)"
echo "e2fsck -fn lvroot exit code: $(vm_result "$work/result.img" fsck-lvroot.rc)"
echo "lvroot data checksum: $(vm_result "$work/result.img" now-lvroot) (made: $(cat "$mk/result.img" >/dev/null; vm_result "$mk/result.img" sum-lvroot))"
echo "partition 4 checksum: $(vm_result "$work/result.img" now-part4) (made: $(vm_result "$mk/result.img" sum-part4))"
echo "kernel's partition sizes (512-byte sectors):"
vm_result "$work/result.img" kernel-sizes | sed 's/^/  /'
grep -q SBTEST-OK "$work/console.log" && rm -rf "$work"
