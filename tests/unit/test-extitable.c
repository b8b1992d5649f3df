// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The never-used inodes a cut-off resize2fs leaves as garbage to e2fsck's
 * backup view (src/layer/extitable.c). Images are built here: 1 KiB blocks,
 * 8192 blocks and 64 inodes of 256 B per group, 64-byte descriptors, four
 * groups; the primary descriptors at block 2, group 1's backup superblock at
 * block 8193 and its descriptors at 8194; group G's inode table at block
 * 100 + 16 G. Inode 2 is a real one, from a mke2fs 1.47.0 image: its checksum
 * was computed by e2fsprogs, not by the code under test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "layer/extitable.h"
#include "layer/extsb.h"
#include "util/endian.h"

#define IMG_SIZE	(40ull << 20)
#define BS		1024u
#define IPG		64u
#define GROUPS		4u
#define ITABLE(g)	(100u + 16u * (g))

static const char root_inode_hex[] =
	"ed410000000400006ea80f6b71a80f6b71a80f6b000000000000030002000000"
	"00000800010000000af3010004000000000000000000000001000000241f0000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000074a0000"
	"2000911584bedc1f84bedc1f000000006ea80f6b000000000000000000000000";
/* That filesystem's UUID b40f678c-c51b-4913-8681-7af01ac066e5. */
static const uint8_t uuid[16] = { 0xb4, 0x0f, 0x67, 0x8c, 0xc5, 0x1b, 0x49, 0x13,
				  0x86, 0x81, 0x7a, 0xf0, 0x1a, 0xc0, 0x66, 0xe5 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void make_sb(uint8_t *sb, uint16_t grp)
{
	memset(sb, 0, EXT_SB_SIZE);
	put_le32(sb + 0x04, 1 + GROUPS * 8192);
	put_le32(sb + 0x14, 1);
	put_le32(sb + 0x20, 8192);
	put_le32(sb + 0x24, 8192);
	put_le32(sb + 0x28, IPG);
	put16(sb + 0x38, 0xef53);
	put16(sb + 0x58, 256);
	put16(sb + 0x5a, grp);
	put_le32(sb + 0x5c, 0x003c);
	put_le32(sb + 0x60, 0x02c2);		/* filetype, extent, 64bit, flex_bg */
	put_le32(sb + 0x64, 0x0403);		/* sparse_super, large_file, metadata_csum */
	memcpy(sb + 0x68, uuid, 16);
	put16(sb + 0xfe, 64);
	sb[0x175] = 1;
	put_le32(sb + 0x3fc, ext_crc32c(~0u, sb, 0x3fc));
}

/* A metadata_csum descriptor of group grp (checksum as ext2fs_group_desc_csum()). */
static void make_desc_at(uint8_t *d, uint32_t grp, uint16_t flags, uint16_t unused,
			 uint32_t itable)
{
	uint8_t le[4];
	uint32_t crc;

	memset(d, 0, 64);
	put_le32(d + 0x08, itable);
	put16(d + 0x12, flags);
	put16(d + 0x1c, unused);
	put_le32(le, grp);
	crc = ext_crc32c(ext_crc32c(~0u, uuid, 16), le, 4);
	crc = ext_crc32c(crc, d, 64);
	put16(d + 0x1e, (uint16_t)crc);
}

static void make_desc(uint8_t *d, uint32_t grp, uint16_t flags, uint16_t unused)
{
	make_desc_at(d, grp, flags, unused, ITABLE(grp));
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static uint64_t ino_off(uint32_t ino)
{
	uint32_t g = (ino - 1) / IPG;

	return (uint64_t)ITABLE(g) * BS + (uint64_t)((ino - 1) % IPG) * 256;
}

static bool is_zero(int fd, uint32_t ino)
{
	uint8_t b[256], z[256] = { 0 };

	return pread(fd, b, 256, (off_t)ino_off(ino)) == 256 && !memcmp(b, z, 256);
}

/* pdesc[g] NULL: the primary copy of group g is zeros (a block the new geometry reused). */
static int image(uint8_t pdesc[GROUPS][64], uint8_t bdesc[GROUPS][64])
{
	char path[] = "/tmp/sb-extitable-XXXXXX";
	uint8_t sb[EXT_SB_SIZE], tables[GROUPS * IPG * 256], root[256];
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	fill(tables, sizeof(tables), 7);
	for (unsigned i = 0; i < 256; i++) {
		unsigned v;

		if (i < sizeof(root_inode_hex) / 2) {
			sscanf(root_inode_hex + 2 * i, "%2x", &v);
			root[i] = (uint8_t)v;
		} else {
			root[i] = 0;
		}
	}
	memcpy(tables + 256, root, 256);			/* inode 2 */
	memset(tables + 3 * 256, 0, 256);			/* inode 4: all zeros */
	if (ftruncate(fd, IMG_SIZE) < 0)
		goto fail;
	make_sb(sb, 0);
	if (pwrite(fd, sb, EXT_SB_SIZE, 1024) != EXT_SB_SIZE)
		goto fail;
	make_sb(sb, 1);
	if (pwrite(fd, sb, EXT_SB_SIZE, 8193ull * BS) != EXT_SB_SIZE)
		goto fail;
	for (unsigned g = 0; g < GROUPS; g++) {
		if (pwrite(fd, pdesc[g], 64, 2 * BS + g * 64) != 64 ||
		    pwrite(fd, bdesc[g], 64, 8194ull * BS + g * 64) != 64 ||
		    pwrite(fd, tables + g * IPG * 256, IPG * 256, (off_t)ITABLE(g) * BS) !=
			    IPG * 256)
			goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

TEST(ext_zero_unused_garbage_both_views_agree)
{
	uint8_t p[GROUPS][64], b[GROUPS][64];
	uint64_t n;
	int fd;

	/* Group 0: inode 1 used (the rest never), inode 2 whole, 4 zeros. */
	make_desc(b[0], 0, 0, IPG - 1);
	make_desc(p[0], 0, 0, IPG - 1);
	/* Group 1: INODE_UNINIT in the old view; the new one used 4 (inodes moved there). */
	make_desc(b[1], 1, 1, 0);
	make_desc(p[1], 1, 0, IPG - 4);
	/* Group 2: gone in the new geometry (its primary copy zeros). */
	make_desc(b[2], 2, 1, 0);
	memset(p[2], 0, 64);
	/* Group 3: its backup descriptor fails its checksum. */
	make_desc(b[3], 3, 1, 0);
	b[3][0x10] ^= 1;
	make_desc(p[3], 3, 1, 0);
	fd = image(p, b);
	CHECK(fd >= 0);
	CHECK_INT(ext_zero_unused_garbage(fd, IMG_SIZE, &n), 0);
	/* 61 of group 0 (not inode 1, 2 or the zeros of 4), 60 of group 1, all 64 of group 2. */
	CHECK_U64(n, 61 + 60 + 64);
	CHECK(!is_zero(fd, 1));
	CHECK(!is_zero(fd, 2));
	CHECK(is_zero(fd, 3));
	CHECK(is_zero(fd, IPG));
	CHECK(!is_zero(fd, IPG + 4));
	CHECK(is_zero(fd, IPG + 5));
	CHECK(is_zero(fd, 2 * IPG + 1));
	CHECK(!is_zero(fd, 3 * IPG + 1));
	/* Again: nothing left to zero. */
	CHECK_INT(ext_zero_unused_garbage(fd, IMG_SIZE, &n), 0);
	CHECK_U64(n, 0);
	close(fd);
}

TEST(ext_zero_unused_garbage_refuses_other_shapes)
{
	uint8_t p[GROUPS][64], b[GROUPS][64], sb[EXT_SB_SIZE];
	uint64_t n;
	int fd;

	for (unsigned g = 0; g < GROUPS; g++) {
		make_desc(b[g], g, 1, 0);
		make_desc(p[g], g, 1, 0);
	}
	/* The two copies name different inode tables: that group is left alone. */
	make_desc_at(p[1], 1, 1, 0, ITABLE(1) + 1);
	fd = image(p, b);
	CHECK(fd >= 0);
	CHECK_INT(ext_zero_unused_garbage(fd, IMG_SIZE, &n), 0);
	CHECK_U64(n, 3 * IPG - 2);		/* inode 2 is whole, inode 4 zeros; group 1 kept */
	CHECK(!is_zero(fd, IPG + 1));
	close(fd);

	/* A backup superblock of another filesystem, or without metadata_csum: nothing. */
	fd = image(p, b);
	CHECK(fd >= 0);
	make_sb(sb, 1);
	sb[0x70] ^= 1;
	put_le32(sb + 0x3fc, ext_crc32c(~0u, sb, 0x3fc));
	CHECK(pwrite(fd, sb, EXT_SB_SIZE, 8193ull * BS) == EXT_SB_SIZE);
	CHECK_INT(ext_zero_unused_garbage(fd, IMG_SIZE, &n), 0);
	CHECK_U64(n, 0);
	make_sb(sb, 0);
	put_le32(sb + 0x64, 0x0003);
	CHECK(pwrite(fd, sb, EXT_SB_SIZE, 1024) == EXT_SB_SIZE);
	CHECK_INT(ext_zero_unused_garbage(fd, IMG_SIZE, &n), 0);
	CHECK_U64(n, 0);
	CHECK(!is_zero(fd, 3));
	close(fd);
}
