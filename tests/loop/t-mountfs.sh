#!/bin/bash
# XFS (grow only) and btrfs (both ways), which resize only while mounted: on a partition
# (fsresize, shrink, grow) and in an LV (lvgrow, lvshrink), each through a private mount.
# Exact sizes from their own tools, data intact, re-runs "No changes.", refusals (XFS shrink,
# btrfs below its minimum, a two-device btrfs) byte-identical, dry runs byte-identical.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap 'umount "$TMPD/mnt" 2>/dev/null; cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}
MiB=1048576
xfs_bytes() { xfs_db -r -c "sb 0" -c "p dblocks blocksize" "$1" 2>/dev/null | awk '{v[$1]=$3} END {print v["dblocks"] * v["blocksize"]}'; }
btrfs_bytes() { btrfs inspect-internal dump-super "$1" 2>/dev/null | awk '$1 == "dev_item.total_bytes" {print $2}'; }
part_sectors() { sfdisk -d "$d" 2>/dev/null | awk -v p="${d}p$1" '$1 == p {gsub(",", "", $6); print $6}'; }
# put DEV: 20 MiB of data in DEV's filesystem; its checksum in sum0.
put() {
	mkdir -p "$TMPD/mnt"; mount "$1" "$TMPD/mnt" && head -c 20M /dev/urandom >"$TMPD/mnt/data"
	sum0=$(sha256sum <"$TMPD/mnt/data"); umount "$TMPD/mnt"
}
data_ok() {
	mount -o ro "$1" "$TMPD/mnt" || return 1
	local s; s=$(sha256sum <"$TMPD/mnt/data"); umount "$TMPD/mnt"; [ "$s" = "$sum0" ]
}

# ---- 1. partition -> btrfs: shrink, refusals, grow back, all in one command each.
d=$(new_loop 900M)
printf 'label: gpt\n,640MiB,L\n,8MiB,L\n' | q sfdisk "$d"
add_partitions "$d"
mkfs.btrfs -q -f "${d}p1" >/dev/null 2>&1; put "${d}p1"
head -c 8M /dev/urandom >"${d}p2"; p2=$(sha256sum <"${d}p2")
before=$(sums "$d")
out=$("$SB" shrink "${d}p1" --size 400MiB --dry-run 2>&1); rc=$?
[ $rc = 0 ] && grep -q "btrfs's minimum" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok btrfs_shrink_dry_run_byte_identical || bad btrfs_shrink_dry_run_byte_identical "rc $rc: $out"
out=$("$SB" shrink "${d}p1" --size 128MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "its btrfs needs at least" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok btrfs_below_minimum_refused || bad btrfs_below_minimum_refused "rc $rc: $out"
out=$("$SB" shrink "${d}p1" --size 400MiB --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(part_sectors 1)" = $((400 * 2048)) ] && [ "$(btrfs_bytes "${d}p1")" = $((400 * MiB)) ] &&
	q btrfs check --readonly "${d}p1" && data_ok "${d}p1" && [ "$(sha256sum <"${d}p2")" = "$p2" ] &&
	ok btrfs_shrink || bad btrfs_shrink "rc $rc: $(btrfs_bytes "${d}p1") $out"
before=$(sums "$d")
out=$("$SB" shrink "${d}p1" --size 400MiB --yes 2>&1); rc=$?
[ $rc = 0 ] && grep -q "^No changes." <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok btrfs_shrink_rerun_no_changes || bad btrfs_shrink_rerun_no_changes "rc $rc: $out"
out=$("$SB" fsresize "${d}p1" --size 300MiB --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(btrfs_bytes "${d}p1")" = $((300 * MiB)) ] && data_ok "${d}p1" &&
	ok btrfs_fsresize_shrink || bad btrfs_fsresize_shrink "rc $rc: $out"
# Mounted as a subvolume (Fedora mounts subvol=root): a btrfs's mountinfo line shows an
# anonymous device number, so it is found by the device it was mounted from. Shrinking it is
# refused; filling the partition goes online, on that mount.
mount "${d}p1" "$TMPD/mnt" && btrfs -q subvolume create "$TMPD/mnt/root" && umount "$TMPD/mnt"
mount -o subvol=root "${d}p1" "$TMPD/mnt" || bad mount_subvol "could not mount"
out=$("$SB" fsresize "${d}p1" --size 280MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "is mounted" <<<"$out" && [ "$(btrfs_bytes "${d}p1")" = $((300 * MiB)) ] &&
	ok btrfs_mounted_shrink_refused || bad btrfs_mounted_shrink_refused "rc $rc: $out"
out=$("$SB" fsresize "${d}p1" --yes 2>&1); rc=$?
umount "$TMPD/mnt"
[ $rc = 0 ] && grep -q "online, at $TMPD/mnt" <<<"$out" && [ "$(btrfs_bytes "${d}p1")" = $((400 * MiB)) ] &&
	q btrfs check --readonly "${d}p1" && data_ok "${d}p1" &&
	ok btrfs_fsresize_fill_online || bad btrfs_fsresize_fill_online "rc $rc: $out"
loop_env_reset

# ---- 2. partition -> XFS: grow into the enlarged disk; shrink refused, nothing written.
d=$(new_loop 400M); mkdir -p "$TMPD/mnt"
printf 'label: gpt\n,8MiB,L\n,320MiB,L\n' | q sfdisk "$d"
add_partitions "$d"
mkfs.xfs -q "${d}p2"; put "${d}p2"
before=$(sums "$d")
out=$("$SB" shrink "${d}p2" --size 200MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "XFS, which cannot shrink" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok xfs_shrink_refused || bad xfs_shrink_refused "rc $rc: $out"
truncate -s 600M "$(losetup -nO BACK-FILE "$d")"; losetup -c "$d"
before=$(sums "$d")
out=$("$SB" grow "${d}p2" --max --dry-run 2>&1); rc=$?
[ $rc = 0 ] && [ "$(sums "$d")" = "$before" ] && ok xfs_grow_dry_run_byte_identical ||
	bad xfs_grow_dry_run_byte_identical "rc $rc: $out"
out=$("$SB" grow "${d}p2" --max --yes 2>&1); rc=$?
size=$(part_sectors 2)
[ $rc = 0 ] && [ "$size" -gt $((590 * 2048 - 18432)) ] && [ "$(xfs_bytes "${d}p2")" = $((size * 512)) ] &&
	q xfs_repair -n "${d}p2" && data_ok "${d}p2" && ok xfs_grow || bad xfs_grow "rc $rc: size $size xfs $(xfs_bytes "${d}p2") $out"
before=$(sums "$d")
out=$("$SB" grow "${d}p2" --max --yes 2>&1); rc=$?
[ $rc = 0 ] && grep -q "^No changes." <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok xfs_grow_rerun_no_changes || bad xfs_grow_rerun_no_changes "rc $rc: $out"
# Online: the filesystem mounted, grown in place (the partition grows by BLKPG first).
truncate -s 700M "$(losetup -nO BACK-FILE "$d")"; losetup -c "$d"
mount "${d}p2" "$TMPD/mnt"
out=$("$SB" grow "${d}p2" --max --yes 2>&1); rc=$?
umount "$TMPD/mnt"
size=$(part_sectors 2)
[ $rc = 0 ] && grep -q "online, at" <<<"$out" && [ "$(xfs_bytes "${d}p2")" = $((size * 512)) ] &&
	[ "$size" -gt $((690 * 2048 - 18432)) ] && q xfs_repair -n "${d}p2" && data_ok "${d}p2" &&
	ok xfs_grow_online || bad xfs_grow_online "rc $rc: size $size $out"
loop_env_reset

# ---- 3. a btrfs over two devices is refused, both of them untouched.
d=$(new_loop 800M)
printf 'label: gpt\n,300MiB,L\n,300MiB,L\n' | q sfdisk "$d"
add_partitions "$d"
mkfs.btrfs -q -f -d single -m single "${d}p1" "${d}p2" >/dev/null 2>&1
before=$(sums "$d")
out=$("$SB" shrink "${d}p2" --size 280MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "one of 2 devices of a btrfs" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok btrfs_two_devices_refused || bad btrfs_two_devices_refused "rc $rc: $out"
loop_env_reset

# ---- 4. In an LV (RHEL's XFS on LVM; btrfs on LVM): lvgrow, lvshrink, through a private mount
# of the loop device over the LV (the host has no device-mapper).
d=$(new_loop 1200M); mkdir -p "$TMPD/mnt"
vg=$(uniq_name mf)
q pvcreate "$d"; q vgcreate "$vg" "$d"
q lvcreate -an -Zn -n x -L 320M "$vg"; q lvcreate -an -Zn -n b -L 512M "$vg"
sb() { "$SB" "$@" --devices "$d" --backup-dir "$TMPD/bk"; }
l=$(lv_extent_loop "$vg" x); mkfs.xfs -q "$l"; put "$l"; sumx=$sum0; losetup -d "$l"
l=$(lv_extent_loop "$vg" b); mkfs.btrfs -q -f "$l" >/dev/null 2>&1; put "$l"; sumb=$sum0; losetup -d "$l"
before=$(sha256sum <"$d")
out=$(sb lvshrink "$vg/x" --size 256MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "XFS, which cannot shrink" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok lv_xfs_shrink_refused || bad lv_xfs_shrink_refused "rc $rc: $out"
out=$(sb lvshrink "$vg/b" --size 320MiB --dry-run 2>&1); rc=$?
[ $rc = 0 ] && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok lv_btrfs_shrink_dry_run_byte_identical || bad lv_btrfs_shrink_dry_run_byte_identical "rc $rc: $out"
out=$(sb lvshrink "$vg/b" --size 320MiB --yes 2>&1); rc=$?
l=$(lv_extent_loop "$vg" b)
[ $rc = 0 ] && [ "$(lvs --noheadings --units b --nosuffix -o lv_size "$vg/b" | tr -d ' ')" = $((320 * MiB)) ] &&
	[ "$(btrfs_bytes "$l")" = $((320 * MiB)) ] && q btrfs check --readonly "$l" && sum0=$sumb && data_ok "$l" &&
	ok lv_btrfs_shrink || bad lv_btrfs_shrink "rc $rc: $(btrfs_bytes "$l") $out"
losetup -d "$l"
out=$(sb lvshrink "$vg/b" --size 320MiB --yes 2>&1); rc=$?
[ $rc = 0 ] && grep -q "^No changes." <<<"$out" && ok lv_btrfs_shrink_rerun_no_changes ||
	bad lv_btrfs_shrink_rerun_no_changes "rc $rc: $out"
# x grows into the free extents right after it? b follows it: x can only grow where the loop
# device reaches, one run of extents, so b is removed to make that run.
q lvremove -f "$vg/b"
before=$(sha256sum <"$d")
out=$(sb lvgrow "$vg/x" --size +64MiB --dry-run 2>&1); rc=$?
[ $rc = 0 ] && grep -q "xfs_growfs" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok lv_xfs_grow_dry_run_byte_identical || bad lv_xfs_grow_dry_run_byte_identical "rc $rc: $out"
out=$(sb lvgrow "$vg/x" --size +200MiB --yes 2>&1); rc=$?
l=$(lv_extent_loop "$vg" x)
[ $rc = 0 ] && [ "$(xfs_bytes "$l")" = $((520 * MiB)) ] && q xfs_repair -n "$l" && sum0=$sumx && data_ok "$l" &&
	ok lv_xfs_grow || bad lv_xfs_grow "rc $rc: $(xfs_bytes "$l") $out"
losetup -d "$l"
out=$(sb lvgrow "$vg/x" --size 520MiB --yes 2>&1); rc=$?
[ $rc = 0 ] && grep -q "^No changes." <<<"$out" && ok lv_xfs_grow_rerun_no_changes ||
	bad lv_xfs_grow_rerun_no_changes "rc $rc: $out"
q vgck "$vg" && ok vgck || bad vgck "$(vgck "$vg" 2>&1)"

finish
