#!/bin/bash
# Stacks with no LVM on the host: partition -> ext4 and partition -> swap (LUKS -> ext4 needs
# dm-crypt: the VM suite). shrink and grow in one command, fsresize by hand: exact sizes,
# data and the neighbour partition intact, re-runs converge after a stop at each step, dry
# runs and refusals byte-identical.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap 'umount "$TMPD/mnt" 2>/dev/null; cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}
MiB=1048576
mkdir -p "$TMPD/mnt"

# build BLOCK: GPT, p1 ext4 160 MiB (BLOCK-byte blocks) with 30 MiB of data, p2 8 MiB of data.
build() {
	d=$(new_loop 256M)
	printf 'label: gpt\n,160MiB,L\n,8MiB,L\n' | q sfdisk "$d"
	add_partitions "$d"
	mkdir -p "$TMPD/mnt"
	mkfs.ext4 -q -b "$1" -E nodiscard "${d}p1"
	mount "${d}p1" "$TMPD/mnt"
	head -c 30M /dev/urandom >"$TMPD/mnt/data"; sum0=$(sha256sum <"$TMPD/mnt/data")
	umount "$TMPD/mnt"
	head -c 8M /dev/urandom >"${d}p2"; p2=$(sha256sum <"${d}p2")
}
part_sectors() { sfdisk -d "$d" 2>/dev/null | awk -v p="${d}p$1" '$1 == p {gsub(",", "", $6); print $6}'; }
fs_bytes() {
	dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Block count/ {c=$2} /^Block size/ {b=$2} END {print c*b}'
}
# check SECTORS: partition 1 is SECTORS (table and kernel), ext4 fills it, data and p2 intact.
check() {
	[ "$(part_sectors 1)" = "$1" ] || { echo "partition is $(part_sectors 1) sectors"; return 1; }
	[ "$(cat "/sys/class/block/$(basename "$d")p1/size")" = "$1" ] || { echo "kernel size"; return 1; }
	[ "$(fs_bytes "${d}p1")" = $(($1 * 512)) ] || { echo "fs is $(fs_bytes "${d}p1") B"; return 1; }
	e2fsck -fn "${d}p1" >/dev/null 2>&1 || { echo "e2fsck -fn"; return 1; }
	sfdisk --verify "$d" >/dev/null 2>&1 || { echo "sfdisk --verify"; return 1; }
	[ "$(sha256sum <"${d}p2")" = "$p2" ] || { echo "partition 2 changed"; return 1; }
	mount -o ro "${d}p1" "$TMPD/mnt" || { echo mount; return 1; }
	local s; s=$(sha256sum <"$TMPD/mnt/data"); umount "$TMPD/mnt"
	[ "$s" = "$sum0" ] || { echo "data differs"; return 1; }
}

# ---- 1. shrink partition -> ext4: dry run, refusals, the run, the re-run.
for bs in 1024 4096; do
	build $bs
	before=$(sums "$d")
	out=$("$SB" shrink "${d}p1" --size 96MiB --dry-run 2>&1); rc=$?
	[ $rc = 0 ] && grep -q "ext4 .* 100663296 B" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
		ok "shrink_dry_run_byte_identical_$bs" || bad "shrink_dry_run_byte_identical_$bs" "rc $rc: $out"
	out=$("$SB" shrink "${d}p1" --size 8MiB --yes 2>&1); rc=$?
	[ $rc = 3 ] && grep -q "resize2fs needs at least" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
		ok "shrink_below_minimum_refused_$bs" || bad "shrink_below_minimum_refused_$bs" "rc $rc: $out"
	out=$("$SB" shrink "${d}p1" --free 10MiB --yes 2>&1); rc=$?
	[ $rc = 2 ] && grep -q "no LVM" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
		ok "shrink_free_usage_$bs" || bad "shrink_free_usage_$bs" "rc $rc: $out"
	out=$("$SB" shrink "${d}p1" --size 96MiB --yes 2>&1); rc=$?
	[ $rc = 0 ] && why=$(check $((96 * 2048))) && ok "shrink_$bs" || bad "shrink_$bs" "rc $rc: $why $out"
	before=$(sums "$d")
	out=$("$SB" shrink "${d}p1" --size 96MiB --yes 2>&1); rc=$?
	[ $rc = 0 ] && grep -q "^No changes." <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
		ok "shrink_rerun_no_changes_$bs" || bad "shrink_rerun_no_changes_$bs" "rc $rc: $out"
	loop_env_reset
done

# ---- 2. a stop after each step (a power cut on the host): the same command finishes.
for stop in devfs-resized pt-staged part-resized; do
	build 4096
	SHRINKBOX_TEST_STOP_AFTER=$stop "$SB" shrink "${d}p1" --size 100MiB --yes >/dev/null 2>&1
	out=$("$SB" shrink "${d}p1" --size 100MiB --yes 2>&1); rc=$?
	[ $rc = 0 ] && why=$(check $((100 * 2048))) && ok "stop_${stop}_converges" ||
		bad "stop_${stop}_converges" "rc $rc: $why $out"
	loop_env_reset
done

# ---- 3. grow after the disk was enlarged: the backup GPT moves, p2 (the last) and its ext4 fill it.
d=$(new_loop 128M); mkdir -p "$TMPD/mnt"
printf 'label: gpt\n,8MiB,L\n,64MiB,L\n' | q sfdisk "$d"
add_partitions "$d"
head -c 8M /dev/urandom >"${d}p1"; p1=$(sha256sum <"${d}p1")
mkfs.ext4 -q -E nodiscard "${d}p2"
mount "${d}p2" "$TMPD/mnt"; head -c 20M /dev/urandom >"$TMPD/mnt/data"
sum0=$(sha256sum <"$TMPD/mnt/data"); umount "$TMPD/mnt"
truncate -s 256M "$(losetup -nO BACK-FILE "$d")"; losetup -c "$d"
before=$(sums "$d")
out=$("$SB" grow "${d}p2" --max --dry-run 2>&1); rc=$?
[ $rc = 0 ] && grep -q "the disk grew" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok grow_dry_run_byte_identical || bad grow_dry_run_byte_identical "rc $rc: $out"
out=$("$SB" grow "${d}p2" --max --yes 2>&1); rc=$?
last=$(sfdisk -d "$d" 2>/dev/null | awk -v p="${d}p2" '$1 == p {gsub(",", "", $4); gsub(",", "", $6); print $4 + $6}')
# The last usable sector of a 256 MiB GPT disk is 524254 (33 sectors of backup at the end);
# --max ends on it or on the grain below it.
size=$(sfdisk -d "$d" 2>/dev/null | awk -v p="${d}p2" '$1 == p {gsub(",", "", $6); print $6}')
[ $rc = 0 ] && [ "$last" -le 524255 ] && [ "$last" -gt $((524255 - 2048)) ] &&
	[ "$(fs_bytes "${d}p2")" = $((size * 512)) ] && q e2fsck -fn "${d}p2" &&
	q sfdisk --verify "$d" && [ "$(sha256sum <"${d}p1")" = "$p1" ] &&
	mount -o ro "${d}p2" "$TMPD/mnt" && [ "$(sha256sum <"$TMPD/mnt/data")" = "$sum0" ] &&
	umount "$TMPD/mnt" && ok grow_max || { umount "$TMPD/mnt" 2>/dev/null; bad grow_max "rc $rc: last $last $out"; }
before=$(sums "$d")
out=$("$SB" grow "${d}p2" --max --yes 2>&1); rc=$?
[ $rc = 0 ] && grep -q "^No changes." <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok grow_rerun_no_changes || bad grow_rerun_no_changes "rc $rc: $out"
out=$("$SB" grow "${d}p2" --max --lv vg/x=+1MiB --yes 2>&1); rc=$?
[ $rc = 2 ] && [ "$(sums "$d")" = "$before" ] && ok grow_lv_usage || bad grow_lv_usage "rc $rc: $out"
loop_env_reset

# ---- 4. fsresize by hand, and a mounted filesystem: shrinking it is refused.
build 4096
out=$("$SB" fsresize "${d}p1" --size 64MiB --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(fs_bytes "${d}p1")" = $((64 * MiB)) ] && q e2fsck -fn "${d}p1" &&
	ok fsresize_shrink || bad fsresize_shrink "rc $rc: $out"
out=$("$SB" fsresize "${d}p1" --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(fs_bytes "${d}p1")" = $((160 * MiB)) ] && q e2fsck -fn "${d}p1" &&
	ok fsresize_fill || bad fsresize_fill "rc $rc: $out"
out=$("$SB" fsresize "${d}p1" --size 200MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "more than the device" <<<"$out" && ok fsresize_past_device_refused ||
	bad fsresize_past_device_refused "rc $rc: $out"
mount "${d}p1" "$TMPD/mnt" || bad mount_for_refusal "could not mount"
table=$(sfdisk -d "$d" 2>/dev/null)
out=$("$SB" shrink "${d}p1" --size 96MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "is mounted" <<<"$out" && [ "$(sfdisk -d "$d" 2>/dev/null)" = "$table" ] &&
	[ "$(fs_bytes "${d}p1")" = $((160 * MiB)) ] && ok shrink_mounted_refused ||
	bad shrink_mounted_refused "rc $rc: $out"
umount "$TMPD/mnt"
loop_env_reset

# ---- 5. A resize2fs cut off after its descriptors and bitmaps, before its superblocks (the
# state the write-log replay found in an LV), on a partition: no tag can say it was ours, so
# it is refused, by e2fsck -f -n's verdict before anything writes (e2fsck -p, giving up, would
# first mark the superblock: the replay of fs-luks.rpl counted those 24 sectors), the dry run
# alike, every byte kept, the repair named; after "e2fsck -f -y" by hand the same command
# finishes.
d=$(new_loop 256M); mkdir -p "$TMPD/mnt"
printf 'label: gpt\n,160MiB,L\n' | q sfdisk "$d"
add_partitions "$d"
l=${d}p1
head -c 160M /dev/urandom >"$l"
mkfs.ext4 -q -b 1024 -O 64bit,metadata_csum -E nodiscard "$l"
mount "$l" "$TMPD/mnt"; yes "cut data" | head -c 8M >"$TMPD/mnt/data"; sync
sum0=$(sha256sum <"$TMPD/mnt/data"); umount "$TMPD/mnt"
q e2fsck -f -p "$l"
dd if="$l" of="$TMPD/fs.old" bs=1M status=none
q resize2fs "$l" 120M
blocks="2 3 $(dumpe2fs "$l" 2>/dev/null | sed -n 's/^ *\(Block\|Inode\) bitmap at \([0-9]*\).*/\2/p' | tr '\n' ' ')"
for b in $blocks; do dd if="$l" of="$TMPD/blk.$b" bs=1024 skip="$b" count=1 status=none; done
dd if="$TMPD/fs.old" of="$l" bs=1M conv=fsync status=none
for b in $blocks; do dd if="$TMPD/blk.$b" of="$l" bs=1024 seek="$b" conv=notrunc,fsync status=none; done
rm -f "$TMPD"/blk.* "$TMPD/fs.old"
before=$(sums "$d")
out=$("$SB" shrink "$l" --size 130MiB --dry-run 2>&1); rc=$?
[ $rc = 3 ] && [ "$(sums "$d")" = "$before" ] && ok cut_resize_dry_run_refuses_too ||
	bad cut_resize_dry_run_refuses_too "rc $rc: $out"
out=$("$SB" shrink "$l" --size 130MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "e2fsck -f -n of $l reports .* will not fix unattended" <<<"$out" &&
	grep -q "run \"e2fsck -f $l\" yourself" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok cut_resize_refused_names_repair || bad cut_resize_refused_names_repair "rc $rc: $out"
q e2fsck -f -y "$l"
out=$("$SB" shrink "$l" --size 130MiB --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(part_sectors 1)" = $((130 * 2048)) ] && [ "$(fs_bytes "$l")" = $((130 * MiB)) ] &&
	q e2fsck -fn "$l" && mount -o ro "$l" "$TMPD/mnt" && [ "$(sha256sum <"$TMPD/mnt/data")" = "$sum0" ] &&
	umount "$TMPD/mnt" && ok cut_resize_after_repair_converges ||
	{ umount "$TMPD/mnt" 2>/dev/null; bad cut_resize_after_repair_converges "rc $rc: $out"; }
loop_env_reset

# ---- 6. partition -> swap: the header shrinks keeping UUID and label.
d=$(new_loop 128M); mkdir -p "$TMPD/mnt"
printf 'label: gpt\n,64MiB,S\n,8MiB,L\n' | q sfdisk "$d"
add_partitions "$d"
mkswap -L sbswap "${d}p1" >/dev/null; uuid=$(blkid -p -o value -s UUID "${d}p1")
head -c 8M /dev/urandom >"${d}p2"; p2=$(sha256sum <"${d}p2")
out=$("$SB" shrink "${d}p1" --size 32MiB --yes 2>&1); rc=$?
pages=$(python3 -c "import struct,sys; f=open(sys.argv[1],'rb'); f.seek(1024+4); print(struct.unpack('<I', f.read(4))[0])" "${d}p1")
[ $rc = 0 ] && [ "$(part_sectors 1)" = 65536 ] && [ "$pages" = $((32 * MiB / 4096 - 1)) ] &&
	[ "$(blkid -p -o value -s UUID "${d}p1")" = "$uuid" ] &&
	[ "$(blkid -p -o value -s LABEL "${d}p1")" = sbswap ] && [ "$(sha256sum <"${d}p2")" = "$p2" ] &&
	ok swap_shrink || bad swap_shrink "rc $rc: pages $pages $out"

finish
