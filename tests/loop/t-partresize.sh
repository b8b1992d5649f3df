#!/bin/bash
# partresize on GPT and MBR, on loop devices with kernel partitions (added by
# BLKPG, as the host kernel has no GPT parser) and on plain image files:
# checked with sfdisk -d / --verify, the kernel's sysfs view, and byte
# comparison of every entry we did not mean to touch.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}
size_of() { sfdisk -d "$1" 2>/dev/null | awk -v p="$2" '$1 ~ p"$" {gsub(",", "", $6); print $6}'; }
ksize() { cat "/sys/class/block/$(basename "$1")/size"; }
# GPT entry N (128 bytes) from the primary array at LBA 2 and the backup array before the last 33 sectors.
gpt_entry() { dd if="$1" bs=128 skip=$((8 + $2 - 1)) count=1 status=none | od -An -tx1; }
gpt_backup_entry() {
	local sectors=$(($(blockdev --getsz "$1")))
	dd if="$1" bs=128 skip=$(((sectors - 33) * 4 + $2 - 1)) count=1 status=none | od -An -tx1
}
mbr_entry() { dd if="$1" bs=1 skip=$((446 + 16 * ($2 - 1))) count=16 status=none | od -An -tx1; }

# ---- GPT: shrink to fit the PV inside, grow back with --max, refusals.
d=$(new_loop 256M)
printf 'label: gpt\n,1MiB,21686148-6449-6E6F-744E-656564454649\n,100MiB,L\n,50MiB,L\n,,L\n' |
	sfdisk -q "$d" >/dev/null 2>&1
add_partitions "$d"
vg=$(uniq_name pg)
q pvcreate "${d}p2"; q vgcreate "$vg" "${d}p2"; q lvcreate -an -Zn -n a -L 40M "$vg"
e1=$(gpt_entry "$d" 1); e3=$(gpt_entry "$d" 3); e4=$(gpt_entry "$d" 4); b3=$(gpt_backup_entry "$d" 3)
before=$(sha256sum <"$d")
out=$("$SB" partresize "${d}p2" --size 50MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "smallest size that works" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok gpt_refuses_to_cut_the_pv || bad gpt_refuses_to_cut_the_pv "rc $rc: $out"
out=$("$SB" partresize "${d}p2" --size 60MiB --dry-run 2>&1); rc=$?
[ $rc = 0 ] || [ $rc = 3 ]
[ "$(sha256sum <"$d")" = "$before" ] && ok gpt_dry_run_byte_identical || bad gpt_dry_run_byte_identical "$out"
q "$SB" pvresize "${d}p2" --size 60MiB --yes --devices "${d}p2" --backup-dir "$TMPD/bk"
out=$("$SB" partresize "${d}p2" --size 60MiB --yes 2>&1); rc=$?
if [ $rc = 0 ] && [ "$(size_of "$d" p2)" = 122880 ] && [ "$(ksize "${d}p2")" = 122880 ] &&
	q sfdisk --verify "$d" && [ "$(gpt_entry "$d" 1)" = "$e1" ] && [ "$(gpt_entry "$d" 3)" = "$e3" ] &&
	[ "$(gpt_entry "$d" 4)" = "$e4" ] && [ "$(gpt_backup_entry "$d" 3)" = "$b3" ] && vgck "$vg" >/dev/null 2>&1; then
	ok gpt_shrink_exact_kernel_told_others_untouched
else
	bad gpt_shrink_exact_kernel_told_others_untouched "rc $rc size $(size_of "$d" p2) kernel $(ksize "${d}p2"): $out"
fi
out=$("$SB" partresize "${d}p2" --size 60MiB --yes 2>&1); rc=$?
[ $rc = 0 ] && grep -qx "No changes." <<<"$out" && ok gpt_rerun_no_changes || bad gpt_rerun_no_changes "rc $rc: $out"
out=$("$SB" partresize "${d}p2" --size 61MB --yes 2>&1); rc=$?
# 61 MB = 61000000 B: rounded up to whole sectors, then to the 1 MiB grain: 59 MiB.
[ $rc = 0 ] && [ "$(size_of "$d" p2)" = 120832 ] && [ "$(ksize "${d}p2")" = 120832 ] &&
	ok gpt_si_units_round_up_to_grain || bad gpt_si_units_round_up_to_grain "size $(size_of "$d" p2): $out"
out=$("$SB" partresize "${d}p2" --size 61M --yes 2>&1); rc=$?
[ $rc = 2 ] && grep -q "61MiB = 63963136 B, 61MB = 61000000 B" <<<"$out" && ok ambiguous_unit_refused ||
	bad ambiguous_unit_refused "rc $rc: $out"
out=$("$SB" partresize "${d}p2" --size 101MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "over partition 3" <<<"$out" && ok gpt_refuses_overlap || bad gpt_refuses_overlap "rc $rc: $out"
out=$("$SB" partresize "${d}p2" --max --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(size_of "$d" p2)" = 204800 ] && [ "$(ksize "${d}p2")" = 204800 ] &&
	ok gpt_grow_max_to_next_partition || bad gpt_grow_max_to_next_partition "size $(size_of "$d" p2): $out"
# --json: the plan as one document on stdout (every other line on stderr), its sizes the ones
# the real run then makes, and "changes": false once it is done.
before=$(sha256sum <"$d")
js=$("$SB" partresize "${d}p2" --size 80MiB --json --dry-run 2>"$TMPD/err"); rc=$?
if [ $rc = 0 ] && [ "$(sha256sum <"$d")" = "$before" ] &&
	[ "$(jq -r '[.schema_version, .applet, .partition, .changes, .size_sectors_before,
		.size_sectors_after, .end_sector_after, .next_partition, .table_write,
		.kernel_sectors_after, .content.known] | map(tostring) | join(" ")' <<<"$js")" = \
	"1 partresize 2 true 204800 163840 167935 3 true 163840 true" ] &&
	grep -qx "Dry run: nothing was changed." "$TMPD/err"; then
	ok json_plan_dry_run
else
	bad json_plan_dry_run "rc $rc: $(jq -c . <<<"$js") $(tr "\n" " " <"$TMPD/err")"
fi
js=$("$SB" partresize "${d}p2" --size 80MiB --json --yes 2>"$TMPD/err"); rc=$?
[ $rc = 0 ] && [ "$(size_of "$d" p2)" = "$(jq -r .size_sectors_after <<<"$js")" ] &&
	[ "$(ksize "${d}p2")" = 163840 ] && grep -q "^Done: partition 2 of" "$TMPD/err" &&
	ok json_plan_is_what_the_run_makes || bad json_plan_is_what_the_run_makes "rc $rc: $js"
js=$("$SB" partresize "${d}p2" --size 80MiB --json --yes 2>"$TMPD/err"); rc=$?
[ $rc = 0 ] && [ "$(jq -r .changes <<<"$js")" = false ] && grep -qx "No changes." "$TMPD/err" &&
	ok json_rerun_no_changes || bad json_rerun_no_changes "rc $rc: $js"
q "$SB" partresize "${d}p2" --max --yes
out=$("$SB" partresize "${d}p4" --max --yes 2>&1); rc=$?
last=$(sfdisk -d "$d" | awk '/^last-lba/ {print $2}')
end4=$(sfdisk -d "$d" | awk '$1 ~ /p4$/ {gsub(",", "", $4); gsub(",", "", $6); print $4 + $6 - 1}')
[ $rc = 0 ] && [ "$end4" -le "$last" ] && [ $(((end4 + 1) % 2048)) = 0 ] && q sfdisk --verify "$d" &&
	ok gpt_grow_max_last_partition_aligned || bad gpt_grow_max_last_partition_aligned "end $end4 last $last: $out"

# ---- A closed LUKS partition is not shrunk: what is inside cannot be checked.
printf 'pw' | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "${d}p3" - 2>/dev/null
before=$(sha256sum <"$d")
out=$("$SB" partresize "${d}p3" --size 30MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "closed" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok closed_luks_not_shrunk || bad closed_luks_not_shrunk "rc $rc: $out"

# ---- MBR: the same on a dos table; the other entries' 16 bytes are untouched.
m=$(new_loop 128M)
printf 'label: dos\n,20MiB,83\n,40MiB,83\n,,83\n' | sfdisk -q "$m" >/dev/null 2>&1
add_partitions "$m"
mkfs.ext4 -q -b 1024 "${m}p2" 30M
m1=$(mbr_entry "$m" 1); m3=$(mbr_entry "$m" 3)
out=$("$SB" partresize "${m}p2" --size 20MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "ext4" <<<"$out" && ok mbr_refuses_to_cut_ext4 || bad mbr_refuses_to_cut_ext4 "rc $rc: $out"
out=$("$SB" partresize "${m}p2" --size 30MiB --yes 2>&1); rc=$?
if [ $rc = 0 ] && [ "$(size_of "$m" p2)" = 61440 ] && [ "$(ksize "${m}p2")" = 61440 ] &&
	[ "$(mbr_entry "$m" 1)" = "$m1" ] && [ "$(mbr_entry "$m" 3)" = "$m3" ] && q e2fsck -fn "${m}p2"; then
	ok mbr_shrink_to_fs_size
else
	bad mbr_shrink_to_fs_size "rc $rc size $(size_of "$m" p2): $out"
fi

# ---- An image file (no kernel partitions): --partition N; the table alone changes.
img=$TMPD/disk.img
truncate -s 64M "$img"
printf 'label: gpt\n,10MiB,L\n,10MiB,L\n' | sfdisk -q "$img" >/dev/null 2>&1
out=$("$SB" partresize "$img" --partition 2 --max --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(size_of "$img" 2)" -gt 20480 ] && q sfdisk --verify "$img" && ok image_file_grow ||
	bad image_file_grow "rc $rc size $(size_of "$img" 2): $out"
out=$("$SB" partresize "$img" --size 5MiB --yes 2>&1); rc=$?
[ $rc = 2 ] && grep -q "partition N" <<<"$out" && ok image_needs_partition_number || bad image_needs_partition_number "rc $rc: $out"
out=$("$SB" partresize "$img" --partition 7 --max --yes 2>&1); rc=$?
[ $rc = 1 ] && grep -q "no partition 7" <<<"$out" && ok missing_partition || bad missing_partition "rc $rc: $out"

finish
