// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extgdt.h"
#include "extsb.h"
#include "../util/cleanup.h"
#include "../util/endian.h"
#include "../util/io.h"

/* struct ext2_super_block and struct ext4_group_desc (lib/ext2fs/ext2_fs.h; docs/ondisk.md §10.6). */
#define SB_FIRST_DATA	0x014
#define SB_LOG_BSIZE	0x018
#define SB_BPG		0x020
#define SB_MAGIC	0x038
#define SB_GROUP_NR	0x05a
#define SB_COMPAT	0x05c
#define SB_INCOMPAT	0x060
#define SB_RO_COMPAT	0x064
#define SB_UUID		0x068
#define SB_DESC_SIZE	0x0fe
#define SB_CSUM_SEED	0x270
#define BG_CSUM		0x1e

#define COMPAT_SPARSE_SUPER2	0x0200
#define INCOMPAT_META_BG	0x0010
#define INCOMPAT_64BIT		0x0080
#define INCOMPAT_CSUM_SEED	0x2000
#define RO_COMPAT_METADATA_CSUM	0x0400

/* The largest descriptor table read (8 MiB is 16 TiB of 4 KiB blocks). */
#define TABLE_MAX	(64u << 20)

/* ext2fs_group_desc_csum() for metadata_csum: crc32c over the group number and the descriptor. */
static bool desc_ok(uint32_t seed, const uint8_t *d, uint32_t dsz, uint32_t group)
{
	uint8_t buf[1024], le[4];
	uint32_t crc;

	memcpy(buf, d, dsz);
	buf[BG_CSUM] = buf[BG_CSUM + 1] = 0;
	put_le32(le, group);
	crc = ext_crc32c(seed, le, 4);
	crc = ext_crc32c(crc, buf, dsz);
	return (crc & 0xffff) == get_le16(d + BG_CSUM);
}

void ext_gdt_saved_free(struct ext_gdt_saved *s)
{
	free(s->bytes);
	s->bytes = NULL;
}

int ext_gdt_from_backup(int fd, uint64_t size, struct ext_gdt_saved *s)
{
	uint8_t ps[EXT_SB_SIZE], bs_[EXT_SB_SIZE];
	_cleanup_free_ uint8_t *bt = NULL;
	uint32_t log, bpg, first, incompat, dsz, seed;
	uint64_t bsize, blocks, groups, boff;
	int r;

	memset(s, 0, sizeof(*s));
	r = pread_all(fd, ps, EXT_SB_SIZE, EXT_SB_SIZE, NULL);
	if (r < 0)
		return r;
	incompat = get_le32(ps + SB_INCOMPAT);
	log = get_le32(ps + SB_LOG_BSIZE);
	bpg = get_le32(ps + SB_BPG);
	first = get_le32(ps + SB_FIRST_DATA);
	blocks = ext_sb_blocks(ps);
	if (get_le16(ps + SB_MAGIC) != 0xef53 || log > 6 || !bpg || blocks <= first ||
	    !(get_le32(ps + SB_RO_COMPAT) & RO_COMPAT_METADATA_CSUM) ||
	    (incompat & INCOMPAT_META_BG) || (get_le32(ps + SB_COMPAT) & COMPAT_SPARSE_SUPER2))
		return 0;
	bsize = 1024u << log;
	dsz = incompat & INCOMPAT_64BIT ? get_le16(ps + SB_DESC_SIZE) : 32;
	if (dsz < 32 || dsz > 1024 || (dsz & (dsz - 1)))
		return 0;
	groups = (blocks - first + bpg - 1) / bpg;
	if (groups < 2 || groups * dsz > TABLE_MAX)
		return 0;
	/* The backup e2fsck falls back to: group 1's (get_backup_sb(), e2fsck/util.c). */
	boff = ((uint64_t)first + bpg) * bsize;
	if (boff + bsize + groups * dsz > size)
		return 0;
	r = pread_all(fd, bs_, EXT_SB_SIZE, boff, NULL);
	if (r < 0)
		return r;
	/* The superblock the old table goes with: the primary's own size, whole, group 1. */
	if (get_le16(bs_ + SB_MAGIC) != 0xef53 || get_le16(bs_ + SB_GROUP_NR) != 1 ||
	    !ext_sb_same_fs(ps, bs_) || !ext_sb_csum_ok(bs_) || ext_sb_blocks(bs_) != blocks)
		return 0;
	/* ext2fs_init_csum_seed() */
	seed = incompat & INCOMPAT_CSUM_SEED ? get_le32(ps + SB_CSUM_SEED) :
	       ext_crc32c(~0u, ps + SB_UUID, 16);
	s->off = ((uint64_t)first + 1) * bsize;
	s->len = groups * dsz;
	s->groups = (uint32_t)groups;
	bt = malloc(s->len);
	s->bytes = malloc(s->len);
	if (!bt || !s->bytes) {
		ext_gdt_saved_free(s);
		return -ENOMEM;
	}
	r = pread_all(fd, bt, s->len, boff + bsize, NULL);
	if (r == 0)
		r = pread_all(fd, s->bytes, s->len, s->off, NULL);
	if (r < 0)
		goto fail;
	/* bt becomes the primary table with each slot that holds no descriptor filled in. */
	for (uint64_t g = 0; g < groups; g++) {
		uint8_t *b = bt + g * dsz;
		const uint8_t *p = s->bytes + g * dsz;

		if (desc_ok(seed, p, dsz, (uint32_t)g))
			memcpy(b, p, dsz);
		else if (desc_ok(seed, b, dsz, (uint32_t)g))
			s->filled++;
		else
			goto none;
	}
	if (!s->filled)
		goto none;
	/* A failed write keeps *s: the caller puts the table back. */
	r = pwrite_all(fd, bt, s->len, s->off, NULL);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r < 0 ? r : 1;
none:
	ext_gdt_saved_free(s);
	return 0;
fail:
	ext_gdt_saved_free(s);
	return r;
}

int ext_gdt_put_back(int fd, const struct ext_gdt_saved *s)
{
	int r;

	if (!s->bytes)
		return 0;
	r = pwrite_all(fd, s->bytes, s->len, s->off, NULL);
	if (r < 0)
		return r;
	return fsync(fd) < 0 ? -errno : 0;
}
