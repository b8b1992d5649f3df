#!/bin/bash
# schedule and the boot script's request mode, on loop devices: a GPT disk
# with partition 1 the "boot" filesystem (ext2, mounted like /boot) and
# partition 2 a PV (root ext4 with data, swap after a gap). schedule plans the
# shrink with a dry run (nothing changes), writes the request, refuses a
# second one and a target holding the boot filesystem; --status and --cancel.
# Then the boot script (in a private mount namespace, as t-boot.sh) finds the
# request by the recorded UUID, takes it, runs it once with --yes, and leaves
# last.rc/last.log/last.request; a second boot runs nothing. A request the
# binary refuses (a target below the minimum) is not run again either.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap 'umount "$TMPD/boot" 2>/dev/null; umount "$TMPD/mnt" 2>/dev/null; cleanup_loops' EXIT

SB=$(realpath "${SHRINKBOX:-./shrinkbox}")
BOOT=$(realpath "${SHRINKBOX_BOOT_SH:-dracut/modules.d/90shrinkbox/shrinkbox-boot.sh}")
UUID=5b0e5b0e-1111-4222-8333-444455556666
mkdir -p "$TMPD/boot" "$TMPD/mnt"

d=$(new_loop 512M)
printf 'label: gpt\n,32MiB,L\n,400MiB,L\n' | q sfdisk "$d"
add_partitions "$d"
mkfs.ext2 -q -U "$UUID" "${d}p1"
vg=$(uniq_name sc)$RANDOM
q pvcreate "${d}p2"; q vgcreate "$vg" "${d}p2"
q lvcreate -an -Zn -n root -L 200M "$vg"; q lvcreate -an -Zn -n gap -L 40M "$vg"
q lvcreate -an -Zn -n swap -L 32M "$vg"; q lvremove -f "$vg/gap"
l=$(lv_extent_loop "$vg" root); mkfs.ext4 -q "$l"; mount "$l" "$TMPD/mnt"
yes "scheduled data" | head -c 40M >"$TMPD/mnt/data"; sum0=$(sha256sum <"$TMPD/mnt/data")
umount "$TMPD/mnt"; losetup -d "$l"
l=$(lv_extent_loop "$vg" swap); mkswap -L sw "$l" >/dev/null; losetup -d "$l"
mount "${d}p1" "$TMPD/boot"
sched() { "$SB" schedule "$@" --on "$TMPD/boot"; }
args=(shrink "${d}p2" --size 200MiB --devices "${d}p2" --backup-dir /run/sbbk)

# ---- schedule: the plan first (a dry run), then the request ----
before=$(sha256sum <"${d}p2")
req=$TMPD/boot/shrinkbox/request
dry=$(sched "${args[@]}" --dry-run 2>&1); rc_dry=$?
dry_none=$([ ! -e "$req" ] && echo yes)
out=$(sched "${args[@]}" --yes 2>&1); rc=$?
begin schedule_writes_the_request_after_the_plan
same rc_dry_run "$rc_dry" 0
holds dry_nothing "the dry run wrote a request: $dry" [ "$dry_none" = yes ]
holds plan "said: $out" grep -q "^Plan for ${d}p2" <<<"$out"
same rc "$rc" 0
holds bytes "the PV changed" [ "$(sha256sum <"${d}p2")" = "$before" ]
same request "$(cat "$req" 2>/dev/null | grep -v '^created ')" "$(printf 'shrinkbox-request 1\n'; printf 'arg %s\n' "${args[@]}")"
end_case
out=$(sched "${args[@]}" --yes 2>&1); rc=$?
out2=$("$SB" schedule shrink "${d}p1" --size 8MiB --on "$TMPD/boot" --yes 2>&1); rc2=$?
st=$(sched --status 2>&1)
begin schedule_refuses_a_second_request_and_the_boot_fs_itself
same rc_second "$rc" 3
holds second "said: $out" grep -q "already pending" <<<"$out"
same rc_bootfs "$rc2" 3
holds bootfs "said: $out2" grep -q "which this shrink changes" <<<"$out2"
holds status "said: $st" grep -q "pending: arg shrink" <<<"$st"
end_case
out=$(sched --cancel 2>&1); rc=$?
out2=$(sched --cancel 2>&1); rc2=$?
begin schedule_cancel
same rc "$rc" 0
holds gone "still there" [ ! -e "$req" ]
same again "$rc2 $(tail -n 1 <<<"$out2")" "0 No changes."
end_case
q sched "${args[@]}" --yes
umount "$TMPD/boot"

# boot_run: the boot script in request mode (no rd.shrinkbox.* on its command line).
W=$TMPD/w
mkdir -p "$W"
echo "root=/dev/sda1 quiet" >"$W/cmdline"
echo "$UUID" >"$W/request-fs"
: >"$W/console"
boot_run() {
	unshare -m sh -c '
		mount -t tmpfs sbboot /run && mount --bind "$1/console" /dev/console || exit 99
		sh "$2" --bin "$3" --cmdline "$1/cmdline" --request-fs "$1/request-fs" </dev/null >"$1/out" 2>&1
		echo $? >"$1/rc"
		cp /run/initramfs/shrinkbox.log "$1/log" 2>/dev/null || : >"$1/log"
		exit 0' sh "$W" "$BOOT" "$SB"
}
boot_run
mount -o ro "${d}p1" "$TMPD/boot"
r=$TMPD/boot/shrinkbox
begin boot_runs_the_request_once
same script_rc "$(cat "$W/rc")" 0
holds ran "log: $(cat "$W/log")" grep -q "running: shrinkbox shrink ${d}p2 --size 200MiB .* --yes" "$W/log"
holds taken "the request is still there" [ ! -e "$r/request" ] && [ ! -e "$r/request.taken" ]
same last_rc "$(cat "$r/last.rc" 2>/dev/null)" 0
holds last_log "last.log: $(cat "$r/last.log" 2>/dev/null)" grep -q "^Done: " "$r/last.log"
holds last_request "no last.request" grep -qx "arg shrink" "$r/last.request"
same part "$(cat "/sys/class/block/$(basename "$d")p2/size")" 409600
holds vgck "vgck" vgck "$vg"
holds sfdisk "sfdisk --verify" sfdisk --verify "$d"
end_case
st=$("$SB" schedule --status --on "$TMPD/boot" 2>&1)
umount "$TMPD/boot"
l=$(lv_extent_loop "$vg" root)
begin status_after_the_boot
holds status "said: $st" grep -q "last run: exit 0 (done)" <<<"$st"
holds none_pending "said: $st" grep -q "pending: none" <<<"$st"
holds data "data changed" sh -c "mount -o ro $l $TMPD/mnt && [ \"\$(sha256sum <$TMPD/mnt/data)\" = \"$sum0\" ]"
end_case
umount "$TMPD/mnt"; losetup -d "$l"
before=$(sha256sum <"$d")
boot_run
begin second_boot_runs_nothing
same script_rc "$(cat "$W/rc")" 0
holds nothing "log: $(cat "$W/log")" [ ! -s "$W/log" ]
holds bytes "the disk changed" [ "$(sha256sum <"$d")" = "$before" ]
end_case

# ---- a request the binary refuses runs once too ----
mount "${d}p1" "$TMPD/boot"
q sched shrink "${d}p2" --size 300MiB --devices "${d}p2" --yes  # planned: fine now
printf 'shrinkbox-request 1\ncreated 0\narg shrink\narg %s\narg --size\narg 20MiB\narg --devices\narg %s\n' \
	"${d}p2" "${d}p2" >"$TMPD/boot/shrinkbox/request"
umount "$TMPD/boot"
before=$(sha256sum <"${d}p2")
boot_run
mount -o ro "${d}p1" "$TMPD/boot"
rc1=$(cat "$r/last.rc" 2>/dev/null); gone1=$([ ! -e "$r/request" ] && echo yes)
umount "$TMPD/boot"
boot_run
begin refused_request_not_repeated
same last_rc "$rc1" 3
holds taken "the request is still there" [ "$gone1" = yes ]
holds nothing_second "log: $(cat "$W/log")" [ ! -s "$W/log" ]
holds bytes "the PV changed" [ "$(sha256sum <"${d}p2")" = "$before" ]
end_case
finish
