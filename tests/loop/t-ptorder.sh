#!/bin/bash
# The partition-table write order survives a cut anywhere (docs/ptwrite.md).
# Each command runs once with SHRINKBOX_TEST_WRITELOG on a loop device; then
# tests/lib/ptcheck.py rebuilds, from the starting image, every prefix of the
# logged writes, every (or seeded random) subset of the writes since the last
# flush and seeded torn multi-sector writes, and checks each state:
#  (a) the kernel accepts the table: the host kernel has no GPT parser (and no
#      device-mapper; partitions on loop devices come from BLKPG/partx), so the
#      rules of block/partitions/efi.c and msdos.c are applied in userspace;
#  (b) the partitions it names are the old or the new table;
#  (c) sfdisk -d reads it, and a re-run of the same command converges: exit 0,
#      the bytes of the clean run, sfdisk --verify clean, a third run "No changes.".
# The same checker over libfdisk's own write order (gpt_write_disklabel(), an
# fsync after each of its five writes) must reject some states: that is the
# failure this order fixes.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}
PTC="python3 tests/lib/ptcheck.py"
SEED=${SHRINKBOX_TEST_SEED:-13}
# The partitions here are empty: a shrink of what nothing can name needs this flag
# where partresize has it.
FORCE=
"$SB" partresize --help 2>&1 | grep -q -- --force-unknown-content && FORCE=--force-unknown-content
back() { losetup -nO BACK-FILE "$1"; }

# run_case NAME DEV "ARGS": logs one partresize of DEV, then replays it.
run_case() {
	local name=$1 dev=$2 args=$3 img base log out rc
	img=$(back "$dev")
	base=$TMPD/$name.base
	log=$TMPD/$name.log
	cp --sparse=always "$img" "$base"
	# shellcheck disable=SC2086 # ARGS are words on purpose
	out=$(SHRINKBOX_TEST_WRITELOG=$log "$SB" partresize "$dev" $args --yes 2>&1); rc=$?
	if [ $rc != 0 ] || [ ! -s "$log" ]; then
		bad "$name" "the logged run: rc $rc: $out"
		return
	fi
	if cmp -s "$base" "$img"; then
		bad "$name" "the logged run changed nothing: $out"
		return
	fi
	sync
	# The replay works on copies: the loop device stays attached until the end.
	cp --sparse=always "$img" "$TMPD/$name.final"
	img=$TMPD/$name.final
	out=$($PTC replay "$base" "$img" "$log" --name "$name" --seed "$SEED" --tmpdir "$TMPD" \
		--cmd "$SB partresize {img} $args --yes" 2>&1); rc=$?
	echo "$out" | sed 's/^/  /'
	[ $rc = 0 ] && ok "$name" || bad "$name" "$(tail -n 1 <<<"$out")"
}

# ---- GPT: shrink partition 1 (the entry array goes through the staging slot).
d=$(new_loop 32M)
printf 'label: gpt\n,8MiB,L\n,8MiB,L\n,,L\n' | sfdisk -q "$d" >/dev/null 2>&1
run_case gpt_shrink "$d" "--partition 1 --size 5MiB $FORCE"

# ---- GPT: grow after the disk was enlarged (the backup header moves to the new end);
# six entries fill two sectors, so the staging copy and the new backup array are
# two-sector writes, torn too.
d=$(new_loop 24M)
printf 'label: gpt\n,2MiB,L\n,2MiB,L\n,2MiB,L\n,2MiB,L\n,2MiB,L\n,4MiB,L\n' | sfdisk -q "$d" >/dev/null 2>&1
truncate -s 40M "$(back "$d")"
losetup -c "$d"
run_case gpt_grow_enlarged "$d" "--partition 6 --max"

# ---- GPT made the gdisk/parted way: first usable LBA 34, the slot is after the array.
d=$(new_loop 32M)
printf 'label: gpt\nfirst-lba: 34\nstart=2048,size=8MiB,type=L\n,8MiB,L\n' | sfdisk -q "$d" >/dev/null 2>&1
if [ "$(sfdisk -d "$d" | awk '/^first-lba/ {print $2}')" = 34 ]; then
	run_case gpt_first_lba_34 "$d" "--partition 1 --size 6MiB $FORCE"
else
	skip gpt_first_lba_34 "sfdisk did not make first-lba 34"
fi

# ---- GPT on 4096-byte logical sectors (4Kn): the kernel view of every state (a, b);
# the re-run is not replayed, as sfdisk reads an image file with 512-byte sectors.
img4=$TMPD/4kn.img
truncate -s 64M "$img4"
d=$(losetup -b 4096 -f --show "$img4") && echo "$d" >>"$TMPD/loops"
printf 'label: gpt\n,8MiB,L\n,8MiB,L\n' | sfdisk -q "$d" >/dev/null 2>&1
cp --sparse=always "$img4" "$TMPD/4kn.base"
out=$(SHRINKBOX_TEST_WRITELOG=$TMPD/4kn.log "$SB" partresize "$d" --partition 1 --size 6MiB $FORCE --yes 2>&1); rc=$?
sync
if [ "$(blockdev --getss "$d")" = 4096 ] && [ $rc = 0 ] && q sfdisk --verify "$d" &&
	[ "$(sfdisk -d "$d" | awk '$1 ~ /p1$/ {gsub(",", "", $6); print $6}')" = 1536 ]; then
	out=$($PTC replay "$TMPD/4kn.base" "$img4" "$TMPD/4kn.log" --name gpt_4kn --ss 4096 \
		--seed "$SEED" 2>&1); rc=$?
	echo "$out" | sed 's/^/  /'
	[ $rc = 0 ] && ok gpt_4kn || bad gpt_4kn "$(tail -n 1 <<<"$out")"
else
	bad gpt_4kn "rc $rc ss $(blockdev --getss "$d"): $out"
fi

# ---- MBR: a primary partition.
d=$(new_loop 32M)
printf 'label: dos\n,8MiB,83\n,8MiB,83\n' | sfdisk -q "$d" >/dev/null 2>&1
run_case mbr_primary "$d" "--partition 1 --size 6MiB $FORCE"

# ---- MBR: logical partitions inside an extended one: shrink one, grow the last.
d=$(new_loop 32M)
printf 'label: dos\n,4MiB,83\n,,5\n,6MiB,83\n,6MiB,83\n' | sfdisk -q "$d" >/dev/null 2>&1
run_case mbr_logical_shrink "$d" "--partition 5 --size 4MiB $FORCE"
run_case mbr_logical_grow "$d" "--partition 6 --max"

# ---- The old order: libfdisk's gpt_write_disklabel() with one flush at the end.
base=$TMPD/gpt_shrink.base
img=$TMPD/gpt_shrink.final
$PTC libfdisk-log "$base" "$img" "$TMPD/libfdisk.log"
out=$($PTC replay "$base" "$img" "$TMPD/libfdisk.log" --name libfdisk_order --seed "$SEED" \
	--show 2 --rerun-rejected --tmpdir "$TMPD" --cmd "$SB partresize {img} --partition 1 --size 5MiB $FORCE --yes" 2>&1); rc=$?
echo "$out" | sed 's/^/  /'
if [ $rc = 1 ] && grep -q "entries CRC mismatch" <<<"$out" &&
	grep -q "^libfdisk_order: writes 5, flushes 5" <<<"$out"; then
	ok old_libfdisk_order_is_rejected
else
	bad old_libfdisk_order_is_rejected "the checker found no rejected state: $out"
fi

# ---- The checker itself: a primary header whose entries CRC is wrong is rejected.
cp --sparse=always "$base" "$TMPD/bad.img"
printf '\x01' | dd of="$TMPD/bad.img" bs=1 seek=$((2 * 512 + 40)) conv=notrunc status=none
out=$($PTC check "$TMPD/bad.img" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "entries CRC" <<<"$out" && ok checker_rejects_bad_entries_crc ||
	bad checker_rejects_bad_entries_crc "rc $rc: $out"

finish
