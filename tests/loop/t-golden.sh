#!/bin/bash
# Golden output: the human texts of status and of each applet's plan, on one
# fixed layout, against tests/expected/*.txt (util-linux's tests/expected
# style), so that a change of wording or of a figure is a reviewed diff. What
# differs from one run to the next is normalised first: loop device names, the
# VG's name, UUIDs, PV handles and the backup file's name.
#   SHRINKBOX_GOLDEN_UPDATE=1   write the files instead of comparing (then review git diff)
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap 'cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}
EXP=tests/expected

# The layout: GPT, p1 1 MiB, p2 a 160 MiB PV (root 64 MiB ext4 with 20 MiB of data, a
# 12 MiB gap, swap 16 MiB, raw 8 MiB), p3 8 MiB; 64 MiB free at the disk's end.
d=$(new_loop 256M)
{
	echo "label: gpt"
	echo "label-id: 5B0E5B0E-0000-4000-8000-000000000001"
	echo "size=1MiB, type=21686148-6449-6E6F-744E-656564454649, uuid=5B0E5B0E-0000-4000-8000-0000000000A1"
	echo "size=160MiB, type=L, uuid=5B0E5B0E-0000-4000-8000-0000000000A2"
	echo "size=8MiB, type=L, uuid=5B0E5B0E-0000-4000-8000-0000000000A3"
} | q sfdisk "$d"
add_partitions "$d"
vg=$(uniq_name gd)$RANDOM
q pvcreate "${d}p2"; q vgcreate "$vg" "${d}p2"
q lvcreate -an -Zn -n root -L 64M "$vg"; q lvcreate -an -Zn -n gap -L 12M "$vg"
q lvcreate -an -Zn -n swap -L 16M "$vg"; q lvcreate -an -Zn -n raw -L 8M "$vg"
q lvremove -f "$vg/gap"
l=$(lv_extent_loop "$vg" root)
mkfs.ext4 -q -E nodiscard -U 5b0e5b0e-0000-4000-8000-0000000000f1 -L root "$l"
yes "golden data" | head -c 20M >"$TMPD/data"
debugfs -w -R "write $TMPD/data data" "$l" >/dev/null 2>&1
losetup -d "$l"
l=$(lv_extent_loop "$vg" swap); mkswap -L sw -U 5b0e5b0e-0000-4000-8000-0000000000f2 "$l" >/dev/null
losetup -d "$l"
l=$(lv_extent_loop "$vg" raw); yes raw | head -c 8M >"$l"; losetup -d "$l"

# normalise: the names and ids that differ between runs.
normalise() {
	local dn
	dn=$(basename "$d")
	sed -E -e "s|/dev/${dn}|/dev/LOOP|g; s|\\b${dn}p|LOOPp|g; s|\\b${dn}\\b|LOOP|g" \
		-e "s|$vg|VG|g; s|/dev/loop[0-9]+|/dev/loopN|g" \
		-e 's/[0-9A-Za-z]{6}(-[0-9A-Za-z]{4}){5}-[0-9A-Za-z]{6}/LVM-UUID/g' \
		-e "s|$TMPD|TMP|g; s|VG_[0-9]+-[0-9]+\\.vg|VG_BACKUP.vg|g"
}

# golden NAME ARGS...: the applet's stdout and stderr, its exit code last, normalised.
golden() {
	local name=$1 out rc
	shift
	out=$("$SB" "$@" 2>&1); rc=$?
	out=$(printf '%s\nexit %s\n' "$out" "$rc" | normalise)
	if [ "${SHRINKBOX_GOLDEN_UPDATE:-}" = 1 ]; then
		mkdir -p "$EXP"
		printf '%s\n' "$out" >"$EXP/$name.txt"
		ok "golden_$name (written)"
	elif [ ! -f "$EXP/$name.txt" ]; then
		bad "golden_$name" "no $EXP/$name.txt (SHRINKBOX_GOLDEN_UPDATE=1 writes it)"
	elif diff -u "$EXP/$name.txt" - <<<"$out" >"$TMPD/diff"; then
		ok "golden_$name"
	else
		bad "golden_$name" "$(head -n 30 "$TMPD/diff" | tr '\n' '|')"
	fi
}

before=$(sha256sum <"$d")
golden status status "$d"
golden status-pv status "${d}p2"
golden shrink-plan shrink "${d}p2" --size 120MiB --dry-run
golden shrink-lv-plan shrink "${d}p2" --size 120MiB --lv "$vg/root=48MiB" --dry-run
golden shrink-none-alone shrink "${d}p2" --size 60MiB --dry-run
golden grow-next grow "${d}p2" --size 200MiB --lv "$vg/root=+16MiB" --dry-run
golden grow-plan grow "${d}p2" --max --lv "$vg/root=+16MiB" --dry-run
golden lvshrink-plan lvshrink "$vg/root" --size 52MiB --dry-run
golden lvshrink-below-min lvshrink "$vg/root" --size 40MiB --dry-run
golden lvgrow-plan lvgrow "$vg/swap" --size +8MiB --dry-run
golden defrag-plan defrag "${d}p2" --end 22 --dry-run
golden pvresize-plan pvresize "${d}p2" --size 150MiB --dry-run
golden pvresize-in-the-way pvresize "${d}p2" --size 80MiB --dry-run
golden pvresize-json pvresize "${d}p2" --size 150MiB --dry-run --json
golden lvshrink-json lvshrink "$vg/root" --size 52MiB --dry-run --json
golden partresize-content partresize "${d}p2" --size 150MiB --dry-run
golden partresize-plan partresize "${d}p2" --size 158MiB --dry-run
golden partresize-next partresize "${d}p2" --size 180MiB --dry-run
begin golden_runs_changed_nothing
same bytes "$(sha256sum <"$d")" "$before"
end_case

finish
