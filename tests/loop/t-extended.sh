#!/bin/bash
# A logical partition inside an MBR extended one, laid out as Debian 12's
# guided "encrypted LVM" (BIOS) makes it, without the LUKS (the host has no
# dm-crypt; the VM scenario debian-bios has it): p1 a primary ext2 /boot; p2
# the extended partition over the rest, starting 2 sectors before p5 (its EBR);
# p5 a logical PV -> VG with root (ext4, data) and swap_1 after it.
# shrink p5 to about 60 % (the container stays), enlarge the disk, grow p5
# --max: the container grows first (the MBR, flushed, then the EBR), then p5,
# the PV and root. Checked with sfdisk -d / --verify, the kernel's partitions,
# vgck, e2fsck -fn and sha256 of the data; dry runs change no byte; re-runs say
# "No changes."; a cut between the MBR and the EBR converges; every prefix of
# the table writes is replayed (tests/lib/ptcheck.py, with sfdisk --verify on
# each state), and the reverse order is rejected by the same checker.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap 'umount "$TMPD/mnt" 2>/dev/null; cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}
PTC="python3 tests/lib/ptcheck.py"
SEED=${SHRINKBOX_TEST_SEED:-15}
EXT=4194304
back() { losetup -nO BACK-FILE "$1"; }
# pfield DISK N KEY: start or size of partition N as sfdisk -d has it
pfield() {
	sfdisk -d "$1" 2>/dev/null | awk -v n="$2" -v k="$3=" '$1 ~ "[^0-9]" n "$" {
		for (i = 1; i <= NF; i++) if ($i == k) { v = $(i + 1); gsub(",", "", v); print v } }'
}
pend() { echo $(($(pfield "$1" "$2" start) + $(pfield "$1" "$2" size) - 1)); }
ksize() { cat "/sys/class/block/$(basename "$1")p$2/size" 2>/dev/null; }
FORCE=--force-unknown-content

# build: 256 MiB, the Debian layout scaled down; root 51 extents, swap_1 4 after it.
build() {
	local l
	mkdir -p "$TMPD/mnt"
	d=$(new_loop 256M)
	q sfdisk "$d" <<'EOF'
label: dos
start=2048, size=65536, type=83, bootable
start=69630, type=5
start=69632, type=83
EOF
	add_partitions "$d"
	mkfs.ext2 -q "${d}p1"; mount "${d}p1" "$TMPD/mnt"
	yes "boot files" | head -c 8M >"$TMPD/mnt/vmlinuz"; umount "$TMPD/mnt"
	p1sum=$(sha256sum <"${d}p1")
	vg=$(uniq_name ex)$RANDOM
	q pvcreate "${d}p5"; q vgcreate "$vg" "${d}p5"
	q lvcreate -an -Zn -n root -l 51 "$vg"; q lvcreate -an -Zn -n swap_1 -l 100%FREE "$vg"
	l=$(lv_extent_loop "$vg" root)
	mkfs.ext4 -q "$l"; mount "$l" "$TMPD/mnt"
	yes "root data" | head -c 40M >"$TMPD/mnt/data"; sum0=$(sha256sum <"$TMPD/mnt/data")
	umount "$TMPD/mnt"; losetup -d "$l"
	l=$(lv_extent_loop "$vg" swap_1); mkswap -L swap_1 "$l" >/dev/null; losetup -d "$l"
}
enlarge() { truncate -s 384M "$(back "$d")"; losetup -c "$d"; }

# check_stack P5_SECTORS: sizes derived here from the disk, the tools happy, data intact.
check_stack() {
	local want=$1 pe root l blocks bs pe_start
	[ "$(pfield "$d" 2 start)" = 69630 ] || { echo "extended partition moved"; return 1; }
	[ "$(pfield "$d" 5 start)" = 69632 ] || { echo "p5 moved"; return 1; }
	[ "$(pfield "$d" 5 size)" = "$want" ] || { echo "p5 is $(pfield "$d" 5 size) s, not $want"; return 1; }
	[ "$(ksize "$d" 5)" = "$want" ] || { echo "the kernel has p5 at $(ksize "$d" 5) s"; return 1; }
	[ "$(ksize "$d" 2)" = 2 ] || { echo "the kernel's extended partition is $(ksize "$d" 2) s"; return 1; }
	[ "$(pend "$d" 5)" -le "$(pend "$d" 2)" ] || { echo "p5 sticks out of p2"; return 1; }
	sfdisk --verify "$d" 2>&1 | grep -q "No errors detected" || { echo "sfdisk --verify"; return 1; }
	[ "$(sha256sum <"${d}p1")" = "$p1sum" ] || { echo "p1 changed"; return 1; }
	q vgck "$vg" || { echo vgck; return 1; }
	[ -z "$(lvs --noheadings -o lv_tags "$vg" 2>/dev/null | tr -d ' ')" ] || { echo "a tag is left"; return 1; }
	pe_start=$(pvs --noheadings --units b --nosuffix -o pe_start "${d}p5" 2>/dev/null | tr -d ' ')
	pe=$(pvs --noheadings -o pv_pe_count "${d}p5" 2>/dev/null | tr -d ' ')
	[ "$pe" = $(((want * 512 - pe_start) / EXT)) ] || { echo "pe_count $pe"; return 1; }
	root=$(lvs --noheadings -o lv_size --units b --nosuffix "$vg/root" 2>/dev/null | tr -d ' ')
	[ -z "${2:-}" ] || [ "$root" = $((($2) * EXT)) ] || { echo "root is $root B"; return 1; }
	l=$(lv_extent_loop "$vg" root) || { echo "root is not one segment"; return 1; }
	blocks=$(dumpe2fs -h "$l" 2>/dev/null | awk -F: '/^Block count/ {print $2 + 0}')
	bs=$(dumpe2fs -h "$l" 2>/dev/null | awk -F: '/^Block size/ {print $2 + 0}')
	[ $((blocks * bs)) = "$root" ] || { losetup -d "$l"; echo "fs is $((blocks * bs)) B"; return 1; }
	if ! q e2fsck -fn "$l" || ! mount -o ro "$l" "$TMPD/mnt"; then
		losetup -d "$l"; echo "root fs"; return 1
	fi
	[ "$(sha256sum <"$TMPD/mnt/data")" = "$sum0" ] || { umount "$TMPD/mnt"; losetup -d "$l"; echo data; return 1; }
	umount "$TMPD/mnt"; losetup -d "$l"
	l=$(lv_extent_loop "$vg" swap_1) || { echo "swap_1 is not one segment"; return 1; }
	[ "$(blkid -p -o value -s LABEL "$l")" = swap_1 ] || { losetup -d "$l"; echo "swap header"; return 1; }
	losetup -d "$l"
}
# After the grow on the 384 MiB disk: p5 ends on the last 1 MiB boundary (786432),
# the container with it; PV (350 MiB - 1 MiB) / 4 MiB = 87 extents.
GROWN=$((786432 - 69632))

# ---- 1. Shrink p5 to about 60 % (134 of 222 MiB): the container stays as it is.
build
p2size=$(pfield "$d" 2 size)
before=$(sha256sum <"$d")
out=$("$SB" shrink "${d}p5" --size 134MiB --dry-run --backup-dir "$TMPD/bk" 2>&1); rc=$?
begin shrink_dry_run_changes_nothing
same rc "$rc" 0
holds dry "said: $out" grep -q "Dry run" <<<"$out"
holds bytes "the disk changed" [ "$(sha256sum <"$d")" = "$before" ]
end_case
out=$("$SB" shrink "${d}p5" --size 134MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
begin shrink_logical_keeps_container
same rc "$rc" 0
why=$(check_stack 274432 29)
holds stack "$why" [ -z "$why" ]
same p2_size "$(pfield "$d" 2 size)" "$p2size"
holds plan "the plan says nothing about the container: $out" \
	grep -q "extended partition 2: sectors 69630-524287 (unchanged: a shrink leaves the container alone)" <<<"$out"
end_case
before=$(sha256sum <"$d")
out=$("$SB" shrink "${d}p5" --size 134MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
begin shrink_rerun_no_changes
same rc "$rc" 0
same last "$(tail -n 1 <<<"$out")" "No changes."
holds bytes "the re-run wrote" [ "$(sha256sum <"$d")" = "$before" ]
end_case

# ---- 2. The disk grows by 128 MiB: status shows the container and the space outside it.
enlarge
j=$("$SB" status --json "$d" 2>/dev/null); rc=$?
txt=$("$SB" status "$d" 2>&1)
pp() { jq -c --argjson n "$1" ".volume.partition_table.partitions[] | select(.number == \$n) | $2" <<<"$j"; }
p2end=$(pend "$d" 2)
p5end=$(pend "$d" 5)
# The oracle: sfdisk -F lists the free run inside the container (from where a new
# logical partition could start, after room for its EBR, to the container's end)
# and the one after it.
runs=$(sfdisk -F "$d" | awk -v e="$p5end" '$1 ~ /^[0-9]+$/ {
	print ($1 > e && $1 <= e + 1 + 2048 ? "p5end+EBR" : $1) "-" $2 }' | tr '\n' ' ')
begin status_shows_container_and_space_outside
same rc "$rc" 0
same logicals "$(pp 2 .logical_partitions)" "[5]"
same parent "$(pp 5 .parent)" 2
same sfdisk_F "$runs" "p5end+EBR-$p2end $((p2end + 1))-786431 "
same p2_free_after "$(pp 2 .free_after_sectors)" $((786431 - p2end))
same p5_free_inside "$(pp 5 .free_after_sectors)" $((p2end - p5end))
same p5_grow_after "$(pp 5 .grow_after_sectors)" $((786431 - p5end))
holds text_container "said: $txt" grep -q "extended partition (a container) of logical partition(s) 5;.*free outside it to the end of the usable area" <<<"$txt"
holds text_p5 "said: $txt" grep -q "can grow by $(((786431 - p5end) * 512)) B .*to sector 786431: .* inside extended partition 2, $(((786431 - p2end) * 512)) B .*by growing it first" <<<"$txt"
end_case

# ---- 3. grow --max: the container first, then p5 and the PV (root cannot grow here:
# swap_1 follows it, and without device-mapper an LV stays one run of extents).
before=$(sha256sum <"$d")
out=$("$SB" grow "${d}p5" --max --dry-run 2>&1); rc=$?
begin grow_dry_run_changes_nothing
same rc "$rc" 0
holds dry "said: $out" grep -q "Dry run" <<<"$out"
holds plan "said: $out" grep -q "container .*extended partition 2, sectors 69630-$p2end: grows first, to end at 786431" <<<"$out"
holds bytes "the disk changed" [ "$(sha256sum <"$d")" = "$before" ]
end_case
out=$("$SB" grow "${d}p5" --max --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
begin grow_logical_grows_container_first
same rc "$rc" 0
why=$(check_stack $GROWN 29)
holds stack "$why" [ -z "$why" ]
same p2_end "$(pend "$d" 2)" 786431
holds no_silent "said: $out" fails grep -qx "No changes." <<<"$out"
end_case
before=$(sha256sum <"$d")
out=$("$SB" grow "${d}p5" --max --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
txt=$("$SB" status "$d" 2>&1)
begin grow_rerun_no_changes
same rc "$rc" 0
same last "$(tail -n 1 <<<"$out")" "No changes."
holds bytes "the re-run wrote" [ "$(sha256sum <"$d")" = "$before" ]
holds status "said: $txt" grep -q "cannot grow: no free space inside extended partition 2 or after it" <<<"$txt"
end_case

# ---- 4. A cut after the MBR (the container grown), before the EBR: the re-run converges.
loop_env_reset
build
enlarge
SHRINKBOX_TEST_STOP_AFTER=pt-container "$SB" grow "${d}p5" --max --yes \
	--backup-dir "$TMPD/bk" >/dev/null 2>&1; rc1=$?
mid_p2=$(pend "$d" 2) mid_p5=$(pfield "$d" 5 size)
mid_verify=$(sfdisk --verify "$d" 2>&1 | grep -c "No errors detected")
out=$("$SB" grow "${d}p5" --max --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
why=$(check_stack $GROWN 51)
before=$(sha256sum <"$d")
out3=$("$SB" grow "${d}p5" --max --yes --backup-dir "$TMPD/bk" 2>&1); rc3=$?
begin cut_between_mbr_and_ebr_converges
same first_rc "$rc1" 137
same cut_p2_end "$mid_p2" 786431
same cut_p5_size "$mid_p5" 454656
same cut_sfdisk_verify "$mid_verify" 1
same rc "$rc" 0
holds stack "$why" [ -z "$why" ]
same third "$rc3 $(tail -n 1 <<<"$out3")" "0 No changes."
holds bytes "the third run wrote" [ "$(sha256sum <"$d")" = "$before" ]
end_case

# ---- 5. The table writes, replayed at every prefix and subset (ptcheck.py).
# replay NAME DEV "ARGS": logs one partresize of DEV, then replays it; each state
# must be a table the kernel and sfdisk --verify accept, naming the old or new partitions.
replay() {
	local name=$1 dev=$2 args=$3 img base log out rc
	img=$(back "$dev")
	base=$TMPD/$name.base log=$TMPD/$name.log
	cp --sparse=always "$img" "$base"
	# shellcheck disable=SC2086 # ARGS are words on purpose
	out=$(SHRINKBOX_TEST_WRITELOG=$log "$SB" partresize "$dev" $args --yes 2>&1); rc=$?
	if [ $rc != 0 ] || [ ! -s "$log" ]; then
		bad "$name" "the logged run: rc $rc: $out"
		return 1
	fi
	sync
	cp --sparse=always "$img" "$TMPD/$name.final"
	out=$($PTC replay "$base" "$TMPD/$name.final" "$log" --name "$name" --seed "$SEED" \
		--verify-states --tmpdir "$TMPD" --cmd "$SB partresize {img} $args --yes" 2>&1); rc=$?
	echo "$out" | sed 's/^/  /'
	[ $rc = 0 ] && ok "$name" || bad "$name" "$(tail -n 1 <<<"$out")"
}
loop_env_reset
d=$(new_loop 64M)
q sfdisk "$d" <<'EOF'
label: dos
start=2048, size=8192, type=83
start=12286, size=32770, type=5
start=12288, type=83
EOF
add_partitions "$d"
truncate -s 96M "$(back "$d")"; losetup -c "$d"
replay replay_grow_container_then_logical "$d" "--partition 5 --max"
log=$TMPD/replay_grow_container_then_logical.log
begin replay_grow_order_mbr_then_ebr
same writes "$(awk '/^W/ {printf "%s/%s ", $2, $3} /^F/ {printf "F "}' "$log")" "0/512 F $((12286 * 512))/512 F "
same p2_end "$(pend "$d" 2)" $((196608 - 1))
same p5_end "$(pend "$d" 5)" $((196608 - 1))
end_case
# The reverse order (the EBR first): a state whose p5 sticks out of p2, rejected.
awk '/^W/ {w[n++] = $0} END {print w[1]; print "F"; print w[0]; print "F"}' "$log" >"$TMPD/rev.log"
out=$($PTC replay "$TMPD/replay_grow_container_then_logical.base" \
	"$TMPD/replay_grow_container_then_logical.final" "$TMPD/rev.log" --name reverse \
	--verify-states --tmpdir "$TMPD" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "Logical partition 5: not entirely in partition 2" <<<"$out" &&
	ok checker_rejects_ebr_before_mbr || bad checker_rejects_ebr_before_mbr "rc $rc: $out"
mbr0=$(dd if="$d" bs=512 count=1 status=none | sha256sum)
replay replay_shrink_logical_ebr_only "$d" "--partition 5 --size 40MiB $FORCE"
begin replay_shrink_writes_the_ebr_only
same writes "$(awk '/^W/ {printf "%s/%s ", $2, $3} /^F/ {printf "F "}' "$TMPD/replay_shrink_logical_ebr_only.log")" "$((12286 * 512))/512 F "
same mbr "$(dd if="$d" bs=512 count=1 status=none | sha256sum)" "$mbr0"
same p2_end "$(pend "$d" 2)" $((196608 - 1))
end_case

# ---- 6. A logical partition that is not the last: it cannot pass the next EBR; the last one
# grows the container; a primary after the container is its limit.
loop_env_reset
d=$(new_loop 64M)
q sfdisk "$d" <<'EOF'
label: dos
start=2048, size=8192, type=83
start=10240, size=40960, type=5
start=12288, size=8192, type=83
start=22528, size=8192, type=83
start=81920, size=16384, type=83
EOF
add_partitions "$d"
txt=$("$SB" status "$d" 2>&1)
j=$("$SB" status --json "$d" 2>/dev/null)
begin status_two_logicals_and_a_primary_after
same logicals "$(pp 2 .logical_partitions)" "[5,6]"
same p5_grow_after "$(pp 5 .grow_after_sectors)" 0
same p6_grow_after "$(pp 6 .grow_after_sectors)" $((81920 - 30720))
same p2_free_after "$(pp 2 .free_after_sectors)" $((81920 - 51200))
holds text_p5 "said: $txt" grep -q "no free inside extended partition 2 before partition 6 (its EBR)" <<<"$txt"
holds text_p6 "said: $txt" grep -q "can grow by $(((81920 - 30720) * 512)) B .*to sector 81919: $(((51200 - 30720) * 512)) B .*inside extended partition 2, $(((81920 - 51200) * 512)) B .*by growing it first" <<<"$txt"
holds text_p2 "said: $txt" grep -q "logical partition(s) 5, 6;.*free outside it before partition 3" <<<"$txt"
end_case
before=$(sha256sum <"$d")
out=$("$SB" partresize "${d}p5" --size 12MiB $FORCE --yes 2>&1); rc=$?
out2=$("$SB" partresize "${d}p5" --size 12MiB $FORCE --dry-run 2>&1); rc2=$?
begin not_last_logical_refused
same rc "$rc" 3
same rc_dry_run "$rc2" 3
holds message "said: $out" grep -q "over partition 6" <<<"$out"
holds bytes "the disk changed" [ "$(sha256sum <"$d")" = "$before" ]
end_case
p3sum=$(sha256sum <"${d}p3")
out=$("$SB" partresize "${d}p6" --max --yes 2>&1); rc=$?
begin last_logical_grows_container_to_the_primary
same rc "$rc" 0
same p2_end "$(pend "$d" 2)" 81919
same p6_end "$(pend "$d" 6)" 81919
same p5 "$(pfield "$d" 5 start) $(pfield "$d" 5 size)" "12288 8192"
same p3 "$(pfield "$d" 3 start) $(pfield "$d" 3 size)" "81920 16384"
same kernel_p6 "$(ksize "$d" 6)" $((81920 - 22528))
holds verify "sfdisk --verify" grep -q "No errors detected" <<<"$(sfdisk --verify "$d" 2>&1)"
holds p3_bytes "p3 changed" [ "$(sha256sum <"${d}p3")" = "$p3sum" ]
end_case

finish
