#!/bin/bash
# status --json on whole-device PVs: one with two metadata areas (the second at
# the end of the device, a 2 MiB first area, 2 MiB extents), and a VG spanning
# two PVs with an LV that has a segment on each and a striped LV with an area on
# each. Compared with pvs/vgs/lvs and pvck --dump headers; each PV's report
# finds the other PV and tells the same VG. Not one byte changes.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh
. tests/lib/loop-env.sh
. tests/lib/oracle.sh
. tests/lib/asan.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}

# ---- A PV with two metadata areas.
t=$(new_loop 70M)
v1=$(uniq_name mda)
q pvcreate --pvmetadatacopies 2 --metadatasize 2m "$t"
q vgcreate -s 2M "$v1" "$t"
q lvcreate -an -Zn -n one -L 10M "$v1"
q lvcreate -an -Zn -n gap -L 6M "$v1"
q lvcreate -an -Zn -n two -L 8M "$v1"
q lvremove -f "$v1/gap"
q lvextend -L +12M "$v1/one"

# ---- A VG on two PVs.
a=$(new_loop 48M); b=$(new_loop 40M)
v2=$(uniq_name two)
q pvcreate "$a"; q pvcreate "$b"
q vgcreate -s 1M "$v2" "$a" "$b"
q lvcreate -an -Zn -n span -L 30M "$v2" "$a"
q lvextend -L +12M "$v2/span" "$b"	# the extension from b: a segment on each PV
q lvcreate -an -Zn -n striped -i 2 -I 64k -L 8M "$v2" "$a" "$b"
q lvcreate -an -Zn -n onb -L 4M "$v2" "$b"
before=$(sums "$t" "$a" "$b")

# ---- Case: two metadata areas, against pvs/vgs/lvs and pvck --dump headers.
err=$("$SB" status --json "$t" 2>&1 >"$TMPD/t.json"); rc=$?
jt=$(cat "$TMPD/t.json")
begin two_mdas_status_exit_clean
same exit_code "$rc" 0
same stderr "${err:-none}" none
end_case
begin two_mdas_match_pvck_and_lvm
same kind "$(jq -r .volume.kind <<<"$jt")" lvm_pv
same_kv "" "$(lvm_ours "$(jq .volume.lvm_pv <<<"$jt")")" "$(LVM_PV_DEV=$t lvm_theirs "$v1")"
same mda_count "$(jq '.volume.lvm_pv.mdas | length' <<<"$jt")" 2
same mdas_in_use "$(jq '[.volume.lvm_pv.mdas[] | select((.ignored | not) and .error == null)] | length' <<<"$jt")" \
	"$(pvs --noheadings -o pv_mda_used_count "$t" 2>/dev/null | tr -d ' ')"
end_case

# ---- Case: a VG on two PVs, seen from each of them.
names=$(pvs --noheadings -o pv_uuid,pv_name -S "vg_name=$v2" 2>/dev/null | awk '{print $1, $2}' | sort)
for x in a b; do
	dev=${!x}
	err=$("$SB" status --json "$dev" 2>&1 >"$TMPD/$x.json"); rc=$?
	jx=$(jq .volume.lvm_pv "$TMPD/$x.json")
	begin "two_pv_vg_from_pv_$x"
	same exit_code "$rc" 0
	same stderr "${err:-none}" none
	same_kv "" "$(lvm_ours "$jx")" "$(LVM_PV_DEV=$dev lvm_theirs "$v2")"
	# both PVs found, each at the device lvm2 found it on
	same pv_paths "$(jq -r '.vg.pvs[] | "\(.uuid) \(.path)"' <<<"$jx" | sort)" "$names"
	same span_segments_on "$(jq -r '.vg.lvs[] | select(.name == "span") | [.segments[].areas[].pv_path] | join(" ")' <<<"$jx")" \
		"$(lvs --noheadings -o seg_pe_ranges "$v2/span" 2>/dev/null | sed 's/:.*//; s/^ *//' | tr '\n' ' ' | sed 's/ $//')"
	end_case
done
begin two_pv_vg_same_from_both
same vg "$(jq -c '.volume.lvm_pv.vg | {uuid, seqno, pvs: [.pvs[] | del(.path, .device_hint)]}' "$TMPD/a.json")" \
	"$(jq -c '.volume.lvm_pv.vg | {uuid, seqno, pvs: [.pvs[] | del(.path, .device_hint)]}' "$TMPD/b.json")"
same vg_uuid "$(jq -r .volume.lvm_pv.vg.uuid "$TMPD/a.json")" "$(vgs --noheadings -o vg_uuid "$v2" 2>/dev/null | tr -d ' ')"
end_case

# ---- Case: each segment's type as lvm2 reports it (a one-stripe run is "linear").
js=$("$SB" status --json "$a" 2>/dev/null); out=$("$SB" status "$a" 2>&1)
begin segment_types_as_lvm2_reports_them
same segtypes "$(jq -r '.volume.lvm_pv.vg.lvs[] | .name as $n | .segments[] | "\($n) \(.type)"' <<<"$js" | sort)" \
	"$(lvs --noheadings --segments -o lv_name,segtype "$v2" 2>/dev/null | awk '{print $1, $2}' | sort)"
same text_linear "$(grep -c 'linear:' <<<"$out")" 3
same text_striped "$(grep -c 'striped:' <<<"$out")" 1
end_case

# ---- Case: the tag of a cut-off resize2fs is reported, as lvm2 reports the tags.
q lvchange --addtag shrinkbox_resize2fs --addtag other "$v2/onb"
out=$("$SB" status "$a" 2>&1); js=$("$SB" status --json "$a" 2>/dev/null)
begin resize_tag_reported
same tagged_lvs "$(jq -r '.volume.lvm_pv.vg.lvs[] | select(.resize_interrupted) | .name' <<<"$js")" \
	"$(lvs --noheadings -o lv_name -S 'lv_tags=shrinkbox_resize2fs' "$v2" 2>/dev/null | tr -d ' ')"
same text_note "$(grep -c 'tagged shrinkbox_resize2fs' <<<"$out")" 1
same tagged_is_onb "$(jq -r '.volume.lvm_pv.vg.lvs[] | select(.resize_interrupted) | .name' <<<"$js")" onb
end_case
q lvchange --deltag shrinkbox_resize2fs --deltag other "$v2/onb"
before=$(sums "$t" "$a" "$b")

# ---- Case: the sanitizer build reads the same PVs the same way.
asan_case two_mdas_asan_clean status "$t"
asan_case two_pv_vg_asan_clean status --json "$a"

# ---- Case: status is read-only.
q "$SB" status "$t"; q "$SB" status "$a"; q "$SB" status "$b"
begin pvs_status_changes_no_byte
same sha256 "$(sums "$t" "$a" "$b")" "$before"
end_case

finish
