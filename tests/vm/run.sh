#!/bin/bash
# The VM suite: every scenario in tests/vm/scenarios (or the ones named) is
# built inside a first guest by the real tools (cached by the scenario's hash),
# then booted again through the dracut initramfs to run its steps; the host
# checks the results. Prints PASS/FAIL per scenario and "N passed, N failed".
#   tests/vm/run.sh [--list] [SCENARIO...]
#   SHRINKBOX_BIN=...   the (static) binary to test; default build/static/shrinkbox
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh
. tests/vm/gen.sh

SCN_DIR=tests/vm/scenarios
MAKER_TIMEOUT=${SHRINKBOX_VM_MAKER_TIMEOUT:-600}
TEST_TIMEOUT=${SHRINKBOX_VM_TEST_TIMEOUT:-900}

if [ "${1:-}" = --list ]; then
	ls "$SCN_DIR" | sed -n 's/\.scn$//p'
	exit 0
fi
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(ls "$SCN_DIR" | sed -n 's/\.scn$//p')
# SHRINKBOX_VM_QUEUE=DIR: two runs share the scenarios (tests/run-all.sh's lanes): each
# scenario is run by the first run to claim it (mkdir DIR/NAME, atomic), in the order named.
QUEUE=${SHRINKBOX_VM_QUEUE:-}

pass=0 fail=0 skip=0
# CI runs a sample of the power cuts (the note reports full local runs): at most
# SHRINKBOX_VM_POWERCUTS random ones and SHRINKBOX_VM_CUTS of the named kill points
# per scenario, drawn from the seed.
[ "${CI:-}" = true ] && : "${SHRINKBOX_VM_POWERCUTS:=1}" "${SHRINKBOX_VM_CUTS:=2}"
# Random power-cut instants are reproducible from the seed.
SEED=${SHRINKBOX_VM_SEED:-$(date +%s)}
RANDOM=$SEED
# CI runs SHRINKBOX_VM_SAMPLE (2) of the scenarios with a "ci-sample" line, drawn from
# SHRINKBOX_VM_SAMPLE_SEED (default: the commit, so both lanes draw the same and a
# re-run of one commit the same); a full local run does them all.
sampled=" "
if [ "${CI:-}" = true ]; then
	sseed=${SHRINKBOX_VM_SAMPLE_SEED:-$((16#$(git rev-parse --short=7 HEAD 2>/dev/null || echo 0)))}
	sampled=" $(grep -l '^ci-sample' "$SCN_DIR"/*.scn | sed 's|.*/||; s|\.scn$||' | sort |
		awk -v s="$sseed" 'BEGIN {srand(s)} {print rand(), $0}' | sort -n |
		head -n "${SHRINKBOX_VM_SAMPLE:-2}" | cut -d' ' -f2 | tr '\n' ' ')"
	echo "  CI's sample of the ci-sample scenarios (seed $sseed):$sampled"
fi
t_suite=$(date +%s)

for tool in qemu-system-x86_64 dracut debugfs jq; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP vm: $tool is not installed (scripts/setup.sh installs it)"
		echo "0 passed, 0 failed, ${#names[@]} skipped"
		exit 0
	fi
done
# Always through make: a stale binary must not be what the guests test. With the test
# hooks (src/util/teststop.h): scenarios inject faults.
if [ -z "${SHRINKBOX_BIN:-}" ] && ! make -s static TEST_HOOKS=1 >/dev/null; then
	echo "FAIL vm: make static failed"; echo "0 passed, 1 failed"; exit 1
fi
vm_kernel || { echo "FAIL vm: no kernel"; echo "0 passed, 1 failed"; exit 1; }
vm_initrd || { echo "FAIL vm: no initramfs"; echo "0 passed, 1 failed"; exit 1; }

# The checks a scenario can name ("check NAME [ARG]"); each prints why it failed.
check_data() {
	local r=$1 ok=1 f lv
	for f in "$MK"/sum-*; do
		lv=${f##*/sum-}
		[ "$(vm_result "$r" "now-$lv")" = "$(cat "$f")" ] || { echo "data of $lv changed"; ok=0; }
	done
	[ $ok = 1 ]
}
check_vgck() { [ "$(vm_result "$1" vgck.rc)" = 0 ] || { echo "vgck: $(vm_result "$1" vgck.out)"; return 1; }; }
check_fsck() {
	local r=$1 f lv ok=1
	for f in "$MK"/sum-*; do
		lv=${f##*/sum-}
		case $lv in part* | raw-*) continue ;; esac
		[ "$(vm_result "$r" "fsck-$lv.rc")" = 0 ] || { echo "e2fsck -fn $lv: $(vm_result "$r" "fsck-$lv.out" | tail -3)"; ok=0; }
	done
	[ $ok = 1 ]
}
# status N: step N's "shrinkbox status --json" against sfdisk -J, luksDump, the mapping and lvs.
check_status() {
	local r=$1 n=$2 st sf lvs bad=0 d
	st=$(vm_result "$r" "step-$n.out"); sf=$(vm_result "$r" sfdisk.json); lvs=$(vm_result "$r" lvs.json)
	jq -e . >/dev/null 2>&1 <<<"$st" || { echo "step $n: not JSON"; return 1; }
	# Every partition: start and size as sfdisk says.
	d=$(jq -r --argjson s "$sf" -n '
		[$s.partitiontable.partitions[] | "\(.node | capture("(?<n>[0-9]+)$").n) \(.start) \(.size)"] | sort | .[]')
	[ "$d" = "$(jq -r '[.volume.partition_table.partitions[] | "\(.number) \(.start_sector) \(.size_sectors)"] | sort | .[]' <<<"$st")" ] ||
		{ echo "partitions differ from sfdisk -J"; bad=1; }
	# LUKS: the data offset as luksDump says, the mapping's size as the kernel says.
	if [ -n "$(vm_result "$r" luksdump.txt)" ]; then
		local off map ours
		off=$(vm_result "$r" luksdump.txt | awk '/Payload offset:/ {print $3}')
		[ -n "$off" ] || off=$(($(vm_result "$r" luks2.json | jq -r '.segments."0".offset') / 512))
		ours=$(jq -r '[.. | objects | select(has("data_offset_sectors")) | .data_offset_sectors][0]' <<<"$st")
		[ "$ours" = "$off" ] || { echo "LUKS data offset $ours, luksDump says $off"; bad=1; }
		map=$(vm_result "$r" mapping.sectors)
		ours=$(jq -r '[.. | objects | select(has("active")) | .active | objects | .size_sectors][0]' <<<"$st")
		[ "$ours" = "$map" ] || { echo "mapping $ours sectors, the kernel says $map"; bad=1; }
	fi
	# LVs: every segment's size and PE range as lvs says.
	d=$(jq -r '[.report[0].seg[] | "\(.lv_name) \(.seg_start_pe) \(.seg_size_pe) \(.seg_pe_ranges | capture(":(?<a>[0-9]+)-").a)"] | sort | .[]' <<<"$lvs")
	[ "$d" = "$(jq -r '[.. | objects | select(has("segments") and has("extents")) | .name as $n | .segments[] | "\($n) \(.le_start) \(.extents) \(.areas[0].pe_start)"] | sort | .[]' <<<"$st")" ] ||
		{ echo "LV segments differ from lvs"; bad=1; }
	return $bad
}
check_rootdata() {	# rootdata LV: every real boot's root saw LV's data unchanged
	local f ok=1
	for f in "$work"/b*-rootsum; do
		[ -e "$f" ] || { echo "no real boot recorded a checksum"; return 1; }
		[ "$(cat "$f")" = "$(cat "$MK/sum-$2")" ] || { echo "${f##*/}: the data changed"; ok=0; }
	done
	[ $ok = 1 ]
}
# typed N TEXT: at real boot N the passphrase was asked on the console and
# typed there (a "type" line), and TEXT, what was typed, shows in no console log.
check_typed() {
	grep -q "typer: typed" "$work/boot$2.log.typer" 2>/dev/null ||
		{ echo "boot $2: the prompt never showed, nothing was typed"; return 1; }
	! grep -lF -- "$3" "$work"/boot*.log >/dev/null 2>&1 ||
		{ echo "the typed text shows on the console (echo was on)"; return 1; }
}
check_fsbytes() {	# fsbytes NAME BYTES: the filesystem of "filldev ... NAME" covers BYTES
	local got
	got=$(vm_result "$1" "fsbytes-$2")
	[ "$got" = "$3" ] || { echo "the filesystem $2 covers $got B, not $3"; return 1; }
}
check_kernelsize() {	# kernelsize PART SECTORS: the kernel's view of a partition
	local got
	got=$(vm_result "$1" kernel-sizes | awk -v p="vda$2" '$1 == p {print $2}')
	[ "$got" = "$3" ] || { echo "the kernel says vda$2 has $got sectors, not $3"; return 1; }
}
# A step's file: from a real boot (saved by the host as bN-rK.*), else the result disk.
step_file() {
	if [ -e "$work/$2" ]; then cat "$work/$2"; else vm_result "$1" "step-$2"; fi
}
check_expect() {	# expect N RC
	local got
	got=$(step_file "$1" "$2.rc")
	[ "$got" = "$3" ] || { echo "step $2 exited $got, expected $3: $(step_file "$1" "$2.out" | tail -3)"; return 1; }
}
# step_ms LOG MARKER: when a step ended after MARKER showed in LOG, how long it
# took in ms (-1 when its start is not in LOG); nothing when none ended.
step_ms() {
	tr -d '\r' <"$1" | awk -v m="$2" '
		/^SBSTEP [0-9]+ at [0-9.]+ s$/ {start[$2] = $4}
		f && /^SBSTEP [0-9]+ rc=/ {n = $2; printf "%d\n", n in start ? ($5 - start[n]) * 1000 : -1; exit}
		$0 ~ m {f = 1}'
}

check_output() {	# output N TEXT: step N printed TEXT
	local r=$1 n=$2
	shift 2
	local out
	# Read it whole first: grep -q stops early, and under pipefail the writer's SIGPIPE
	# would count as a failed check.
	out=$(step_file "$r" "$n.out")
	grep -qF -- "$*" <<<"$out" || { echo "step $n did not print \"$*\""; return 1; }
}

for name in "${names[@]}"; do
	if [ -n "$QUEUE" ] && ! mkdir "$QUEUE/$name" 2>/dev/null; then
		echo "  $name: the other lane's"; continue
	fi
	scn=$SCN_DIR/$name.scn
	[ -f "$scn" ] || { echo "FAIL $name: no $scn"; fail=$((fail + 1)); continue; }
	# "local REASON": a scenario CI leaves out for its time; a full local run does all.
	if [ "${CI:-}" = true ] && grep -q '^local ' "$scn"; then
		echo "SKIP $name: local only ($(awk '$1 == "local" {$1 = ""; sub(/^ /, ""); print; exit}' "$scn"))"
		skip=$((skip + 1)); continue
	fi
	if [ "${CI:-}" = true ] && grep -q '^ci-sample' "$scn" && [[ "$sampled" != *" $name "* ]]; then
		echo "SKIP $name: not in this CI run's sample ($(awk '$1 == "ci-sample" {$1 = ""; sub(/^ /, ""); print; exit}' "$scn"))"
		skip=$((skip + 1)); continue
	fi
	t0=$(date +%s)
	work=$(mktemp -d /var/tmp/sbvm.XXXXXX)
	# Maker stage (vm_make), cached by the layout lines, the generator and the kernel.
	if ! vm_make "$name" "$scn"; then
		echo "FAIL $name: the maker stage did not finish; console: $MK/console.log"
		fail=$((fail + 1)); rm -rf "$work"; continue
	fi
	t1=$(date +%s)
	# "initrd systemd": the real boots use a systemd-based initramfs; the maker and
	# the test stage keep the shell-script one.
	boot_initrd=$INITRD
	if grep -qx 'initrd systemd' "$scn"; then
		base_initrd=$INITRD
		if ! vm_initrd_systemd; then
			echo "FAIL $name: no systemd initramfs"; fail=$((fail + 1)); rm -rf "$work"; continue
		fi
		boot_initrd=$INITRD INITRD=$base_initrd
	fi
	# Test stage on a copy of the made disk; with "powercut" lines, once per kill
	# point: boot, SIGKILL QEMU at the marker (a power cut), boot again on the
	# same disk and run the same steps, which must converge.
	why=""
	# Each cut is "DELAY_MS MARKER": the kill comes DELAY_MS after MARKER shows.
	random_cut=()
	mapfile -t cuts < <(awk '$1 == "powercut" {$1 = ""; sub(/^ /, ""); print "0 " $0}' "$scn")
	# "ci-cuts NAMED RANDOM": this scenario's CI sample, smaller than the suite's (its time).
	ncuts=${SHRINKBOX_VM_CUTS:-} npcuts=${SHRINKBOX_VM_POWERCUTS:-}
	if [ "${CI:-}" = true ] && grep -q '^ci-cuts ' "$scn"; then
		read -r ncuts npcuts < <(awk '$1 == "ci-cuts" {print $2, $3; exit}' "$scn")
	fi
	while [ -n "$ncuts" ] && [ ${#cuts[@]} -gt "$ncuts" ]; do
		i=$((RANDOM % ${#cuts[@]}))
		echo "  not this run (a sample of $ncuts named cuts, seed $SEED): ${cuts[i]#0 }"
		cuts=("${cuts[@]:0:i}" "${cuts[@]:i+1}")
	done
	# "powercut-at MS MARKER": one cut MS after MARKER, to replay a reported random cut.
	mapfile -t -O ${#cuts[@]} cuts < <(awk '$1 == "powercut-at" {$1 = ""; sub(/^ /, ""); print}' "$scn")
	while read -r n maxs marker; do
		[ -n "$npcuts" ] && [ "$npcuts" -lt "$n" ] && n=$npcuts
		echo "  $n power cuts at random instants within $maxs s of \"$marker\" (seed $SEED)"
		for ((i = 0; i < n; i++)); do
			cuts+=("$(((RANDOM * 32768 + RANDOM) % (maxs * 1000))) $marker")
			random_cut[${#cuts[@]} - 1]=1
		done
	done < <(awk '$1 == "powercut-random" {$1 = ""; sub(/^ /, ""); print}' "$scn")
	[ ${#cuts[@]} -gt 0 ] || cuts=("")
	hits=0 misses=0 ncut=0 redraws=0
	gen_test "$scn" >"$work/test.sh"
	for ((ci = 0; ci < ${#cuts[@]}; ci++)); do
		cut=${cuts[ci]}
		cp --sparse=always "$MK/disk.img" "$work/disk.img"
		# "enlarge SIZE": the disk grew (an enlarged image or LUN) before this boot.
		big=$(awk '$1 == "enlarge" {print $2}' "$scn")
		[ -n "$big" ] && truncate -s "$big" "$work/disk.img"
		if [ -n "$cut" ]; then
			vm_result_disk "$work/result.img"
			vm_run "$work/disk.img" "$work/result.img" "$work/test.sh" "$work/cut.log" \
				"$TEST_TIMEOUT" "${cut#* }" 0 "${cut%% *}"
			rc=$?
			if [ $rc != 137 ]; then
				why+="power cut at \"$cut\": the marker never showed (rc $rc); "
				continue
			fi
			# A kill after the marker's step had ended cut nothing: say so.
			ms=$(step_ms "$work/cut.log" "${cut#* }")
			if [ -n "$ms" ]; then
				misses=$((misses + 1)); cut="$cut (after the step had ended)"
				# A random cut that missed measured how long the step takes on this
				# machine: draw a replacement within 80 % of that, so a faster
				# machine than the window was written for still cuts the work.
				if [ -n "${random_cut[ci]:-}" ] && [ $redraws -lt 4 ] && [ "$ms" -gt 10 ]; then
					redraws=$((redraws + 1))
					cuts+=("$(((RANDOM * 32768 + RANDOM) % (ms * 8 / 10))) ${cuts[ci]#* }")
					random_cut[${#cuts[@]} - 1]=1
					echo "  the step took $ms ms: one more cut drawn within $((ms * 8 / 10)) ms"
				fi
			else
				hits=$((hits + 1))
			fi
		fi
		vm_result_disk "$work/result.img"
		# The binary under test, for the root steps (the root's own copy is the
		# maker's, as old as its cache): /result/sb.
		if grep -q '^rootfs' "$scn"; then
			debugfs -w -R "write $SB_BIN sb" "$work/result.img" >/dev/null 2>&1
			debugfs -w -R "sif sb mode 0100755" "$work/result.img" >/dev/null 2>&1
		fi
		w=""
		# Real boots ("boot [nochange] ARGS"): the stack's own root, our hook in
		# the initramfs; each boot's root steps are kept as bN-rK.* on the host.
		b=0
		while read -r _ args; do
			b=$((b + 1))
			nochange=""
			case $args in nochange\ *) nochange=1; args=${args#nochange } ;; esac
			[ -n "$nochange" ] && before=$(sha256sum <"$work/disk.img")
			# "type N MARKER|TEXT": at real boot N, TEXT is typed on the console after MARKER.
			VM_TYPE=$(awk -v b="$b" '$1 == "type" && $2 == b {$1 = $2 = ""; sub(/^  /, ""); print}' "$scn") \
				INITRD=$boot_initrd VM_BASE_APPEND="$VM_REAL_APPEND $args" vm_run "$work/disk.img" \
				"$work/result.img" "" "$work/boot$b.log" "$TEST_TIMEOUT"
			grep -q "SBROOT: done" "$work/boot$b.log" ||
				{ w+="boot $b did not reach the real root's end (console: $work/boot$b.log); "; break; }
			[ -n "$nochange" ] && [ "$before" != "$(sha256sum <"$work/disk.img")" ] &&
				w+="boot $b changed the disk; "
			for f in $(debugfs -R "ls -p /" "$work/result.img" 2>/dev/null | awk -F/ '$6 ~ /^step-r/ {print $6}'); do
				vm_result "$work/result.img" "$f" >"$work/b$b-${f#step-}"
			done
			vm_result "$work/result.img" rootsum >"$work/b$b-rootsum"
		done < <(grep -E '^boot\b' "$scn")
		VM_APPEND="$(awk '$1 == "append" {$1 = ""; print}' "$scn")" vm_run "$work/disk.img" \
			"$work/result.img" "$work/test.sh" "$work/console.log" "$TEST_TIMEOUT"
		rc=$?
		grep -q SBTEST-OK "$work/console.log" || w+="the test stage did not finish (rc $rc); "
		if [ -z "$w" ]; then
			while read -r key a b; do
				case $key in
				expect) msg=$(check_expect "$work/result.img" "$a" "$b") || w+="$msg; " ;;
				output) msg=$(check_output "$work/result.img" "$a" "$b") || w+="$msg; " ;;
				check) msg=$("check_$a" "$work/result.img" $b) || w+="$a: $msg; " ;;
				esac
			done < <(grep -E '^(expect|check|output)\b' "$scn")
		fi
		if [ -n "$cut" ] && [ -n "$w" ]; then
			w="after a power cut at \"$cut\": $w"
			# Keep what this cut's boots said: the next cut reuses the files.
			ncut=$((ncut + 1))
			cp "$work/cut.log" "$work/fail$ncut-cut.log"
			cp "$work/console.log" "$work/fail$ncut-console.log"
			for f in $(debugfs -R "ls -p /" "$work/result.img" 2>/dev/null | awk -F/ '$6 ~ /^step-[0-9]+\.out$/ {print $6}'); do
				vm_result "$work/result.img" "$f" >"$work/fail$ncut-$f"
			done
			w+=" (kept as $work/fail$ncut-*)"
		fi
		[ -n "$cut" ] && [ -z "$w" ] && echo "  power cut ${cut%% *} ms after \"${cut#* }\": converged"
		why+=$w
	done
	t2=$(date +%s)
	[ $((hits + misses)) -gt 0 ] && echo "  $hits power cuts during the work, $misses after it"
	# Random cuts that all miss the work test nothing: the window is wrong.
	if grep -q '^powercut-random' "$scn" && [ $hits = 0 ]; then
		why+="every random power cut came after the work had ended: shorten the window; "
	fi
	if [ -z "$why" ]; then
		echo "PASS $name (maker $((t1 - t0)) s, test $((t2 - t1)) s; suite at $((t2 - t_suite)) s)"
		pass=$((pass + 1))
		[ -n "${SHRINKBOX_VM_KEEP:-}" ] && echo "  kept: $work" || rm -rf "$work"
	else
		echo "FAIL $name: $why (console: $work/console.log)"
		tr -d '\r' <"$work/console.log" | grep -E "SBSTEP|error|SBTEST" | tail -n 20
		fail=$((fail + 1))
	fi
done
echo "vm suite: $(($(date +%s) - t_suite)) s"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
