/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Partition-table writes in an order a power cut cannot break (docs/ptwrite.md).
 *
 * libfdisk stays the parser, editor and validator, but writes into a scratch
 * copy of the table sectors (a sparse memfd of the disk's size and sector
 * size); the bytes it produced are then written to the disk by this file,
 * phase by phase with a flush between, so that every prefix of the writes and
 * every subset of the writes since the last flush is a table the kernel
 * accepts (block/partitions/efi.c, msdos.c) and that names the old or the new
 * partitions.
 *
 * Test hook: SHRINKBOX_TEST_WRITELOG=FILE appends "W <offset> <length> <hex>"
 * for each write and "F" for each flush to FILE. Unset, it costs one getenv.
 * SHRINKBOX_TEST_STOP_AFTER (util/teststop.h) phases of a GPT write: pt-backup
 * (backup and PMBR flushed), pt-staged (the header at the staging copy
 * flushed), pt-home (the header home again, the slot not yet cleared); of a
 * dos write: pt-container (the MBR with the grown extended partition flushed,
 * the EBRs not yet written).
 */
#ifndef SB_LAYER_PTWRITE_H
#define SB_LAYER_PTWRITE_H

#include <stdbool.h>
#include <stdint.h>

struct fdisk_context;

/* Edits the table of cxt (the scratch copy): 0 or -errno with err_set(). */
typedef int (*pt_edit_fn)(struct fdisk_context *cxt, void *arg);

struct pt_write_stats {
	unsigned writes, flushes;
	bool staged;		/* GPT: the entry array went through the staging slot */
};

/*
 * Opens disk, lets edit change the table in the scratch copy, lets libfdisk
 * write it there, then writes the changed sectors to disk in the safe order.
 * E_REFUSED (nothing written): no room for the staging copy of a GPT entry
 * array, or a label other than gpt and dos. stats may be NULL.
 */
int pt_write(const char *disk, pt_edit_fn edit, void *arg, struct pt_write_stats *stats);
/* The same decisions and refusals, on the disk opened read-only, writing nothing. */
int pt_write_check(const char *disk, pt_edit_fn edit, void *arg);

/*
 * A GPT whose primary header points at the staging copy of its entry array,
 * or whose staging slot still holds a copy of the array: what a cut during a
 * table write leaves; the next table write moves it home and clears the slot.
 * Also a valid backup that names other entries than the primary (a cut in
 * libfdisk's own order): the next write rewrites it from the primary.
 * *found is false for other labels and clean tables.
 */
int pt_gpt_staged(const char *path, unsigned sector_size, bool *found);

#endif
