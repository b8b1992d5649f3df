#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Metadata at scale (issue 3, item 8): a VG of SEGMENTS segments over LVS LVs on
# one 4 TiB PV with 4 MiB extents.
#
#   1. bench/gen-metadata.py writes the text, bench/mdbench times our pipeline
#      on it (parse, validate, extent maps, print; best of RUNS) and the total is
#      compared with the goal of 100 ms.
#   2. With SWEEP=1, mdbench also runs at other sizes (segments x LVs), which
#      shows how each phase grows (see bench/README.md).
#   3. As root with lvm2 and loop devices: a sparse 4 TiB loop device gets a real
#      PV (pvcreate --metadatasize 16m) and VG, the generated text is restored
#      onto it with vgcfgrestore, vgck must pass and lvm2 must report exactly the
#      generated LVs, segments and free extents. Then lvm2 reading it (vgs, lvs)
#      is timed against shrinkbox reading it (vgcfg show, status --json), best of
#      REPEAT, and mdbench also runs on the text exactly as lvm2 wrote it.
#      lvm2 runs metadata-only with a private config (tests/lib/loop-env.sh).
#
# Usage: bench/metadata-scale.sh   (env: SEGMENTS=10000 LVS=2000 RUNS=20 REPEAT=3,
#                                   SWEEP=1 adds part 2, NO_LVM2=1 skips part 3)
# A bench, not a test: it fails only when something is broken, never on time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEGMENTS=${SEGMENTS:-10000}
LVS=${LVS:-2000}
RUNS=${RUNS:-20}
REPEAT=${REPEAT:-3}
GOAL_MS=100

WORK=$(mktemp -d /tmp/sb-mdbench.XXXXXX)
cleanup() {
	if [ "$(type -t cleanup_loops)" = function ]; then
		cleanup_loops
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# best_ms N CMD...: the best wall time of N runs of CMD (output discarded), in ms.
best_ms() {
	local n=$1 best="" t0 t1 dt i
	shift
	for ((i = 0; i < n; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || {
			echo "metadata-scale: failed: $*" >&2
			return 1
		}
		t1=$(date +%s%N)
		dt=$(((t1 - t0) / 1000))
		if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then
			best=$dt
		fi
	done
	awk -v us="$best" 'BEGIN { printf "%.1f", us / 1000 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'
}

echo "== our metadata pipeline: $SEGMENTS segments in $LVS LVs, 4 TiB PV, 4 MiB extents"
python3 "$ROOT/bench/gen-metadata.py" --segments "$SEGMENTS" --lvs "$LVS" -o "$WORK/gen.vg" 2>&1
cc -O2 -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I"$ROOT/src" \
	-ffunction-sections -Wl,--gc-sections -o "$WORK/mdbench" "$ROOT/bench/mdbench.c" \
	"$ROOT"/src/lvm/*.c "$ROOT"/src/util/*.c
"$WORK/mdbench" "$WORK/gen.vg" "$RUNS" | tee "$WORK/mdbench.out"
total=$(awk '$1 == "total" { print $2 }' "$WORK/mdbench.out")
if awk -v t="$total" -v g="$GOAL_MS" 'BEGIN { exit !(t < g) }'; then
	echo "goal < $GOAL_MS ms: met ($total ms)"
else
	echo "goal < $GOAL_MS ms: not met ($total ms)"
fi

# ---- part 2 (SWEEP=1): how the phases grow ----------------------------------
if [ -n "${SWEEP:-}" ]; then
	echo "== sweep: best of 5, ms"
	printf '%8s %7s %9s %9s %9s %9s %9s\n' segments LVs bytes parse validate print total
	for size in 10000x2000 10000x10000 20000x4000 20000x20000 50000x10000 40000x40000 \
		100000x20000; do
		s=${size%x*} l=${size#*x}
		python3 "$ROOT/bench/gen-metadata.py" --segments "$s" --lvs "$l" \
			-o "$WORK/sweep.vg" 2>/dev/null
		"$WORK/mdbench" "$WORK/sweep.vg" 5 | awk -v s="$s" -v l="$l" '
			$1 == "text" { bytes = $2 } $1 == "parse" { p = $2 }
			$1 == "validate" { v = $2 } $1 == "print" { pr = $2 } $1 == "total" { t = $2 }
			END { printf "%8d %7d %9d %9.1f %9.1f %9.1f %9.1f\n", s, l, bytes, p, v, pr, t }'
	done
	rm -f "$WORK/sweep.vg"
fi

# ---- part 3: lvm2 accepts the text; lvm2 vs shrinkbox reading it ----------
why=""
if [ -n "${NO_LVM2:-}" ]; then
	why="NO_LVM2 is set"
elif [ "$(id -u)" != 0 ]; then
	why="not root"
elif ! command -v lvm >/dev/null || ! command -v losetup >/dev/null; then
	why="lvm2 or losetup missing"
fi
if [ -n "$why" ]; then
	echo "== lvm2 comparison skipped: $why"
	exit 0
fi

echo "== lvm2 comparison on a sparse 4 TiB loop device"
if [ ! -x "$ROOT/shrinkbox" ]; then
	make -C "$ROOT" -s shrinkbox
fi
# shellcheck source=tests/lib/loop-env.sh
. "$ROOT/tests/lib/loop-env.sh"
vg=$(uniq_name bench)
dev=$(new_loop 4T)
log=$WORK/lvm.log
lvm_quiet() {
	"$@" >>"$log" 2>&1 || {
		echo "metadata-scale: failed: $*" >&2
		cat "$log" >&2
		exit 1
	}
}
lvm_quiet pvcreate -q --metadatasize 16m "$dev"
lvm_quiet vgcreate -q -s 4m "$vg" "$dev"
read -r pv_id pe_start pe_count < <(pvs --noheadings --units s --nosuffix \
	-o pv_uuid,pe_start,pv_pe_count "$dev" 2>>"$log")
dev_size=$(blockdev --getsz "$dev")
echo "PV $dev: id $pv_id, pe_start $pe_start, pe_count $pe_count, dev_size $dev_size sectors"

python3 "$ROOT/bench/gen-metadata.py" --segments "$SEGMENTS" --lvs "$LVS" --vg "$vg" \
	--pv-id "$pv_id" --device "$dev" --dev-size "$dev_size" --pe-start "$pe_start" \
	--pe-count "$pe_count" -o "$WORK/restore.vg" 2>"$WORK/gen.log"
cat "$WORK/gen.log"
used=$(sed -n 's/.*segments, \([0-9]*\) of .*/\1/p' "$WORK/gen.log")

t0=$(date +%s%N)
lvm_quiet vgcfgrestore -f "$WORK/restore.vg" "$vg"
t1=$(date +%s%N)
echo "vgcfgrestore: $(((t1 - t0) / 1000000)) ms"
lvm_quiet vgck "$vg"
echo "vgck: passed"

read -r n_lv free_pe < <(vgs --noheadings -o lv_count,vg_free_count "$vg" 2>>"$log")
n_seg=$(lvs --noheadings --segments "$vg" 2>>"$log" | wc -l)
echo "lvm2 reports: $n_lv LVs, $n_seg segments, $((pe_count - free_pe)) extents allocated"
if [ "$n_lv" != "$LVS" ] || [ "$n_seg" != "$SEGMENTS" ] || [ "$((pe_count - free_pe))" != "$used" ]; then
	echo "metadata-scale: lvm2 does not see the generated VG" >&2
	exit 1
fi

# The committed text exactly as lvm2 wrote it, read back by us.
"$ROOT/shrinkbox" vgcfg show "$vg" --devices "$dev" >"$WORK/lvm2-written.vg"
echo "-- mdbench on the text lvm2 wrote ($(wc -c <"$WORK/lvm2-written.vg") bytes)"
"$WORK/mdbench" "$WORK/lvm2-written.vg" "$RUNS" | grep -E '^(parse|validate|map|print|total) '

echo "-- reading the VG, best of $REPEAT, ms (lvm2 metadata-only; ours read-only)"
t_vgs=$(best_ms "$REPEAT" vgs "$vg")
t_lvs=$(best_ms "$REPEAT" lvs "$vg")
t_lvseg=$(best_ms "$REPEAT" lvs --segments -o+seg_pe_ranges "$vg")
t_show=$(best_ms "$REPEAT" "$ROOT/shrinkbox" vgcfg show "$vg" --devices "$dev")
t_status=$(best_ms "$REPEAT" "$ROOT/shrinkbox" status --json "$dev")
printf '%-56s %8s ms\n' "lvm2 vgs $vg" "$t_vgs" \
	"lvm2 lvs $vg" "$t_lvs" \
	"lvm2 lvs --segments -o+seg_pe_ranges $vg" "$t_lvseg" \
	"shrinkbox vgcfg show $vg --devices $dev" "$t_show" \
	"shrinkbox status --json $dev" "$t_status"
echo "lvm2 time / shrinkbox time (above 1: shrinkbox is faster):"
echo "  vgs / vgcfg show                 $(ratio "$t_vgs" "$t_show")"
echo "  lvs / vgcfg show                 $(ratio "$t_lvs" "$t_show")"
echo "  lvs --segments / status --json   $(ratio "$t_lvseg" "$t_status")" \
	"(status also probes each of the $LVS LVs for a filesystem with libblkid)"

# The defrag planner at this scale (issue 6: "the largest layout planned"):
# pack the whole PV, plan only (--dry-run --json), best of REPEAT.
echo "-- defrag planner on this VG (plan only: --dry-run --json), best of $REPEAT"
"$ROOT/shrinkbox" defrag "$dev" --dry-run --json --devices "$dev" >"$WORK/plan.json" 2>>"$log" ||
	{ echo "metadata-scale: defrag could not plan" >&2; exit 1; }
t_plan=$(best_ms "$REPEAT" "$ROOT/shrinkbox" defrag "$dev" --dry-run --json --devices "$dev")
if command -v jq >/dev/null; then
	echo "plan: $(jq '.moves | length' "$WORK/plan.json") moves," \
		"$(jq '[.moves[].extents] | add // 0' "$WORK/plan.json") extents to move" \
		"(minimum: the allocated extents at or beyond PE $used)"
fi
printf '%-56s %8s ms\n' "shrinkbox defrag --dry-run --json ($SEGMENTS segments)" "$t_plan"
