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

int lvgrow_main(int argc, char **argv)
{
	return lvfs_main("lvgrow", argc, argv, true);
}
