// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * e2fsck_n_verdict over what e2fsck 1.47.0 -f -n printed on real damage
 * (tests/data/e2fsck/make.sh) and on a write-log replay of a grow cut off in
 * resize2fs (grow-cut.txt): which states e2fsck -f -y may repair unattended.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "plan/e2fsckrepair.h"

static int verdict(const char *name, char *bad, size_t len)
{
	char *out = fixture_read(name, NULL);
	int r;

	bad[0] = '\0';
	r = e2fsck_n_verdict(out, bad, len);
	free(out);
	return r;
}

TEST(e2fsck_n_verdict_resize_inode_only)
{
	char bad[256];

	/* The replayed grow: inode 7's i_blocks, the resize inode, pass-5 summaries. */
	CHECK_INT(verdict("e2fsck/grow-cut.txt", bad, sizeof(bad)), 1);
	CHECK_INT(verdict("e2fsck/inode7-iblocks.txt", bad, sizeof(bad)), 1);
}

TEST(e2fsck_n_verdict_shrink_cut_before_primary_superblock)
{
	char bad[256];

	/* The old primary superblock over the new descriptors: e2fsck reads the backups. */
	CHECK_INT(verdict("e2fsck/shrink-cut-backup.txt", bad, sizeof(bad)), 1);
	/* The same with half of the last writes: the resize inode and bitmaps too. */
	CHECK_INT(verdict("e2fsck/shrink-cut-torn.txt", bad, sizeof(bad)), 1);
	/* The primary superblock kept; bitmap checksums of the torn writes. */
	CHECK_INT(verdict("e2fsck/shrink-cut-csum.txt", bad, sizeof(bad)), 1);
	CHECK_INT(e2fsck_n_verdict("Group 3 block bitmap does not match checksum.\nIGNORED.\n",
				   bad, sizeof(bad)), 1);
	/* A descriptor error without the fallback, or a fallback that finds a file's damage. */
	CHECK_INT(e2fsck_n_verdict("ext2fs_check_desc: Corrupt group descriptor: bad block for "
				   "block bitmap\ne2fsck: aborted\n", bad, sizeof(bad)), -1);
	CHECK(strstr(bad, "ext2fs_check_desc") != NULL);
	CHECK_INT(e2fsck_n_verdict("ext2fs_check_desc: Corrupt group descriptor: bad block for "
				   "block bitmap\n", bad, sizeof(bad)), -1);
	CHECK_INT(e2fsck_n_verdict("ext2fs_check_desc: Corrupt group descriptor: x\ne2fsck: Group "
				   "descriptors look bad... trying backup blocks...\nPass 1: Checking"
				   "\nInode 12 has illegal block(s).  Clear? no\n", bad, sizeof(bad)),
		  -1);
	CHECK_STR(bad, "Inode 12 has illegal block(s).  Clear? no");
	CHECK_INT(e2fsck_n_verdict("Group 3x block bitmap does not match checksum.\n", bad,
				   sizeof(bad)), -1);
}

/* One bitmap-differences line of any length (a 4 KiB block shrink: over 512 bytes). */
TEST(e2fsck_n_verdict_long_bitmap_list)
{
	char out[8192], bad[256];
	size_t n;

	n = (size_t)snprintf(out, sizeof(out), "Pass 5: Checking group summary information\n"
			     "Block bitmap differences: ");
	for (unsigned i = 0; i < 300; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, " +(%u--%u)", 229379 + 4 * i,
				      229380 + 4 * i);
	snprintf(out + n, sizeof(out) - n, "\nFix? no\n\nFree blocks count wrong (5, counted=4).\n"
		 "Fix? no\n");
	CHECK(strlen(out) > 2048);
	CHECK_INT(e2fsck_n_verdict(out, bad, sizeof(bad)), 0);
	/* Anything else in a long line is not benign. */
	out[strlen("Pass 5: Checking group summary information\nBlock bitmap differences: ") + 40] =
		'x';
	CHECK_INT(e2fsck_n_verdict(out, bad, sizeof(bad)), -1);
	memset(out, 'a', 1000);
	out[1000] = '\0';
	CHECK_INT(e2fsck_n_verdict(out, bad, sizeof(bad)), -1);
}

TEST(e2fsck_n_verdict_stopped_in_inode_7)
{
	char bad[256];

	/* "Error while iterating over blocks in inode 7" then "e2fsck: aborted". */
	CHECK_INT(verdict("e2fsck/inode7-illegal.txt", bad, sizeof(bad)), 2);
}

TEST(e2fsck_n_verdict_refuses_file_damage)
{
	char bad[256];

	CHECK_INT(verdict("e2fsck/file-illegal.txt", bad, sizeof(bad)), -1);
	CHECK_STR(bad, "Inode 12 has illegal block(s).  Clear? no");
	/* Inode 7 sharing a block with a file: -y would clone or delete. */
	CHECK_INT(verdict("e2fsck/inode7-dup.txt", bad, sizeof(bad)), -1);
	CHECK(strstr(bad, "claimed") != NULL);
}

TEST(e2fsck_n_verdict_lines)
{
	char bad[256];

	CHECK_INT(e2fsck_n_verdict("Pass 1: Checking inodes\nInode 70, i_blocks is 8, should be 0."
				   "  Fix? no\n", bad, sizeof(bad)), -1);
	CHECK_INT(e2fsck_n_verdict("Illegal indirect block (123) in inode 7.  IGNORED.\n", bad,
				   sizeof(bad)), 1);
	CHECK_INT(e2fsck_n_verdict("Illegal block #3 (99) in inode 71.  IGNORED.\n", bad,
				   sizeof(bad)), -1);
	CHECK_INT(e2fsck_n_verdict("Free blocks count wrong (5, counted=6).\nFix? no\n", bad,
				   sizeof(bad)), 0);
	/* A grow cut off before the last group's flags were final (replay of grow, b:19). */
	CHECK_INT(e2fsck_n_verdict("Last group block bitmap uninitialized.  Fix? no\n\n"
				   "Inode 7, i_blocks is 3560, should be 8.  Fix? no\n", bad,
				   sizeof(bad)), 1);
	/* An abort anywhere else is not a reading of everything. */
	CHECK_INT(e2fsck_n_verdict("Pass 1: Checking inodes\ne2fsck: aborted\n", bad, sizeof(bad)),
		  -1);
	CHECK_INT(e2fsck_n_verdict("Error while iterating over blocks in inode 7: x\n", bad,
				   sizeof(bad)), -1);
}
