#!/bin/bash
# The whole-stack shrink of issue 7 against the seed guide's manual sequence,
# on the same made disk (the shrink-seed layout: LUKS2 partition of 1800 MiB,
# lvroot 1200 MiB ext4 with 300 MiB of data, a 200 MiB hole, lvswap 256 MiB,
# two partitions after it), each from a fresh copy, one boot each on the same
# kernel and initramfs: the partition becomes 1200 MiB.
#   manual:    e2fsck, resize2fs below the target, lvreduce, resize2fs to fill,
#              pvmove --alloc anywhere of lvswap's range into the hole (ranges
#              read off pvs --segments, as the guide has the user type them),
#              pvresize --setphysicalvolumesize, cryptsetup resize --size,
#              sfdisk -N 3 + partx -u (BLKPG), then cryptsetup resize and
#              pvresize to fill (the guide's steps 4-15, with its safety margins).
#   shrinkbox: shrinkbox shrink PART --size 1200MiB --yes.
# Only the resize work is timed (unlocking is not); afterwards each guest checks
# e2fsck -fn, vgck, swapon and the data checksum, and the bench fails if either run
# loses data. Prints both times, the ratio (goal <= 0.3), the extents each
# moved, and where shrinkbox's time went (SHRINKBOX_TIMING: each tool run and
# copy), with the time outside e2fsck, resize2fs and the copies (goal <= 0.3 s).
# A benchmark, not a test: never fails because of a time.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/vm/lib.sh
. tests/vm/gen.sh

for tool in qemu-system-x86_64 dracut debugfs; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is not installed (scripts/setup.sh)"; exit 1; }
done
make -s static >/dev/null || { echo "bench: make static failed"; exit 1; }
vm_kernel && vm_initrd || exit 1
vm_make shrink-seed tests/vm/scenarios/shrink-seed.scn || exit 1

work=$(mktemp -d /var/tmp/sbbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# guest METHOD: the guest script for one run.
guest() {
	gen_prologue
	echo "METHOD=$1"
	cat <<'EOS'
set -u
now() { date +%s%N; }
cryptsetup open --key-file $KEY $(part 3) cr
lvm vgchange -q -ay vg1 >/dev/null 2>&1
t0=$(now)
if [ $METHOD = shrinkbox ]; then
	# cryptsetup open put the volume key in the keyring: cryptresize needs the key file.
	SHRINKBOX_TIMING=/run/timing shrinkbox shrink $(part 3) --size 1200MiB --yes --key-file $KEY >/run/out 2>&1 || echo "BENCH-ERROR shrinkbox"
	moved=$(awk '/^Done: moved/ {s += $3} END {print s + 0}' /run/out)
	copied=$(awk '/^  bytes to copy:/ {s += $4} END {print s + 0}' /run/out)
else
	set -e
	e2fsck -f -y /dev/vg1/lvroot >/run/out 2>&1
	resize2fs /dev/vg1/lvroot 850M >>/run/out 2>&1
	lvm lvreduce -q -y -L 900M vg1/lvroot >>/run/out 2>&1
	resize2fs /dev/vg1/lvroot >>/run/out 2>&1
	# lvswap's range and the first free range below the new end, from pvs --segments.
	seg=$(lvm pvs --noheadings --segments -o pvseg_start,pvseg_size,lv_name /dev/mapper/cr | awk '$3 == "lvswap" {print $1, $2}')
	free=$(lvm pvs --noheadings --segments -o pvseg_start,pvseg_size,lv_name /dev/mapper/cr | awk 'NF == 2 {print $1; exit}')
	set -- $seg
	lvm pvmove -q -i 0 --alloc anywhere /dev/mapper/cr:$1-$(($1 + $2 - 1)) /dev/mapper/cr:$free-$(($free + $2 - 1)) >>/run/out 2>&1
	moved=$2
	copied=$(($2 * 4194304))
	lvm pvresize -q -y --setphysicalvolumesize 1170m /dev/mapper/cr >>/run/out 2>&1
	cryptsetup resize cr --size $((1180 * 2048)) --key-file $KEY >>/run/out 2>&1
	echo ',1200MiB' | sfdisk -q -N 3 --no-reread --no-tell-kernel $D >>/run/out 2>&1
	partx -u --nr 3 $D >>/run/out 2>&1
	cryptsetup resize cr --key-file $KEY >>/run/out 2>&1
	lvm pvresize -q /dev/mapper/cr >>/run/out 2>&1
	set +e
fi
t1=$(now)
echo "BENCH $METHOD $((t1 - t0)) $moved $(cat /sys/class/block/vda3/size) $copied" | tee /result/bench.txt
# shrinkbox: each tool run and each copy, in ns (SHRINKBOX_TIMING, src/util/timing.h).
[ -f /run/timing ] && cp /run/timing /result/timing.txt
e2fsck -fn /dev/vg1/lvroot >/dev/null 2>&1 || echo "BENCH-ERROR $METHOD: e2fsck"
lvm vgck vg1 >/dev/null 2>&1 || echo "BENCH-ERROR $METHOD: vgck"
{ swapon /dev/vg1/lvswap && swapoff /dev/vg1/lvswap; } >/dev/null 2>&1 || echo "BENCH-ERROR $METHOD: swapon"
mount -o ro /dev/vg1/lvroot /mnt && sha256sum </mnt/data | cut -d' ' -f1 >/result/now && umount /mnt
tail -n 5 /run/out
lvm vgchange -q -an >/dev/null 2>&1
sync
echo SBTEST-OK
EOS
}

declare -A ns moved size copied
for m in manual shrinkbox; do
	guest "$m" >"$work/$m.sh"
	cp --sparse=always "$MK/disk.img" "$work/disk.img"
	vm_result_disk "$work/result.img"
	vm_run "$work/disk.img" "$work/result.img" "$work/$m.sh" "$work/$m.log" 1800
	if ! grep -q SBTEST-OK "$work/$m.log" || grep -q BENCH-ERROR "$work/$m.log"; then
		echo "bench: the $m run failed:"; tr -d '\r' <"$work/$m.log" | grep -A3 -E "BENCH-ERROR|SBTEST" | tail -n 20
		exit 1
	fi
	[ "$(vm_result "$work/result.img" now)" = "$(cat "$MK/sum-lvroot")" ] ||
		{ echo "bench: the $m run changed lvroot's data"; exit 1; }
	read -r _ _ ns[$m] moved[$m] size[$m] copied[$m] < <(vm_result "$work/result.img" bench.txt)
done
awk -v a="${ns[shrinkbox]}" -v b="${ns[manual]}" -v ma="${moved[shrinkbox]}" -v mb="${moved[manual]}" \
	-v sa="${size[shrinkbox]}" -v sb="${size[manual]}" -v ca="${copied[shrinkbox]}" \
	-v cb="${copied[manual]}" 'BEGIN {
	printf "manual sequence:   %7.1f s, %s extents moved (pvmove), %s B copied, partition %s sectors\n", b / 1e9, mb, cb, sb
	printf "shrinkbox shrink:  %7.1f s, %s extents moved (defrag), %s B copied, partition %s sectors\n", a / 1e9, ma, ca, sa
	printf "time ratio shrinkbox / manual: %.2f (goal <= 0.3)\n", a / b }'
# Where shrinkbox's time went: e2fsck, resize2fs and the copies (with their flushes) are the
# work itself; the rest is shrinkbox's own (probing, planning, the steps' starts, commits).
vm_result "$work/result.img" timing.txt | awk -v a="${ns[shrinkbox]}" '
	{ t[$1] += $2; n[$1]++; s += $2 }
	$1 == "e2fsck" || $1 == "resize2fs" || $1 == "copy" { w += $2 }
	$1 ~ /^step:/ { st += $2 }
	END {
		# step:APPLET is the whole time of a step, the tools it ran included.
		for (k in t) printf "  %-18s %3d run(s) %7.2f s\n", k, n[k], t[k] / 1e9
		printf "the whole command'"'"'s own plan (outside its steps): %.2f s\n", (a - st) / 1e9
		printf "outside e2fsck, resize2fs and the copies: %.2f s of %.2f s (goal <= 0.3 s)\n", (a - w) / 1e9, a / 1e9
	}'
