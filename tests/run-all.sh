#!/bin/bash
# Runs every test level this machine supports and prints one closing line,
# "N passed, N failed, N skipped", summed over the levels. A level that cannot
# run here (not root, no QEMU) is reported as skipped, visibly, with the reason.
#   SHRINKBOX_LEVELS="unit pkg loop fuzz vm itools pkgboot replay"   which levels (default: all)
#   FUZZ_SECONDS=60                         per fuzz target (30 in CI, to keep its run short)
#   SHRINKBOX_LANES=1|2                     2 (the default with 2 or more CPUs): the vm
#                                           level runs beside the others
# A TCG guest keeps one CPU busy; the other levels (loop devices, fuzzing, the
# replay's guests) keep the other one: two lanes halve the suite's time on two
# cores. The lanes share no binary that either rebuilds: both static flavours are
# built first and each level is given its own copy (SHRINKBOX_BIN).
set -uo pipefail
cd "$(dirname "$0")/.."

levels=${SHRINKBOX_LEVELS:-unit pkg loop fuzz vm itools pkgboot replay}
lanes=${SHRINKBOX_LANES:-$( [ "$(nproc)" -ge 2 ] && echo 2 || echo 1)}
t_all=$(date +%s)
SUM=$(mktemp)	# one line per level: "p f s TEXT"

# run_level NAME CMD...: runs it, tees its output, records its closing line's counts.
run_level() {
	local name=$1 log line p f s rc t0
	shift
	log=$(mktemp)
	t0=$(date +%s)
	echo "==== $name: $* (at $((t0 - t_all)) s)"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "==== $name: no closing line (exit $rc): counted as 1 failure"
		echo "0 1 0 $name: no result (exit $rc)" >>"$SUM"
		return
	fi
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
	f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
	s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# a runner that failed without counting it still failed
	fi
	echo "$p $f $s $name: $p passed, $f failed, $s skipped ($(($(date +%s) - t0)) s)" >>"$SUM"
}

skip_level() {
	echo "==== $1: SKIPPED: $2"
	echo "0 0 1 $1: skipped ($2)" >>"$SUM"
}

# Both static flavours, built once, each copied for the levels that test it: the
# VM scenarios inject faults (TEST_HOOKS=1); itools and the replay boot the plain build.
BIN_HOOKS="" BIN_PLAIN="" VM_QUEUE="" VM_ORDER=""
if [ "$lanes" = 2 ] && [[ " $levels " =~ \ (vm|itools|replay)\  ]] && [ "${SHRINKBOX_NO_VM:-}" != 1 ] &&
	command -v qemu-system-x86_64 >/dev/null; then
	mkdir -p build/ci
	if make -s static TEST_HOOKS=1 >/dev/null && cp build/static/shrinkbox build/ci/shrinkbox-hooks &&
		make -s static >/dev/null && cp build/static/shrinkbox build/ci/shrinkbox-plain; then
		BIN_HOOKS=$PWD/build/ci/shrinkbox-hooks BIN_PLAIN=$PWD/build/ci/shrinkbox-plain
	else
		echo "==== make static failed: the levels run in one lane and build for themselves"
		lanes=1
	fi
else
	lanes=1
fi

# run_levels LEVEL...: each in turn.
run_levels() {
for level in "$@"; do
	case $level in
	unit)
		run_level unit build/unit/run-unit tests/data
		;;
	pkg)
		# The .deb (and the RPM) built from a clean tree, linted, installed into a scratch root.
		if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
			skip_level pkg "dpkg-buildpackage or debhelper not installed (scripts/setup.sh)"
		else
			run_level pkg tests/pkg/run.sh
		fi
		;;
	loop)
		if [ "$(id -u)" != 0 ]; then
			skip_level loop "needs root for loop devices"
		elif [ ! -x tests/loop/run.sh ]; then
			skip_level loop "tests/loop/run.sh missing"
		else
			run_level loop tests/loop/run.sh
		fi
		;;
	fuzz)
		if ! command -v clang >/dev/null; then
			skip_level fuzz "clang not installed"
		elif ! ls fuzz/fuzz-*.c >/dev/null 2>&1; then
			skip_level fuzz "no fuzz targets"
		else
			[ "${CI:-}" = true ] && : "${FUZZ_SECONDS:=30}"
			run_level fuzz make -s fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
		fi
		;;
	vm)
		if [ "${SHRINKBOX_NO_VM:-}" = 1 ]; then
			skip_level vm "SHRINKBOX_NO_VM=1"
		elif ! command -v qemu-system-x86_64 >/dev/null; then
			skip_level vm "qemu-system-x86_64 not installed"
		elif [ ! -x tests/vm/run.sh ]; then
			skip_level vm "tests/vm/run.sh missing"
		else
			# shellcheck disable=SC2086 # a list of scenario names
			SHRINKBOX_BIN=${BIN_HOOKS:-${SHRINKBOX_BIN:-}} SHRINKBOX_VM_QUEUE=$VM_QUEUE \
				run_level vm tests/vm/run.sh $VM_ORDER
		fi
		;;
	vm-a)
		# The first lane, its other levels done, takes the scenarios the vm lane has not
		# begun (two lanes only).
		# shellcheck disable=SC2086 # a list of scenario names
		SHRINKBOX_BIN=${BIN_HOOKS:-${SHRINKBOX_BIN:-}} SHRINKBOX_VM_QUEUE=$VM_QUEUE \
			run_level vm-a tests/vm/run.sh $VM_ORDER
		;;
	pkgboot)
		# The installed package's boot files, booted (both flavours about 12 minutes on a
		# loaded machine; CI boots one of them, tests/vm/pkgboot.sh).
		if [ "${SHRINKBOX_NO_VM:-}" = 1 ] || ! command -v qemu-system-x86_64 >/dev/null; then
			skip_level pkgboot "no VM here"
		else
			SHRINKBOX_BIN=${BIN_PLAIN:-${SHRINKBOX_BIN:-}} run_level pkgboot tests/vm/pkgboot.sh
		fi
		;;
	itools)
		# The boot flow through Debian's initramfs-tools (skips itself when it cannot run).
		if [ "${SHRINKBOX_NO_VM:-}" = 1 ]; then
			skip_level itools "SHRINKBOX_NO_VM=1"
		elif ! command -v qemu-system-x86_64 >/dev/null; then
			skip_level itools "qemu-system-x86_64 not installed"
		else
			SHRINKBOX_BIN=${BIN_PLAIN:-${SHRINKBOX_BIN:-}} run_level vm-itools tests/vm/itools.sh
		fi
		;;
	replay)
		# Every flush boundary of a command's write log, booted (tests/vm/replay.sh).
		if [ "${SHRINKBOX_NO_VM:-}" = 1 ]; then
			skip_level replay "SHRINKBOX_NO_VM=1"
		elif ! command -v qemu-system-x86_64 >/dev/null; then
			skip_level replay "qemu-system-x86_64 not installed"
		else
			SHRINKBOX_BIN=${BIN_PLAIN:-${SHRINKBOX_BIN:-}} run_level replay tests/vm/replay.sh
		fi
		;;
	esac
done
}

if [ "$lanes" = 2 ]; then
	# The vm level in a second lane, its output kept and shown when it ends.
	others=() vmlane=()
	for level in $levels; do
		if [ "$level" = vm ]; then vmlane+=(vm); else others+=("$level"); fi
	done
	# The scenarios are shared: the vm lane starts them at once, the first lane joins
	# when its other levels are done, each scenario is run by whichever lane claims it
	# first (tests/vm/run.sh, SHRINKBOX_VM_QUEUE), the longest first by CI's times
	# (so the lanes end close together). A scenario not listed comes last.
	if [ ${#vmlane[@]} -gt 0 ]; then
		VM_QUEUE=$(mktemp -d)
		VM_ORDER=$( (printf '%s\n' boot-shrink shrink-powercut grow-enlarged migrate \
			defrag-powercut grow-logical-powercut key-check luks-in-lv fs-luks fedora-btrfs \
			grow-online shrink-seed; tests/vm/run.sh --list) |
			awk '!seen[$0]++' | while read -r n; do
				[ -f "tests/vm/scenarios/$n.scn" ] && echo "$n"; done | tr '\n' ' ')
		others+=(vm-a)
	fi
	# The vm lane's lines as they come, each marked "[vm]" (a CI run stopped by its time limit
	# still shows where each lane was).
	echo "==== lanes: ${vmlane[*]:-none} beside ${others[*]:-none} (the vm lane's lines marked [vm])"
	run_levels "${vmlane[@]}" 2>&1 | sed -u 's/^/[vm] /' &
	run_levels "${others[@]}"
	wait
	[ -z "$VM_QUEUE" ] || rm -rf "$VM_QUEUE"
else
	# shellcheck disable=SC2086 # a list of level names
	run_levels $levels
fi

echo "==== summary ($(($(date +%s) - t_all)) s, $lanes lane(s))"
cut -d' ' -f4- "$SUM" | sed 's/^/  /'
read -r tp tf ts < <(awk '{p += $1; f += $2; s += $3} END {print p + 0, f + 0, s + 0}' "$SUM")
rm -f "$SUM"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ]
