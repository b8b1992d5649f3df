// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The slots of the primary descriptor table that hold no descriptor, filled in
 * from group 1's copy after a cut-off shrink (src/layer/extgdt.c), and put
 * back. Images are built here: 1 KiB
 * blocks, 8192 blocks per group, four groups, 64-byte descriptors; the primary
 * table at block 2, group 1's backup superblock at block 8193 and its table at
 * 8194.
 */
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "layer/extgdt.h"
#include "layer/extsb.h"
#include "util/endian.h"

#define IMG_SIZE	(40ull << 20)
#define BS		1024u
#define GROUPS		4u

static const uint8_t uuid[16] = { 0xb4, 0x0f, 0x67, 0x8c, 0xc5, 0x1b, 0x49, 0x13,
				  0x86, 0x81, 0x7a, 0xf0, 0x1a, 0xc0, 0x66, 0xe5 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void make_sb(uint8_t *sb, uint16_t grp, uint32_t groups)
{
	memset(sb, 0, EXT_SB_SIZE);
	put_le32(sb + 0x04, 1 + groups * 8192);
	put_le32(sb + 0x14, 1);
	put_le32(sb + 0x20, 8192);
	put_le32(sb + 0x24, 8192);
	put_le32(sb + 0x28, 64);
	put16(sb + 0x38, 0xef53);
	put16(sb + 0x5a, grp);
	put_le32(sb + 0x5c, 0x003c);
	put_le32(sb + 0x60, 0x02c2);		/* filetype, extent, 64bit, flex_bg */
	put_le32(sb + 0x64, 0x0403);		/* sparse_super, large_file, metadata_csum */
	memcpy(sb + 0x68, uuid, 16);
	put16(sb + 0xfe, 64);
	sb[0x175] = 1;
	put_le32(sb + 0x3fc, ext_crc32c(~0u, sb, 0x3fc));
}

/* A metadata_csum descriptor (checksum as ext2fs_group_desc_csum()); tag tells copies apart. */
static void make_desc(uint8_t *d, uint32_t grp, uint16_t tag)
{
	uint8_t le[4];
	uint32_t crc;

	memset(d, 0, 64);
	put_le32(d + 0x08, 100 + 16 * grp);
	put16(d + 0x12, 1);
	put16(d + 0x0c, tag);
	put_le32(le, grp);
	crc = ext_crc32c(ext_crc32c(~0u, uuid, 16), le, 4);
	crc = ext_crc32c(crc, d, 64);
	put16(d + 0x1e, (uint16_t)crc);
}

static int image(const uint8_t *pri_sb, const uint8_t *bak_sb, uint8_t p[GROUPS][64],
		 uint8_t b[GROUPS][64])
{
	char path[] = "/tmp/sb-extgdt-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (ftruncate(fd, IMG_SIZE) < 0 || pwrite(fd, pri_sb, EXT_SB_SIZE, 1024) != EXT_SB_SIZE ||
	    pwrite(fd, bak_sb, EXT_SB_SIZE, 8193ull * BS) != EXT_SB_SIZE ||
	    pwrite(fd, p, GROUPS * 64, 2 * BS) != GROUPS * 64 ||
	    pwrite(fd, b, GROUPS * 64, 8194ull * BS) != GROUPS * 64) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool table_is(int fd, uint8_t t[GROUPS][64])
{
	uint8_t buf[GROUPS * 64];

	return pread(fd, buf, sizeof(buf), 2 * BS) == sizeof(buf) && !memcmp(buf, t, sizeof(buf));
}

TEST(ext_gdt_old_table_written_then_put_back)
{
	uint8_t ps[EXT_SB_SIZE], bs[EXT_SB_SIZE], p[GROUPS][64], b[GROUPS][64], before[GROUPS][64];
	uint8_t want[GROUPS][64];
	struct ext_gdt_saved s;
	int fd;

	make_sb(ps, 0, GROUPS);
	make_sb(bs, 1, GROUPS);
	for (unsigned g = 0; g < GROUPS; g++)
		make_desc(b[g], g, 1);
	/* The new table: groups 0 and 1 rewritten, 2 a stale old entry, 3 not a descriptor. */
	make_desc(p[0], 0, 2);
	make_desc(p[1], 1, 2);
	make_desc(p[2], 2, 1);
	memset(p[3], 0, 64);
	memcpy(before, p, sizeof(before));
	fd = image(ps, bs, p, b);
	CHECK(fd >= 0);
	CHECK_INT(ext_gdt_from_backup(fd, IMG_SIZE, &s), 1);
	CHECK_U64(s.groups, GROUPS);
	CHECK_U64(s.filled, 1);
	CHECK_U64(s.off, 2 * BS);
	CHECK_U64(s.len, GROUPS * 64);
	/* Only slot 3 changes: the groups with a descriptor of their own keep it (fresher). */
	memcpy(want, before, sizeof(want));
	memcpy(want[3], b[3], 64);
	CHECK(table_is(fd, want));
	CHECK_INT(ext_gdt_put_back(fd, &s), 0);
	CHECK(table_is(fd, before));
	ext_gdt_saved_free(&s);
	/* Once written, a second call finds every slot a descriptor: nothing to do. */
	CHECK_INT(ext_gdt_from_backup(fd, IMG_SIZE, &s), 1);
	ext_gdt_saved_free(&s);
	CHECK_INT(ext_gdt_from_backup(fd, IMG_SIZE, &s), 0);
	CHECK(s.bytes == NULL);
	CHECK(table_is(fd, want));
	close(fd);
}

TEST(ext_gdt_old_table_not_taken)
{
	uint8_t ps[EXT_SB_SIZE], bs[EXT_SB_SIZE], p[GROUPS][64], b[GROUPS][64];
	struct ext_gdt_saved s;
	int fd;

	make_sb(ps, 0, GROUPS);
	for (unsigned g = 0; g < GROUPS; g++) {
		make_desc(b[g], g, 1);
		make_desc(p[g], g, 2);
	}
	/* Every slot a descriptor: nothing to fill. */
	make_sb(bs, 1, GROUPS);
	fd = image(ps, bs, p, b);
	CHECK(fd >= 0);
	CHECK_INT(ext_gdt_from_backup(fd, IMG_SIZE, &s), 0);
	CHECK(table_is(fd, p));
	close(fd);
	/* Slot 3 empty, and group 1's copy of it is no descriptor either (the new table there too). */
	memset(p[3], 0, 64);
	memset(b[3], 0, 64);
	fd = image(ps, bs, p, b);
	CHECK(fd >= 0);
	CHECK_INT(ext_gdt_from_backup(fd, IMG_SIZE, &s), 0);
	CHECK(table_is(fd, p));
	close(fd);
	/* Group 1's superblock counts another size (the new one): not the old table's. */
	make_desc(b[3], 3, 1);
	make_sb(bs, 1, GROUPS - 1);
	fd = image(ps, bs, p, b);
	CHECK(fd >= 0);
	CHECK_INT(ext_gdt_from_backup(fd, IMG_SIZE, &s), 0);
	close(fd);
	/* A torn or foreign backup superblock. */
	make_sb(bs, 1, GROUPS);
	bs[0x70] ^= 1;
	fd = image(ps, bs, p, b);
	CHECK(fd >= 0);
	CHECK_INT(ext_gdt_from_backup(fd, IMG_SIZE, &s), 0);
	close(fd);
	/* No metadata_csum: nothing says a descriptor is whole. */
	make_sb(ps, 0, GROUPS);
	put_le32(ps + 0x64, 0x0003);
	put_le32(ps + 0x3fc, ext_crc32c(~0u, ps, 0x3fc));
	make_sb(bs, 1, GROUPS);
	put_le32(bs + 0x64, 0x0003);
	put_le32(bs + 0x3fc, ext_crc32c(~0u, bs, 0x3fc));
	fd = image(ps, bs, p, b);
	CHECK(fd >= 0);
	CHECK_INT(ext_gdt_from_backup(fd, IMG_SIZE, &s), 0);
	CHECK(table_is(fd, p));
	close(fd);
}
