#!/bin/bash
# Refusals that guard against data loss, each before the first write: every
# case checks the exit code, the message and that every byte of the devices is
# unchanged (sha256), and the real tools (vgck, e2fsck -fn) where they apply.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap 'umount "$TMPD/mnt" 2>/dev/null; cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}
mkdir -p "$TMPD/mnt"
# lv_raw VG LV: a loop device over the LV's first segment (read straight from the PV).
lv_raw() { lv_extent_loop "$1" "$2"; }

# ---- lvgrow without device-mapper must not fill an LV through its neighbour ----
# a at PE 0-1 (ext4, 1 KiB blocks), b at PE 2-3 (a pattern): a grows only
# by new extents elsewhere, which a loop device cannot follow.
d=$(new_loop 64M)
vg=$(uniq_name ho)
q pvcreate "$d"; q vgcreate "$vg" "$d"
q lvcreate -an -Zn -n a -L 8M "$vg"; q lvcreate -an -Zn -n b -L 8M "$vg"
l=$(lv_raw "$vg" a); mkfs.ext4 -q -b 1024 "$l"; losetup -d "$l"
l=$(lv_raw "$vg" b); yes "neighbour b" | head -c 8M >"$l"; sync; bsum=$(sha256sum <"$l"); losetup -d "$l"
before=$(sha256sum <"$d")
out=$("$SB" lvgrow "$vg/a" --size 16MiB --yes --devices "$d" --backup-dir "$TMPD/bk" 2>&1); rc=$?
l=$(lv_raw "$vg" b)
begin lvgrow_no_dm_neighbour_refused
same rc "$rc" 3
holds message "said: $out" grep -q "without device-mapper" <<<"$out"
holds bytes "the PV changed" [ "$(sha256sum <"$d")" = "$before" ]
same b_sum "$(sha256sum <"$l")" "$bsum"
holds vgck "vgck failed" vgck "$vg"
end_case
losetup -d "$l"
out=$("$SB" lvgrow "$vg/a" --size 16MiB --dry-run --devices "$d" 2>&1); rc=$?
begin lvgrow_no_dm_neighbour_dry_run_same_verdict
same rc "$rc" 3
holds message "said: $out" grep -q "without device-mapper" <<<"$out"
end_case
# Not enough free extents: refused by the plan, dry run alike, nothing written.
out=$("$SB" lvgrow "$vg/a" --size 1GiB --dry-run --devices "$d" 2>&1); rc=$?
out2=$("$SB" lvgrow "$vg/a" --size 1GiB --yes --devices "$d" --backup-dir "$TMPD/bk" 2>&1); rc2=$?
begin lvgrow_too_few_free_extents_refused
same rc "$rc" 3
same rc_real "$rc2" 3
holds message "said: $out2" grep -q "more extents but VG" <<<"$out2"
holds bytes "the PV changed" [ "$(sha256sum <"$d")" = "$before" ]
end_case
loop_env_reset

# ---- partresize: content nothing names is not "needs 0 B" ----
img=$TMPD/unknown.img
truncate -s 64M "$img"
printf 'label: gpt\nstart=2048, size=40960, type=L\nstart=43008, size=20480, type=L\n' | q sfdisk "$img"
# Random bytes in partition 1 (plain dm-crypt looks exactly like this).
head -c $((40960 * 512)) /dev/urandom | dd of="$img" bs=512 seek=2048 conv=notrunc status=none
before=$(sha256sum <"$img")
out=$("$SB" partresize "$img" --partition 1 --size 1MiB --yes 2>&1); rc=$?
out2=$("$SB" partresize "$img" --partition 1 --size 1MiB --dry-run 2>&1); rc2=$?
begin partresize_unknown_content_refused
same rc "$rc" 3
same rc_dry_run "$rc2" 3
holds message "said: $out" grep -q "no signature libblkid knows.*--force-unknown-content" <<<"$out"
holds bytes "the image changed" [ "$(sha256sum <"$img")" = "$before" ]
holds sfdisk "sfdisk --verify" sfdisk --verify "$img"
end_case
out=$("$SB" partresize "$img" --partition 1 --size 1MiB --force-unknown-content --dry-run 2>&1); rc=$?
begin partresize_force_unknown_dry_run_says_loss
same rc "$rc" 0
holds message "said: $out" grep -q "whatever lies past the new end is lost" <<<"$out"
holds bytes "the image changed" [ "$(sha256sum <"$img")" = "$before" ]
end_case
out=$("$SB" partresize "$img" --partition 1 --size 1MiB --force-unknown-content --yes 2>&1); rc=$?
begin partresize_force_unknown_shrinks
same rc "$rc" 0
same size "$(sfdisk -d "$img" 2>/dev/null | awk '/^[^ ]*1 :/ {gsub(",", ""); for (i = 1; i <= NF; i++) if ($i == "size=") print $(i + 1)}')" 2048
holds sfdisk "sfdisk --verify" sfdisk --verify "$img"
end_case

# ---- migrate --to one of the VG's own PVs (or the disk under it) erases it: refused ----
disk=$(new_loop 96M)
printf 'label: gpt\nstart=2048, size=180224, type=L\n' | q sfdisk "$disk"; add_partitions "$disk"
src=${disk}p1
other=$(new_loop 96M)
vg=$(uniq_name hm)
q pvcreate "$src"; q vgcreate "$vg" "$src"; q lvcreate -an -Zn -n data -L 16M "$vg"
printf 'migrate secret' >"$TMPD/key"
before=$(sums "$disk" "$other")
for to in "$src" "$disk"; do
	out=$("$SB" migrate "$vg" --from "$src" --to "$to" --force --yes --devices "$src,$to" \
		--key-file "$TMPD/key" --pbkdf pbkdf2 --backup-dir "$TMPD/bk" 2>&1); rc=$?
	out2=$("$SB" migrate "$vg" --from "$src" --to "$to" --force --dry-run --devices "$src,$to" \
		--key-file "$TMPD/key" --pbkdf pbkdf2 2>&1); rc2=$?
	begin "migrate_to_own_pv_refused_${to##*/}"
	same rc "$rc" 3
	same rc_dry_run "$rc2" 3
	holds message "said: $out" grep -q "is a PV of VG $vg on the same device" <<<"$out"
	holds bytes "a device changed" [ "$(sums "$disk" "$other")" = "$before" ]
	holds vgck "vgck failed" vgck "$vg"
	end_case
done
loop_env_reset

# ---- two VGs of one name: refused, naming both uuids, unless --devices leaves one ----
a=$(new_loop 32M); b=$(new_loop 32M)
vg=$(uniq_name hd)
only() { printf 'devices { global_filter = [ "a|^%s$|", "r|.*|" ] }' "$1"; }
q pvcreate "$a" "$b"
q vgcreate --config "$(only "$a")" "$vg" "$a"; q lvcreate --config "$(only "$a")" -an -Zn -n lv -L 8M "$vg"
q vgcreate --config "$(only "$b")" "$vg" "$b"; q lvcreate --config "$(only "$b")" -an -Zn -n lv -L 8M "$vg"
ua=$(vgs --config "$(only "$a")" --noheadings -o vg_uuid "$vg" 2>/dev/null | tr -d ' ')
ub=$(vgs --config "$(only "$b")" --noheadings -o vg_uuid "$vg" 2>/dev/null | tr -d ' ')
before=$(sums "$a" "$b")
out=$("$SB" vgcfg show "$vg" 2>&1); rc=$?
out2=$("$SB" lvshrink "$vg/lv" --size 4MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc2=$?
begin duplicate_vg_names_refused
same rc "$rc" 3
same rc_lvshrink "$rc2" 3
both=no; grep -q -- "$ua" <<<"$out" && grep -q -- "$ub" <<<"$out" && both=yes
same both_uuids_named "$both" yes
holds message "said: $out2" grep -q "two VGs are named $vg" <<<"$out2"
holds bytes "a device changed" [ "$(sums "$a" "$b")" = "$before" ]
end_case
out=$("$SB" vgcfg show "$vg" --devices "$b" 2>&1); rc=$?
begin duplicate_vg_names_devices_chooses
same rc "$rc" 0
holds the_one "said: $out" grep -q "$(tr -d - <<<"$ub" | cut -c1-6)\|$ub" <<<"$out"
end_case
loop_env_reset

# ---- pvresize shrink of a two-area PV, cut right after the label write ----
# The new mda2 lies on extents the old pe_count still counted as free: if
# lvm2 may allocate them then, its next metadata write lands inside an LV.
m=$(new_loop 64M)
vg=$(uniq_name hp)
q pvcreate --pvmetadatacopies 2 "$m"; q vgcreate "$vg" "$m"; q lvcreate -an -Zn -n a -L 12M "$vg"
SHRINKBOX_TEST_STOP_AFTER=pv-label "$SB" pvresize "$m" --size 40MiB --devices "$m" --yes \
	--backup-dir "$TMPD/bk" >/dev/null 2>&1; rc=$?
mda2=$(pvck --dump headers "$m" 2>/dev/null | awk '/mda_header_2 at/ {print $3}')
q lvcreate -an -Zn -n fill -l 100%FREE "$vg"
ext=$(vgs --noheadings --units b --nosuffix -o vg_extent_size "$vg" 2>/dev/null | tr -d ' ')
start=$(pvs --noheadings --units b --nosuffix -o pe_start "$m" 2>/dev/null | tr -d ' ')
pes=$(pvs --noheadings -o pv_pe_count "$m" 2>/dev/null | tr -d ' ')
begin pvresize_two_mdas_cut_after_label_lvm2_cannot_allocate_over_mda2
same stopped "$rc" 137
same mda2_at $((40 * 1048576 - 1048576)) "${mda2:-none}"
holds extents_below_mda2 "pe_start $start + $pes x $ext reaches past mda2 at $mda2" [ $((start + pes * ext)) -le "${mda2:-0}" ]
holds vgck "vgck after lvm2 allocated" vgck "$vg"
end_case
q lvremove -f "$vg/fill"
out=$("$SB" pvresize "$m" --size 40MiB --devices "$m" --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
out2=$("$SB" pvresize "$m" --size 40MiB --devices "$m" --yes --backup-dir "$TMPD/bk" 2>&1); rc2=$?
begin pvresize_two_mdas_cut_converges
same rc "$rc" 0
same pe_count "$(pvs --noheadings -o pv_pe_count "$m" 2>/dev/null | tr -d ' ')" 9
same rerun "$rc2 $(tail -n 1 <<<"$out2")" "0 No changes."
holds vgck "vgck" vgck "$vg"
end_case
loop_env_reset

# ---- without root: say so (exit 1), not "not a PV" or "VG not found" ----
d=$(new_loop 32M)
vg=$(uniq_name hr)
q pvcreate "$d"; q vgcreate "$vg" "$d"; q lvcreate -an -Zn -n lv -L 8M "$vg"
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$SB" "$@" 2>&1; }
for c in "defrag $d" "lvshrink $vg/lv --size 4MiB --dry-run" "vgcfg show $vg" "unlock $d" "pvresize $d --dry-run"; do
	# shellcheck disable=SC2086
	out=$(asnobody $c); rc=$?
	begin "not_root_says_so_${c%% *}"
	same rc "$rc" 1
	holds message "said: $out" grep -q "Permission denied.*run as root" <<<"$out"
	end_case
done
loop_env_reset

# ---- one exit code per kind of mistake, whatever the applet ----
# 2: the command line names what is not there (a key file, a VG, an LV, a device);
# 3: understood, but the stack does not allow it (not enough free extents).
d=$(new_loop 64M)
printf 'label: gpt\n,1MiB,21686148-6449-6E6F-744E-656564454649\n,40MiB,L\n' | q sfdisk "$d"; add_partitions "$d"
vg=$(uniq_name hx)
q pvcreate "${d}p2"; q vgcreate "$vg" "${d}p2"; q lvcreate -an -Zn -n lv -L 8M "$vg"
l=$(lv_raw "$vg" lv); mkfs.ext4 -q "$l"; losetup -d "$l"
x() { "$SB" "$@" --devices "${d}p2" --backup-dir "$TMPD/bk" >/dev/null 2>&1; echo $?; }
begin exit_codes_one_per_kind
same missing_key_unlock "$(x unlock "${d}p2" --key-file /nonexistent)" 2
same missing_key_shrink "$(x shrink "${d}p2" --size 20MiB --key-file /nonexistent --dry-run)" 2
same missing_key_grow "$(x grow "${d}p2" --max --key-file /nonexistent --dry-run)" 2
same unknown_vg_lvshrink "$(x lvshrink nosuchvg/lv --size 4MiB --dry-run)" 2
same unknown_lv_lvshrink "$(x lvshrink "$vg/nosuch" --size 4MiB --dry-run)" 2
same unknown_lv_lvgrow "$(x lvgrow "$vg/nosuch" --size 16MiB --dry-run)" 2
same unknown_lv_lvresize "$(x lvresize "$vg/nosuch" --extents 1 --dry-run)" 2
same unknown_lv_shrink "$(x shrink "${d}p2" --size 20MiB --lv "$vg/nosuch=4MiB" --dry-run)" 2
same unknown_lv_grow "$(x grow "${d}p2" --max --lv "$vg/nosuch=+4MiB" --dry-run)" 2
same unknown_vg_vgcfg "$(x vgcfg show nosuchvg)" 2
same not_a_pv_defrag "$(x defrag "$d" --dry-run)" 2
same no_device_partresize "$(x partresize /dev/nonexistent --size 4MiB --dry-run)" 2
same few_extents_lvgrow "$(x lvgrow "$vg/lv" --size 1GiB --dry-run)" 3
same few_extents_lvresize "$(x lvresize "$vg/lv" --size 1GiB --dry-run)" 3
same few_extents_grow "$(x grow "${d}p2" --lv "$vg/lv=1GiB" --dry-run)" 3
end_case
loop_env_reset

finish
