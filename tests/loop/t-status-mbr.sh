#!/bin/bash
# status --json on an MBR disk: a bootable primary, LUKS1 (aes-cbc-essiv, 256-bit)
# and LUKS2 primaries, an extended partition whose first logical partition is a
# PV with ext4 and swap inside inactive LVs (one ext4 smaller than its LV, with
# 1 KiB blocks), and a second logical partition. Compared field by field with
# sfdisk -J / -F, the kernel's partition list, cryptsetup luksDump, pvs/vgs/lvs,
# pvck, and for the filesystems dumpe2fs -h, blkid, swaplabel and the swap
# header. Not one byte of the disk changes.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh
. tests/lib/loop-env.sh
. tests/lib/oracle.sh
. tests/lib/asan.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}
KDF=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
part() { jq --argjson n "$2" '.volume.partition_table.partitions[] | select(.number == $n)' <<<"$1"; }

d=$(new_loop 160M)
q sfdisk "$d" <<'EOF'
label: dos
size=8MiB, type=83, bootable
size=24MiB, type=83
size=24MiB, type=83
type=5
size=60MiB, type=8e
type=83
EOF
add_partitions "$d"
printf pw | q cryptsetup luksFormat -q --type luks1 "${KDF[@]}" -c aes-cbc-essiv:sha256 -s 256 "${d}p2" -
printf pw | q cryptsetup luksFormat -q --type luks2 "${KDF[@]}" "${d}p3" -
vg=$(uniq_name mbr)
q pvcreate "${d}p5"
q vgcreate "$vg" "${d}p5"
q lvcreate -an -Zn -n root -L 20M "$vg"
q lvcreate -an -Zn -n spacer -L 4M "$vg"
q lvcreate -an -Zn -n swap -L 8M "$vg"
q lvcreate -an -Zn -n data -L 12M "$vg"
q lvremove -f "$vg/spacer"
# The filesystems, written through loop devices over the LVs' extents.
lr=$(lv_extent_loop "$vg" root) && q mkfs.ext4 -q -F -b 4096 -L rootfs "$lr" 4000	# 16000 KiB in a 20 MiB LV
ls_=$(lv_extent_loop "$vg" swap) && mk=$(mkswap -L sbswap "$ls_" 2>&1)
ld=$(lv_extent_loop "$vg" data) && q mkfs.ext4 -q -F -b 1024 -O ^has_journal "$ld"
if [ -z "${lr:-}" ] || [ -z "${ls_:-}" ] || [ -z "${ld:-}" ]; then
	bad setup_lv_loops "losetup over the LVs' extents failed"
fi
sync

before=$(sums "$d")
err=$("$SB" status --json "$d" 2>&1 >"$TMPD/disk.json"); rc=$?
j=$(cat "$TMPD/disk.json")
pt=$(jq '.volume.partition_table' <<<"$j")
begin mbr_status_exit_clean
same exit_code "$rc" 0
same stderr "${err:-none}" none
end_case

# ---- Case: the table (primaries, the extended container, logical partitions).
begin mbr_table_matches_sfdisk
same_kv "" "$(ptable_ours "$pt")" "$(ptable_theirs "$d")"
end_case
begin mbr_partitions_match_kernel
same_kv "" "$(ptable_kernel_ours "$pt")" "$(ptable_kernel_theirs "$d")"
end_case
# A logical partition is followed by the next one's EBR: that sector is not free.
begin mbr_free_space_matches_sfdisk_F
same_kv "" "$(free_ours "$pt")" "$(free_theirs "$d")"
end_case

# ---- Case: LUKS1 and LUKS2 on primaries.
begin mbr_luks1_matches_luksdump
same_kv "" "$(luks_ours "$(part "$j" 2 | jq .volume.luks)")" "$(luks_theirs "${d}p2")"
end_case
begin mbr_luks2_matches_luksdump
same_kv "" "$(luks_ours "$(part "$j" 3 | jq .volume.luks)")" "$(luks_theirs "${d}p3")"
end_case

# ---- Case: the PV in the logical partition.
begin mbr_logical_pv_matches_lvm
same_kv "" "$(lvm_ours "$(part "$j" 5 | jq .volume.lvm_pv)")" "$(LVM_PV_DEV=${d}p5 lvm_theirs "$vg")"
end_case

# ---- Case: ext4 and swap inside the inactive LVs.
lv() { part "$j" 5 | jq --arg n "$1" '.volume.lvm_pv.vg.lvs[] | select(.name == $n) | .filesystem'; }
begin lv_ext4_matches_dumpe2fs
same_kv "" "$(fs_ours "$(lv root)")" "$(fs_theirs "$lr")"
end_case
begin lv_ext4_1k_blocks_matches_dumpe2fs
same_kv "" "$(fs_ours "$(lv data)")" "$(fs_theirs "$ld")"
end_case
begin lv_swap_matches_header
same_kv "" "$(fs_ours "$(lv swap)")" "$(fs_theirs "$ls_")"
# mkswap says how much it set up after the header page
same mkswap_size "$(lv swap | jq -r '.size_bytes - .block_size_bytes')" "$(grep -oE '\(([0-9]+) bytes\)' <<<"$mk" | tr -dc 0-9)"
end_case
begin lv_no_filesystem_elsewhere
same filesystems "$(part "$j" 5 | jq -c '[.volume.lvm_pv.vg.lvs[] | select(.filesystem) | .name] | sort')" '["data","root","swap"]'
end_case

# ---- Case: the sanitizer build reads the same disk the same way.
asan_case mbr_status_asan_clean status --json "$d"
asan_case mbr_status_text_asan_clean status "$d"

# ---- Case: status is read-only.
q "$SB" status "$d"; q "$SB" status "${d}p5"
q "$SB" status "$(losetup -nO BACK-FILE "$d" | sed 's/ (deleted)$//')"
begin mbr_status_changes_no_byte
same sha256 "$(sums "$d")" "$before"
end_case

finish
