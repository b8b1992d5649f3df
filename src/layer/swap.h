/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resizing a swap area in place: only last_page changes in the header
 * (docs/ondisk.md §10.4); the UUID, the label and the boot bits stay, so fstab and
 * resume= keep finding it and no mkswap is needed.
 */
#ifndef SB_SWAP_H
#define SB_SWAP_H

#include <stdint.h>

#define SWAP_MIN_PAGES 10

/* Sets the swap area on dev to cover bytes (rounded down to whole pages). */
int swap_set_size(const char *dev, uint64_t bytes);
/* True when dev is listed in /proc/swaps (by device number). */
int swap_in_use(const char *dev);

#endif
