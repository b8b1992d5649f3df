// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "extsb.h"
#include "../util/endian.h"
#include "../util/io.h"

/* Offsets in struct ext2_super_block (e2fsprogs lib/ext2fs/ext2_fs.h; docs/ondisk.md §10.2). */
#define SB_BLOCKS_LO	0x004
#define SB_FIRST_DATA	0x014
#define SB_LOG_BSIZE	0x018
#define SB_LOG_CSIZE	0x01c
#define SB_BPG		0x020
#define SB_CPG		0x024
#define SB_IPG		0x028
#define SB_WTIME	0x030
#define SB_MAGIC	0x038
#define SB_STATE	0x03a
#define SB_GROUP_NR	0x05a
#define SB_COMPAT	0x05c
#define SB_INCOMPAT	0x060
#define SB_RO_COMPAT	0x064
#define SB_UUID		0x068
#define SB_BLOCKS_HI	0x150
#define SB_CSUM_TYPE	0x175
#define SB_BACKUP_BGS	0x24c
#define SB_WTIME_HI	0x274
#define SB_CSUM		0x3fc

#define EXT_MAGIC		0xef53
#define STATE_ERROR		0x0002
#define COMPAT_SPARSE_SUPER2	0x0200
#define INCOMPAT_RECOVER	0x0004
#define INCOMPAT_64BIT		0x0080
#define RO_COMPAT_METADATA_CSUM	0x0400

static uint32_t crc32c_table[256];

uint32_t ext_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!crc32c_table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			/* Castagnoli, reflected (lib/ext2fs/crc32c.c) */
			for (int k = 0; k < 8; k++)
				c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
			crc32c_table[i] = c;
		}
	}
	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

static bool has_csum(const uint8_t *sb)
{
	return get_le32(sb + SB_RO_COMPAT) & RO_COMPAT_METADATA_CSUM;
}

/* ext2fs_superblock_csum(): crc32c(~0) over everything before s_checksum. */
static uint32_t sb_csum(const uint8_t *sb)
{
	return ext_crc32c(~0u, sb, SB_CSUM);
}

bool ext_sb_csum_ok(const uint8_t *sb)
{
	return !has_csum(sb) || (sb[SB_CSUM_TYPE] == 1 && get_le32(sb + SB_CSUM) == sb_csum(sb));
}

uint64_t ext_sb_blocks(const uint8_t *sb)
{
	uint64_t n = get_le32(sb + SB_BLOCKS_LO);

	if (get_le32(sb + SB_INCOMPAT) & INCOMPAT_64BIT)
		n |= (uint64_t)get_le32(sb + SB_BLOCKS_HI) << 32;
	return n;
}

static uint64_t sb_wtime(const uint8_t *sb)
{
	return get_le32(sb + SB_WTIME) | (uint64_t)sb[SB_WTIME_HI] << 32;
}

bool ext_sb_same_fs(const uint8_t *a, const uint8_t *b)
{
	static const unsigned u32[] = { SB_FIRST_DATA, SB_LOG_BSIZE, SB_LOG_CSIZE, SB_BPG,
					SB_CPG, SB_IPG, SB_COMPAT, SB_RO_COMPAT };

	for (unsigned i = 0; i < sizeof(u32) / sizeof(u32[0]); i++)
		if (get_le32(a + u32[i]) != get_le32(b + u32[i]))
			return false;
	/* ext2fs_flush2() clears needs_recovery in the backups only. */
	if ((get_le32(a + SB_INCOMPAT) | INCOMPAT_RECOVER) !=
	    (get_le32(b + SB_INCOMPAT) | INCOMPAT_RECOVER))
		return false;
	return !memcmp(a + SB_UUID, b + SB_UUID, 16);
}

int ext_sb_newer_backup(int fd, uint64_t size, struct ext_sb_pair *p)
{
	const uint8_t *s = p->primary, *b = p->backup;
	uint32_t log, group = 1;
	uint64_t bsize, block;
	int r;

	memset(p, 0, sizeof(*p));
	if (size < 2 * EXT_SB_SIZE)
		return -ENODATA;
	r = pread_all(fd, p->primary, EXT_SB_SIZE, EXT_SB_SIZE, NULL);
	if (r < 0)
		return r;
	if (get_le16(s + SB_MAGIC) != EXT_MAGIC)
		return -ENOENT;
	log = get_le32(s + SB_LOG_BSIZE);
	if (log > 6 || !get_le32(s + SB_BPG))
		return 0;
	bsize = 1024u << log;
	/* sparse_super2 keeps at most two backups, in the groups it names (ext2fs_bg_has_super()). */
	if (get_le32(s + SB_COMPAT) & COMPAT_SPARSE_SUPER2)
		group = get_le32(s + SB_BACKUP_BGS);
	if (!group)
		return 0;
	block = get_le32(s + SB_FIRST_DATA) + (uint64_t)group * get_le32(s + SB_BPG);
	p->backup_off = block * bsize;
	p->backup_group = group;
	if (p->backup_off + EXT_SB_SIZE > size)
		return 0;
	r = pread_all(fd, p->backup, EXT_SB_SIZE, p->backup_off, NULL);
	if (r < 0)
		return r;
	p->primary_blocks = ext_sb_blocks(s);
	p->backup_blocks = ext_sb_blocks(b);
	/* write_backup_super() saturates the group number at 65535. */
	if (get_le16(b + SB_MAGIC) != EXT_MAGIC ||
	    get_le16(b + SB_GROUP_NR) != (group > 0xffff ? 0xffff : group) || !ext_sb_same_fs(s, b))
		return 0;
	if (!ext_sb_csum_ok(b))
		return 0;
	if (!p->backup_blocks || p->backup_blocks > size / bsize)
		return 0;
	/*
	 * A primary whose checksum fails was torn (its two sectors from two
	 * writes): the backup is the whole copy, whatever the torn one says.
	 */
	p->primary_torn = has_csum(s) && get_le32(s + SB_CSUM) != sb_csum(s);
	if (!p->primary_torn &&
	    (p->backup_blocks == p->primary_blocks || sb_wtime(b) < sb_wtime(s)))
		return 0;
	return 1;
}

void ext_sb_as_primary(const uint8_t backup[EXT_SB_SIZE], uint8_t out[EXT_SB_SIZE])
{
	memcpy(out, backup, EXT_SB_SIZE);
	out[SB_GROUP_NR] = 0;
	out[SB_GROUP_NR + 1] = 0;
	out[SB_STATE] |= STATE_ERROR;
	if (has_csum(out))
		put_le32(out + SB_CSUM, sb_csum(out));
}

int ext_sb_write_primary(int fd, const uint8_t sb[EXT_SB_SIZE])
{
	int r = pwrite_all(fd, sb, EXT_SB_SIZE, EXT_SB_SIZE, NULL);

	if (r < 0)
		return r;
	return fsync(fd) < 0 ? -errno : 0;
}
