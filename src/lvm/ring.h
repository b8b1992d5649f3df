/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the next metadata text goes in an mda's circular buffer (docs/ondisk.md §4.4). */
#ifndef SB_LVM_RING_H
#define SB_LVM_RING_H

#include <stdint.h>

#include "mda.h"

#define MDA_ALIGN 512u		/* MDA_ORIGINAL_ALIGNMENT */

/* The largest text (NUL included) lvm2 lets an mda of this size hold. */
uint64_t mda_max_text(uint64_t mda_size);

/*
 * Offset (from the mda start) for a new text of size bytes after the
 * committed slot 0, by lvm2's rules: right after the old text, rounded up to
 * 512, wrapping to the start of the buffer when little is left; never
 * overlapping the old text. -ENOSPC when the text is too large.
 */
int mda_next_offset(const struct mda_header *h, uint64_t size, uint64_t *offset);

#endif
