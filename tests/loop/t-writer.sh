#!/bin/bash
# Oracle tests for our LVM2 metadata writer (issue 3): after every commit of
# ours, lvm2's vgck and pvck pass and lvs/pvs show exactly the intended state;
# lvm2 can change the VG further and we read that back; interrupted commits
# leave the previous state; backups restore with vgcfgrestore -f; refusals and
# --dry-run leave every byte of every PV identical.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}
BK=$TMPD/backup-sb

# vg_ok VG DEV...: lvm2's own checkers accept the VG and every PV.
vg_ok() {
	local vg=$1 d
	shift
	vgck "$vg" >/dev/null 2>&1 || return 1
	for d in "$@"; do pvck "$d" >/dev/null 2>&1 || return 1; done
}
seqno() { vgs --noheadings -o vg_seqno "$1" 2>/dev/null | tr -d ' '; }
# segs VG LV: "LE_START+COUNT@PE" list as lvm2 reports it.
segs() {
	lvs --noheadings --segments -o seg_start_pe,seg_size_pe,seg_pe_ranges "$1/$2" 2>/dev/null |
		awk '{split($3, p, "[:-]"); printf "%s+%s@%s ", $1, $2, p[2]}'
}
sb() { "$SB" "$@" --backup-dir "$BK"; }

# ---- 1. lvresize: grow contiguous, grow into a gap, shrink; lvm2 agrees each time.
d=$(new_loop 64M)
vg=$(uniq_name wa)
q pvcreate "$d"; q vgcreate "$vg" "$d"
q lvcreate -an -Zn -n a -L 8M "$vg"; q lvcreate -an -Zn -n b -L 8M "$vg"
out=$(sb lvresize "$vg/a" --size 16MiB --devices "$d" --yes 2>&1)
[ "$(segs "$vg" a)" = "0+2@0 2+2@4 " ] && vg_ok "$vg" "$d" && ok lvresize_grow_lowest_free ||
	bad lvresize_grow_lowest_free "segs '$(segs "$vg" a)' out: $out"
out=$(sb lvresize "$vg/a" --extents 6 --devices "$d" --yes 2>&1)
[ "$(segs "$vg" a)" = "0+2@0 2+4@4 " ] && vg_ok "$vg" "$d" && ok lvresize_grow_contiguous ||
	bad lvresize_grow_contiguous "segs '$(segs "$vg" a)' out: $out"
before=$(sums "$d")
out=$(sb lvresize "$vg/a" --size 4MiB --devices "$d" --yes 2>&1); rc=$?
[ $rc = 3 ] && [ "$(sums "$d")" = "$before" ] && grep -q lvshrink <<<"$out" &&
	ok lvresize_shrink_needs_fs_checked || bad lvresize_shrink_needs_fs_checked "rc $rc: $out"
out=$(sb lvresize "$vg/a" --size 5MiB --fs-checked --devices "$d" --yes 2>&1)
[ "$(segs "$vg" a)" = "0+2@0 " ] && vg_ok "$vg" "$d" && grep -q "rounded up to 2 extents" <<<"$out" &&
	ok lvresize_shrink_rounds_up_and_cuts_segments || bad lvresize_shrink_rounds_up_and_cuts_segments "segs '$(segs "$vg" a)' out: $out"
before=$(sums "$d")
out=$(sb lvresize "$vg/a" --size 8MiB --devices "$d" --yes 2>&1); rc=$?
[ $rc = 0 ] && grep -qx "No changes." <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok lvresize_rerun_no_changes || bad lvresize_rerun_no_changes "rc $rc: $out"
out=$(sb lvresize "$vg/a" --size 40MiB --devices "$d" --dry-run 2>&1); rc=$?
[ $rc = 0 ] && [ "$(sums "$d")" = "$before" ] && grep -q "Dry run" <<<"$out" &&
	ok lvresize_dry_run_byte_identical || bad lvresize_dry_run_byte_identical "rc $rc: $out"
out=$(sb lvresize "$vg/a" --size 40MiB --devices "$d" 2>&1 </dev/null); rc=$?
[ $rc = 3 ] && [ "$(sums "$d")" = "$before" ] && ok lvresize_needs_consent ||
	bad lvresize_needs_consent "rc $rc: $out"
out=$(sb lvresize "$vg/a" --size 4G --devices "$d" --yes 2>&1); rc=$?
[ $rc = 2 ] && grep -q "ambiguous" <<<"$out" && ok lvresize_ambiguous_unit_refused ||
	bad lvresize_ambiguous_unit_refused "rc $rc: $out"
# Not enough free extents is a refusal (exit 3) in every applet.
out=$(sb lvresize "$vg/a" --size 1GiB --devices "$d" --yes 2>&1); rc=$?
[ $rc = 3 ] && [ "$(sums "$d")" = "$before" ] && grep -q "free" <<<"$out" &&
	ok lvresize_no_space || bad lvresize_no_space "rc $rc: $out"

# ---- 2. lvm2 changes the VG after us, and we read it back.
q lvcreate -an -Zn -n c -L 4M "$vg"; q lvextend -L +4M "$vg/b"
ours=$("$SB" status --json "$d" | jq '.volume.lvm_pv.vg.seqno')
[ "$ours" = "$(seqno "$vg")" ] && [ "$("$SB" status --json "$d" | jq -r '[.volume.lvm_pv.vg.lvs[].name] | join(",")')" = "a,b,c" ] &&
	ok lvm2_after_us_read_back || bad lvm2_after_us_read_back "seqno ours $ours lvm2 $(seqno "$vg")"

# ---- 3. Backups restore with vgcfgrestore -f.
s0=$(seqno "$vg"); a0=$(segs "$vg" a)
rm -rf "$BK"
q sb lvresize "$vg/a" --size 24MiB --devices "$d" --yes
bkf=$(ls "$BK"/*.vg 2>/dev/null | head -n 1)
if [ -n "$bkf" ] && q vgcfgrestore -f "$bkf" "$vg" && [ "$(segs "$vg" a)" = "$a0" ] && vg_ok "$vg" "$d"; then
	ok backup_restores_with_vgcfgrestore
else
	bad backup_restores_with_vgcfgrestore "backup '$bkf' segs '$(segs "$vg" a)' wanted '$a0' (seqno was $s0)"
fi

# ---- 4. Interrupted commits: text only, text + precommit. Both lvm2 and we read the old state.
for stop in text precommit; do
	s0=$(seqno "$vg"); a0=$(segs "$vg" a)
	SHRINKBOX_TEST_STOP_AFTER=$stop "$SB" lvresize "$vg/a" --extents 1 --fs-checked \
		--devices "$d" --yes --backup-dir "$BK" >/dev/null 2>&1
	ours=$("$SB" status --json "$d" | jq '.volume.lvm_pv.vg.seqno')
	if [ "$(seqno "$vg")" = "$s0" ] && [ "$ours" = "$s0" ] && [ "$(segs "$vg" a)" = "$a0" ] &&
		vg_ok "$vg" "$d"; then
		ok "interrupted_after_${stop}_keeps_old_state"
	else
		bad "interrupted_after_${stop}_keeps_old_state" "lvm2 seqno $(seqno "$vg") ours $ours was $s0"
	fi
	q sb lvresize "$vg/a" --extents 1 --fs-checked --devices "$d" --yes
	[ "$(segs "$vg" a)" = "0+1@0 " ] && vg_ok "$vg" "$d" && ok "rerun_after_${stop}_converges" ||
		bad "rerun_after_${stop}_converges" "segs '$(segs "$vg" a)'"
	q sb lvresize "$vg/a" --extents 2 --devices "$d" --yes
done

# ---- 5. Many commits on a small metadata area: the ring wraps, lvm2 keeps reading it.
w=$(new_loop 32M)
vw=$(uniq_name wr)
q pvcreate --metadatasize 32k --dataalignment 64k "$w"; q vgcreate -s 1m "$vw" "$w"
for i in 1 2 3 4 5 6; do q lvcreate -an -Zn -n "lv$i" -L 1m "$vw"; done
wrapped=0 good=1
for i in $(seq 1 60); do
	q sb lvresize "$vw/lv3" --extents $((1 + i % 3)) --fs-checked --devices "$w" --yes
	vg_ok "$vw" "$w" || { good=0; break; }
	off=$(pvck --dump headers "$w" 2>/dev/null | awk '/mda_header_1.raw_locn\[0\].offset/ {print $2}')
	sz=$(pvck --dump headers "$w" 2>/dev/null | awk '/mda_header_1.raw_locn\[0\].size/ {print $2}')
	msz=$(pvck --dump headers "$w" 2>/dev/null | awk '/mda_header_1.size/ {print $2}')
	[ $((off + sz)) -gt "$msz" ] && wrapped=$((wrapped + 1))
done
[ $good = 1 ] && [ $wrapped -gt 0 ] && [ "$(seqno "$vw")" -ge 67 ] && ok ring_wraps_60_commits ||
	bad ring_wraps_60_commits "good $good wrapped $wrapped seqno $(seqno "$vw")"

# ---- 6. pvresize on a PV with two metadata areas: shrink, grow back, refusals.
m=$(new_loop 64M)
vm=$(uniq_name wm)
q pvcreate --pvmetadatacopies 2 "$m"; q vgcreate "$vm" "$m"
q lvcreate -an -Zn -n a -L 12M "$vm"
old_mda2=$(pvck --dump headers "$m" 2>/dev/null | awk '/mda_header_2 at/ {print $3}')
out=$(sb pvresize "$m" --size 40MiB --devices "$m" --yes 2>&1)
new_mda2=$(pvck --dump headers "$m" 2>/dev/null | awk '/mda_header_2 at/ {print $3}')
stale=$(dd if="$m" bs=1 skip=$((old_mda2 + 4)) count=16 status=none 2>/dev/null | od -An -c | tr -d ' \n')
if vg_ok "$vm" "$m" && [ "$new_mda2" = $((40 * 1048576 - 1048576)) ] &&
	[ "$(pvs --noheadings -o pv_pe_count "$m" 2>/dev/null | tr -d ' ')" = 9 ] &&
	[ "$stale" = "$(printf '\\0%.0s' $(seq 16))" ]; then
	ok pvresize_shrink_two_mdas
else
	bad pvresize_shrink_two_mdas "mda2 $old_mda2 -> $new_mda2; stale '$stale'; $out"
fi
# Both metadata areas hold the same committed text (same checksum and size in both headers).
c1=$(pvck --dump headers "$m" 2>/dev/null | awk '/mda_header_1.raw_locn\[0\].(checksum|size)/ {printf "%s ", $2}')
c2=$(pvck --dump headers "$m" 2>/dev/null | awk '/mda_header_2.raw_locn\[0\].(checksum|size)/ {printf "%s ", $2}')
[ -n "$c1" ] && [ "$c1" = "$c2" ] && [ "$c1" != "0 0x0 " ] && ok pvresize_both_mdas_committed ||
	bad pvresize_both_mdas_committed "mda1 '$c1' mda2 '$c2'"
out=$(sb pvresize "$m" --devices "$m" --yes 2>&1)
[ "$(pvck --dump headers "$m" 2>/dev/null | awk '/mda_header_2 at/ {print $3}')" = "$old_mda2" ] &&
	[ "$(pvs --noheadings -o pv_pe_count "$m" 2>/dev/null | tr -d ' ')" = 15 ] && vg_ok "$vm" "$m" &&
	ok pvresize_grow_back_to_device || bad pvresize_grow_back_to_device "$out"
out=$(sb pvresize "$m" --devices "$m" --yes 2>&1); rc=$?
[ $rc = 0 ] && grep -qx "No changes." <<<"$out" && ok pvresize_rerun_no_changes || bad pvresize_rerun_no_changes "rc $rc: $out"
q lvcreate -an -Zn -n tail -l 1 "$vm" "$m:14"
before=$(sums "$m")
out=$(sb pvresize "$m" --size 40MiB --devices "$m" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "tail PE 14-14" <<<"$out" && [ "$(sums "$m")" = "$before" ] &&
	ok pvresize_refuses_to_cut_extents || bad pvresize_refuses_to_cut_extents "rc $rc: $out"
# Refused (3), as every size the stack does not allow: not a failure to read something (1).
out=$(sb pvresize "$m" --size 1MiB --devices "$m" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "one extent" <<<"$out" && [ "$(sums "$m")" = "$before" ] &&
	ok pvresize_below_one_extent || bad pvresize_below_one_extent "rc $rc: $out"
out=$(sb pvresize "$m" --size 30MiB --devices "$m" --dry-run 2>&1)
[ "$(sums "$m")" = "$before" ] && ok pvresize_dry_run_byte_identical || bad pvresize_dry_run_byte_identical "$out"

# ---- 7. A VG of three PVs: an LV across them; every metadata area gets the same commit.
p1=$(new_loop 16M); p2=$(new_loop 16M); p3=$(new_loop 16M)
v3=$(uniq_name w3)
q pvcreate "$p1" "$p2" "$p3"; q vgcreate "$v3" "$p1" "$p2" "$p3"
q lvcreate -an -Zn -n big -l 3 "$v3" "$p1"
out=$(sb lvresize "$v3/big" --extents 8 --devices "$p1,$p2,$p3" --yes 2>&1)
counts=$(for p in "$p1" "$p2" "$p3"; do pvck --dump headers "$p" 2>/dev/null | awk '/raw_locn\[0\].checksum/ {print $2}'; done | sort -u | wc -l)
[ "$(lvs --noheadings -o seg_count "$v3/big" 2>/dev/null | tr -d ' ')" = 3 ] && [ "$counts" = 1 ] &&
	vg_ok "$v3" "$p1" "$p2" "$p3" && ok three_pvs_one_commit || bad three_pvs_one_commit "checksums $counts: $out"
before=$(sums "$p1" "$p2" "$p3")
out=$(sb lvresize "$v3/big" --extents 9 --devices "$p1,$p2" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "missing" <<<"$out" && [ "$(sums "$p1" "$p2" "$p3")" = "$before" ] &&
	ok missing_pv_refused || bad missing_pv_refused "rc $rc: $out"

# ---- 8. A pvmove in progress (the host leaves one behind) is refused, naming the way out.
a=$(new_loop 16M); b=$(new_loop 16M)
vp=$(uniq_name wp)
q pvcreate "$a" "$b"; q vgcreate "$vp" "$a" "$b"; q lvcreate -an -Zn -n data -L 8M "$vp" "$a"
q pvmove -b "$a" "$b"
before=$(sums "$a" "$b")
out=$(sb lvresize "$vp/data" --size 12MiB --devices "$a,$b" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "pvmove --abort" <<<"$out" && [ "$(sums "$a" "$b")" = "$before" ] &&
	ok pvmove_in_progress_refused || bad pvmove_in_progress_refused "rc $rc: $out"

# ---- 9. A VG of two PVs, one of them with two metadata areas: all three copies agree.
x1=$(new_loop 16M); x2=$(new_loop 32M)
v2=$(uniq_name w2)
q pvcreate "$x1"; q pvcreate --pvmetadatacopies 2 "$x2"; q vgcreate "$v2" "$x1" "$x2"
q lvcreate -an -Zn -n one -l 2 "$v2" "$x1"; q lvcreate -an -Zn -n two -l 2 "$v2" "$x2"
out=$(sb lvresize "$v2/one" --extents 6 --devices "$x1,$x2" --yes 2>&1)
sums2=$(for p in "$x1" "$x2"; do pvck --dump headers "$p" 2>/dev/null | awk '/raw_locn\[0\].checksum/ {print $2}'; done)
ext=$(lvs --noheadings --segments -o seg_size_pe "$v2/one" 2>/dev/null | awk '{s += $1} END {print s}')
[ "$(wc -l <<<"$sums2")" = 3 ] && [ "$ext" = 6 ] && vg_ok "$v2" "$x1" "$x2" &&
	[ "$(sort -u <<<"$sums2" | wc -l)" = 1 ] && ok two_pvs_three_mdas_one_commit ||
	bad two_pvs_three_mdas_one_commit "checksums: $(echo $sums2): $out"

# ---- 10. A damaged metadata area: refused before anything is written.
mda2=$(pvck --dump headers "$x2" 2>/dev/null | awk '/mda_header_2 at/ {print $3}')
off=$(pvck --dump headers "$x2" 2>/dev/null | awk '/mda_header_2.raw_locn\[0\].offset/ {print $2}')
# A byte other than the one there (an X in the VG's random id would change nothing).
was=$(dd if="$x2" bs=1 skip=$((mda2 + off + 20)) count=1 status=none)
{ [ "$was" = X ] && printf 'Y' || printf 'X'; } | dd of="$x2" bs=1 seek=$((mda2 + off + 20)) conv=notrunc status=none
before=$(sums "$x1" "$x2")
out=$(sb lvresize "$v2/one" --extents 7 --devices "$x1,$x2" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "checksum" <<<"$out" && grep -q "vgck --updatemetadata" <<<"$out" &&
	[ "$(sums "$x1" "$x2")" = "$before" ] && ok damaged_mda_refused || bad damaged_mda_refused "rc $rc: $out"

finish
