// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extitable.h"
#include "extsb.h"
#include "../util/cleanup.h"
#include "../util/endian.h"
#include "../util/io.h"

/* struct ext2_super_block and struct ext4_group_desc (lib/ext2fs/ext2_fs.h; docs/ondisk.md §10.6). */
#define SB_FIRST_DATA	0x014
#define SB_LOG_BSIZE	0x018
#define SB_BPG		0x020
#define SB_IPG		0x028
#define SB_MAGIC	0x038
#define SB_INODE_SIZE	0x058
#define SB_GROUP_NR	0x05a
#define SB_COMPAT	0x05c
#define SB_INCOMPAT	0x060
#define SB_RO_COMPAT	0x064
#define SB_UUID		0x068
#define SB_DESC_SIZE	0x0fe
#define SB_CSUM_SEED	0x270

#define BG_ITABLE_LO	0x08
#define BG_FLAGS	0x12
#define BG_UNUSED_LO	0x1c
#define BG_CSUM		0x1e
#define BG_ITABLE_HI	0x28
#define BG_UNUSED_HI	0x32

#define I_CSUM_LO	0x7c
#define I_GENERATION	0x64
#define I_EXTRA_ISIZE	0x80
#define I_CSUM_HI	0x82

#define COMPAT_SPARSE_SUPER2	0x0200
#define INCOMPAT_META_BG	0x0010
#define INCOMPAT_64BIT		0x0080
#define INCOMPAT_CSUM_SEED	0x2000
#define RO_COMPAT_METADATA_CSUM	0x0400
#define BG_INODE_UNINIT		0x0001

/* The largest descriptor table read (8 MiB is 16 TiB of 4 KiB blocks). */
#define DESC_MAX	(64u << 20)

struct geo {
	uint64_t bs, groups;
	uint32_t first_data, bpg, ipg, isz, dsz, seed;
};

static int geometry(const uint8_t *sb, struct geo *g)
{
	uint32_t log = get_le32(sb + SB_LOG_BSIZE), incompat = get_le32(sb + SB_INCOMPAT);
	uint64_t blocks = ext_sb_blocks(sb);

	if (!(get_le32(sb + SB_RO_COMPAT) & RO_COMPAT_METADATA_CSUM) ||
	    (incompat & INCOMPAT_META_BG) || (get_le32(sb + SB_COMPAT) & COMPAT_SPARSE_SUPER2))
		return 0;
	g->first_data = get_le32(sb + SB_FIRST_DATA);
	g->bpg = get_le32(sb + SB_BPG);
	g->ipg = get_le32(sb + SB_IPG);
	g->isz = get_le16(sb + SB_INODE_SIZE);
	g->dsz = incompat & INCOMPAT_64BIT ? get_le16(sb + SB_DESC_SIZE) : 32;
	if (log > 6 || !g->bpg || !g->ipg || blocks <= g->first_data)
		return 0;
	g->bs = 1024u << log;
	if (g->isz < 256 || g->isz > g->bs || (g->isz & (g->isz - 1)) || g->dsz < 32 ||
	    g->dsz > 1024 || (g->dsz & (g->dsz - 1)) || g->ipg > 8 * g->bs)
		return 0;
	g->groups = (blocks - g->first_data + g->bpg - 1) / g->bpg;
	if (g->groups * g->dsz > DESC_MAX)
		return 0;
	/* ext2fs_init_csum_seed() */
	g->seed = incompat & INCOMPAT_CSUM_SEED ? get_le32(sb + SB_CSUM_SEED) :
		  ext_crc32c(~0u, sb + SB_UUID, 16);
	return 1;
}

/* ext2fs_group_desc_csum() for metadata_csum: crc32c over the group number and the descriptor. */
static bool desc_ok(const struct geo *g, const uint8_t *d, uint32_t group)
{
	uint8_t buf[1024], le[4];
	uint32_t crc;

	memcpy(buf, d, g->dsz);
	buf[BG_CSUM] = buf[BG_CSUM + 1] = 0;
	put_le32(le, group);
	crc = ext_crc32c(g->seed, le, 4);
	crc = ext_crc32c(crc, buf, g->dsz);
	return (crc & 0xffff) == get_le16(d + BG_CSUM);
}

static uint64_t desc_itable(const struct geo *g, const uint8_t *d)
{
	return get_le32(d + BG_ITABLE_LO) | (g->dsz >= 64 ? (uint64_t)get_le32(d + BG_ITABLE_HI) << 32 : 0);
}

/* The index of the group's first never-used inode; ipg when there is none. */
static uint32_t desc_unused_from(const struct geo *g, const uint8_t *d)
{
	uint32_t unused = get_le16(d + BG_UNUSED_LO);

	if (get_le16(d + BG_FLAGS) & BG_INODE_UNINIT)
		return 0;
	if (g->dsz >= 64)
		unused |= (uint32_t)get_le16(d + BG_UNUSED_HI) << 16;
	return unused > g->ipg ? g->ipg : g->ipg - unused;
}

/* ext2fs_inode_csum_verify(): crc32c over the inode number, i_generation and the inode. */
static bool inode_ok(const struct geo *g, const uint8_t *ino, uint64_t nr)
{
	uint8_t buf[1024], le[4];
	bool hi = get_le16(ino + I_EXTRA_ISIZE) >= I_CSUM_HI + 2 - 128;
	uint32_t crc, want = get_le16(ino + I_CSUM_LO);

	memcpy(buf, ino, g->isz);
	buf[I_CSUM_LO] = buf[I_CSUM_LO + 1] = 0;
	if (hi) {
		want |= (uint32_t)get_le16(ino + I_CSUM_HI) << 16;
		buf[I_CSUM_HI] = buf[I_CSUM_HI + 1] = 0;
	}
	put_le32(le, (uint32_t)nr);
	crc = ext_crc32c(g->seed, le, 4);
	crc = ext_crc32c(crc, ino + I_GENERATION, 4);
	crc = ext_crc32c(crc, buf, g->isz);
	return (hi ? crc : crc & 0xffff) == want;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	return !p[0] && !memcmp(p, p + 1, n - 1);
}

/* Inodes [from, ipg) of group grp, whose table starts at block itable. */
static int zero_group(int fd, const struct geo *g, uint64_t grp, uint64_t itable, uint32_t from,
		      uint64_t *zeroed)
{
	const uint32_t per = (1u << 20) / g->isz;
	_cleanup_free_ uint8_t *buf = malloc((size_t)per * g->isz), *zero = calloc(1, g->isz);
	int r;

	if (!buf || !zero)
		return -ENOMEM;
	for (uint32_t i = from; i < g->ipg; i += per) {
		uint32_t n = g->ipg - i < per ? g->ipg - i : per;
		uint64_t off = itable * g->bs + (uint64_t)i * g->isz;

		r = pread_all(fd, buf, (size_t)n * g->isz, off, NULL);
		if (r < 0)
			return r;
		for (uint32_t k = 0; k < n; k++) {
			const uint8_t *ino = buf + (size_t)k * g->isz;

			if (all_zero(ino, g->isz) || inode_ok(g, ino, grp * g->ipg + i + k + 1))
				continue;
			r = pwrite_all(fd, zero, g->isz, off + (uint64_t)k * g->isz, NULL);
			if (r < 0)
				return r;
			(*zeroed)++;
		}
	}
	return 0;
}

int ext_zero_unused_garbage(int fd, uint64_t size, uint64_t *zeroed)
{
	uint8_t ps[EXT_SB_SIZE], bsb[EXT_SB_SIZE];
	_cleanup_free_ uint8_t *pd = NULL, *bd = NULL;
	struct geo g, gb;
	uint64_t boff, len;
	int r;

	*zeroed = 0;
	r = pread_all(fd, ps, EXT_SB_SIZE, EXT_SB_SIZE, NULL);
	if (r < 0)
		return r;
	if (get_le16(ps + SB_MAGIC) != 0xef53 || !geometry(ps, &g))
		return 0;
	/* The backup e2fsck falls back to: group 1's (get_backup_sb(), e2fsck/util.c). */
	boff = ((uint64_t)g.first_data + g.bpg) * g.bs;
	if (boff + g.bs > size)
		return 0;
	r = pread_all(fd, bsb, EXT_SB_SIZE, boff, NULL);
	if (r < 0)
		return r;
	if (get_le16(bsb + SB_MAGIC) != 0xef53 || get_le16(bsb + SB_GROUP_NR) != 1 ||
	    !ext_sb_same_fs(ps, bsb) || !ext_sb_csum_ok(bsb) || !geometry(bsb, &gb) ||
	    gb.isz != g.isz || gb.dsz != g.dsz || gb.seed != g.seed)
		return 0;
	len = gb.groups * g.dsz;
	if (boff + g.bs + len > size || (g.first_data + 1) * g.bs + len > size)
		return 0;
	pd = malloc(len);
	bd = malloc(len);
	if (!pd || !bd)
		return -ENOMEM;
	r = pread_all(fd, pd, len, (g.first_data + 1) * g.bs, NULL);
	if (r == 0)
		r = pread_all(fd, bd, len, boff + g.bs, NULL);
	if (r < 0)
		return r;
	for (uint64_t grp = 0; grp < gb.groups; grp++) {
		const uint8_t *b = bd + grp * g.dsz, *p = pd + grp * g.dsz;
		uint64_t itable = desc_itable(&g, b);
		uint32_t from;

		if (!desc_ok(&g, b, (uint32_t)grp) || !itable ||
		    itable * g.bs + (uint64_t)g.ipg * g.isz > size)
			continue;
		from = desc_unused_from(&g, b);
		if (desc_ok(&g, p, (uint32_t)grp)) {
			uint32_t pf = desc_unused_from(&g, p);

			if (desc_itable(&g, p) != itable)
				continue;
			from = pf > from ? pf : from;
		}
		r = zero_group(fd, &g, grp, itable, from, zeroed);
		if (r < 0)
			return r;
	}
	if (*zeroed && fsync(fd) < 0)
		return -errno;
	return 0;
}
