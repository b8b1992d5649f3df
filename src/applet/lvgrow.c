// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lvgrow VG/LV [--size S] [--dry-run] [--yes] [--backup-dir DIR] [--devices LIST]
 *
 * Grows an LV to S (rounded up to whole extents; without --size the LV keeps
 * its size) and then its ext2/3/4 filesystem or swap area to fill it exactly:
 * LV first, then the filesystem.
 */
#include "lvfs.h"
#include "../applets.h"

const struct applet_help lvgrow_help = {
	.synopsis = "VG/LV [--size [+]SIZE] [--json]",
	.description = "Grows an LV to SIZE, or by SIZE with +SIZE (as lvm2's lvextend -L "
		       "+SIZE), rounded up to whole extents, and then its ext2/3/4 filesystem "
		       "or swap area to fill it exactly: the LV first, then the filesystem. "
		       "Without --size the LV keeps its size and only the filesystem grows to "
		       "fill it (what an interrupted lvgrow leaves). A -SIZE is refused: "
		       "lvshrink shrinks. ext: e2fsck -f -p, the LV metadata and the dm "
		       "reload, resize2fs to fill (the LV carries a tag while resize2fs runs, "
		       "so a re-run finishes a cut-off one); a mounted ext2/3/4 grows online: "
		       "the LV metadata and the dm reload under it, then resize2fs through the "
		       "kernel (journaled: no e2fsck, no tag); swap: the header is rewritten "
		       "keeping its UUID and label, when not in use; XFS (xfs_growfs) and "
		       "btrfs (btrfs filesystem resize) through a private mount, or on their "
		       "mount; LUKS inside the LV: the LV, the open mapping (--key-file for a "
		       "key in the kernel keyring), then its content.",
	.opts = lvgrow_opts,
	.examples = {
		{ "lvgrow vg/home --size +100MiB --yes",
		  "grow vg/home by 100 MiB and its filesystem with it" },
		{ "lvgrow vg/root --size 40GiB --dry-run",
		  "the plan to make vg/root 40 GiB and its filesystem fill it" },
	},
};

int lvgrow_main(int argc, char **argv)
{
	return lvfs_main("lvgrow", argc, argv, true);
}
