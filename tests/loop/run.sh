#!/bin/bash
# Runs every tests/loop/t-*.sh (root, loop devices, the real lvm2, cryptsetup,
# sfdisk and e2fsprogs as oracles), each as its own process with its own cleanup
# trap, and prints one line per case ("PASS name", "FAIL name: reason",
# "SKIP name: reason"), then exactly one closing line for them all:
# "N passed, N failed, N skipped". Exit 1 if anything failed. A script that dies
# without its own closing line counts as a failure.
#   tests/loop/run.sh [WORD...]   only the scripts whose name contains a WORD
#   SHRINKBOX_LOOP_TIMEOUT=S      seconds per script (default 600)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
SB=${SHRINKBOX:-./shrinkbox}
export SHRINKBOX=$SB

skip_all() {
	echo "SKIP loop: $1"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all "needs root for loop devices"
# tool:Debian package
tools="lvm:lvm2 pvck:lvm2 cryptsetup:cryptsetup-bin sfdisk:fdisk partx:util-linux
	losetup:util-linux blockdev:util-linux blkid:util-linux swaplabel:util-linux
	jq:jq e2fsck:e2fsprogs dumpe2fs:e2fsprogs mkfs.ext4:e2fsprogs resize2fs:e2fsprogs
	mkswap:util-linux python3:python3 mkfs.xfs:xfsprogs xfs_growfs:xfsprogs
	mkfs.btrfs:btrfs-progs btrfs:btrfs-progs"
missing() {
	local t
	for t in $tools; do command -v "${t%%:*}" >/dev/null || echo "${t#*:}"; done | sort -u
}
need=$(missing | tr '\n' ' ')
need=${need% }
if [ -n "$need" ] && command -v apt-get >/dev/null; then
	echo "setup: installing $need"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $need; }	# word split on purpose >/dev/null 2>&1
	need=$(missing | tr '\n' ' ')
	need=${need% }
fi
[ -z "$need" ] || skip_all "missing tools from Debian packages: $need"
[ -e /dev/loop-control ] || [ -e /dev/loop0 ] || skip_all "no loop device support"
# The suite's stop points and injected faults need the test hooks (src/util/teststop.h):
# always through make, which rebuilds a binary built without them (make install's).
{ [ "$SB" != ./shrinkbox ] || make -s shrinkbox TEST_HOOKS=1; } && [ -x "$SB" ] || { echo "FAIL build: make shrinkbox TEST_HOOKS=1 failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# One loop suite at a time on this machine: a scan without --devices sees every
# loop device, so two suites' VGs of one name would meet (and be refused).
exec {lk}>/tmp/shrinkbox-loop.lock
flock "$lk"

tp=0 tf=0 ts=0
start=$SECONDS
for t in tests/loop/t-*.sh; do
	if [ $# -gt 0 ]; then
		hit=0
		for w in "$@"; do [[ $t == *"$w"* ]] && hit=1; done
		[ $hit = 1 ] || continue
	fi
	log=$(mktemp)
	t0=$SECONDS
	timeout --signal=TERM --kill-after=10 "${SHRINKBOX_LOOP_TIMEOUT:-600}" "$t" >"$log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|SKIP) ' "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $(basename "$t" .sh): ended without its closing line (exit $rc); last lines: $(tail -n 3 "$log" | tr '\n' ' ')"
		tf=$((tf + 1))
	else
		p=$(grep -oE '^[0-9]+' <<<"$line")
		f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
		s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			echo "FAIL $(basename "$t" .sh): exit $rc without a failed case"
			f=1
		fi
		tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
	fi
	echo "== $(basename "$t"): $((SECONDS - t0)) s"
	rm -f "$log"
done
echo "== loop suite: $((SECONDS - start)) s"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
