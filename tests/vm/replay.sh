#!/bin/bash
# Write-log replay: a command's every write and flush, logged by QEMU's
# blklogwrites driver, replayed onto copies of the start image at every flush
# boundary and at seeded torn variants (tests/vm/replay/replay.py); each
# state boots, the same command runs again and must converge or refuse
# cleanly. See "Write-log replay" in tests/vm/README.md.
#   tests/vm/replay.sh [NAME...]        replays tests/vm/replay/NAME.rpl (default: all;
#                                       CI=true: those with a "ci" line: "ci N", a
#                                       sample of N states, or "ci STATE...", those)
#   SHRINKBOX_REPLAY_STATES=N           a seeded sample of N states per command (CI: the
#                                       N of the "ci N" line)
#   SHRINKBOX_REPLAY_TORN=N             torn variants drawn per command (default 10)
#   SHRINKBOX_REPLAY_PREFIX=N           prefix variants (in-order disk cut mid-epoch; default 5)
#   SHRINKBOX_REPLAY_SEED=S             the seed of the torn variants and the sample (default 1)
#   SHRINKBOX_REPLAY_ONLY="b:24 t:1:3"  only these states (names as printed)
# Prints one line per state, the four counts per command, and
# "N passed, N failed, N skipped" (a state passes when converged or refused-clean).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh
. tests/vm/gen.sh

RDIR=tests/vm/replay
RP=$RDIR/replay.py
TORN=${SHRINKBOX_REPLAY_TORN:-10}
PREFIX=${SHRINKBOX_REPLAY_PREFIX:-5}
SEED=${SHRINKBOX_REPLAY_SEED:-1}
# CI samples (a "ci N" line): on 2 busy cores a state takes about 86 s, a record run 69 s.
TIMEOUT=${SHRINKBOX_REPLAY_TIMEOUT:-600}

names=("$@")
# Without names: every .rpl; in CI only those with a "ci" line (the time budget).
if [ ${#names[@]} = 0 ]; then
	for f in "$RDIR"/*.rpl; do
		[ "${CI:-}" = true ] && ! grep -qE '^ci( [0-9]+| [bept]:[0-9:]+( [bept]:[0-9:]+)*)$' "$f" &&
			continue
		f=${f##*/}
		names+=("${f%.rpl}")
	done
fi
pass=0 fail=0 skip=0
t_suite=$(date +%s)

for tool in qemu-system-x86_64 qemu-io dracut debugfs jq python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP replay: $tool is not installed (scripts/setup.sh installs it)"
		echo "0 passed, 0 failed, ${#names[@]} skipped"
		exit 0
	fi
done

# The replayer itself first, against blklogwrites through qemu-io (no guest).
if out=$("$RDIR/selftest.sh"); then pass=$((pass + 1)); else fail=$((fail + 1)); fi
echo "$out"

if [ -z "${SHRINKBOX_BIN:-}" ] && ! make -s static >/dev/null; then
	echo "FAIL replay: make static failed"; echo "$pass passed, $((fail + 1)) failed"; exit 1
fi
vm_kernel || { echo "FAIL replay: no kernel"; echo "$pass passed, $((fail + 1)) failed"; exit 1; }
vm_initrd || { echo "FAIL replay: no initramfs"; echo "$pass passed, $((fail + 1)) failed"; exit 1; }

# vm_run (lib.sh) starts "qemu-system-x86_64 ... -drive DISK -drive RESULT &".
# While REPLAY_LOG is set, this function stands in for that command (vm_run
# runs it in the background, and exec keeps $! the QEMU process, so its
# timeout and kill still work): the first disk goes behind blklogwrites,
# which logs every write and flush to REPLAY_LOG (QEMU block/blklogwrites.c).
# Both disks become -blockdev/-device pairs, in order, so the test disk is
# still vda; cache.direct=on is -drive's cache=none.
qemu-system-x86_64() {
	local a=() n=0 f
	[ -n "${REPLAY_LOG:-}" ] || exec qemu-system-x86_64 "$@"
	while [ $# -gt 0 ]; do
		if [ "$1" = -drive ]; then
			f=${2#file=}
			f=${f%%,*}
			a+=(-blockdev "driver=file,node-name=sbf$n,filename=$f,cache.direct=on")
			if [ $n = 0 ]; then
				a+=(-blockdev "driver=file,node-name=sbl$n,filename=$REPLAY_LOG"
					-blockdev "driver=blklogwrites,node-name=sbd$n,file=sbf$n,log=sbl$n,log-sector-size=512")
			else
				a+=(-blockdev "driver=raw,node-name=sbd$n,file=sbf$n")
			fi
			a+=(-device "virtio-blk-pci,drive=sbd$n")
			n=$((n + 1))
			shift 2
		else
			a+=("$1")
			shift
		fi
	done
	exec qemu-system-x86_64 "${a[@]}"
}

# step_rc/step_out RESULT N: what the guest recorded for step N.
step_rc() { vm_result "$1" "step-$2.rc"; }
step_out() { vm_result "$1" "step-$2.out"; }

# sizes RESULT: the final sizes a clean run is compared on: the kernel's
# partitions, the dm-crypt mapping, every LV's size, every PV's size and extents.
sizes() {
	vm_result "$1" kernel-sizes | sort
	echo "mapping $(vm_result "$1" mapping.sectors)"
	vm_result "$1" lvs.json | jq -r '[.report[0].seg[] | "lv \(.lv_name) \(.lv_size)"] | unique | .[]'
	vm_result "$1" pvs.json | jq -r '.report[0].pv[] | "pv \(.pv_size) \(.pv_pe_count)"'
	# A filesystem on no LV ("filldev"): its size from its own superblock.
	for n in $(awk '$1 == "filldev" {print $3}' "$work/layout"); do
		echo "fs $n $(vm_result "$1" "fsbytes-$n")"
	done
}

# writes_between RESULT N M: the sectors written that /sys/block/vda/stat
# counted between the stat snapshots of steps N and M (field 7). Not field 5,
# write requests: a flush (fsync, the step's own sync) is sent as an empty
# write with REQ_PREFLUSH and counted there with 0 sectors, so a run that
# wrote nothing showed "3 write requests".
writes_between() {
	local a b
	a=$(step_out "$1" "$2" | awk 'NF >= 7 {print $7; exit}')
	b=$(step_out "$1" "$3" | awk 'NF >= 7 {print $7; exit}')
	[ -n "$a" ] && [ -n "$b" ] && echo $((b - a))
}

# data_check RESULT: sets LOST (checksums that differ) and UNREAD (not read:
# no checksum, or the checksum of nothing, as when dd found no partition).
data_check() {
	local f lv now empty
	empty=$(sha256sum </dev/null | cut -d' ' -f1)
	LOST="" UNREAD=""
	for f in "$MK"/sum-*; do
		lv=${f##*/sum-}
		now=$(vm_result "$1" "now-$lv")
		if [ -z "$now" ] || [ "$now" = "$empty" ]; then
			UNREAD+="$lv "
		elif [ "$now" != "$(cat "$f")" ]; then
			LOST+="$lv "
		fi
	done
}

# fs_vg_check RESULT: prints why vgck or e2fsck -fn of a filled LV is unhappy.
fs_vg_check() {
	local f lv
	# No VG in the layout (a filesystem on LUKS or on the partition): nothing for vgck.
	grep -q '^vg ' "$work/layout" && [ "$(vm_result "$1" vgck.rc)" != 0 ] &&
		echo "vgck: $(vm_result "$1" vgck.out | tail -n 1); "
	for f in "$MK"/sum-*; do
		lv=${f##*/sum-}
		case $lv in part* | raw-*) continue ;; esac
		[ "$(vm_result "$1" "fsck-$lv.rc")" = 0 ] ||
			echo "e2fsck -fn $lv: $(vm_result "$1" "fsck-$lv.out" | tail -n 2 | tr '\n' ' '); "
	done
	return 0
}

# parts_seen RESULT N: prints the layout's partitions missing from the
# /proc/partitions that step N printed.
parts_seen() {
	local i miss=""
	for i in $PARTNOS; do
		step_out "$1" "$2" | awk -v p="vda$i" '$4 == p {f = 1} END {exit !f}' || miss+="vda$i "
	done
	printf '%s' "$miss"
}

for name in "${names[@]}"; do
	rpl=$RDIR/$name.rpl
	[ -f "$rpl" ] || { echo "FAIL $name: no $rpl"; fail=$((fail + 1)); continue; }
	layout=$(awk '$1 == "layout" {print $2}' "$rpl")
	command=$(sed -n 's/^command //p' "$rpl")
	STATES=${SHRINKBOX_REPLAY_STATES:-}
	ci_only=""
	if [ "${CI:-}" = true ] && [ -z "$STATES" ]; then
		STATES=$(awk '$1 == "ci" && $2 ~ /^[0-9]+$/ {print $2}' "$rpl")
		ci_only=$(awk '$1 == "ci" && $2 !~ /^[0-9]+$/ {$1 = ""; print substr($0, 2)}' "$rpl")
	fi
	work=$(mktemp -d /var/tmp/sbreplay.XXXXXX)
	# "layout NAME": a VM scenario's disk; else the .rpl's own layout lines make one.
	if [ -n "$layout" ]; then
		scn=tests/vm/scenarios/$layout.scn
	else
		layout=replay-$name scn=$work/own.scn
		grep -vE '^(#|(step|command|ci|layout)\b)' "$rpl" >"$scn"
	fi
	[ -f "$scn" ] || { echo "FAIL $name: no layout scenario $scn"; fail=$((fail + 1)); continue; }
	if ! vm_make "$layout" "$scn"; then
		echo "FAIL $name: the maker stage of $layout did not finish"; fail=$((fail + 1)); continue
	fi
	# The numbers the table gives the layout's partitions: on dos, the ones after
	# an extended partition (type 5, f or 85) are logical, numbered from 5.
	PARTNOS=$(awk '$1 == "table" {t = $2} $1 == "part" {n++; print (ext ? 4 + (++l) : n)
		if (t == "dos" && ($3 == "5" || $3 == "f" || $3 == "85")) ext = 1}' "$scn")
	# The layout lines of the scenario (gen_test takes the LUKS, VG and fills
	# from them) and the replay's own steps.
	grep -E '^(disk|table|part|luks|luksdev|pv|vg|lv|gap|fill|fillpart|filllv|filldev|mkfs|mkfsdev|extend|rootfs)\b' "$scn" >"$work/layout"
	setup=$(grep -E '^step ' "$rpl")
	ns=$(grep -cE '^step ' "$rpl")
	cp --sparse=always "$MK/disk.img" "$work/start.img"
	big=$(awk '$1 == "enlarge" {print $2}' "$scn")
	[ -n "$big" ] && truncate -s "$big" "$work/start.img"

	# The record run: the setup steps and the command with the test disk
	# behind blklogwrites; then a flush (dd's fsync: the kernel's blkdev_fsync
	# sends one), SBREC-END, and the oracles, whose view is the clean run's.
	{ cat "$work/layout"; echo "$setup"; echo "step $command"; } >"$work/rec.scn"
	gen_test "$work/rec.scn" | awk '/^# Oracles/ && !d {
		print "sync; dd if=/dev/null of=$D conv=notrunc,fsync status=none; echo SBREC-END"; d = 1 } {print}' >"$work/rec.sh"
	grep -q SBREC-END "$work/rec.sh" || { echo "FAIL $name: gen_test has no oracle section"; fail=$((fail + 1)); continue; }
	cp --sparse=always "$work/start.img" "$work/rec.img"
	: >"$work/rec.log"
	vm_result_disk "$work/rec-result.img"
	t0=$(date +%s)
	REPLAY_LOG=$work/rec.log vm_run "$work/rec.img" "$work/rec-result.img" "$work/rec.sh" \
		"$work/rec-console.log" "$TIMEOUT" &
	vp=$!
	# The log's length when the command and its flush are done: the super
	# block, which QEMU rewrites at every flush. The oracles come after.
	limit=""
	while kill -0 "$vp" 2>/dev/null; do
		if [ -z "$limit" ] && grep -q '^SBREC-END' "$work/rec-console.log"; then
			limit=$(python3 "$RP" super "$work/rec.log")
		fi
		sleep 0.2
	done
	wait "$vp"
	[ -z "$limit" ] && grep -q '^SBREC-END' "$work/rec-console.log" &&
		limit=$(python3 "$RP" super "$work/rec.log")
	rec_s=$(($(date +%s) - t0))
	r=$work/rec-result.img
	why=""
	[ -n "$limit" ] || why+="the record run did not reach its end; "
	[ "$(step_rc "$r" $((ns + 1)))" = 0 ] || why+="the command exited $(step_rc "$r" $((ns + 1))); "
	data_check "$r"
	[ -z "$LOST$UNREAD" ] || why+="data ${LOST}${UNREAD}not intact; "
	why+=$(fs_vg_check "$r")
	if [ -n "$why" ]; then
		echo "FAIL $name: the record run: $why(console: $work/rec-console.log)"
		rm -f "$work"/*.img
		fail=$((fail + 1)); continue
	fi
	sizes "$r" >"$work/clean-sizes"
	info=$(python3 "$RP" info "$work/rec.log" --limit "$limit")
	total=$(python3 "$RP" info "$work/rec.log" | awk '{print $2}')
	echo "$name: $command"
	echo "  log: $info (record run $rec_s s; $((total - limit)) entries after the command)"
	mapfile -t states < <(python3 "$RP" states "$work/rec.log" --limit "$limit" --torn "$TORN" \
		--prefix "$PREFIX" --seed "$SEED" ${STATES:+--sample "$STATES"})
	# SHRINKBOX_REPLAY_ONLY="b:24 t:1:3": only these states (a reported one, replayed).
	[ -n "${SHRINKBOX_REPLAY_ONLY:-}" ] && read -ra states <<<"$SHRINKBOX_REPLAY_ONLY"
	# "ci b:9": in CI, the named states (one that failed once, kept as a guard).
	[ -n "$ci_only" ] && read -ra states <<<"$ci_only"
	nb=$(grep -c '^[be]' < <(printf '%s\n' "${states[@]}"))
	np=$(grep -c '^p' < <(printf '%s\n' "${states[@]}"))
	echo "  states: ${#states[@]} ($nb flush boundaries, $((${#states[@]} - nb - np)) torn, $np prefix; seed $SEED${STATES:+, a sample of $STATES})"

	# Each state: the same setup steps, /proc/partitions first, the command
	# twice with /sys/block/vda/stat around each run, the tags, the oracles.
	p=1 w1=$((ns + 2)) c2=$((ns + 3)) w2=$((ns + 4)) c3=$((ns + 5)) w3=$((ns + 6)) tg=$((ns + 7))
	{
		cat "$work/layout"
		echo "step cat /proc/partitions"
		echo "$setup"
		echo 'step sync; cat /sys/block/${D#/dev/}/stat'
		echo "step $command"
		echo 'step sync; cat /sys/block/${D#/dev/}/stat'
		echo "step $command"
		echo 'step sync; cat /sys/block/${D#/dev/}/stat'
		echo 'step lvm lvs --noheadings -o lv_name,lv_tags $VG'
	} >"$work/state.scn"
	gen_test "$work/state.scn" >"$work/state.sh"
	nc=0 nr=0 nbk=0 nl=0 t_states=$(date +%s)
	for s in "${states[@]}"; do
		t0=$(date +%s)
		desc=$(python3 "$RP" describe "$work/rec.log" "$s" --limit "$limit")
		cp --sparse=always "$work/start.img" "$work/st.img"
		python3 "$RP" apply "$work/rec.log" "$work/st.img" "$s" --limit "$limit" >/dev/null
		r=$work/st-result.img
		vm_result_disk "$r"
		vm_run "$work/st.img" "$r" "$work/state.sh" "$work/st-console.log" "$TIMEOUT"
		v="" why=""
		rc2=$(step_rc "$r" $c2) rc3=$(step_rc "$r" $c3)
		data_check "$r"
		miss=$(parts_seen "$r" $p)
		if ! grep -q SBTEST-OK "$work/st-console.log"; then
			v=broken why="the guest did not finish"
		elif [ -n "$LOST" ]; then
			v=data-lost why="the data of $LOST changed"
		elif [ -n "$miss" ]; then
			v=broken why="the kernel saw no ${miss% } at boot"
		elif [ "$rc2" = 0 ]; then
			why+=$(fs_vg_check "$r")
			[ -z "$UNREAD" ] || why+="data of $UNREAD not read; "
			[ "$(sizes "$r")" = "$(cat "$work/clean-sizes")" ] ||
				why+="final sizes differ from the clean run's: $(diff <(sizes "$r") "$work/clean-sizes" | grep '^[<>]' | tr '\n' ' '); "
			[ "$rc3" = 0 ] || why+="the third run exited $rc3; "
			# Each output read whole first: grep -q stops early, and under
			# pipefail the reader's SIGPIPE failed the pipeline (as in run.sh).
			out3=$(step_out "$r" $c3) tags=$(step_out "$r" $tg)
			grep -q "No changes\." <<<"$out3" || why+="the third run did not say \"No changes.\"; "
			n=$(writes_between "$r" $w2 $w3)
			[ "$n" = 0 ] || why+="the third run wrote (${n:-?} sectors); "
			! grep -q shrinkbox_ <<<"$tags" || why+="tags left: $(grep shrinkbox_ <<<"$tags" | tr -s ' \n' ' '); "
			if [ -z "$why" ]; then v=converged; else v=broken; fi
		elif [ "$rc2" = 3 ]; then
			# Refused: nothing written, nothing lost, and an error line that
			# names what to do.
			msg=$(step_out "$r" $c2 | grep 'error:' | tail -n 2 | tr '\n' ' ')
			n=$(writes_between "$r" $w1 $w2)
			[ -z "$UNREAD" ] || why+="data of $UNREAD not read; "
			[ "$n" = 0 ] || why+="the refusing run wrote (${n:-?} sectors); "
			grep -qiE '\b(run|restore|repair|resume|retry|remove|add|use|unmount|close|deactivate|free)\b' <<<"$msg" ||
				why+="the refusal does not say what to do; "
			if [ -z "$why" ]; then v=refused-clean why=$msg; else v=broken why+="refused: $msg"; fi
		else
			v=broken why="the re-run exited ${rc2:-?}: $(step_out "$r" $c2 | grep -E 'error|No such' | tail -n 2 | tr '\n' ' ')"
		fi
		case $v in
		converged) nc=$((nc + 1)) ;;
		refused-clean) nr=$((nr + 1)) ;;
		broken) nbk=$((nbk + 1)) ;;
		data-lost) nl=$((nl + 1)) ;;
		esac
		case $v in
		converged | refused-clean) pass=$((pass + 1)) ;;
		*)
			fail=$((fail + 1))
			cp "$work/st-console.log" "$work/console-${s//:/-}.log"
			why+=" (console: $work/console-${s//:/-}.log)"
			;;
		esac
		printf '  %-8s %-13s %4d s  %s%s\n' "$s" "$v" $(($(date +%s) - t0)) "$desc" "${why:+: $why}"
	done
	nst=${#states[@]}
	echo "$name: $nc converged, $nr refused-clean, $nbk broken, $nl data-lost" \
		"($nst states, $((($(date +%s) - t_states) / (nst > 0 ? nst : 1))) s per state)"
	rm -f "$work"/*.img
	[ $((nbk + nl)) = 0 ] && [ -z "${SHRINKBOX_VM_KEEP:-}" ] && rm -rf "$work"
done
echo "replay: $(($(date +%s) - t_suite)) s"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
