/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Metadata areas: a 512-byte mda_header followed by a circular buffer of
 * metadata text (docs/ondisk.md §4). Slot 0 of the header points at the committed
 * text, slot 1 at a precommitted one.
 */
#ifndef SB_LVM_MDA_H
#define SB_LVM_MDA_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "label.h"
#include "../util/io.h"

#define MDA_HEADER_SIZE 512u
#define FMTT_MAGIC " LVM2 x[5A%r0N*>"
#define FMTT_VERSION 1u
#define RAW_LOCN_IGNORED 0x1u
#define MDA_SLOTS 2

struct raw_locn {
	uint64_t offset;	/* bytes from the mda start */
	uint64_t size;		/* bytes of text, the NUL included */
	uint32_t checksum;	/* crc_lvm over the text in logical order */
	uint32_t flags;
};

struct mda_header {
	uint32_t checksum;
	uint32_t version;
	uint64_t start;		/* bytes from the device start */
	uint64_t size;		/* bytes, header included */
	struct raw_locn slot[MDA_SLOTS];
};

/*
 * Decodes and validates a header against the label's disk_locn: checksum,
 * magic, version, start, and size == the label's size (which lvm2 2.03.16
 * does not check; docs/ondisk.md §6.1).
 */
int mda_header_decode(const uint8_t buf[MDA_HEADER_SIZE], const struct disk_locn *where,
		      struct mda_header *h);
void mda_header_encode(const struct mda_header *h, uint8_t buf[MDA_HEADER_SIZE]);

static inline bool raw_locn_empty(const struct raw_locn *rl)
{
	return !rl->offset && !rl->size;
}

/*
 * Reads the text slot points at (wrapping in the ring), checks its checksum
 * and its terminating NUL. *text is malloc'd and NUL-terminated; *len excludes
 * the NUL. An empty slot gives -ENOENT.
 */
int mda_read_text(const struct region *dev, const struct mda_header *h, unsigned slot,
		  char **text, size_t *len);

#endif
