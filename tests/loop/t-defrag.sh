#!/bin/bash
# defrag on loop devices with inactive LVs (the host has no device-mapper, and
# the mover copies through the PV device, which is what it does for inactive
# LVs everywhere): every LV's contents, read back through lvm2's own segment
# map, keep their checksums across a defrag, an interrupted defrag at each
# phase, and its re-run; lvm2 agrees with the new layout.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}
BK=$TMPD/backup-sb
. tests/lib/lvdata.sh
all_sums() { for lv in $2; do echo "$lv $(lv_sum "$1" "$lv")"; done; }
highest_pe() {
	pvs --noheadings --segments -o pvseg_start,pvseg_size,lv_name "$1" 2>/dev/null |
		awk 'NF == 3 {e = $1 + $2; if (e > m) m = e} END {print m + 0}'
}
used() { pvs --noheadings -o pv_pe_alloc_count "$1" 2>/dev/null | tr -d ' '; }

# make_vg DEV VG: lvroot with a gap after it, lvswap, lvdata, and lvroot's tail after those.
make_vg() {
	q pvcreate "$1"; q vgcreate "$2" "$1"
	q lvcreate -an -Zn -n lvroot -L 40M "$2"
	q lvcreate -an -Zn -n spacer -L 24M "$2"
	q lvcreate -an -Zn -n lvswap -L 16M "$2"
	q lvcreate -an -Zn -n lvdata -L 12M "$2"
	q lvremove -f "$2/spacer"
	q lvcreate -an -Zn -n spacer2 -L 4M "$2"	# takes the first gap extent
	q lvextend -L +8M "$2/lvroot"			# a second segment after lvdata
	q lvremove -f "$2/spacer2"
	for lv in lvroot lvswap lvdata; do fill "$2" "$lv"; done
}
LVS="lvroot lvswap lvdata"

d=$(new_loop 160M)
vg=$(uniq_name df)
make_vg "$d" "$vg"
s0=$(all_sums "$vg" "$LVS")
top0=$(highest_pe "$d")

before=$(sums "$d")
out=$("$SB" defrag "$d" --devices "$d" --dry-run --backup-dir "$BK" 2>&1); rc=$?
[ $rc = 0 ] && grep -q "Dry run" <<<"$out" && grep -q "map |" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok dry_run_prints_plan_byte_identical || bad dry_run_prints_plan_byte_identical "rc $rc: $out"
json=$("$SB" defrag "$d" --devices "$d" --dry-run --json 2>/dev/null | sed '/^Dry run/d')
beyond=$(pvs --noheadings --segments -o pvseg_start,pvseg_size,lv_name "$d" 2>/dev/null |
	awk -v u="$(used "$d")" 'NF == 3 && $1 + $2 > u {s = $1 < u ? u : $1; n += $1 + $2 - s} END {print n + 0}')
[ "$(jq .extents <<<"$json")" = "$beyond" ] && [ "$beyond" -gt 0 ] && ok plan_moves_exactly_what_lies_beyond ||
	bad plan_moves_exactly_what_lies_beyond "plan $(jq .extents <<<"$json") beyond $beyond"

# Interrupted at each phase: data and lvm2's view stay valid; then the re-run converges.
for stop in copy1 text precommit commit1; do
	SHRINKBOX_TEST_STOP_AFTER=$stop "$SB" defrag "$d" --devices "$d" --yes --backup-dir "$BK" \
		>/dev/null 2>&1
	rc=$?
	if [ $rc = 137 ] && [ "$(all_sums "$vg" "$LVS")" = "$s0" ] && vgck "$vg" >/dev/null 2>&1; then
		ok "interrupted_after_${stop}_data_intact"
	else
		bad "interrupted_after_${stop}_data_intact" "rc $rc sums $(all_sums "$vg" "$LVS" | tr '\n' ' ')"
	fi
done
out=$("$SB" defrag "$d" --devices "$d" --yes --verify --backup-dir "$BK" 2>&1); rc=$?
if [ $rc = 0 ] && [ "$(all_sums "$vg" "$LVS")" = "$s0" ] && vgck "$vg" >/dev/null 2>&1 &&
	[ "$(highest_pe "$d")" = "$(used "$d")" ]; then
	ok defrag_packs_with_data_intact
else
	bad defrag_packs_with_data_intact "rc $rc top $(highest_pe "$d") (was $top0) used $(used "$d"): $out"
fi
# lvdata moved whole into a hole that takes it whole: it stays one segment.
segs=$(lvs --noheadings -o seg_count "$vg/lvdata" 2>/dev/null | tr -d ' ')
[ "$segs" = 1 ] && ok moved_lv_stays_in_one_segment || bad moved_lv_stays_in_one_segment "$segs"
before=$(sums "$d")
out=$("$SB" defrag "$d" --devices "$d" --yes --backup-dir "$BK" 2>&1); rc=$?
[ $rc = 0 ] && grep -qx "No changes." <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok rerun_no_changes || bad rerun_no_changes "rc $rc: $out"

# --end: only what lies beyond moves; not enough room is refused with the shortfall.
e=$(new_loop 64M)
ve=$(uniq_name de)
q pvcreate "$e"; q vgcreate "$ve" "$e"
q lvcreate -an -Zn -n a -L 8M "$ve"; q lvcreate -an -Zn -n gap -L 8M "$ve"; q lvcreate -an -Zn -n b -L 12M "$ve"
q lvremove -f "$ve/gap"
fill "$ve" a; fill "$ve" b
se=$(all_sums "$ve" "a b")
# Not enough free extents is a refusal (exit 3) in every applet.
before=$(sums "$e")
out=$("$SB" defrag "$e" --end 3 --devices "$e" --yes --backup-dir "$BK" 2>&1); rc=$?
[ $rc = 3 ] && grep -q "more free extents are needed" <<<"$out" && [ "$(sums "$e")" = "$before" ] &&
	ok not_enough_room_refused || bad not_enough_room_refused "rc $rc: $out"
out=$("$SB" defrag "$e" --size 28MiB --devices "$e" --yes --backup-dir "$BK" 2>&1); rc=$?
[ $rc = 0 ] && [ "$(highest_pe "$e")" -le 6 ] && [ "$(all_sums "$ve" "a b")" = "$se" ] && vgck "$ve" >/dev/null 2>&1 &&
	ok size_clears_only_beyond || bad size_clears_only_beyond "rc $rc top $(highest_pe "$e"): $out"

# --to: everything off one PV onto another (what migrate will use).
f=$(new_loop 64M)
q pvcreate "$f"; q vgextend "$ve" "$f"
out=$("$SB" defrag "$e" --to "$f" --devices "$e,$f" --yes --backup-dir "$BK" 2>&1); rc=$?
[ $rc = 0 ] && [ "$(used "$e")" = 0 ] && [ "$(all_sums "$ve" "a b")" = "$se" ] && vgck "$ve" >/dev/null 2>&1 &&
	ok cross_pv_move || bad cross_pv_move "rc $rc used $(used "$e"): $out"

# A swap area behind a hole: only its header page is copied (its pages hold
# nothing to keep offline); the header, UUID and label arrive intact and the
# other LV's bytes are unchanged. A hibernation image (S1SUSPEND) or
# --copy-swap: every byte is copied.
# swap_vg DEV VG SIGNATURE: LV a (4 MiB), a hole (16 MiB), LV sw (12 MiB) made by
# mkswap over a pattern, its signature then replaced by SIGNATURE.
swap_vg() {
	local img=$TMPD/sw.img le n dev pe
	q pvcreate "$1"; q vgcreate "$2" "$1"
	q lvcreate -an -Zn -n a -L 4M "$2"; q lvcreate -an -Zn -n gap -L 16M "$2"
	q lvcreate -an -Zn -n sw -L 12M "$2"; q lvremove -f "$2/gap"
	fill "$2" a
	yes "swap page" | head -c $((12 * 1048576)) >"$img"
	mkswap -L sbswap -U 5b3c2a10-1111-4222-8333-944455556666 "$img" >/dev/null
	printf "$3" | dd of="$img" bs=1 seek=4086 conv=notrunc status=none
	read -r le n dev pe < <(lv_segs "$2" sw)
	dd if="$img" of="$dev" bs=1M seek=$(($(pe_start "$dev") + pe * EXT)) oflag=seek_bytes \
		conv=notrunc status=none
}
# lv_head VG LV BYTES: the LV's first BYTES, through lvm2's map (one segment).
lv_head() {
	local le n dev pe
	read -r le n dev pe < <(lv_segs "$1" "$2")
	dd if="$dev" bs=4096 skip=$(($(pe_start "$dev") + pe * EXT)) count="$3" \
		iflag=skip_bytes,count_bytes status=none
}
g=$(new_loop 64M)
vs=$(uniq_name ds)
swap_vg "$g" "$vs" SWAPSPACE2
sa=$(lv_sum "$vs" a)
json=$("$SB" defrag "$g" --devices "$g" --dry-run --json 2>/dev/null | sed '/^Dry run/d')
[ "$(jq .moved_bytes <<<"$json")" = $((3 * EXT)) ] && [ "$(jq .copy_bytes <<<"$json")" = 4096 ] &&
	ok swap_plan_copies_only_the_header || bad swap_plan_copies_only_the_header "$(jq -c . <<<"$json")"
out=$("$SB" defrag "$g" --devices "$g" --yes --verify --backup-dir "$BK" 2>&1); rc=$?
lv_head "$vs" sw 65536 >"$TMPD/sw.head"
if [ $rc = 0 ] && grep -q "only its 4096 B header is copied" <<<"$out" &&
	grep -q "^Done: moved 3 extents = .*, 4096 B (4.00 KiB) copied (the rest remapped without a copy)" <<<"$out" &&
	[ "$(highest_pe "$g")" = 4 ] && [ "$(lv_sum "$vs" a)" = "$sa" ] && vgck "$vs" >/dev/null 2>&1 &&
	[ "$(blkid -p -o export "$TMPD/sw.head" | grep -E '^(TYPE|UUID|LABEL)=' | sort | tr '\n' ' ')" = \
		"LABEL=sbswap TYPE=swap UUID=5b3c2a10-1111-4222-8333-944455556666 " ]; then
	ok swap_moved_with_its_header
else
	bad swap_moved_with_its_header "rc $rc top $(highest_pe "$g"): $(blkid -p -o export "$TMPD/sw.head" | tr "\n" " "): $(tr "\n" " " <<<"$out")"
fi
# The header page itself is byte for byte the one written before the move.
cmp -s <(head -c 4096 "$TMPD/sw.head") <(head -c 4096 "$TMPD/sw.img") &&
	ok swap_header_page_identical || bad swap_header_page_identical "first page changed"

for how in S1SUSPEND copy-swap; do
	h=$(new_loop 64M)
	vh=$(uniq_name "d${how:0:2}")
	if [ $how = S1SUSPEND ]; then swap_vg "$h" "$vh" 'S1SUSPEND\0'; opt=; else swap_vg "$h" "$vh" SWAPSPACE2; opt=--copy-swap; fi
	s1=$(lv_sum "$vh" sw)
	out=$("$SB" defrag "$h" --devices "$h" --yes $opt --backup-dir "$BK" 2>&1); rc=$?
	[ $rc = 0 ] && ! grep -q "header is copied" <<<"$out" && [ "$(lv_sum "$vh" sw)" = "$s1" ] &&
		[ "$(highest_pe "$h")" = 4 ] && grep -q "bytes to copy: $((3 * EXT)) " <<<"$out" &&
		ok "swap_${how}_copied_whole" || bad "swap_${how}_copied_whole" "rc $rc: $(tr '\n' ' ' <<<"$out")"
done

finish
