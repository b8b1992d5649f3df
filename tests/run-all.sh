#!/bin/bash
# Runs every test level this machine supports and prints one closing line,
# "N passed, N failed, N skipped", summed over the levels. A level that cannot
# run here (not root, no QEMU) is reported as skipped, visibly, with the reason.
#   SHRINKBOX_LEVELS="unit pkg loop vm replay fuzz"   which levels (default: all)
#   FUZZ_SECONDS=60                         per fuzz target (30 in CI, to keep its run short)
set -uo pipefail
cd "$(dirname "$0")/.."

levels=${SHRINKBOX_LEVELS:-unit pkg loop fuzz vm replay}
tp=0 tf=0 ts=0
summary=()

# run_level NAME CMD...: runs it, tees its output, adds its closing line's counts.
run_level() {
	local name=$1 log line p f s rc
	shift
	log=$(mktemp)
	echo "==== $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "==== $name: no closing line (exit $rc): counted as 1 failure"
		tf=$((tf + 1))
		summary+=("$name: no result (exit $rc)")
		return
	fi
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
	f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
	s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# a runner that failed without counting it still failed
	fi
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
	summary+=("$name: $p passed, $f failed, $s skipped")
}

skip_level() {
	echo "==== $1: SKIPPED: $2"
	ts=$((ts + 1))
	summary+=("$1: skipped ($2)")
}

for level in $levels; do
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
			run_level vm tests/vm/run.sh
		fi
		# The same boot flow through Debian's initramfs-tools (skips itself when it cannot run).
		if [ "${SHRINKBOX_NO_VM:-}" != 1 ] && [ -x tests/vm/itools.sh ] &&
			command -v qemu-system-x86_64 >/dev/null; then
			run_level vm-itools tests/vm/itools.sh
		fi
		;;
	replay)
		# Every flush boundary of a command's write log, booted (tests/vm/replay.sh).
		if [ "${SHRINKBOX_NO_VM:-}" = 1 ]; then
			skip_level replay "SHRINKBOX_NO_VM=1"
		elif ! command -v qemu-system-x86_64 >/dev/null; then
			skip_level replay "qemu-system-x86_64 not installed"
		else
			run_level replay tests/vm/replay.sh
		fi
		;;
	esac
done

echo "==== summary"
printf '  %s\n' "${summary[@]}"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ]
