// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The superblock an interrupted resize2fs left in its first backup group
 * (src/layer/extsb.c): which backups count as the one it wrote last, and the
 * primary made from it. Images are built here: a primary at byte 1024, a
 * backup at group 1 (1 KiB blocks, 8192 blocks per group: byte 8193 * 1024).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "layer/extsb.h"
#include "util/endian.h"

#define IMG_SIZE (64ull << 20)
#define BACKUP_OFF (8193ull * 1024)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void csum(uint8_t *sb)
{
	put_le32(sb + 0x3fc, ext_crc32c(~0u, sb, 0x3fc));
}

/* A 64-bit metadata_csum superblock of blocks 1 KiB blocks, copy of group grp. */
static void make_sb(uint8_t *sb, uint64_t blocks, uint16_t grp, uint32_t wtime)
{
	memset(sb, 0, EXT_SB_SIZE);
	put_le32(sb + 0x04, (uint32_t)blocks);
	put_le32(sb + 0x150, (uint32_t)(blocks >> 32));
	put_le32(sb + 0x14, 1);			/* first data block */
	put_le32(sb + 0x20, 8192);		/* blocks per group */
	put_le32(sb + 0x24, 8192);
	put_le32(sb + 0x28, 2048);
	put_le32(sb + 0x30, wtime);
	put16(sb + 0x38, 0xef53);
	put16(sb + 0x3a, 0x0002);		/* error bit, as resize2fs marks it */
	put16(sb + 0x5a, grp);
	put_le32(sb + 0x5c, 0x003c);
	put_le32(sb + 0x60, 0x02c2);		/* filetype, extent, 64bit, flex_bg */
	put_le32(sb + 0x64, 0x0403);		/* sparse_super, large_file, metadata_csum */
	memset(sb + 0x68, 0xab, 16);
	sb[0x175] = 1;
	csum(sb);
}

static int image(const uint8_t *primary, const uint8_t *backup)
{
	char path[] = "/tmp/sb-extsb-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (ftruncate(fd, IMG_SIZE) < 0 || pwrite(fd, primary, EXT_SB_SIZE, 1024) != EXT_SB_SIZE ||
	    pwrite(fd, backup, EXT_SB_SIZE, BACKUP_OFF) != EXT_SB_SIZE) {
		close(fd);
		return -1;
	}
	return fd;
}

static int newer(const uint8_t *primary, const uint8_t *backup, struct ext_sb_pair *p)
{
	int fd = image(primary, backup), r;

	if (fd < 0)
		return -1000;
	r = ext_sb_newer_backup(fd, IMG_SIZE, p);
	close(fd);
	return r;
}

TEST(ext_crc32c_vectors)
{
	/* CRC-32C check value 0xe3069283 is with the final inversion ext4 leaves out. */
	CHECK_U64(ext_crc32c(~0u, "123456789", 9), 0xe3069283u ^ 0xffffffffu);
	CHECK_U64(ext_crc32c(~0u, "", 0), 0xffffffffu);
}

TEST(ext_sb_backup_of_a_cut_shrink_is_newer)
{
	uint8_t pri[EXT_SB_SIZE], bak[EXT_SB_SIZE], out[EXT_SB_SIZE];
	struct ext_sb_pair p;

	make_sb(pri, 65536, 0, 1000);
	make_sb(bak, 32768, 1, 1000);
	put16(bak + 0x3a, 0);	/* backups are written without the valid bit */
	csum(bak);
	CHECK_INT(newer(pri, bak, &p), 1);
	CHECK_U64(p.backup_off, BACKUP_OFF);
	CHECK_U64(p.backup_group, 1);
	CHECK_U64(p.primary_blocks, 65536);
	CHECK_U64(p.backup_blocks, 32768);
	CHECK(!memcmp(p.primary, pri, EXT_SB_SIZE));

	ext_sb_as_primary(p.backup, out);
	CHECK_U64(get_le16(out + 0x5a), 0);
	CHECK_U64(get_le16(out + 0x3a), 0x0002);
	CHECK_U64(get_le32(out + 0x3fc), ext_crc32c(~0u, out, 0x3fc));
	CHECK(!memcmp(out + 0x60, bak + 0x60, 0x3fc - 0x60));
	CHECK_U64(get_le32(out + 0x04), 32768);
}

TEST(ext_sb_backup_not_taken)
{
	uint8_t pri[EXT_SB_SIZE], bak[EXT_SB_SIZE];
	struct ext_sb_pair p;

	make_sb(pri, 65536, 0, 1000);
	/* The same size: nothing to finish. */
	make_sb(bak, 65536, 1, 1000);
	CHECK_INT(newer(pri, bak, &p), 0);
	/* Older than the primary: an earlier resize's copy. */
	make_sb(bak, 32768, 1, 999);
	CHECK_INT(newer(pri, bak, &p), 0);
	/* A torn or foreign copy: bad checksum, other UUID, other geometry, wrong group. */
	make_sb(bak, 32768, 1, 1000);
	bak[0x10] ^= 1;
	CHECK_INT(newer(pri, bak, &p), 0);
	make_sb(bak, 32768, 1, 1000);
	bak[0x70] ^= 1;
	csum(bak);
	CHECK_INT(newer(pri, bak, &p), 0);
	make_sb(bak, 32768, 1, 1000);
	put_le32(bak + 0x20, 4096);
	csum(bak);
	CHECK_INT(newer(pri, bak, &p), 0);
	make_sb(bak, 32768, 3, 1000);
	CHECK_INT(newer(pri, bak, &p), 0);
	/* More blocks than the device holds. */
	make_sb(bak, 2 * 65536 + 1, 1, 1000);
	CHECK_INT(newer(pri, bak, &p), 0);
	/* No magic there at all. */
	memset(bak, 0, sizeof(bak));
	CHECK_INT(newer(pri, bak, &p), 0);
	/* sparse_super2 without backups. */
	make_sb(pri, 65536, 0, 1000);
	put_le32(pri + 0x5c, get_le32(pri + 0x5c) | 0x200);
	csum(pri);
	make_sb(bak, 32768, 1, 1000);
	put_le32(bak + 0x5c, get_le32(bak + 0x5c) | 0x200);
	csum(bak);
	CHECK_INT(newer(pri, bak, &p), 0);
	/* The primary is not ext. */
	memset(pri, 0, sizeof(pri));
	CHECK_INT(newer(pri, bak, &p), -ENOENT);
}

TEST(ext_sb_needs_recovery_differs_only_in_backup)
{
	uint8_t pri[EXT_SB_SIZE], bak[EXT_SB_SIZE];
	struct ext_sb_pair p;

	make_sb(pri, 65536, 0, 1000);
	put_le32(pri + 0x60, get_le32(pri + 0x60) | 0x4);
	csum(pri);
	make_sb(bak, 32768, 1, 1001);
	CHECK_INT(newer(pri, bak, &p), 1);
}

TEST(ext_sb_torn_primary_takes_the_backup)
{
	uint8_t pri[EXT_SB_SIZE], bak[EXT_SB_SIZE];
	struct ext_sb_pair p;

	/* The sector with the size written, the one with the checksum not: the same size. */
	make_sb(pri, 32768, 0, 1000);
	make_sb(bak, 32768, 1, 1000);
	pri[0x3fc] ^= 1;
	CHECK_INT(newer(pri, bak, &p), 1);
	CHECK(p.primary_torn);
	/* A torn primary with no whole backup: nothing to take. */
	bak[0x20] ^= 1;
	CHECK_INT(newer(pri, bak, &p), 0);
}

