/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Partition tables through libfdisk (GPT and MBR; docs/ondisk.md §9). */
#ifndef SB_PART_H
#define SB_PART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct part_entry {
	unsigned partno;		/* 1-based, as the kernel numbers them */
	uint64_t start, size;		/* in table sectors */
	char type[64];			/* GUID (gpt) or hex code (dos) */
	char type_name[64];
	char name[80];			/* gpt name, "" for dos */
	char uuid[40];
	bool container;			/* dos extended partition */
	unsigned parent;		/* dos logical partition: its extended partition, 0: none */
	bool aligned;			/* start and size on the grain */
	/* What follows on the disk: the next partition or free space until the last usable sector. */
	unsigned next_partno;		/* 0: none */
	uint64_t free_after;		/* sectors between this end and the next start */
	/*
	 * Sectors it can grow by: free_after, and for the last logical partition
	 * of an extended one also the free space after the container, which then
	 * grows first to end with it (part_set_size()).
	 */
	uint64_t grow_after;
};

struct part_table {
	char label[8];			/* "gpt" or "dos" */
	char id[40];			/* disk GUID or MBR id */
	unsigned sector_size;		/* bytes; 4096 on 4Kn disks */
	uint64_t grain;			/* bytes; libfdisk's alignment, 1 MiB by default */
	uint64_t first_usable, last_usable;	/* sectors, inclusive */
	bool backup_moves;		/* GPT on a grown disk: the backup header moves on write */
	/*
	 * libfdisk found a copy to repair on its next write: a corrupt primary or
	 * backup GPT (the other one is used), or a protective MBR of the wrong
	 * size; what a write cut off in the middle leaves (t-grow.sh). Also a
	 * GPT whose primary header still points at the staging copy of its entry
	 * array, or whose staging slot is not cleared yet (docs/ptwrite.md).
	 */
	bool needs_write;
	uint64_t disk_sectors;
	size_t n;
	struct part_entry *parts;	/* sorted by start */
};

/* Reads the table of a disk or image. -ENOENT: no partition table. */
int part_table_read(const char *path, struct part_table *pt);
void part_table_clear(struct part_table *pt);
const struct part_entry *part_table_find(const struct part_table *pt, unsigned partno);

/*
 * Sets partition partno (1-based) of disk to size table sectors, keeping its
 * start, and writes the table (GPT: both headers and entry arrays with their
 * CRCs). libfdisk checks the new end against the next partition and the last
 * usable sector; nothing is aligned here. The write order survives a cut at
 * any point (ptwrite.h); E_REFUSED: no room to do so, nothing written.
 * The last logical partition of a dos extended one may end past the
 * container: the container then grows first to end with it (its MBR entry is
 * written and flushed before the EBR, docs/ptwrite.md). A shrink never
 * touches the container.
 */
int part_set_size(const char *disk, unsigned partno, uint64_t size);
/* What part_set_size would refuse (E_REFUSED, libfdisk's own checks), writing nothing. */
int part_check_size(const char *disk, unsigned partno, uint64_t size);
/*
 * The extended partition part_set_size() grows first for partition e of pt to
 * become size sectors: NULL when the container stays as it is (a primary or a
 * GPT partition, a logical partition ending inside its container, or one that
 * is not the last in it, which libfdisk then refuses).
 */
const struct part_entry *part_container_grows(const struct part_table *pt,
					      const struct part_entry *e, uint64_t size);

/*
 * Tells the kernel the new extent of a partition with BLKPG_RESIZE_PARTITION
 * (start and length in bytes), which works while the partition is open, where
 * BLKRRPART fails with EBUSY (docs/ondisk.md §9.4). -ENXIO: the kernel has no such
 * partition. Not for a dos extended partition: the kernel's node for it is a
 * stub of 1 KiB whatever its size (msdos_partition() in block/partitions/msdos.c,
 * and partx alike), and its full size would overlap the logical partitions,
 * which bdev_resize_partition() refuses with EBUSY (partition_overlaps()).
 */
int part_kernel_resize(const char *disk, unsigned partno, uint64_t start_bytes,
		       uint64_t length_bytes);

#endif
