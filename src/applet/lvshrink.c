// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lvshrink VG/LV --size S [--dry-run] [--yes] [--backup-dir DIR] [--devices LIST]
 *
 * Shrinks an LV and the ext2/3/4 filesystem or swap area in it, exactly: the
 * LV becomes S rounded up to whole extents, and the filesystem ends up filling
 * it to its last whole block, with no margin. ext: e2fsck -f -p, resize2fs to
 * the new size, the metadata commit and dm reload, resize2fs to fill. When
 * resize2fs cannot go that small, nothing is changed and the smallest size that
 * works is printed. swap: the header is rewritten keeping UUID and label. The
 * LV must not be mounted or in use. btrfs through a private mount; LUKS inside
 * the LV through its open mapping. XFS and unknown contents are refused.
 */
#include "lvfs.h"
#include "../applets.h"

const struct applet_help lvshrink_help = {
	.synopsis = "VG/LV --size [-]SIZE [--json]",
	.description = "Shrinks an LV and the ext2/3/4 filesystem or swap area in it, exactly: "
		       "the LV becomes SIZE (with -SIZE: SIZE smaller) rounded up to whole "
		       "extents, and the filesystem ends up filling it to its last whole "
		       "block, with no margin. ext: e2fsck -f -p, resize2fs to the new size, "
		       "the metadata commit and dm reload, resize2fs to fill. When resize2fs "
		       "cannot go that small nothing is changed and the smallest size that "
		       "works is printed (exit 3). swap: the header is rewritten keeping its "
		       "UUID and label. btrfs: btrfs filesystem resize on a private mount, "
		       "never below btrfs inspect-internal min-dev-size. LUKS inside the LV: "
		       "its content, the open mapping (--key-file for a key in the kernel "
		       "keyring), then the LV. The LV must not be mounted or in use. XFS "
		       "(which cannot shrink) and unknown contents are refused; a +SIZE too "
		       "(lvgrow grows).",
	.opts = lvshrink_opts,
	.examples = {
		{ "lvshrink vg/home --size 50GiB --yes",
		  "shrink vg/home and its filesystem to 50 GiB" },
		{ "lvshrink vg/home --size -10GiB --dry-run",
		  "the plan to make vg/home 10 GiB smaller, or the smallest size resize2fs "
		  "allows" },
	},
};

int lvshrink_main(int argc, char **argv)
{
	return lvfs_main("lvshrink", argc, argv, false);
}
