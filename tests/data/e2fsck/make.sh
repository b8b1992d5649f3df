#!/bin/bash
# Makes the e2fsck -f -n outputs under tests/data/e2fsck/ from real damage
# done by debugfs to a small ext4 image (e2fsprogs 1.47.0, Debian 12); the unit
# test e2fsck_n_verdict_* reads them. Not made here, but printed by e2fsck on
# states of a write-log replay (tests/vm/replay.sh): grow-cut.txt (grow.rpl, a
# torn state), shrink-cut-backup.txt (lvshrink.rpl, flush boundary 9: the new
# descriptors flushed, the old primary superblock), shrink-cut-torn.txt and
# shrink-cut-csum.txt (lvshrink.rpl, torn subsets of the writes after boundary 8).
#   tests/data/e2fsck/make.sh   (rewrites the other .txt files beside it)
set -euo pipefail
cd "$(dirname "$0")"
img=$(mktemp)
trap 'rm -f "$img"' EXIT
# fresh [noext]: a new image with a 20000-byte file /data (noext: block maps, no extents).
fresh() {
	rm -f "$img"; truncate -s 64M "$img"
	mkfs.ext4 -q -F -b 4096 -E root_owner=0:0 ${1:+-O ^extent,^64bit} "$img"
	printf 'data %.0s' $(seq 4000) >"$img.data"
	debugfs -w -R "write $img.data data" "$img" >/dev/null 2>&1
	rm -f "$img.data"
}
out() { e2fsck -f -n "$img" 2>&1 | sed "s#$img#IMAGE#g" >"$1" || true; }
# The resize inode's indirect block pointing past the end (a growing resize2fs cut off).
fresh; debugfs -w -R "set_inode_field <7> block[DIND] 99999999" "$img" >/dev/null 2>&1
out inode7-illegal.txt
# The resize inode's i_blocks wrong only.
fresh; debugfs -w -R "set_inode_field <7> blocks 4000" "$img" >/dev/null 2>&1
out inode7-iblocks.txt
# Without extents (block maps, as ext3): a file's block pointing past the end.
fresh noext; debugfs -w -R "set_inode_field /data block[0] 99999999" "$img" >/dev/null 2>&1
out file-illegal.txt
# A file's block pointing at the resize inode's double indirect block: claimed twice.
fresh noext
blk=$(debugfs -R "stat <7>" "$img" 2>/dev/null | sed -n 's/^(DIND):\([0-9]*\).*/\1/p')
debugfs -w -R "set_inode_field /data block[0] $blk" "$img" >/dev/null 2>&1
out inode7-dup.txt
