// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The XFS and btrfs superblock readers (src/layer/fs.c, docs/ondisk.md 10.7 and
 * 10.8) on images built here: the sizes they give, and what they refuse (a bad
 * block or sector size, no magic, an image too short for the btrfs copy).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "layer/fs.h"
#include "util/endian.h"
#include "util/err.h"

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An image file of size bytes holding buf at off; the region over it in *r (fd to close). */
static void image(struct region *r, uint64_t size, uint64_t off, const uint8_t *buf, size_t len)
{
	char path[] = "/tmp/sbfsprobe.XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	unlink(path);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	CHECK(pwrite(fd, buf, len, (off_t)off) == (ssize_t)len);
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->size = size;
	r->name = "img";
}

TEST(xfs_super_size_and_refusals)
{
	uint8_t sb[512] = { 0 };
	struct fs_info fi = { 0 };
	struct region r;

	memcpy(sb, "XFSB", 4);
	put_be32(sb + 4, 4096);
	put_be32(sb + 8, 0);
	put_be32(sb + 12, 176640);		/* sb_dblocks, big-endian 64 bits */
	image(&r, 1 << 20, 0, sb, sizeof(sb));
	CHECK_INT(xfs_read_super(&r, &fi), 0);
	CHECK(fi.size_known);
	CHECK_U64(fi.block_size, 4096);
	CHECK_U64(fi.size, 176640ull * 4096);
	close(r.fd);

	put_be32(sb + 4, 3000);			/* not a power of two */
	image(&r, 1 << 20, 0, sb, sizeof(sb));
	err_clear();
	CHECK_INT(xfs_read_super(&r, &fi), -EBADMSG);
	close(r.fd);

	memcpy(sb, "XFSC", 4);
	image(&r, 1 << 20, 0, sb, sizeof(sb));
	CHECK_INT(xfs_read_super(&r, &fi), -ENOENT);
	close(r.fd);
}

TEST(btrfs_super_this_device_and_refusals)
{
	uint8_t sb[4096] = { 0 };
	struct fs_info fi = { 0 };
	struct region r;

	memcpy(sb + 0x40, "_BHRfS_M", 8);
	put_le64(sb + 0x70, 3ull << 30);	/* the sum over both devices */
	put_le64(sb + 0x88, 2);
	put_le32(sb + 0x90, 4096);
	put_le64(sb + 0xc9, 2);			/* dev_item.devid (packed: no alignment) */
	put_le64(sb + 0xd1, 1ull << 30);	/* dev_item.total_bytes */
	image(&r, 2 << 20, 65536, sb, sizeof(sb));
	CHECK_INT(btrfs_read_super(&r, &fi), 0);
	CHECK_U64(fi.size, 1ull << 30);
	CHECK_U64(fi.fs_devices, 2);
	CHECK_U64(fi.fs_devid, 2);
	CHECK_U64(fi.block_size, 4096);
	close(r.fd);

	put_le32(sb + 0x90, 1000);
	image(&r, 2 << 20, 65536, sb, sizeof(sb));
	err_clear();
	CHECK_INT(btrfs_read_super(&r, &fi), -EBADMSG);
	close(r.fd);

	/* Shorter than the superblock's place: nothing there to read. */
	image(&r, 65536, 0, sb, 16);
	CHECK_INT(btrfs_read_super(&r, &fi), -ENOENT);
	close(r.fd);
}
