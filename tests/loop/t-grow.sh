#!/bin/bash
# The whole-stack grow on the host after the disk was enlarged (GPT -> PV -> VG
# -> swap + ext4; no LUKS here: the host has no dm-crypt, the VM suite covers
# it): the backup GPT header moves to the new end, the partition takes the free
# space, the PV fills it, the LV takes every free extent and its filesystem
# fills the LV exactly; lvm2, e2fsck and sfdisk agree; data intact; re-runs
# converge after an interruption and say "No changes." after success.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap 'umount "$TMPD/mnt" 2>/dev/null; cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}
EXT=4194304

# build: a 256 MiB disk, partition 2 a 160 MiB PV with swap (16M) then root (100M,
# ext4 with data), then the disk grows to 512 MiB (the image, then the loop device).
build() {
	local l img
	d=$(new_loop 256M)
	printf 'label: gpt\n,1MiB,21686148-6449-6E6F-744E-656564454649\n,160MiB,L\n' | q sfdisk "$d"
	add_partitions "$d"
	vg=$(uniq_name gr)$RANDOM
	q pvcreate "${d}p2"; q vgcreate "$vg" "${d}p2"
	q lvcreate -an -Zn -n swap -L 16M "$vg"; q lvcreate -an -Zn -n root -L 100M "$vg"
	l=$(lv_extent_loop "$vg" root)
	mkfs.ext4 -q "$l"; mkdir -p "$TMPD/mnt"; mount "$l" "$TMPD/mnt"
	yes "grown data" | head -c 30M >"$TMPD/mnt/data"; sum0=$(sha256sum <"$TMPD/mnt/data")
	umount "$TMPD/mnt"; losetup -d "$l"
	img=$(losetup -nO BACK-FILE "$d")
	truncate -s 512M "$img"; losetup -c "$d"
}

# check: every layer as derived here from the disk's size, lvm2/e2fsck/sfdisk happy, data intact.
check() {
	local nsec start want size pe_start pe root l blocks bs
	nsec=$(blockdev --getsz "$d")
	start=$(sfdisk -d "$d" 2>/dev/null | awk '$1 ~ /p2$/ {gsub(",", "", $4); print $4}')
	# GPT: backup header on the last sector, 32 sectors of entries before it; end on 1 MiB.
	want=$(((nsec - 34 + 1) / 2048 * 2048 - start))
	size=$(sfdisk -d "$d" 2>/dev/null | awk '$1 ~ /p2$/ {gsub(",", "", $6); print $6}')
	[ "$size" = "$want" ] || { echo "partition is $size sectors, not $want"; return 1; }
	[ "$(cat "/sys/class/block/$(basename "$d")p2/size")" = "$want" ] || { echo "kernel size"; return 1; }
	q sfdisk --verify "$d" || { echo "sfdisk --verify"; return 1; }
	[ "$(sfdisk -d "$d" 2>/dev/null | awk '/^last-lba:/ {print $2}')" = $((nsec - 34)) ] ||
		{ echo "last-lba not at the disk's end"; return 1; }
	q vgck "$vg" || { echo vgck; return 1; }
	[ -z "$(lvs --noheadings -o lv_tags "$vg" 2>/dev/null | tr -d ' ')" ] || { echo "a tag is left"; return 1; }
	pe_start=$(pvs --noheadings --units b --nosuffix -o pe_start "${d}p2" 2>/dev/null | tr -d ' ')
	pe=$(pvs --noheadings -o pv_pe_count "${d}p2" 2>/dev/null | tr -d ' ')
	[ "$pe" = $(((want * 512 - pe_start) / EXT)) ] || { echo "pe_count $pe"; return 1; }
	root=$(lvs --noheadings -o lv_size --units b --nosuffix "$vg/root" 2>/dev/null | tr -d ' ')
	[ "$root" = $(((pe - 4) * EXT)) ] || { echo "root is $root B"; return 1; }
	l=$(lv_extent_loop "$vg" root) || { echo "root is not one segment"; return 1; }
	blocks=$(dumpe2fs -h "$l" 2>/dev/null | awk -F: '/^Block count/ {print $2 + 0}')
	bs=$(dumpe2fs -h "$l" 2>/dev/null | awk -F: '/^Block size/ {print $2 + 0}')
	[ $((blocks * bs)) = "$root" ] || { losetup -d "$l"; echo "fs is $((blocks * bs)) B"; return 1; }
	if ! q e2fsck -fn "$l" || ! mount -o ro "$l" "$TMPD/mnt"; then
		losetup -d "$l"; echo "root fs"; return 1
	fi
	[ "$(sha256sum <"$TMPD/mnt/data")" = "$sum0" ] || { umount "$TMPD/mnt"; losetup -d "$l"; echo data; return 1; }
	umount "$TMPD/mnt"; losetup -d "$l"
}

build
before=$(sha256sum <"$d")
out=$("$SB" grow "${d}p2" --max --lv "$vg/root=100%FREE" --dry-run 2>&1); rc=$?
[ $rc = 0 ] && grep -q "Dry run" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok dry_run_plans_and_changes_nothing || bad dry_run_plans_and_changes_nothing "rc $rc: $out"
out=$("$SB" grow "${d}p2" --size 100MiB --yes 2>&1); rc=$?
[ $rc = 2 ] && grep -q "use shrink" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok smaller_size_is_a_usage_error || bad smaller_size_is_a_usage_error "rc $rc: $out"
out=$("$SB" grow "${d}p2" --max --lv "$vg/root=50MiB" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "grow only grows" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok smaller_lv_refused || bad smaller_lv_refused "rc $rc: $out"
out=$("$SB" grow "${d}p2" --max --lv "$vg/root=+1GiB" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "more extents" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok too_large_lv_refused || bad too_large_lv_refused "rc $rc: $out"
# --json: a real run's stdout is the plan only (the steps' own lines and "Done" on stderr).
js=$("$SB" grow "${d}p2" --max --lv "$vg/root=100%FREE" --yes --json --backup-dir "$TMPD/bk" \
	2>"$TMPD/err"); rc=$?
why=$(check)
[ $rc = 0 ] && [ -z "$why" ] && jq -e --arg lv "$vg/root" '.applet == "grow" and .changes and
	.lvs[0].lv == $lv and .lvs[0].extents_after > .lvs[0].extents_before and
	([.steps[].applet] == ["partresize", "pvresize", "lvgrow"])' <<<"$js" >/dev/null &&
	grep -q "^==> shrinkbox lvgrow" "$TMPD/err" && grep -q "^Done:" "$TMPD/err" &&
	ok grow_whole_stack_json ||
	bad grow_whole_stack_json "rc $rc $why: stdout $js stderr $(tail -n 5 "$TMPD/err")"
out=$("$SB" grow "${d}p2" --max --lv "$vg/root=100%FREE" --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
[ $rc = 0 ] && grep -qx "No changes." <<<"$out" && ok rerun_no_changes || bad rerun_no_changes "rc $rc: $out"
# The tag of a cut-off resize2fs, on an LV the command would not touch otherwise:
# finished at its size and untagged, then "No changes." again.
q lvchange --addtag shrinkbox_resize2fs "$vg/root"
out=$("$SB" grow "${d}p2" --max --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
out2=$("$SB" grow "${d}p2" --max --yes --backup-dir "$TMPD/bk" 2>&1); rc2=$?
why=$(check)
[ $rc = 0 ] && grep -q "tagged shrinkbox_resize2fs\|its filesystem grows" <<<"$out" && [ $rc2 = 0 ] &&
	grep -qx "No changes." <<<"$out2" && [ -z "$why" ] && ok tagged_lv_finished ||
	bad tagged_lv_finished "rc $rc $rc2 $why: $(tr '\n' ' ' <<<"$out")"

# Interrupted (a dead stop, like a power cut) in the first metadata write and at
# the first commit point (the PV's); each time the same command finishes the job.
# The steps run in grow's own process: a stop in one ends the command (137).
for stop in text commit1; do
	loop_env_reset
	build
	SHRINKBOX_TEST_STOP_AFTER=$stop "$SB" grow "${d}p2" --max --lv "$vg/root=100%FREE" --yes \
		--backup-dir "$TMPD/bk" >/dev/null 2>&1
	rc1=$?
	out=$("$SB" grow "${d}p2" --max --lv "$vg/root=100%FREE" --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
	why=$(check)
	[ "$rc1" = 137 ] && [ $rc = 0 ] && [ -z "$why" ] && ok "interrupted_at_${stop}_rerun_converges" ||
		bad "interrupted_at_${stop}_rerun_converges" "first rc $rc1, rerun rc $rc $why: $(tail -3 <<<"$out")"
done

# A power cut inside the partition table write that moves the backup GPT to the
# new end. libfdisk writes, with no flush in between (util-linux 2.38
# gpt_write_disklabel): the backup entries, the backup header, the primary
# entries, the primary header, the protective MBR. Each prefix of that order is
# made from the disk before (A) and after (B) a grow, sector for sector; the
# same command must then finish the job.
gpt_units() {	# gpt_units NSEC: "FIRST COUNT" per unit, in libfdisk's order
	echo "$(($1 - 33)) 32"; echo "$(($1 - 1)) 1"; echo "2 32"; echo "1 1"; echo "0 1"
}
for k in 1 2 3 4; do
	loop_env_reset
	build
	nsec=$(blockdev --getsz "$d")
	dd if="$d" of="$TMPD/A.img" bs=4M status=none
	q "$SB" grow "${d}p2" --max --lv "$vg/root=100%FREE" --yes --backup-dir "$TMPD/bk"
	n=0
	while read -r first count; do
		n=$((n + 1))
		dd if="$d" of="$TMPD/B.$n" bs=512 skip="$first" count="$count" status=none
	done < <(gpt_units "$nsec")
	dd if="$TMPD/A.img" of="$d" bs=4M conv=fsync status=none
	n=0
	while read -r first count; do
		n=$((n + 1))
		[ $n -le $k ] || break
		dd if="$TMPD/B.$n" of="$d" bs=512 seek="$first" conv=notrunc,fsync status=none
	done < <(gpt_units "$nsec")
	partx -u "$d" >/dev/null 2>&1
	out=$("$SB" grow "${d}p2" --max --lv "$vg/root=100%FREE" --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
	why=$(check)
	# Both headers valid again, the backup at the end, the protective MBR the disk's size.
	grep -E "corrupt|mismatch|not on the end" <(sfdisk --verify "$d" 2>&1) && why+=" table not repaired"
	[ $rc = 0 ] && [ -z "$why" ] && ok "gpt_write_cut_after_unit_${k}_converges" ||
		bad "gpt_write_cut_after_unit_${k}_converges" "rc $rc $why: $(tail -3 <<<"$out" | tr '\n' ' ')"
done

finish
