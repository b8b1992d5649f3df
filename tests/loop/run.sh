#!/bin/bash
# Runs every tests/loop/t-*.sh (root, loop devices, the real lvm2, cryptsetup,
# sfdisk and e2fsprogs as oracles) and prints one closing line for them all:
# "N passed, N failed, N skipped". A script that dies without its own closing
# line counts as a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
SB=${SHRINKBOX:-./shrinkbox}
export SHRINKBOX=$SB

if [ "$(id -u)" != 0 ]; then
	echo "SKIP loop: needs root for loop devices"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
for tool in lvm cryptsetup sfdisk partx losetup jq e2fsck resize2fs mkswap python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP loop: $tool is not installed (scripts/setup.sh installs it)"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
done
[ -x "$SB" ] || make -s shrinkbox

tp=0 tf=0
for t in tests/loop/t-*.sh; do
	log=$(mktemp)
	echo "== $t"
	timeout 600 "$t" 2>&1 | tee "$log" | grep -E '^(PASS|FAIL|SKIP) '
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $t: ended without its closing line"
		tail -n 5 "$log"
		tf=$((tf + 1))
	else
		tp=$((tp + $(grep -oE '^[0-9]+' <<<"$line")))
		tf=$((tf + $(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')))
	fi
	rm -f "$log"
done
echo "$tp passed, $tf failed, 0 skipped"
[ "$tf" = 0 ]
