#!/bin/bash
# Runs every libFuzzer target (built by "make fuzz") for SECONDS each, starting
# from the seed corpus in fuzz/seeds/<target> (copied, so the repo stays clean).
# Prints executions and crashes per target and "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
pass=0 fail=0
work=$(mktemp -d /tmp/sbfuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
for bin in build/fuzz/fuzz-*; do
	name=${bin##*/fuzz-}
	mkdir -p "$work/$name"
	cp fuzz/seeds/"$name"/* "$work/$name/" 2>/dev/null || true
	log=$work/$name.log
	"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/crash-$name-" \
		-rss_limit_mb=1024 "$work/$name" >"$log" 2>&1
	rc=$?
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
	if [ $rc = 0 ]; then
		echo "PASS fuzz-$name: ${execs:-?} executions in ${secs} s, no crash"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz-$name: exit $rc after ${execs:-?} executions"
		grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5
		ls "$work"/crash-"$name"-* 2>/dev/null | head -3 | while read -r c; do
			echo "  reproducer (hex): $(head -c 256 "$c" | od -An -tx1 | tr -d ' \n')"
		done
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
