#!/bin/bash
# The whole-stack shrink on the host (GPT -> PV -> VG -> ext4 + swap, with a gap;
# no LUKS here: the host has no dm-crypt, the VM suite covers it): exact sizes,
# data intact, the partition after it untouched, re-runs converge after an
# interruption at each kind of step, and a finished shrink says "No changes."
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
. tests/lib/lvdata.sh
trap 'umount "$TMPD/mnt" 2>/dev/null; cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}

# build: a disk with partition 2 (PV: root ext4 200M with data, a 40M gap, swap 32M) and a partition 3 with data.
build() {
	d=$(new_loop 512M)
	printf 'label: gpt\n,1MiB,21686148-6449-6E6F-744E-656564454649\n,400MiB,L\n,,L\n' | q sfdisk "$d"
	add_partitions "$d"
	vg=$(uniq_name sh)$RANDOM
	q pvcreate "${d}p2"; q vgcreate "$vg" "${d}p2"
	q lvcreate -an -Zn -n root -L 200M "$vg"; q lvcreate -an -Zn -n gap -L 40M "$vg"
	q lvcreate -an -Zn -n swap -L 32M "$vg"; q lvremove -f "$vg/gap"
	start=$(pvs --noheadings --units b --nosuffix -o pe_start "${d}p2" 2>/dev/null | tr -d ' ')
	l=$(losetup -f --show -o "$start" --sizelimit $((200 * 1048576)) "${d}p2")
	mkfs.ext4 -q "$l"; mkdir -p "$TMPD/mnt"; mount "$l" "$TMPD/mnt"
	yes "important data" | head -c 60M >"$TMPD/mnt/data"; sum0=$(sha256sum <"$TMPD/mnt/data")
	umount "$TMPD/mnt"; losetup -d "$l"
	l=$(losetup -f --show -o $((start + 240 * 1048576)) --sizelimit $((32 * 1048576)) "${d}p2")
	mkswap -L sw "$l" >/dev/null; losetup -d "$l"
	yes "partition three" | head -c 8M | dd of="${d}p3" conv=notrunc status=none
	p3=$(sha256sum <"${d}p3")
}
# check: sizes exact, lvm2/e2fsck/sfdisk happy, data and partition 3 intact.
check() {
	local seg start l part
	part=$(sfdisk -d "$d" 2>/dev/null | awk '$1 ~ /p2$/ {gsub(",", "", $6); print $6}')
	[ "$part" = 409600 ] || { echo "partition is $part sectors"; return 1; }
	[ "$(cat "/sys/class/block/$(basename "$d")p2/size")" = 409600 ] || { echo "kernel size"; return 1; }
	q vgck "$vg" || { echo vgck; return 1; }
	q sfdisk --verify "$d" || { echo sfdisk; return 1; }
	[ "$(pvs --noheadings -o pv_pe_count "${d}p2" 2>/dev/null | tr -d ' ')" = 49 ] || { echo pe_count; return 1; }
	[ "$(sha256sum <"${d}p3")" = "$p3" ] || { echo "partition 3 changed"; return 1; }
	[ -z "$(lvs --noheadings -o lv_tags "$vg" 2>/dev/null | tr -d ' ')" ] || { echo "a tag is left"; return 1; }
	seg=$(lvs --noheadings --segments -o seg_pe_ranges "$vg/root" 2>/dev/null | awk '{split($1, p, "[:-]"); print p[2]}')
	start=$(pvs --noheadings --units b --nosuffix -o pe_start "${d}p2" 2>/dev/null | tr -d ' ')
	l=$(losetup -f --show -o $((start + seg * 4194304)) --sizelimit \
		"$(lvs --noheadings --units b --nosuffix -o lv_size "$vg/root" 2>/dev/null | tr -d ' ')" "${d}p2")
	if ! q e2fsck -fn "$l" || ! mount -o ro "$l" "$TMPD/mnt"; then
		losetup -d "$l"; echo "root fs"; return 1
	fi
	[ "$(sha256sum <"$TMPD/mnt/data")" = "$sum0" ] || { umount "$TMPD/mnt"; losetup -d "$l"; echo data; return 1; }
	umount "$TMPD/mnt"; losetup -d "$l"
	# The swap area moved by its header page only: still swap, its label and size its own.
	seg=$(lvs --noheadings --segments -o seg_pe_ranges "$vg/swap" 2>/dev/null | awk '{split($1, p, "[:-]"); print p[2]}')
	dd if="${d}p2" bs=64K skip=$((start + seg * 4194304)) count=65536 iflag=skip_bytes,count_bytes \
		status=none >"$TMPD/swap.head"
	[ "$(blkid -p -o export "$TMPD/swap.head" | grep -E '^(TYPE|LABEL)=' | sort | tr '\n' ' ')" = \
		"LABEL=sw TYPE=swap " ] || { echo "swap header"; return 1; }
}

build
before=$(sha256sum <"$d")
out=$("$SB" shrink "${d}p2" --size 200MiB --dry-run --backup-dir "$TMPD/bk" 2>&1); rc=$?
[ $rc = 0 ] && grep -q "chose $vg/root" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok dry_run_plans_and_changes_nothing || bad dry_run_plans_and_changes_nothing "rc $rc: $out"
# --json: the plan as one document on stdout (the LV chosen, the steps in order), nothing written.
js=$("$SB" shrink "${d}p2" --size 200MiB --dry-run --json --backup-dir "$TMPD/bk" 2>"$TMPD/err"); rc=$?
[ $rc = 0 ] && jq -e --arg lv "$vg/root" '.schema_version == 1 and .applet == "shrink" and .changes and
	.partition_bytes_after <= 209715200 and .lvs[0].lv == $lv and
	([.steps[].applet] == ["lvshrink", "defrag", "pvresize", "partresize", "pvresize"]) and
	.steps[3].args[2] == "\(.partition_bytes_after)B"' <<<"$js" >/dev/null &&
	grep -q "Dry run" "$TMPD/err" && [ "$(sha256sum <"$d")" = "$before" ] && ok json_dry_run_plan ||
	bad json_dry_run_plan "rc $rc: stdout $js stderr $(cat "$TMPD/err")"
out=$("$SB" shrink "${d}p2" --size 100MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
# Refused with every LV's smallest size and what it can give (root: resize2fs -P).
[ $rc = 3 ] && grep -q "the ext2/3/4 LVs can give up .* together: choose a larger --size" <<<"$out" &&
	grep -q "^  $vg/root: 50 extents = 200.00 MiB, its filesystem needs [0-9]* = .*: can give" <<<"$out" &&
	grep -q "^  $vg/swap: 8 extents .*swap is never chosen" <<<"$out" &&
	[ "$(sha256sum <"$d")" = "$before" ] &&
	ok too_small_refused_with_options || bad too_small_refused_with_options "rc $rc: $out"
out=$(SHRINKBOX_TIMING="$TMPD/timing" "$SB" shrink "${d}p2" --size 200MiB --verify --yes \
	--backup-dir "$TMPD/bk" 2>&1); rc=$?
why=$(check)
[ $rc = 0 ] && [ -z "$why" ] && ok shrink_whole_stack || bad shrink_whole_stack "rc $rc $why: $out"
# The plan's e2fsck -f -n and resize2fs -P are not run again by the check or the lvshrink step
# (nothing wrote the filesystem in between): e2fsck twice (-n, then -p), resize2fs twice (-P
# while choosing the LV, the shrink: the LV ends where the filesystem does, so no fill).
n_fsck=$(grep -c '^e2fsck ' "$TMPD/timing"); n_r2fs=$(grep -c '^resize2fs ' "$TMPD/timing")
[ "$n_fsck" = 2 ] && [ "$n_r2fs" = 2 ] && ok shrink_checks_run_once ||
	bad shrink_checks_run_once "e2fsck $n_fsck, resize2fs $n_r2fs runs: $(tr "\n" " " <"$TMPD/timing")"
grep -q "^==> shrinkbox defrag .* --verify" <<<"$out" && ok shrink_verify_reaches_defrag ||
	bad shrink_verify_reaches_defrag "$(grep '==> shrinkbox defrag' <<<"$out")"
out=$("$SB" shrink "${d}p2" --size 200MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
[ $rc = 0 ] && grep -qx "No changes." <<<"$out" && ok rerun_no_changes || bad rerun_no_changes "rc $rc: $out"
js=$("$SB" shrink "${d}p2" --size 200MiB --yes --json --backup-dir "$TMPD/bk" 2>/dev/null); rc=$?
[ $rc = 0 ] && jq -e '.changes == false and .steps == []' <<<"$js" >/dev/null && ok json_no_changes ||
	bad json_no_changes "rc $rc: $js"
# The tag of a cut-off resize2fs, on an LV the command would not touch otherwise:
# finished at its size and untagged, then "No changes." again.
q lvchange --addtag shrinkbox_resize2fs "$vg/root"
out=$("$SB" shrink "${d}p2" --size 200MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
out2=$("$SB" shrink "${d}p2" --size 200MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc2=$?
why=$(check)
[ $rc = 0 ] && grep -q "tagged shrinkbox_resize2fs\|its filesystem grows" <<<"$out" && [ $rc2 = 0 ] &&
	grep -qx "No changes." <<<"$out2" && [ -z "$why" ] && ok tagged_lv_finished ||
	bad tagged_lv_finished "rc $rc $rc2 $why: $(tr '\n' ' ' <<<"$out")"

# Interrupted (a dead stop, like a power cut) in the first metadata write (the
# tag lvshrink commits before resize2fs), at the first commit point, right after
# resize2fs shrank the filesystem (the LV still tagged and its old size), and in
# the defrag copy; each time the same command finishes the job and no tag is left.
# The steps run in shrink's own process: a stop in one ends the command (137).
for stop in text commit1 fs-shrunk copy1; do
	loop_env_reset
	build
	SHRINKBOX_TEST_STOP_AFTER=$stop "$SB" shrink "${d}p2" --size 200MiB --yes --backup-dir "$TMPD/bk" \
		>/dev/null 2>&1
	rc1=$?
	out=$("$SB" shrink "${d}p2" --size 200MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
	why=$(check)
	[ "$rc1" = 137 ] && [ $rc = 0 ] && [ -z "$why" ] && ok "interrupted_at_${stop}_rerun_converges" ||
		bad "interrupted_at_${stop}_rerun_converges" "first rc $rc1, rerun rc $rc $why: $(tail -3 <<<"$out")"
done

# --free is relative to the partition as it is: the first run records what it
# meant (a VG tag), so the same command run again after success, or after a cut
# at the record or after the partition shrank, finishes
# that shrink and then says "No changes.", instead of freeing the space again.
p2size() { sfdisk -d "$d" 2>/dev/null | awk '$1 ~ /p2$/ {gsub(",", "", $6); print $6}'; }
for stop in none commit1 part-resized; do
	loop_env_reset
	build
	if [ $stop = none ]; then
		out=$("$SB" shrink "${d}p2" --free 100MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc1=$?
	else
		SHRINKBOX_TEST_STOP_AFTER=$stop "$SB" shrink "${d}p2" --free 100MiB --yes \
			--backup-dir "$TMPD/bk" >/dev/null 2>&1; rc1=$?
	fi
	out=$("$SB" shrink "${d}p2" --free 100MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
	after=$(p2size)
	before=$(sha256sum <"$d")
	out2=$("$SB" shrink "${d}p2" --free 100MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc2=$?
	begin "free_rerun_after_${stop}_finishes_once"
	# A dead stop, in shrink's own commit (the record) or in a step, ends the command (137).
	same first_rc "$rc1" "$(case $stop in none) echo 0 ;; *) echo 137 ;; esac)"
	same rc "$rc" 0
	same partition_sectors "$after" 614400
	same third "$rc2 $(tail -n 1 <<<"$out2")" "0 No changes."
	holds bytes "the third run wrote" [ "$(sha256sum <"$d")" = "$before" ]
	holds vgck "vgck" vgck "$vg"
	holds p3 "partition 3 changed" [ "$(sha256sum <"${d}p3")" = "$p3" ]
	holds record "no shrinkbox_free_ tag" grep -q shrinkbox_free_104857600B_from_419430400B_to_614400s \
		<<<"$(vgs --noheadings -o vg_tags "$vg" 2>/dev/null)"
	end_case
done

# No LV can give the extents alone, two can together: the refusal prints the --lv
# options that free enough, and those options, as printed, shrink the stack.
loop_env_reset
d=$(new_loop 512M)
printf 'label: gpt\n,1MiB,21686148-6449-6E6F-744E-656564454649\n,400MiB,L\n' | q sfdisk "$d"
add_partitions "$d"
vg=$(uniq_name sc)$RANDOM
q pvcreate "${d}p2"; q vgcreate "$vg" "${d}p2"
for n in a b; do
	q lvcreate -an -Zn -n $n -L 120M "$vg"; l=$(lv_extent_loop "$vg" $n); mkfs.ext4 -q "$l"
	losetup -d "$l"
done
before=$(sha256sum <"$d")
out=$("$SB" shrink "${d}p2" --size 120MiB --dry-run 2>&1); rc=$?
lvopts=$(sed -n 's/^these together free enough: //p' <<<"$out")
begin several_lvs_suggested_when_none_alone
same rc "$rc" 3
holds alone "said: $out" grep -q "no LV can give them up on its own" <<<"$out"
holds listed "said: $out" grep -q "^  $vg/b: 30 extents = 120.00 MiB, its filesystem needs" <<<"$out"
holds suggested "no --lv options: $out" grep -q "^--lv $vg/a=[0-9]*MiB --lv $vg/b=[0-9]*MiB$" <<<"$lvopts"
holds bytes "the disk changed" [ "$(sha256sum <"$d")" = "$before" ]
end_case
# shellcheck disable=SC2086 # the printed options, word by word
out=$("$SB" shrink "${d}p2" --size 120MiB $lvopts --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
begin suggested_lv_options_shrink_it
same rc "$rc" 0
same partition_sectors "$(sfdisk -d "$d" 2>/dev/null | awk '$1 ~ /p2$/ {gsub(",", "", $6); print $6}')" 245760
holds vgck "vgck" vgck "$vg"
fsck_ok=yes
for n in a b; do	# each LV's bytes in LE order, through lvm2's map, then e2fsck -fn
	lv_dump "$vg" "$n" >"$TMPD/$n.img"
	e2fsck -fn "$TMPD/$n.img" >/dev/null 2>&1 || fsck_ok="no ($n)"
	rm -f "$TMPD/$n.img"
done
same fsck "$fsck_ok" yes
end_case
# The same command again: the LVs named with --lv already have their sizes, so
# the plan is "No changes." with no step run (before: every step ran, each said
# "No changes.", and the command ended "Done: ...").
before=$(sha256sum <"$d")
# shellcheck disable=SC2086 # the printed options, word by word
out=$("$SB" shrink "${d}p2" --size 120MiB $lvopts --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
begin lv_options_rerun_no_changes
same rc "$rc" 0
same last_line "$(tail -n 1 <<<"$out")" "No changes."
holds no_steps "a step ran: $(grep '^==>' <<<"$out" | tr '\n' ' ')" sh -c "! grep -q '^==>' <<'E'
$out
E"
holds bytes "the disk changed" [ "$(sha256sum <"$d")" = "$before" ]
end_case

finish
