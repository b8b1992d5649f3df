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
