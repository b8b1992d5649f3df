// SPDX-License-Identifier: GPL-2.0-or-later
#include <blkid.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fs.h"
#include "../util/endian.h"
#include "../util/err.h"

#define EXT_SB_OFFSET 1024
#define EXT_MAGIC 0xef53
#define EXT_INCOMPAT_64BIT 0x80
#define EXT_STATE_VALID 0x1
#define EXT_STATE_ERROR 0x2

static void lookup(blkid_probe pr, const char *tag, char *out, size_t len)
{
	const char *v;

	if (blkid_probe_lookup_value(pr, tag, &v, NULL) == 0)
		snprintf(out, len, "%s", v);
}

int ext_read_super(const struct region *r, struct fs_info *fi)
{
	uint8_t sb[1024];
	uint64_t blocks, free_blocks;
	uint32_t log, incompat;
	int ret;

	ret = region_read(r, EXT_SB_OFFSET, sb, sizeof(sb));
	if (ret < 0)
		return ret;
	if (get_le16(sb + 0x38) != EXT_MAGIC)
		return -ENOENT;
	log = get_le32(sb + 0x18);
	if (log > 6)	/* 64 KiB blocks at most */
		return err_set(-EBADMSG, "%s: ext superblock has block size 1024 << %" PRIu32,
			       r->name, log);
	incompat = get_le32(sb + 0x60);
	blocks = get_le32(sb + 0x04);
	free_blocks = get_le32(sb + 0x0c);
	/* The _hi halves count only with the 64bit feature (s_blocks_count_hi at 0x150). */
	if (incompat & EXT_INCOMPAT_64BIT) {
		blocks |= (uint64_t)get_le32(sb + 0x150) << 32;
		free_blocks |= (uint64_t)get_le32(sb + 0x158) << 32;
	}
	fi->block_size = 1024u << log;
	fi->blocks = blocks;
	fi->free_blocks = free_blocks;
	fi->size = blocks * fi->block_size;
	fi->size_known = true;
	fi->ext_clean = (get_le16(sb + 0x3a) & (EXT_STATE_VALID | EXT_STATE_ERROR)) ==
			EXT_STATE_VALID;
	fi->ext_errors = get_le16(sb + 0x3a) & EXT_STATE_ERROR;
	fi->ext_needs_fsck = get_le32(sb + 0x40) < get_le32(sb + 0x2c);
	return 0;
}

int swap_read_header(const struct region *r, struct fs_info *fi)
{
	uint8_t page[65536];
	int ret;

	/* The signature ends the first page; try the page sizes libblkid tries. */
	for (uint32_t ps = 4096; ps <= 65536; ps *= 2) {
		uint32_t last_page;

		if (r->size < ps)
			break;
		ret = region_read(r, 0, page, ps);
		if (ret < 0)
			return ret;
		if (memcmp(page + ps - 10, "SWAPSPACE2", 10))
			continue;
		if (get_le32(page + 1024) != 1)
			return err_set(-EOPNOTSUPP, "%s: swap header version %" PRIu32
				       " is not 1", r->name, get_le32(page + 1024));
		last_page = get_le32(page + 1028);
		fi->block_size = ps;
		fi->blocks = (uint64_t)last_page + 1;
		fi->size = fi->blocks * ps;
		fi->size_known = true;
		return 0;
	}
	return -ENOENT;
}

int xfs_read_super(const struct region *r, struct fs_info *fi)
{
	uint8_t sb[512];
	uint32_t bs;
	int ret;

	ret = region_read(r, 0, sb, sizeof(sb));
	if (ret < 0)
		return ret;
	if (memcmp(sb, "XFSB", 4))
		return -ENOENT;
	/* sb_blocksize, sb_dblocks: big-endian, as all of XFS's on-disk fields. */
	bs = get_be32(sb + 4);
	if (bs < 512 || bs > 65536 || (bs & (bs - 1)))
		return err_set(-EBADMSG, "%s: XFS superblock has block size %" PRIu32, r->name, bs);
	fi->block_size = bs;
	fi->blocks = get_be64(sb + 8);
	fi->size = fi->blocks * bs;
	fi->size_known = true;
	return 0;
}

#define BTRFS_SB_OFFSET 65536

int btrfs_read_super(const struct region *r, struct fs_info *fi)
{
	uint8_t sb[4096];
	uint32_t ss;
	int ret;

	if (r->size < BTRFS_SB_OFFSET + sizeof(sb))
		return -ENOENT;
	ret = region_read(r, BTRFS_SB_OFFSET, sb, sizeof(sb));
	if (ret < 0)
		return ret;
	if (memcmp(sb + 0x40, "_BHRfS_M", 8))
		return -ENOENT;
	ss = get_le32(sb + 0x90);
	if (ss < 4096 || ss > 65536 || (ss & (ss - 1)))
		return err_set(-EBADMSG, "%s: btrfs superblock has sector size %" PRIu32, r->name, ss);
	/*
	 * What this device gives the filesystem is its dev_item's total_bytes
	 * (the superblock's own copy of the device item, at 0xc9: devid, then
	 * total_bytes); the superblock's total_bytes (0x70) sums every device.
	 */
	fi->block_size = ss;
	fi->size = get_le64(sb + 0xc9 + 8);
	fi->blocks = fi->size / ss;
	fi->fs_devices = get_le64(sb + 0x88);
	fi->fs_devid = get_le64(sb + 0xc9);
	fi->size_known = true;
	return 0;
}

/* 16 bytes as a UUID in libblkid's form (8-4-4-4-12, lower case). */
static void uuid_str(const uint8_t *u, char out[48])
{
	snprintf(out, 48, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

/* A fixed-size name field, NUL-padded (or full). */
static void name_str(const uint8_t *p, size_t n, char *out, size_t len)
{
	size_t k = 0;

	while (k < n && p[k])
		k++;
	snprintf(out, len, "%.*s", (int)k, (const char *)p);
}

/*
 * ext2, ext3 or ext4, as libblkid names them (its ext prober): features
 * beyond what ext3 supports make it ext4, else a journal makes it ext3.
 */
#define EXT3_INCOMPAT_SUPP 0x0016	/* filetype, recover, meta_bg */
#define EXT3_RO_COMPAT_SUPP 0x0007	/* sparse_super, large_file, btree_dir */
#define EXT_COMPAT_HAS_JOURNAL 0x0004

int fs_probe_fast(const struct region *r, struct fs_info *fi)
{
	uint8_t sb[1024];

	memset(fi, 0, sizeof(*fi));
	/* An external journal (journal_dev, incompat 0x8) is libblkid's "jbd": asked of it. */
	if (ext_read_super(r, fi) == 0 && region_read(r, EXT_SB_OFFSET, sb, sizeof(sb)) == 0 &&
	    !(get_le32(sb + 0x60) & 0x8)) {
		bool ext4 = (get_le32(sb + 0x60) & ~EXT3_INCOMPAT_SUPP) ||
			    (get_le32(sb + 0x64) & ~EXT3_RO_COMPAT_SUPP);

		snprintf(fi->type, sizeof(fi->type), "%s", ext4 ? "ext4" :
			 get_le32(sb + 0x5c) & EXT_COMPAT_HAS_JOURNAL ? "ext3" : "ext2");
		snprintf(fi->usage, sizeof(fi->usage), "filesystem");
		uuid_str(sb + 0x68, fi->uuid);
		name_str(sb + 0x78, 16, fi->label, sizeof(fi->label));
		return 0;
	}
	memset(fi, 0, sizeof(*fi));
	if (swap_read_header(r, fi) == 0 && region_read(r, 1024, sb, 44) == 0) {
		/* struct swap_header_v1_2: version, last_page, nr_badpages, uuid, volume_name. */
		snprintf(fi->type, sizeof(fi->type), "swap");
		snprintf(fi->usage, sizeof(fi->usage), "other");
		uuid_str(sb + 12, fi->uuid);
		name_str(sb + 28, 16, fi->label, sizeof(fi->label));
		return 0;
	}
	return fs_probe(r, fi);
}

int fs_probe(const struct region *r, struct fs_info *fi)
{
	blkid_probe pr;
	int ret;

	memset(fi, 0, sizeof(*fi));
	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, r->fd, (blkid_loff_t)r->off, (blkid_loff_t)r->size) < 0) {
		blkid_free_probe(pr);
		return err_set(-EIO, "%s: libblkid cannot probe it", r->name);
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
					  BLKID_SUBLKS_LABEL | BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	ret = blkid_do_safeprobe(pr);
	if (ret == -2) {
		blkid_free_probe(pr);
		return err_set(-EBADMSG, "%s: more than one signature found (ambiguous)", r->name);
	}
	if (ret == 0) {
		lookup(pr, "TYPE", fi->type, sizeof(fi->type));
		lookup(pr, "USAGE", fi->usage, sizeof(fi->usage));
		lookup(pr, "PTTYPE", fi->pttype, sizeof(fi->pttype));
		lookup(pr, "UUID", fi->uuid, sizeof(fi->uuid));
		lookup(pr, "LABEL", fi->label, sizeof(fi->label));
	}
	blkid_free_probe(pr);

	if (!strncmp(fi->type, "ext", 3)) {
		ret = ext_read_super(r, fi);
		if (ret < 0 && ret != -ENOENT)
			return ret;
	} else if (!strcmp(fi->type, "swap")) {
		ret = swap_read_header(r, fi);
		if (ret < 0 && ret != -ENOENT)
			return ret;
	} else if (!strcmp(fi->type, "xfs")) {
		ret = xfs_read_super(r, fi);
		if (ret < 0 && ret != -ENOENT)
			return ret;
	} else if (!strcmp(fi->type, "btrfs")) {
		ret = btrfs_read_super(r, fi);
		if (ret < 0 && ret != -ENOENT)
			return ret;
	}
	return 0;
}
