#!/bin/bash
# migrate on loop devices with inactive LVs. The host has no device-mapper, so
# LUKS cannot be opened here: these runs use the hidden TEST ONLY switch
# --test-clear-target (the target device itself becomes the PV) and check the
# LVM half against lvm2: vgck, pvs, pvck, vgs -o pv_count, the LV contents
# through lvm2's segment map, an interruption after every step, the refusals
# (nothing written), and the bytes our vgextend and vgreduce leave compared
# with lvm2's own vgextend and vgreduce on a copy. Without --test-clear-target
# the luksFormat half is checked as far as this host allows (cryptsetup
# luksDump and --test-passphrase as oracles; the open then fails); the whole
# LUKS flow with power cuts runs in the VM: tests/vm/scenarios/migrate.scn.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}
BK=$TMPD/backup-sb
export SHRINKBOX_LOCK_DIR=$TMPD/lock
mkdir -p "$SHRINKBOX_LOCK_DIR"

. tests/lib/lvdata.sh
all_sums() { for lv in lvroot lvdata lvswap; do echo "$lv $(lv_sum "$1" "$lv")"; done; }
pv_vg() { pvs --noheadings -o vg_name "$1" 2>/dev/null | tr -d ' '; }
pv_count() { vgs --noheadings -o pv_count "$1" 2>/dev/null | tr -d ' '; }
# The pv_header_extension flags of a PV label in sector 1 with one data area and one mda (0x8c).
ext_flags() { od -An -tx4 -j $((512 + 0x8c)) -N4 "$1" | tr -d ' '; }

# make_vg DEV VG: three LVs, lvroot in two segments, with deterministic contents.
make_vg() {
	q pvcreate "$1"; q vgcreate "$2" "$1"
	q lvcreate -an -Zn -n lvroot -L 20M "$2"
	q lvcreate -an -Zn -n lvdata -L 12M "$2"
	q lvcreate -an -Zn -n lvswap -L 8M "$2"
	q lvextend -L +8M "$2/lvroot"
	for lv in lvroot lvdata lvswap; do fill "$2" "$lv"; done
}
mig() { "$SB" migrate "$@" --test-clear-target --backup-dir "$BK"; }

# The state after a finished migrate, field by field.
check_done() {
	local vg=$1 s=$2 t=$3 sums=$4
	same vgck "$(vgck "$vg" >/dev/null 2>&1; echo $?)" 0
	same pv_count "$(pv_count "$vg")" 1
	same target_vg "$(pv_vg "$t")" "$vg"
	same source_vg "$(pv_vg "$s")x" x
	holds source_is_orphan_pv "pvs does not list $s as a PV" pvs "$s"
	holds pvck_source "pvck $s fails" pvck "$s"
	holds pvck_target "pvck $t fails" pvck "$t"
	same target_ext_used "$(ext_flags "$t")" 00000001
	same source_ext_free "$(ext_flags "$s")" 00000000
	same lv_contents "$(all_sums "$vg")" "$sums"
}

# ---- 1. the whole run, its plan, and a re-run
s=$(new_loop 64M); t=$(new_loop 80M)
vg=$(uniq_name mg)
make_vg "$s" "$vg"
sums0=$(all_sums "$vg")
used=$(pvs --noheadings -o pv_pe_alloc_count "$s" 2>/dev/null | tr -d ' ')

before=$(sums "$s" "$t")
out=$(mig "$vg" --from "$s" --to "$t" --devices "$s,$t" --dry-run 2>&1); rc=$?
[ $rc = 0 ] && grep -q "Dry run" <<<"$out" && grep -q "move $used extents = $((used * EXT)) B" <<<"$out" &&
	[ "$(sums "$s" "$t")" = "$before" ] && ok dry_run_plan_changes_nothing ||
	bad dry_run_plan_changes_nothing "rc $rc: $out"

# --json: the same plan as one document on stdout, the dry run's line on stderr.
js=$(mig "$vg" --from "$s" --to "$t" --devices "$s,$t" --dry-run --json 2>"$TMPD/err"); rc=$?
[ $rc = 0 ] && jq -e --argjson u "$used" --argjson e "$EXT" '.schema_version == 1 and
	.applet == "migrate" and .changes and .extent_bytes == $e and
	([.steps[].step] == ["pvcreate", "vgextend", "move", "vgreduce"]) and
	(.steps[2].extents == $u) and (.steps[2].bytes == $u * $e) and
	([.steps[2].moves[].extents] | add) == $u and ([.steps[].done] | all | not)' \
	<<<"$js" >/dev/null && grep -q "Dry run" "$TMPD/err" && [ "$(sums "$s" "$t")" = "$before" ] &&
	ok json_dry_run_plan || bad json_dry_run_plan "rc $rc: stdout $js stderr $(cat "$TMPD/err")"

out=$(mig "$vg" --from "$s" --to "$t" --devices "$s,$t" 2>&1 </dev/null); rc=$?
[ $rc = 3 ] && [ "$(sums "$s" "$t")" = "$before" ] && ok no_consent_no_change ||
	bad no_consent_no_change "rc $rc: $out"

out=$(mig "$vg" --from "$s" --to "$t" --devices "$s,$t" --yes 2>&1); rc=$?
begin migrate_clear_target
same exit_code "$rc" 0
check_done "$vg" "$s" "$t" "$sums0"
end_case
[ $rc = 0 ] || echo "$out" | sed 's/^/    /'

out=$(mig "$vg" --from "$s" --to "$t" --devices "$s,$t" --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "No changes." ] && ok rerun_no_changes || bad rerun_no_changes "rc $rc: $out"
js=$(mig "$vg" --from "$s" --to "$t" --devices "$s,$t" --yes --json 2>/dev/null); rc=$?
[ $rc = 0 ] && jq -e '.changes == false' <<<"$js" >/dev/null && ok json_rerun_no_changes ||
	bad json_rerun_no_changes "rc $rc: $js"

out=$(mig "$vg" --from "$s" --to "$t" --devices "$s,$t" --yes --wipe-source 2>&1); rc=$?
[ $rc = 0 ] && ! pvs "$s" >/dev/null 2>&1 && [ -z "$(blkid -p -o value -s TYPE "$s")" ] &&
	vgck "$vg" >/dev/null 2>&1 && ok wipe_source_after_the_vg_let_go ||
	bad wipe_source_after_the_vg_let_go "rc $rc: $out"
out=$(mig "$vg" --from "$s" --to "$t" --devices "$s,$t" --yes --wipe-source 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "No changes." ] && ok rerun_after_wipe_no_changes ||
	bad rerun_after_wipe_no_changes "rc $rc: $out"

# ---- 2. refusals: exit 3, not a byte written
s=$(new_loop 64M); small=$(new_loop 24M); full=$(new_loop 80M); other=$(new_loop 16M)
vg=$(uniq_name mr)
make_vg "$s" "$vg"
used=$(pvs --noheadings -o pv_pe_alloc_count "$s" 2>/dev/null | tr -d ' ')
q mkfs.ext4 -q -F "$full"
q pvcreate "$other"
before=$(sums "$s" "$small" "$full" "$other")
out=$(mig "$vg" --from "$s" --to "$small" --devices "$s,$small" --yes 2>&1); rc=$?
# 24 MiB: pe_start 1 MiB leaves 5 extents of 4 MiB
short=$((used - 5))
[ $rc = 3 ] && grep -q "too small" <<<"$out" && grep -q "$short extents short" <<<"$out" &&
	grep -qE "[0-9]+ bytes = $short extents short" <<<"$out" && ok refuse_target_too_small ||
	bad refuse_target_too_small "rc $rc: $out"
out=$(mig "$vg" --from "$s" --to "$full" --devices "$s,$full" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "not empty: ext4" <<<"$out" && ok refuse_target_not_empty ||
	bad refuse_target_not_empty "rc $rc: $out"
out=$(mig "$vg" --from "$other" --to "$full" --devices "$s,$full,$other" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "not a PV of VG $vg" <<<"$out" && ok refuse_source_not_in_vg ||
	bad refuse_source_not_in_vg "rc $rc: $out"
out=$(mig "$vg" --from "$s" --to "$s" --devices "$s" --yes 2>&1); rc=$?
[ $rc = 3 ] && ok refuse_target_is_source || bad refuse_target_is_source "rc $rc: $out"
[ "$(sums "$s" "$small" "$full" "$other")" = "$before" ] && ok refusals_wrote_nothing ||
	bad refusals_wrote_nothing "a refused run changed a device"
out=$(mig "$vg" --from "$s" --to "$full" --devices "$s,$full" --yes --force 2>&1); rc=$?
begin force_erases_the_target
same exit_code "$rc" 0
check_done "$vg" "$s" "$full" "$(all_sums "$vg")"
same no_ext4_left "$(blkid -p -o value -s TYPE "$full")" LVM2_member
end_case

# ---- 3. interrupted after each step (and inside the vgextend commit): the re-run finishes
for phase in mig-pvcreate text precommit mig-extend mig-reduce; do
	loop_env_reset
	export SHRINKBOX_LOCK_DIR=$TMPD/lock BK=$TMPD/backup-sb
	mkdir -p "$SHRINKBOX_LOCK_DIR"
	s=$(new_loop 64M); t=$(new_loop 80M)
	vg=$(uniq_name mp)
	make_vg "$s" "$vg"
	sums0=$(all_sums "$vg")
	SHRINKBOX_TEST_STOP_AFTER=$phase mig "$vg" --from "$s" --to "$t" --devices "$s,$t" --yes \
		>/dev/null 2>&1
	rc1=$?
	vgck "$vg" >/dev/null 2>&1
	ck=$?
	out=$(mig "$vg" --from "$s" --to "$t" --devices "$s,$t" --yes 2>&1); rc=$?
	begin "interrupted_after_${phase}_then_rerun"
	same stopped "$rc1" 137
	same vgck_in_between "$ck" 0
	same exit_code "$rc" 0
	check_done "$vg" "$s" "$t" "$sums0"
	end_case
	[ $rc = 0 ] || echo "$out" | sed 's/^/    /'
	out=$(mig "$vg" --from "$s" --to "$t" --devices "$s,$t" --yes 2>&1); rc=$?
	[ $rc = 0 ] && [ "$out" = "No changes." ] && ok "interrupted_after_${phase}_third_run_no_changes" ||
		bad "interrupted_after_${phase}_third_run_no_changes" "rc $rc: $out"
done

# ---- 4. the LUKS half as far as this host goes (no device-mapper: the open fails)
loop_env_reset
export SHRINKBOX_LOCK_DIR=$TMPD/lock BK=$TMPD/backup-sb
mkdir -p "$SHRINKBOX_LOCK_DIR"
s=$(new_loop 64M); t=$(new_loop 96M); f=$(new_loop 96M)
vg=$(uniq_name ml)
make_vg "$s" "$vg"
printf 'migrate secret' >"$TMPD/key"
vguuid=$(vgs --noheadings -o vg_uuid "$vg" 2>/dev/null | tr -d ' -')
luks() { "$SB" migrate "$vg" --from "$s" --devices "$s,$1" --key-file "$TMPD/key" --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 --backup-dir "$BK" "${@:2}" --to "$1"; }
before=$(sums "$s")
out=$(luks "$t" --yes 2>&1); rc=$?
begin luks2_format_ours
holds formatted "no luksFormat line: $out" grep -q "Formatting $t as LUKS2" <<<"$out"
same version "$(cryptsetup luksDump "$t" 2>/dev/null | awk '/^Version/ {print $2}')" 2
same label "$(cryptsetup luksDump "$t" 2>/dev/null | awk '/^Label/ {print $2}')" "$vg"
same subsystem "$(cryptsetup luksDump "$t" 2>/dev/null | awk '/^Subsystem/ {print $2}')" "shrinkbox:$vguuid"
holds key_opens "cryptsetup rejects the key" cryptsetup open --test-passphrase --key-file "$TMPD/key" "$t"
holds no_passphrase_in_output "the key is in the output" fails grep -q "migrate secret" <<<"$out"
same source_untouched "$(sums "$s")" "$before"
end_case
out=$(luks "$t" --dry-run 2>&1); rc=$?
[ $rc = 0 ] && grep -q "luksFormat $t: LUKS2 .*(done)" <<<"$out" && ok luks2_recognized_as_ours_on_rerun ||
	bad luks2_recognized_as_ours_on_rerun "rc $rc: $out"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$TMPD/key" "$f"
before=$(sums "$s" "$f")
out=$(luks "$f" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "did not make" <<<"$out" && [ "$(sums "$s" "$f")" = "$before" ] &&
	ok refuse_foreign_luks2 || bad refuse_foreign_luks2 "rc $rc: $out"
out=$(luks "$f" --dry-run --force 2>&1); rc=$?
[ $rc = 0 ] && grep -q "erase the signatures on $f" <<<"$out" && [ "$(sums "$s" "$f")" = "$before" ] &&
	ok force_plans_to_erase_foreign_luks2 || bad force_plans_to_erase_foreign_luks2 "rc $rc: $out"
wipefs -qa "$t"
out=$(luks "$t" --yes --type luks1 2>&1); rc=$?
[ "$(cryptsetup luksDump "$t" 2>/dev/null | awk '/^Version/ {print $2}')" = 1 ] &&
	cryptsetup open --test-passphrase --key-file "$TMPD/key" "$t" 2>/dev/null && ok luks1_format ||
	bad luks1_format "rc $rc: $out"
# A luksFormat cut off (a torn state of the write-log replay of migrate): the
# LUKS magic, but neither header copy loads ("version 0"). No key opens it: the
# same command formats it again (before: refused, "a LUKS0 device that migrate
# did not make ... --force erases it", on every run).
dd if=/dev/zero of="$f" bs=1 seek=6 count=32762 conv=notrunc,fsync status=none
torn=$(cryptsetup luksDump "$f" >/dev/null 2>&1 || echo yes)
before=$(sums "$s" "$f")
out_dry=$(luks "$f" --dry-run 2>&1); rc_dry=$?
dry_same=$([ "$(sums "$s" "$f")" = "$before" ] && echo yes)
out=$(luks "$f" --yes 2>&1); rc=$?
begin torn_luks_header_formatted_again
holds torn "the header still loads" [ "$torn" = yes ]
same rc_dry_run "$rc_dry" 0
holds dry_says "said: $out_dry" grep -q "has a LUKS header that does not load" <<<"$out_dry"
holds dry_run_bytes "the dry run changed a device" [ "$dry_same" = yes ]
# (Not its exit code: as in luks2_format_ours, the host may lack AF_ALG for the key check after.)
holds formatted "no luksFormat line: $out" grep -q "Formatting $f as LUKS2" <<<"$out"
same label "$(cryptsetup luksDump "$f" 2>/dev/null | awk '/^Label/ {print $2}')" "$vg"
holds key_opens "cryptsetup rejects the key" cryptsetup open --test-passphrase --key-file "$TMPD/key" "$f"
end_case

# ---- 5. the bytes of our vgextend and vgreduce against lvm2's, on copies
# b: ours (migrate). c: a copy of the same VG; lvm2's vgextend, our defrag --to
# (no pvmove without device-mapper), lvm2's vgreduce. Both targets are made by
# lvm2's pvcreate with the same uuid, so their labels can match byte for byte.
loop_env_reset
export SHRINKBOX_LOCK_DIR=$TMPD/lock BK=$TMPD/backup-sb
mkdir -p "$SHRINKBOX_LOCK_DIR"
b1=$(new_loop 64M); b2=$(new_loop 80M); c1=$(new_loop 64M); c2=$(new_loop 80M)
vg=$(uniq_name mc)
make_vg "$b1" "$vg"
dd if="$b1" of="$c1" bs=1M status=none
U=Mig8Te-stUU-idAb-cdEf-GhIj-KlMn-OpQrSt
q pvcreate --devices "$b2" --uuid "$U" --norestorefile "$b2"
q pvcreate --devices "$c2" --uuid "$U" --norestorefile "$c2"
out=$(mig "$vg" --from "$b1" --to "$b2" --devices "$b1,$b2" --yes 2>&1); rc=$?
grep -q "pvcreate .*(done)" <<<"$(mig "$vg" --from "$b1" --to "$b2" --devices "$b1,$b2" --dry-run 2>&1)" ||
	true
q vgextend --devices "$c1,$c2" "$vg" "$c2"
q "$SB" defrag "$c1" --to "$c2" --devices "$c1,$c2" --yes --backup-dir "$BK"
q vgreduce --devices "$c1,$c2" "$vg" "$c1"
cfg() {
	vgcfgbackup --devices "$1" -f "$TMPD/cfg" "$vg" >/dev/null 2>&1 &&
		grep -vE '^(description|creation_host|creation_time|contents|version) |^#|device = |seqno = ' "$TMPD/cfg"
}
begin vgextend_vgreduce_bytes_as_lvm2
same exit_code "$rc" 0
same new_pv_label_sector "$(dd if="$b2" bs=512 skip=1 count=1 status=none | sha256sum)" \
	"$(dd if="$c2" bs=512 skip=1 count=1 status=none | sha256sum)"
same orphan_label_sector "$(dd if="$b1" bs=512 skip=1 count=1 status=none | sha256sum)" \
	"$(dd if="$c1" bs=512 skip=1 count=1 status=none | sha256sum)"
same orphan_mda_header "$(dd if="$b1" bs=512 skip=8 count=1 status=none | sha256sum)" \
	"$(dd if="$c1" bs=512 skip=8 count=1 status=none | sha256sum)"
same metadata "$(cfg "$b1,$b2" | sha256sum)" "$(cfg "$c1,$c2" | sha256sum)"
same pv_count "$(vgs --devices "$b1,$b2" --noheadings -o pv_count "$vg" 2>/dev/null | tr -d ' ')" \
	"$(vgs --devices "$c1,$c2" --noheadings -o pv_count "$vg" 2>/dev/null | tr -d ' ')"
same pvck_orphan "$(pvck --devices "$b1" "$b1" >/dev/null 2>&1; echo $?)" \
	"$(pvck --devices "$c1" "$c1" >/dev/null 2>&1; echo $?)"
end_case
if [ "$(cfg "$b1,$b2" | sha256sum)" != "$(cfg "$c1,$c2" | sha256sum)" ]; then
	diff <(cfg "$b1,$b2") <(cfg "$c1,$c2") | head -20 | sed 's/^/    /'
fi

finish
