#!/bin/bash
# The plan is a promise: what a whole-stack command's later steps need is
# checked before its first write, so the dry run and the real run give the same
# verdict, and a refusal (exit 3) leaves every byte as it was, never exit 4.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap 'umount "$TMPD/mnt" 2>/dev/null; cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}
mkdir -p "$TMPD/mnt"

# build: GPT, partition 2 a 160 MiB PV: raw (8M, no filesystem), swap (16M),
# root (100M ext4 with data); then the disk grows from 256 to 512 MiB.
build() {
	local l img
	d=$(new_loop 256M)
	printf 'label: gpt\n,1MiB,21686148-6449-6E6F-744E-656564454649\n,160MiB,L\n' | q sfdisk "$d"
	add_partitions "$d"
	vg=$(uniq_name pr)$RANDOM
	q pvcreate "${d}p2"; q vgcreate "$vg" "${d}p2"
	q lvcreate -an -Zn -n raw -L 8M "$vg"; q lvcreate -an -Zn -n swap -L 16M "$vg"
	q lvcreate -an -Zn -n root -L 100M "$vg"
	l=$(lv_extent_loop "$vg" raw); head -c 8M /dev/urandom >"$l"; losetup -d "$l"
	l=$(lv_extent_loop "$vg" swap); mkswap "$l" >/dev/null; losetup -d "$l"
	l=$(lv_extent_loop "$vg" root); mkfs.ext4 -q "$l"; mount "$l" "$TMPD/mnt"
	yes "promised data" | head -c 30M >"$TMPD/mnt/data"; umount "$TMPD/mnt"; losetup -d "$l"
	img=$(losetup -nO BACK-FILE "$d")
	truncate -s 512M "$img"; losetup -c "$d"
}
# same_verdict NAME WANT_RC GREP ARGS...: the dry run and the real run both exit
# WANT_RC saying GREP, and the disk is byte-identical after both.
same_verdict() {
	local name=$1 want=$2 say=$3 before out rc out2 rc2
	shift 3
	before=$(sha256sum <"$d")
	out=$("$SB" "$@" --dry-run 2>&1); rc=$?
	out2=$("$SB" "$@" --yes --backup-dir "$TMPD/bk" 2>&1); rc2=$?
	begin "$name"
	same dry_run_rc "$rc" "$want"
	same real_rc "$rc2" "$want"
	holds message "said: $(tail -n 2 <<<"$out2" | tr '\n' ' ')" grep -q -- "$say" <<<"$out2"
	holds dry_message "the dry run said: $(tail -n 2 <<<"$out" | tr '\n' ' ')" grep -q -- "$say" <<<"$out"
	holds bytes "the disk changed" [ "$(sha256sum <"$d")" = "$before" ]
	# An LV is named as VG/LV, never by the temporary node the command opened it through.
	holds names_the_lv "named a temporary node: $(grep -h '/dev/\.shrinkbox' <<<"$out$out2")" \
		[ "$(grep -c '/dev/\.shrinkbox' <<<"$out$out2")" = 0 ]
	holds vgck "vgck" vgck "$vg"
	end_case
}

build
# An LV without a filesystem cannot be grown by grow: refused before the
# partition and the PV grow (it used to grow them, then stop with exit 4).
same_verdict grow_lv_without_fs_refused_first 3 "LV $vg/raw holds no filesystem" \
	grow "${d}p2" --max --lv "$vg/raw=+100MiB"
# swap lies between raw and root: growing it needs extents elsewhere, which a
# loop device (no device-mapper here) cannot follow; refused before any write.
same_verdict grow_noncontiguous_without_dm_refused_first 3 "without device-mapper" \
	grow "${d}p2" --max --lv "$vg/swap=100%FREE"
# Below resize2fs's minimum: refused by the plan, the dry run alike.
same_verdict shrink_lv_below_minimum_refused_first 3 "LV $vg/root cannot shrink to .* resize2fs needs at least" \
	shrink "${d}p2" --size 100MiB --lv "$vg/root=1MiB"
# The same LV named for a shrink that holds no filesystem.
same_verdict shrink_lv_without_fs_refused_first 3 "LV $vg/raw holds no filesystem" \
	shrink "${d}p2" --size 124MiB --lv "$vg/raw=4MiB"
# A PV size beyond its device is refused (exit 3, found by t-differential: it was exit 1).
same_verdict pvresize_beyond_the_device_refused 3 "the device has only" \
	pvresize "${d}p2" --size 300MiB
# A grow that works still works, and its dry run said so.
out=$("$SB" grow "${d}p2" --max --lv "$vg/root=100%FREE" --dry-run 2>&1); rc=$?
out2=$("$SB" grow "${d}p2" --max --lv "$vg/root=100%FREE" --yes --backup-dir "$TMPD/bk" 2>&1); rc2=$?
begin grow_planned_runs
same dry_run_rc "$rc" 0
same real_rc "$rc2" 0
holds vgck "vgck" vgck "$vg"
end_case

finish
