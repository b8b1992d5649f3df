/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inode-table space a cut-off resize2fs leaves unreadable in e2fsck's backup
 * view. A shrinking resize2fs writes its new group descriptors over the old
 * ones; cut before its superblocks, the old primary superblock counts groups
 * the new descriptor blocks no longer describe, e2fsck falls back to the first
 * backup superblock and its descriptors, and opening from a backup clears every
 * group's INODE_UNINIT flag and bg_itable_unused (ext2fs_open2(),
 * lib/ext2fs/openfs.c): inodes no one ever used are read, and in tables mke2fs
 * left unzeroed (lazy_itable_init over a used disk) they are garbage that
 * e2fsck -n refuses on every run (write-log replay of shrink-data.rpl, torn
 * state t:1:4 and the state of its prefix p:1:0; docs/ondisk.md §10.6).
 */
#ifndef SB_EXTITABLE_H
#define SB_EXTITABLE_H

#include <stdint.h>

/*
 * Zeroes, on the ext4 filesystem on fd (size bytes), every inode that
 *  - the first backup's descriptor of its group (checksum valid) calls never
 *    used: the group INODE_UNINIT, or the inode among its last
 *    bg_itable_unused;
 *  - the primary descriptor of its group calls never used as well, when that
 *    descriptor's checksum is valid (a group whose primary descriptor fails
 *    its checksum is one the new geometry no longer has: resize2fs moved
 *    every inode out of it first); both name the same inode table;
 *  - is not all zeros and whose own checksum fails (an inode resize2fs moved
 *    there carries a valid one: it stays, and e2fsck decides).
 * All zeros is what the kernel's lazy init writes there (ext4_init_inode_table())
 * and what e2fsck reads as a free inode in either view, so every prefix of
 * these writes leaves the same two filesystems. Only for metadata_csum without
 * meta_bg or sparse_super2 (else nothing is read as garbage or the backup is
 * elsewhere). *zeroed counts the inodes; 0 or -errno.
 */
int ext_zero_unused_garbage(int fd, uint64_t size, uint64_t *zeroed);

#endif
