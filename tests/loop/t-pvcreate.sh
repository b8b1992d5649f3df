#!/bin/bash
# pvcreate (issue 8): our orphan PV against lvm2's, byte for byte, on loop
# devices of several sizes and options (default, an odd size, two metadata
# areas, --dataalignment, --metadatasize): only the label CRC and the uuid may
# differ. pvck and pvs agree with the plan we printed; lvm2's vgcreate takes our
# PV and vgck is clean. Refusals (ext4, LUKS2, a GPT, an orphan PV, a PV in a
# VG, too small, in use, a duplicate uuid, no consent) and --dry-run change no
# byte; a second run says "No changes."; --force erases what libblkid finds.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh
. tests/lib/loop-env.sh
. tests/lib/oracle.sh
. tests/lib/asan.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}
export SHRINKBOX_LOCK_DIR=$TMPD/lock	# lvm2's locking_dir here: one P_global for both
KDF=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)

# plan_field OUTPUT LABEL [N]: word N (default 1) after "LABEL:" in our plan.
plan_field() {
	awk -v l="$2:" -v n="${3:-1}" '{ k = $1; i = 2 }
		$1 == "metadata" { k = $1 " " $2 " " $3; i = 4 }
		k == l { print $(i + n - 1); exit }' <<<"$1"
}
# plan_range OUTPUT LABEL: "OFFSET SIZE" of a "bytes A-B = N B" line.
plan_range() {
	plan_field "$1" "$2" 2 | awk -F- -v s="$(plan_field "$1" "$2" 4)" '{ print $1, s }'
}
# diff_offsets A B: the byte offsets where two devices differ, space separated.
diff_offsets() {
	cmp -l "$1" "$2" 2>/dev/null | awk '{ printf "%s ", $1 - 1 }'
}
# only_crc_uuid OFFSETS: every offset lies in the label CRC (528-531) or the uuid (544-575).
only_crc_uuid() {
	local o
	for o in $1; do
		{ [ "$o" -ge 528 ] && [ "$o" -le 531 ]; } || { [ "$o" -ge 544 ] && [ "$o" -le 575 ]; } ||
			return 1
	done
}
pvs_field() {
	pvs --noheadings --units b --nosuffix -o "$2" "$1" 2>/dev/null | tr -d ' '
}

# ---- 1. Layouts: ours and lvm2's on devices of the same size, with the same options.
# name size "our options" "lvm2 options"
layouts=(
	"default 64M - -"
	"odd_size 67121152 - -"
	"two_mdas 64M --metadatacopies=2 --pvmetadatacopies=2"
	"two_mdas_odd_size 67121152 --metadatacopies=2 --pvmetadatacopies=2"
	"align_4m 200M --dataalignment=4MiB --dataalignment=4m"
	"align_4m_two_mdas 203M --dataalignment=4MiB,--metadatacopies=2 --dataalignment=4m,--pvmetadatacopies=2"
	"small_mda_64k_align 32M --metadatasize=32KiB,--dataalignment=64KiB --metadatasize=32k,--dataalignment=64k"
	"big_mda 96M --metadatasize=5MiB,--metadatacopies=2 --metadatasize=5m,--pvmetadatacopies=2"
	"minimum_2m 2M - -"
	"three_mib_two_mdas 3M --metadatacopies=2 --pvmetadatacopies=2"
	"mda_bigger_than_device 8M --metadatasize=16MiB --metadatasize=16m"
	"align_512 16M --dataalignment=512B --dataalignment=512"
)
for spec in "${layouts[@]}"; do
	read -r name size ours theirs <<<"$spec"
	[ "$ours" = - ] && ours=""
	[ "$theirs" = - ] && theirs=""
	a=$(new_loop "$size"); b=$(new_loop "$size")
	# shellcheck disable=SC2086
	out=$("$SB" pvcreate "$a" ${ours//,/ } --yes 2>&1); rc=$?
	# shellcheck disable=SC2086
	q pvcreate -y ${theirs//,/ } "$b"
	begin "layout_$name"
	same exit_code "$rc" 0
	offs=$(diff_offsets "$a" "$b")
	holds bytes_as_lvm2 "differ at ${offs:0:200}" only_crc_uuid "$offs"
	holds pvck "pvck $a fails" pvck "$a"
	same pe_start "$(plan_field "$out" pe_start)" "$(pvs_field "$a" pe_start)"
	same pe_start_lvm2 "$(plan_field "$out" pe_start)" "$(pvs_field "$b" pe_start)"
	same dev_size "$(plan_field "$out" device)" "$(pvs_field "$a" dev_size)"
	same uuid "$(plan_field "$out" uuid)" "$(pvs_field "$a" pv_uuid)"
	same mda_count "$(grep -c '^  metadata area [12]:' <<<"$out")" "$(pvs_field "$a" pv_mda_count)"
	same mda_count_lvm2 "$(pvs_field "$a" pv_mda_count)" "$(pvs_field "$b" pv_mda_count)"
	same mda_size_smallest "$(for m in 1 2; do plan_range "$out" "metadata area $m"; done |
		awk 'NF == 2 { print $2 }' | sort -n | head -n 1)" "$(pvs_field "$a" pv_mda_size)"
	# Label and mda headers as pvck --dump headers shows them, ours against lvm2's.
	theirs_h=$(pvck_headers "$b")
	same_kv "" "$(pvck_headers "$a")" "$theirs_h"
	# The areas our plan printed, against lvm2's PV.
	for m in 1 2; do
		r=$(plan_range "$out" "metadata area $m")
		[ -n "$r" ] || continue
		same "mda$((m - 1)).plan" "$r" "$(awk -v k="mda$((m - 1))" '$1 == k ".offset" { o = $2 }
			$1 == k ".size" { z = $2 } END { if (o != "") print o, z }' <<<"$theirs_h")"
	done
	end_case
done

# ---- 2. lvm2's vgcreate on our PV, extents as the plan said; vgck clean; a second
# run is "No changes.".
for m in 1 2; do
	d=$(new_loop 64M)
	vg=$(uniq_name pc$m)
	out=$("$SB" pvcreate "$d" --metadatacopies $m --yes 2>&1)
	want=$(grep -oE '[0-9]+ extents of 4 MiB' <<<"$out" | cut -d' ' -f1)
	q vgcreate "$vg" "$d"
	begin "vgcreate_on_ours_${m}_mda"
	holds vgck "vgck $vg fails" vgck "$vg"
	holds pvck "pvck $d fails" pvck "$d"
	same pe_count "$want" "$(pvs_field "$d" pv_pe_count)"
	same vg "$vg" "$(pvs_field "$d" vg_name)"
	same mda_used "$m" "$(vgs --noheadings -o vg_mda_used_count "$vg" 2>/dev/null | tr -d ' ')"
	q lvcreate -an -Zn -n lv -l 100%FREE "$vg"
	holds vgck_after_lvcreate "vgck $vg fails after lvcreate" vgck "$vg"
	holds our_status "shrinkbox status cannot read it" "$SB" status "$d"
	end_case
done
d=$(new_loop 64M)
q "$SB" pvcreate "$d" --metadatacopies 2 --yes
before=$(sums "$d")
out=$("$SB" pvcreate "$d" --metadatacopies 2 --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "No changes." ] && [ "$(sums "$d")" = "$before" ] &&
	ok rerun_no_changes || bad rerun_no_changes "rc $rc: $out"
out=$("$SB" pvcreate "$d" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "orphan PV" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok other_layout_refused || bad other_layout_refused "rc $rc: $out"
out=$("$SB" pvcreate "$d" --yes --force 2>&1); rc=$?
[ $rc = 0 ] && [ "$(pvs_field "$d" pv_mda_count)" = 1 ] && q pvck "$d" &&
	[ "$(blkid -p -o value -s TYPE "$d")" = LVM2_member ] &&
	ok other_layout_forced || bad other_layout_forced "rc $rc: $out"

# ---- 3. --uuid: taken, re-run with it is "No changes.", another uuid or a duplicate is refused.
# A fresh uuid per run: a fixed one collides with any other run of this script on the host.
U=AbCd$(tr -dc 'a-zA-Z0-9' </dev/urandom | head -c 28)
UD=${U:0:6}-${U:6:4}-${U:10:4}-${U:14:4}-${U:18:4}-${U:22:4}-${U:26:6}
d=$(new_loop 16M); e=$(new_loop 16M)
out=$("$SB" pvcreate "$d" --uuid "$U" --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(pvs_field "$d" pv_uuid | tr -d -)" = "$U" ] && ok uuid_given ||
	bad uuid_given "rc $rc: $out"
before=$(sums "$d" "$e")
out=$("$SB" pvcreate "$d" --uuid "$UD" --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "No changes." ] && ok uuid_rerun_no_changes ||
	bad uuid_rerun_no_changes "rc $rc: $out"
# The other uuid differs in its last character whatever that character is (a fixed "w" once
# equalled it: the case then had nothing to refuse).
[ "${U: -1}" = w ] && UO=${U%?}x || UO=${U%?}w
out=$("$SB" pvcreate "$d" --uuid "$UO" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "uuid differs" <<<"$out" && ok uuid_other_refused ||
	bad uuid_other_refused "rc $rc: $out"
out=$("$SB" pvcreate "$e" --uuid "$U" --devices "$d,$e" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "already the PV on $d" <<<"$out" && ok uuid_duplicate_refused ||
	bad uuid_duplicate_refused "rc $rc: $out"
out=$("$SB" pvcreate "$e" --uuid "short" --yes 2>&1); rc=$?
[ $rc = 2 ] && ok uuid_bad_usage || bad uuid_bad_usage "rc $rc: $out"
[ "$(sums "$d" "$e")" = "$before" ] && ok uuid_refusals_byte_identical ||
	bad uuid_refusals_byte_identical "a refusal changed a device"

# ---- 4. Signatures: refused with every byte kept; --force erases them (wipefs -a).
sig_case() {
	local name=$1 d=$2 want=$3 out rc before
	before=$(sums "$d")
	out=$("$SB" pvcreate "$d" --yes 2>&1); rc=$?
	[ $rc = 3 ] && grep -q "$want" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
		ok "${name}_refused" || bad "${name}_refused" "rc $rc: $out"
	out=$("$SB" pvcreate "$d" --dry-run --force 2>&1); rc=$?
	[ $rc = 0 ] && grep -q "erased first: .*$want" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
		ok "${name}_force_dry_run_byte_identical" ||
		bad "${name}_force_dry_run_byte_identical" "rc $rc: $out"
	out=$("$SB" pvcreate "$d" --yes --force 2>&1); rc=$?
	if [ $rc = 0 ] && q pvck "$d" && [ "$(wipefs --noheadings --output TYPE "$d" 2>/dev/null | sort -u | tr '\n' ' ')" = "LVM2_member " ] &&
		[ "$(pvs_field "$d" pe_start)" = 1048576 ]; then
		ok "${name}_forced"
	else
		bad "${name}_forced" "rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' '); wipefs: $(wipefs "$d" 2>&1 | tr '\n' ' ')"
	fi
}
d=$(new_loop 32M); q mkfs.ext4 -q "$d"
sig_case ext4 "$d" ext4
d=$(new_loop 32M); printf pw | q cryptsetup luksFormat -q --type luks2 "${KDF[@]}" "$d" -
sig_case luks2 "$d" crypto_LUKS
d=$(new_loop 32M); printf 'label: gpt\n,8M\n,\n' | q sfdisk -q "$d"
sig_case gpt "$d" gpt
d=$(new_loop 32M); printf 'label: dos\n,8M\n' | q sfdisk -q "$d"
sig_case mbr "$d" dos

# A PV in a VG: refused even with --force.
d=$(new_loop 32M); vg=$(uniq_name pcu)
q pvcreate "$d"; q vgcreate "$vg" "$d"
before=$(sums "$d")
out=$("$SB" pvcreate "$d" --yes --force 2>&1); rc=$?
[ $rc = 3 ] && grep -q "PV in a VG" <<<"$out" && [ "$(sums "$d")" = "$before" ] && q vgck "$vg" &&
	ok pv_in_vg_refused_even_forced || bad pv_in_vg_refused_even_forced "rc $rc: $out"

# ---- 5. Too small, in use, no consent, --dry-run: nothing written.
d=$(new_loop 1M); before=$(sums "$d")
out=$("$SB" pvcreate "$d" --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "too small" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok too_small_refused || bad too_small_refused "rc $rc: $out"
d=$(new_loop 2M); before=$(sums "$d")
out=$("$SB" pvcreate "$d" --metadatacopies 2 --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q "no room for extents" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok no_room_for_extents_refused || bad no_room_for_extents_refused "rc $rc: $out"
d=$(new_loop 16M); before=$(sums "$d")
python3 -c 'import os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL); print("held", flush=True); time.sleep(60)' "$d" >"$TMPD/held" &
holder=$!
for _ in $(seq 50); do [ -s "$TMPD/held" ] && break; sleep 0.1; done
out=$("$SB" pvcreate "$d" --yes 2>&1); rc=$?
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
[ $rc = 3 ] && grep -q "in use" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok in_use_refused || bad in_use_refused "rc $rc: $out"
out=$("$SB" pvcreate "$d" 2>&1 </dev/null); rc=$?
[ $rc = 3 ] && [ "$(sums "$d")" = "$before" ] && ok no_consent_refused ||
	bad no_consent_refused "rc $rc: $out"
out=$("$SB" pvcreate "$d" --dry-run --metadatacopies 2 2>&1); rc=$?
[ $rc = 0 ] && grep -q "Dry run" <<<"$out" && grep -q "^  pe_start: " <<<"$out" &&
	[ "$(sums "$d")" = "$before" ] && ok dry_run_byte_identical ||
	bad dry_run_byte_identical "rc $rc: $out"
out=$("$SB" pvcreate "$d" --metadatacopies 3 --yes 2>&1); rc=$?
[ $rc = 2 ] && ok metadatacopies_3_usage || bad metadatacopies_3_usage "rc $rc: $out"
out=$("$SB" pvcreate "$d" --dataalignment 1G --yes 2>&1); rc=$?
[ $rc = 2 ] && grep -q ambiguous <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok ambiguous_unit_usage || bad ambiguous_unit_usage "rc $rc: $out"

# lvm2's global lock held by someone else: pvcreate waits for it, then writes.
d=$(new_loop 16M)
mkdir -p "$SHRINKBOX_LOCK_DIR"
flock "$SHRINKBOX_LOCK_DIR/P_global" sleep 2 &
locker=$!
sleep 0.3
t0=$(date +%s%N)
out=$("$SB" pvcreate "$d" --yes 2>&1); rc=$?
waited=$((($(date +%s%N) - t0) / 1000000))
wait "$locker" 2>/dev/null
[ $rc = 0 ] && [ "$waited" -ge 1000 ] && q pvck "$d" && ok waits_for_lvm2_global_lock ||
	bad waits_for_lvm2_global_lock "rc $rc after $waited ms: $out"

# ---- 6. A run cut off before the label (mda headers written, label not): lvm2
# sees no PV; running again finishes it.
d=$(new_loop 16M)
q "$SB" pvcreate "$d" --metadatacopies 2 --yes
dd if=/dev/zero of="$d" bs=512 seek=1 count=1 conv=notrunc status=none
begin interrupted_before_label_then_rerun
holds lvm2_sees_no_pv "pvs lists $d" fails pvs "$d"
holds blkid_sees_nothing "blkid finds $(blkid -p -o value -s TYPE "$d")" test -z "$(blkid -p -o value -s TYPE "$d")"
out=$("$SB" pvcreate "$d" --metadatacopies 2 --yes 2>&1); rc=$?
same exit_code "$rc" 0
holds pvck "pvck fails: $out" pvck "$d"
same mda_count 2 "$(pvs_field "$d" pv_mda_count)"
end_case

# ---- 6b. --json: stdout is the plan as one JSON document (the layout lvm2 then reads), the dry
# run changes nothing, the real run's other lines go to stderr, a second run says changes: false.
d=$(new_loop 64M)
before=$(sha256sum <"$d")
js=$("$SB" pvcreate "$d" --metadatacopies 2 --dry-run --json 2>"$TMPD/err"); rc=$?
[ $rc = 0 ] && jq -e '.schema_version == 1 and .applet == "pvcreate" and .changes and
	(.metadata_areas | length) == 2 and .pe_start_bytes == 1048576 and .uuid_given == false' \
	<<<"$js" >/dev/null && grep -q "Dry run" "$TMPD/err" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok json_dry_run || bad json_dry_run "rc $rc: stdout $js stderr $(cat "$TMPD/err")"
js=$("$SB" pvcreate "$d" --metadatacopies 2 --yes --json 2>"$TMPD/err"); rc=$?
uuid=$(jq -r .uuid <<<"$js" 2>/dev/null)
[ $rc = 0 ] && [ "$(pvs_field "$d" pv_uuid)" = "$uuid" ] &&
	[ "$(pvs_field "$d" pe_start)" = "$(jq .pe_start_bytes <<<"$js")" ] &&
	[ "$(pvs_field "$d" pv_mda_count)" = 2 ] && grep -q "^Done:" "$TMPD/err" &&
	ok json_real_run_is_what_lvm2_reads ||
	bad json_real_run_is_what_lvm2_reads "rc $rc: stdout $js stderr $(cat "$TMPD/err")"
js=$("$SB" pvcreate "$d" --metadatacopies 2 --yes --json 2>/dev/null); rc=$?
[ $rc = 0 ] && jq -e --arg u "$uuid" '.changes == false and .uuid == $u' <<<"$js" >/dev/null &&
	ok json_no_changes || bad json_no_changes "rc $rc: $js"

# ---- 7. The sanitizer build prints and exits the same (deterministic: --uuid, --dry-run, refusals).
d=$(new_loop 64M)
asan_case asan_dry_run pvcreate "$d" --uuid "$U" --metadatacopies 2 --dry-run
q mkfs.ext4 -q "$d"
asan_case asan_refusal pvcreate "$d" --yes
asan_case asan_force_dry_run pvcreate "$d" --uuid "$U" --force --dry-run

finish
