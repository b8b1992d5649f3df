/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a region holds, by libblkid (type, uuid, label), with exact sizes read
 * from the filesystem's own header: bookworm's libblkid reports no ext4 or
 * swap size (docs/ondisk.md §10.3), so ext2/3/4, XFS and btrfs superblocks and
 * swap headers are read here.
 */
#ifndef SB_FS_H
#define SB_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/io.h"

struct fs_info {
	char type[32];			/* blkid TYPE ("ext4", "swap", "crypto_LUKS", ...), "" if none */
	char usage[16];			/* blkid USAGE */
	char pttype[16];		/* blkid PTTYPE when a partition table was found */
	char uuid[48];
	char label[64];
	bool size_known;
	uint64_t size;			/* bytes the filesystem or swap area covers */
	uint32_t block_size;		/* ext: block size; swap: page size */
	uint64_t blocks;		/* ext: s_blocks_count; swap: pages (last_page + 1) */
	uint64_t free_blocks;		/* ext only */
	bool ext_clean;			/* ext: state VALID and no ERROR flag */
	bool ext_errors;		/* ext: ERROR flag (resize2fs sets it while it works) */
	bool ext_needs_fsck;		/* ext: lastcheck < mtime (resize2fs will ask for e2fsck -f) */
	uint64_t fs_devices;		/* btrfs: devices in the filesystem (num_devices) */
	uint64_t fs_devid;		/* btrfs: this device's devid */
};

/* Probes a region. Returns 0 (type may be ""), or -errno. */
int fs_probe(const struct region *r, struct fs_info *fi);

/*
 * For a listing (status of a VG's LVs): the ext2/3/4 superblock and the swap
 * header are read directly (two reads), libblkid only when neither is there.
 * It does not see a second signature beside the first, as libblkid's safe
 * probe does: planners, which act on the content, use fs_probe().
 */
int fs_probe_fast(const struct region *r, struct fs_info *fi);

/* ext2/3/4 superblock at byte 1024 (docs/ondisk.md §10.2); -ENOENT when no ext magic. */
int ext_read_super(const struct region *r, struct fs_info *fi);
/* Swap header (docs/ondisk.md §10.4); -ENOENT when no SWAPSPACE2 signature. */
int swap_read_header(const struct region *r, struct fs_info *fi);
/* XFS superblock at byte 0 (docs/ondisk.md §10.7): data blocks × block size. */
int xfs_read_super(const struct region *r, struct fs_info *fi);
/* btrfs superblock at 64 KiB (docs/ondisk.md §10.8): this device's size in the filesystem. */
int btrfs_read_super(const struct region *r, struct fs_info *fi);

#endif
