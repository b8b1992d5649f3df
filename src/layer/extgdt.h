/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The group descriptors a cut-off resize2fs overwrote. A shrinking resize2fs
 * writes its new descriptors over the primary table, then its backups, and
 * only then the superblocks (docs/ondisk.md §10.5). Cut before any superblock,
 * the old primary superblock counts groups the new table no longer describes
 * (their slots hold a reserved-GDT block or old bytes past the new count),
 * e2fsck falls back to the first backup, and opening from a backup clears
 * every group's INODE_UNINIT flag and bg_itable_unused (ext2fs_open2(),
 * lib/ext2fs/openfs.c): inode tables mke2fs left unzeroed (lazy_itable_init
 * over a used disk) read as garbage inodes, refused on every run (write-log
 * replay of shrink-data.rpl, torn state t:1:4 and prefix p:1:0). Filling just
 * the slots that hold no valid descriptor from group 1's copy makes the
 * primary table whole for the old superblock: every group keeps its own
 * descriptor where it has one (a backup is only as fresh as the last mkfs,
 * resize2fs or e2fsck, never the kernel's allocations), the backup's stands in
 * for the rest, and e2fsck reads the primary table with its marks intact
 * (docs/ondisk.md §10.6).
 */
#ifndef SB_EXTGDT_H
#define SB_EXTGDT_H

#include <stdint.h>

struct ext_gdt_saved {
	uint64_t off;			/* the primary table's byte offset */
	uint64_t len;			/* its length: groups x descriptor size */
	uint8_t *bytes;			/* what was there (malloc'd; ext_gdt_saved_free) */
	uint32_t groups;
	uint32_t filled;		/* slots filled from group 1's copy */
};

/*
 * On the ext4 filesystem on fd (size bytes): when group 1's superblock is whole
 * (checksum), of the same filesystem and the same size as the primary one,
 * fills each slot of the primary descriptor table that holds no valid
 * descriptor with group 1's copy of that group's descriptor, which must be
 * valid (metadata_csum only; no meta_bg, no sparse_super2), and fsyncs. The
 * primary table as it was is kept in *s for ext_gdt_put_back() (also after a
 * failed write). 1 when written, 0 when no slot needs it or one has no valid
 * copy, -errno.
 */
int ext_gdt_from_backup(int fd, uint64_t size, struct ext_gdt_saved *s);

/* Writes the kept primary table back and fsyncs: 0 or -errno. */
int ext_gdt_put_back(int fd, const struct ext_gdt_saved *s);

void ext_gdt_saved_free(struct ext_gdt_saved *s);

#endif
