#!/bin/bash
# status --json on a GPT disk laid out like the seed guide's: bios_grub, an ESP,
# LUKS1 (two keyslots), LUKS2 with 4096-byte sectors, and a PV holding a
# fragmented VG (gaps left by removed spacer LVs, an LV in several segments).
# Every field is compared with the real tools: sfdisk -J / -F and the kernel's
# partition list, cryptsetup luksDump, pvs/vgs/lvs and pvck. Then the same
# facts read from the image file, and not one byte of the disk changed.
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
img=$(losetup -nO BACK-FILE "$d" | sed 's/ (deleted)$//')
# A 3 MiB hole after the ESP and free space at the end, for the free-space fields.
q sfdisk "$d" <<'EOF'
label: gpt
size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name="bios"
size=16MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system partition"
start=40960, size=24MiB, type=CA7D7CCB-63ED-4C53-861C-1742536059CC
size=24MiB, type=CA7D7CCB-63ED-4C53-861C-1742536059CC, name="luks2"
size=72MiB, type=E6D6D379-F507-44C2-A23C-238F2A3DF928
EOF
add_partitions "$d"
printf pw | q cryptsetup luksFormat -q --type luks1 "${KDF[@]}" -c aes-xts-plain64 -s 512 -h sha512 "${d}p3" -
printf 'pw\npw2\n' | q cryptsetup luksAddKey -q "${KDF[@]}" "${d}p3"
printf pw | q cryptsetup luksFormat -q --type luks2 "${KDF[@]}" --sector-size 4096 \
	--luks2-metadata-size 64k --luks2-keyslots-size 2m "${d}p4" -
vg=$(uniq_name gpt)
q pvcreate "${d}p5"
q vgcreate -s 1M "$vg" "${d}p5"
q lvcreate -an -Zn -n root -L 12M "$vg"
q lvcreate -an -Zn -n swap -L 6M "$vg"
q lvcreate -an -Zn -n spacer1 -L 3M "$vg"
q lvcreate -an -Zn -n home -L 5M "$vg"
q lvcreate -an -Zn -n spacer2 -L 2M "$vg"
q lvcreate -an -Zn -n tail -L 4M "$vg"
q lvremove -f "$vg/spacer1" "$vg/spacer2"
q lvextend -L +7M "$vg/root"	# 3 MiB into the first hole, then elsewhere: 3 segments
q lvextend -L +1M "$vg/home"	# contiguous: still one segment

# The layout must really be fragmented, or the LVM case proves little.
nseg=$(lvs --noheadings -o seg_count "$vg/root" 2>/dev/null | tr -d ' ')
[ "${nseg:-0}" -ge 2 ] || bad setup_root_has_segments "lvm2 made root with ${nseg:-no} segments"

before=$(sums "$d")
err=$("$SB" status --json "$d" 2>&1 >"$TMPD/disk.json"); rc=$?
j=$(cat "$TMPD/disk.json")
begin gpt_status_exit_clean
same exit_code "$rc" 0
same stderr "${err:-none}" none
end_case

# ---- Case: the table against sfdisk -J, and against the kernel's view (partx).
pt=$(jq '.volume.partition_table' <<<"$j")
begin gpt_table_matches_sfdisk
same_kv "" "$(ptable_ours "$pt")" "$(ptable_theirs "$d")"
end_case
begin gpt_partitions_match_kernel
same_kv "" "$(ptable_kernel_ours "$pt")" "$(ptable_kernel_theirs "$d")"
end_case
begin gpt_free_space_matches_sfdisk_F
same_kv "" "$(free_ours "$pt")" "$(free_theirs "$d")"
end_case

# ---- Case: LUKS1 and LUKS2 headers against cryptsetup luksDump.
begin gpt_luks1_matches_luksdump
same kind "$(part "$j" 3 | jq -r .volume.kind)" luks
same_kv "" "$(luks_ours "$(part "$j" 3 | jq .volume.luks)")" "$(luks_theirs "${d}p3")"
end_case
begin gpt_luks2_matches_luksdump
same kind "$(part "$j" 4 | jq -r .volume.kind)" luks
same_kv "" "$(luks_ours "$(part "$j" 4 | jq .volume.luks)")" "$(luks_theirs "${d}p4")"
end_case

# ---- Case: the fragmented VG against pvs/vgs/lvs and pvck, seen from the disk
# and from the partition node.
oracle=$(LVM_PV_DEV=${d}p5 lvm_theirs "$vg")
begin gpt_fragmented_vg_matches_lvm
same kind "$(part "$j" 5 | jq -r .volume.kind)" lvm_pv
same_kv "" "$(lvm_ours "$(part "$j" 5 | jq .volume.lvm_pv)")" "$oracle"
same pv_path "$(part "$j" 5 | jq -r '.volume.lvm_pv.vg.pvs[0].path')" "${d}p5"
end_case
jp=$("$SB" status --json "${d}p5" 2>/dev/null)
begin gpt_partition_node_shows_same_vg
same focus "$(jq -c '[.volume.partition_table.partitions[] | select(.volume) | .number]' <<<"$jp")" "[5]"
same_kv "" "$(lvm_ours "$(part "$jp" 5 | jq .volume.lvm_pv)")" "$oracle"
end_case

# ---- Case: the image file itself, compared with the same oracles (they read the
# same bytes through the loop device). LUKS goes through a temporary read-only loop
# device, which must be gone afterwards.
loops_before=$(losetup -j "$img" | cut -d: -f1 | sort)
err=$("$SB" status --json "$img" 2>&1 >"$TMPD/img.json"); rc=$?
ji=$(cat "$TMPD/img.json")
pti=$(jq '.volume.partition_table' <<<"$ji")
begin image_status_exit_clean
same exit_code "$rc" 0
same stderr "${err:-none}" none
same loop_devices_left "$(losetup -j "$img" | cut -d: -f1 | sort | tr '\n' ' ')" "$(tr '\n' ' ' <<<"$loops_before")"
end_case
begin image_table_matches_sfdisk
same_kv "" "$(ptable_ours "$pti")" "$(ptable_theirs "$d")"
same_kv "" "$(free_ours "$pti")" "$(free_theirs "$d")"
end_case
begin image_luks_matches_luksdump
same_kv luks1. "$(luks_ours "$(part "$ji" 3 | jq .volume.luks)")" "$(luks_theirs "${d}p3")"
same_kv luks2. "$(luks_ours "$(part "$ji" 4 | jq .volume.luks)")" "$(luks_theirs "${d}p4")"
end_case
begin image_vg_matches_lvm
same_kv "" "$(lvm_ours "$(part "$ji" 5 | jq .volume.lvm_pv)")" "$oracle"
end_case
# Everything but the names of the devices is the same as through the loop device.
norm='del(.. | .name?, .path?, .pv_path?, .device?, .device_hint?)'
begin image_same_report_as_loop_device
same report "$(jq -cS "$norm" <<<"$ji" | sha256sum)" "$(jq -cS "$norm" <<<"$j" | sha256sum)"
end_case

# ---- Case: the sanitizer build reads the same disk and image the same way.
asan_case gpt_status_asan_clean status --json "$d"
asan_case gpt_status_text_asan_clean status "$d"
asan_case image_status_asan_clean status "$img"

# ---- Case: status is read-only (text and JSON, disk, partition and image file).
q "$SB" status "$d"; q "$SB" status "${d}p3"; q "$SB" status "$img"
begin gpt_status_changes_no_byte
same sha256 "$(sums "$d")" "$before"
end_case

finish
