#!/bin/bash
# status reads each LV's content with two direct reads (the ext2/3/4 superblock, the swap
# header) and asks libblkid only when neither is there (src/layer/fs.c, fs_probe_fast): what
# it reports for ext2, ext3, ext4 (labels, uuids), swap, XFS and an empty LV must be what
# libblkid's full probe (blkid -p) says of the same bytes.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap 'cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}
d=$(new_loop 800M)
vg=$(uniq_name sl)
q pvcreate "$d"; q vgcreate "$vg" "$d"
make_lv() { # NAME SIZE CMD...: an LV, CMD run on a loop device over it
	local n=$1 size=$2 l
	shift 2
	q lvcreate -an -Zn -n "$n" -L "$size" "$vg"
	l=$(lv_extent_loop "$vg" "$n")
	head -c 1M /dev/zero | dd of="$l" bs=1M conv=notrunc status=none
	[ $# -eq 0 ] || "$@" "$l" >/dev/null 2>&1
	echo "$l" >"$TMPD/lv-$n"
}
make_lv e2 32M mkfs.ext2 -q -L two
make_lv e3 32M mkfs.ext3 -q -L three
make_lv e4 64M mkfs.ext4 -q -L "four label"
make_lv sw 16M mkswap -L swaplbl
make_lv xf 320M mkfs.xfs -q -f -L xfslbl
make_lv empty 8M
st=$("$SB" status "$d" --json 2>&1)
for n in e2 e3 e4 sw xf empty; do
	l=$(cat "$TMPD/lv-$n")
	want="$(blkid -p -o value -s TYPE "$l")|$(blkid -p -o value -s UUID "$l")|$(blkid -p -o value -s LABEL "$l")"
	[ "$n" = empty ] || [ -n "${want%%|*}" ] || bad "made_$n" "no signature was made"
	got=$(jq -r --arg n "$n" '[.. | objects | select(.name? == $n and has("filesystem"))][0].filesystem |
		if . == null then "||" else "\(.type)|\(.uuid // "")|\(.label // "")" end' <<<"$st")
	[ "$got" = "$want" ] && ok "content_$n" || bad "content_$n" "status says '$got', blkid -p '$want'"
done
[ $fail = 0 ] || head -c 600 <<<"$st"
finish
