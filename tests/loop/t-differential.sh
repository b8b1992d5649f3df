#!/bin/bash
# The plan is a promise, measured: generated layouts (GPT, a PV partition with
# 1-3 LVs holding ext4 at several fill levels, swap or nothing, gaps between
# them, room or a partition after the PV) and generated targets around what is
# feasible, for shrink, grow, lvshrink, lvgrow, defrag, pvresize and partresize.
# For every case: the dry run changes no byte; the real run gives the dry run's
# verdict (the same exit code); a refusal changes no byte; exit 4 never comes
# (no fault is injected); a planned run ends at the planned partition and LV
# sizes with lvm2, sfdisk and e2fsck content, the data intact; run again it says
# "No changes." and writes nothing.
#   SHRINKBOX_DIFF_CASES=N   cases (default 36, inside the runner's 10 minutes; CI: 24), 6 per
#                            layout; the full measure: SHRINKBOX_DIFF_CASES=240
#                            SHRINKBOX_LOOP_TIMEOUT=3600 tests/loop/run.sh t-differential
#   SHRINKBOX_DIFF_SEED=N    the generator's seed (printed; default: the time; CI: 777)
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
. tests/lib/lvdata.sh
trap 'cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}
CASES=${SHRINKBOX_DIFF_CASES:-$([ "${CI:-}" = true ] && echo 24 || echo 36)}
# CI runs a fixed sample (its cases passed here); a local run draws new ones.
SEED=${SHRINKBOX_DIFF_SEED:-$([ "${CI:-}" = true ] && echo 777 || date +%s)}
RANDOM=$SEED
PER_LAYOUT=6
echo "differential: $CASES cases, seed $SEED (SHRINKBOX_DIFF_SEED=$SEED to run them again)"

# rnd LO HI: inclusive; LO below 1 counts as 1 (a size of 0 or less is a usage error, tested
# in t-help, not here).
# The draw is left in R: a $(...) subshell would reseed bash's RANDOM, and the seed would no
# longer replay the run.
rnd() { local lo=$(($1 < 1 ? 1 : $1)); R=$((RANDOM % ($2 - lo + 1) + lo)); }
mib() { echo $(($1 * 1048576)); }

# ---- a layout --------------------------------------------------------------------------------
# build_layout: a 256 MiB disk image in $TMPD/base.img: p1 1 MiB, p2 the PV (PSIZE MiB),
# sometimes a p3 of 8 MiB with data right after it. LVS: "name kind size_mib" lines;
# FILL: name -> MiB of data. Sets VG, PSIZE, P3, LVS, and the data sums in $TMPD/base.sums.
build_layout() {
	local d img n kind size l gapn=0 i count
	rnd 30 52; PSIZE=$((4 * R))	# 120..208 MiB
	rnd 0 1; P3=$R
	d=$(new_loop 256M)
	img=$(losetup -nO BACK-FILE "$d")
	if [ "$P3" = 1 ]; then
		printf 'label: gpt\n,1MiB,21686148-6449-6E6F-744E-656564454649\n,%sMiB,L\n,8MiB,L\n' \
			"$PSIZE" | q sfdisk "$d"
	else
		printf 'label: gpt\n,1MiB,21686148-6449-6E6F-744E-656564454649\n,%sMiB,L\n' "$PSIZE" |
			q sfdisk "$d"
	fi
	add_partitions "$d"
	VG=$(uniq_name df)$RANDOM
	q pvcreate "${d}p2"; q vgcreate "$VG" "${d}p2"
	rnd 1 3; LVS="" count=$R
	: >"$TMPD/base.sums"
	for i in $(seq 1 "$count"); do
		rnd 0 5
		case $R in
		0|1|2) kind=ext4 ;; 3|4) kind=swap ;; *) kind=raw ;;
		esac
		rnd 3 10; size=$((4 * R))	# 12..40 MiB
		n=lv$i
		q lvcreate -an -Zn -n "$n" -L "${size}M" "$VG" || continue
		LVS+="$n $kind $size"$'\n'
		l=$(lv_extent_loop "$VG" "$n")
		case $kind in
		ext4)
			mkfs.ext4 -q -E nodiscard "$l"
			# Data up to about 70 % of the filesystem, or none; its sum kept by debugfs.
			rnd 0 7; local fill=$((R * size / 10))
			if [ "$fill" -gt 0 ]; then
				head -c "$(mib "$fill")" /dev/urandom >"$TMPD/data"
				debugfs -w -R "write $TMPD/data data" "$l" >/dev/null 2>&1
				# Kept only when all of it fit (a full filesystem keeps a part).
				[ "$(debugfs -R "cat /data" "$l" 2>/dev/null | sha256sum)" = \
					"$(sha256sum <"$TMPD/data")" ] &&
					echo "$n $(sha256sum <"$TMPD/data" | cut -c1-16)" >>"$TMPD/base.sums"
			fi
			;;
		swap) mkswap -L "s$i" "$l" >/dev/null ;;
		raw) head -c "$(mib "$size")" /dev/urandom >"$l" ;;
		esac
		losetup -d "$l"
		# Sometimes a gap after it (an LV made and removed).
		rnd 0 2
		if [ "$R" = 0 ]; then
			gapn=$((gapn + 1)); rnd 1 4
			q lvcreate -an -Zn -n "gap$gapn" -L "$((4 * R))M" "$VG" &&
				q lvremove -f "$VG/gap$gapn"
		fi
	done
	[ "$P3" = 1 ] && head -c 8M /dev/urandom >"${d}p3"
	partx -d "$d" >/dev/null 2>&1; losetup -d "$d"
	cp --sparse=always "$img" "$TMPD/base.img"
	rm -f "$img"
}

# ---- a target -------------------------------------------------------------------------------
# pick_target: CMD (an array) for this layout, sizes around what is feasible.
lv_names() { awk -v k="$1" 'NF && (k == "" || $2 == k) {print $1}' <<<"$LVS"; }
# pick KIND: one LV of that kind ("" any) in lv, drawn in this shell (see rnd).
pick() { local a; lv=""; mapfile -t a < <(lv_names "$1"); [ ${#a[@]} -eq 0 ] || lv=${a[RANDOM % ${#a[@]}]}; }
pick_target() {
	local dev=$1 used lv size
	used=$(awk 'NF {s += $3} END {print s + 0}' <<<"$LVS")
	rnd 0 9
	case $R in
	0|1)	# shrink to around the used space (MiB, not always whole extents)
		rnd $((used - 8)) $((PSIZE + 4)); CMD=(shrink "$dev" --size "${R}MiB") ;;
	2)	pick ext4
		rnd $((used - 40)) $((PSIZE - 4)); CMD=(shrink "$dev" --size "${R}MiB")
		rnd 2 40; [ -n "$lv" ] && CMD+=(--lv "$VG/$lv=${R}MiB") ;;
	3)	pick ""; rnd 0 2; local how=$R; rnd 1 60
		case $how in
		0) CMD=(grow "$dev" --max) ;;
		1) CMD=(grow "$dev" --max --lv "$VG/$lv=+${R}MiB") ;;
		*) CMD=(grow "$dev" --max --lv "$VG/$lv=100%FREE") ;;
		esac ;;
	4|5)	pick ""; size=$(awk -v n="$lv" '$1 == n {print $3}' <<<"$LVS")
		rnd 1 $((size + 2)); CMD=(lvshrink "$VG/$lv" --size "${R}MiB") ;;
	6)	pick ""; rnd 1 80; CMD=(lvgrow "$VG/$lv" --size "+${R}MiB") ;;
	7)	rnd $((used / 4 - 2)) $((PSIZE / 4)); CMD=(defrag "$dev" --end "$R") ;;
	8)	rnd $((used - 4)) $((PSIZE + 8)); CMD=(pvresize "$dev" --size "${R}MiB") ;;
	*)	rnd $((used - 4)) $((PSIZE + 16)); CMD=(partresize "$dev" --size "${R}MiB") ;;
	esac
}

# ---- what the real tools say ----------------------------------------------------------------
part_sectors() { sfdisk -d "$1" 2>/dev/null | awk -v p="$1p2" '$1 == p {gsub(",", "", $6); print $6}'; }
lv_extents() { lvs --noheadings -o seg_size_pe "$VG/$1" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
# content_ok: every ext4 LV passes e2fsck -fn with its data file's sum; swap keeps its label.
content_ok() {
	local n kind size want
	while read -r n kind size; do
		[ -n "$n" ] || continue
		lv_dump "$VG" "$n" >"$TMPD/lv.img"
		case $kind in
		ext4)
			e2fsck -fn "$TMPD/lv.img" >/dev/null 2>&1 || { echo "e2fsck -fn $n"; return; }
			want=$(awk -v n="$n" '$1 == n {print $2}' "$TMPD/base.sums")
			if [ -n "$want" ] && [ "$(debugfs -R "cat /data" "$TMPD/lv.img" 2>/dev/null |
				sha256sum | cut -c1-16)" != "$want" ]; then
				echo "data of $n"; return
			fi ;;
		swap)
			[ "$(blkid -p -o value -s TYPE "$TMPD/lv.img")" = swap ] || { echo "swap $n"; return; }
			;;
		esac
	done <<<"$LVS"
	rm -f "$TMPD/lv.img"
	echo ok
}
# planned: the partition's and the LV's sizes the dry run printed, "PART LV_EXTENTS" (- unknown).
planned() {
	local out=$1 p=- l=-
	p=$(awk '$1 == "partition" {n = 0; for (i = 2; i <= NF; i++) if ($(i + 1) == "s" && $(i + 2) == "=") {n++; if (n == 2) print $i}}' <<<"$out" | head -n 1)
	l=$(sed -n 's/^  LV: .* ->  \([0-9]*\) extents.*/\1/p' <<<"$out" | head -n 1)
	echo "${p:--} ${l:--}"
}

# ---- the cases ------------------------------------------------------------------------------
n_case=0 equal=0 refused=0 planned_runs=0
declare -A verdicts
while [ "$n_case" -lt "$CASES" ]; do
	loop_env_reset
	build_layout
	for _ in $(seq 1 "$PER_LAYOUT"); do
		[ "$n_case" -lt "$CASES" ] || break
		n_case=$((n_case + 1))
		cp --sparse=always "$TMPD/base.img" "$TMPD/case.img"
		d=$(losetup -f --show "$TMPD/case.img"); echo "$d" >>"$TMPD/loops"; lvm_config
		add_partitions "$d"
		pick_target "${d}p2"
		name="case$n_case: ${CMD[*]}"
		before=$(sha256sum <"$TMPD/case.img")
		out=$("$SB" "${CMD[@]}" --dry-run --backup-dir "$TMPD/bk" 2>&1); rc=$?
		dry_bytes=$(sha256sum <"$TMPD/case.img")
		want=$(planned "$out")
		lv=""; [[ ${CMD[0]} == lv* ]] && lv=${CMD[1]#*/}
		out2=$("$SB" "${CMD[@]}" --yes --backup-dir "$TMPD/bk" 2>&1); rc2=$?
		after=$(sha256sum <"$TMPD/case.img")
		verdicts["$rc2"]=$((${verdicts["$rc2"]:-0} + 1))
		why=""
		[ "$dry_bytes" = "$before" ] || why+=" the dry run changed bytes;"
		[ "$rc" = "$rc2" ] || why+=" dry run exit $rc, real run exit $rc2;"
		case $rc2 in 0|2|3) ;; *) why+=" exit $rc2;" ;; esac
		if [ "$rc2" != 0 ]; then
			[ "$after" = "$before" ] || why+=" the refusal changed bytes;"
			[ -n "$why" ] || refused=$((refused + 1))
		else
			q vgck "$VG" || why+=" vgck;"
			q sfdisk --verify "$d" || why+=" sfdisk --verify;"
			c=$(content_ok); [ "$c" = ok ] || why+=" $c;"
			read -r wp wl <<<"$want"
			[ "$wp" = - ] || [ "$wp" = "$(part_sectors "$d")" ] ||
				why+=" planned partition $wp s, made $(part_sectors "$d");"
			[ "$wl" = - ] || [ -z "$lv" ] || [ "$wl" = "$(lv_extents "$lv")" ] ||
				why+=" planned LV $wl extents, made $(lv_extents "$lv");"
			# Run again: "No changes.", nothing written. Not for a relative size (+SIZE, as
			# lvm2's lvextend -L +SIZE, grows again: what it means is relative to now).
			if [[ " ${CMD[*]}" != *[=\ ]+[0-9]* ]]; then
				again=$(sha256sum <"$TMPD/case.img")
				out3=$("$SB" "${CMD[@]}" --yes --backup-dir "$TMPD/bk" 2>&1); rc3=$?
				[ "$rc3" = 0 ] && grep -q "No changes." <<<"$out3" ||
					why+=" run again: exit $rc3, $(tail -n 1 <<<"$out3");"
				[ "$(sha256sum <"$TMPD/case.img")" = "$again" ] || why+=" run again wrote;"
			fi
			[ -n "$why" ] || planned_runs=$((planned_runs + 1))
		fi
		if [ -z "$why" ]; then
			equal=$((equal + 1))
		else
			bad "$name" "$why dry run: $(tail -n 2 <<<"$out" | tr '\n' ' ') real: $(tail -n 2 <<<"$out2" | tr '\n' ' ')"
		fi
		partx -d "$d" >/dev/null 2>&1; losetup -d "$d"
		rm -f "$TMPD/case.img"
	done
done
summary=$(for k in "${!verdicts[@]}"; do echo "exit $k: ${verdicts[$k]}"; done | sort | tr '\n' ' ')
echo "differential: $n_case cases, $equal kept the promise ($planned_runs planned runs, $refused refusals byte-identical); $summary"
# The counts ride on the PASS line (the runner shows only PASS/FAIL/SKIP lines).
[ "$equal" = "$n_case" ] && ok "differential_${n_case}_cases_dry_run_equals_real_run ($planned_runs planned runs, $refused refusals byte-identical; ${summary% }; seed $SEED)" ||
	bad "differential_${n_case}_cases_dry_run_equals_real_run" "$((n_case - equal)) broke it (seed $SEED)"
finish
