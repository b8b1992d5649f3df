/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one write an interrupted resize2fs may still owe: its primary
 * superblock. ext2fs_flush2() (e2fsprogs lib/ext2fs/closefs.c) writes the
 * bitmaps, the group descriptors and every backup superblock, flushes, and
 * only then the primary superblock (docs/ondisk.md §10.5). Cut in between,
 * the backups describe the new filesystem and the primary the old one; e2fsck
 * then either reads the new descriptors through the old superblock or falls
 * back to a backup, and opening from a backup clears every group's
 * INODE_UNINIT flag (ext2fs_open2(), lib/ext2fs/openfs.c), so inode tables
 * mke2fs never zeroed read as garbage inodes.
 */
#ifndef SB_EXTSB_H
#define SB_EXTSB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXT_SB_SIZE 1024

struct ext_sb_pair {
	uint8_t primary[EXT_SB_SIZE];	/* as on disk at byte 1024 */
	uint8_t backup[EXT_SB_SIZE];	/* the first backup's, as on disk */
	uint64_t backup_off;		/* its byte offset in the filesystem */
	uint32_t backup_group;
	uint64_t primary_blocks, backup_blocks;
	bool primary_torn;		/* metadata_csum, and the primary's checksum fails */
};

/*
 * Reads the primary superblock of the ext2/3/4 filesystem on fd (size bytes)
 * and its first backup (group 1, or s_backup_bgs[0] with sparse_super2).
 * Returns 1 when that backup is whole (magic, group number, checksum), belongs
 * to the same filesystem (UUID, block size, group geometry, features), counts a
 * different number of blocks that fit in size, and was written no earlier
 * than the primary: the superblock resize2fs wrote last; or, whatever its
 * size, when the primary's own checksum fails (torn). 0 when there is no
 * such backup; -errno when a read fails or the primary is not ext.
 */
int ext_sb_newer_backup(int fd, uint64_t size, struct ext_sb_pair *p);

/*
 * The primary superblock ext2fs_flush2() would have written from that backup:
 * s_block_group_nr 0, the error bit set in s_state (e2fsck -f decides the rest;
 * the backup's own state lacks the valid bit), the checksum recomputed.
 */
void ext_sb_as_primary(const uint8_t backup[EXT_SB_SIZE], uint8_t out[EXT_SB_SIZE]);

/* Writes sb at byte 1024 of fd and fsyncs it: 0 or -errno. */
int ext_sb_write_primary(int fd, const uint8_t sb[EXT_SB_SIZE]);

/* The fields one filesystem keeps through a resize (UUID, geometry, features). */
bool ext_sb_same_fs(const uint8_t *a, const uint8_t *b);

/* No metadata_csum, or its crc32c matches. */
bool ext_sb_csum_ok(const uint8_t *sb);

/* s_blocks_count, with its high half when 64bit. */
uint64_t ext_sb_blocks(const uint8_t *sb);

/* CRC32c as ext4 uses it (ext2fs_crc32c_le(~0, ...), no final inversion). */
uint32_t ext_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
