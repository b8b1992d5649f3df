/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The arithmetic of a whole-stack shrink, from one declared partition size to
 * every layer inside, with every boundary from the real headers: the
 * partition's start and the table's grain, the LUKS data offset and crypt
 * sector size, pe_start, the second metadata area and the extent size. Exact:
 * no margins, no percentages.
 */
#ifndef SB_STACKSIZE_H
#define SB_STACKSIZE_H

#include <stdbool.h>
#include <stdint.h>

struct layers {
	uint64_t part_start, part_size;	/* table sectors */
	uint64_t table_sector;		/* bytes */
	uint64_t grain;			/* bytes */
	bool luks;
	uint64_t luks_offset;		/* 512-byte sectors */
	uint64_t crypt_sector;		/* bytes (512 or 4096) */
	uint64_t pe_start;		/* 512-byte sectors */
	uint64_t extent;		/* 512-byte sectors; 0: no PV, a filesystem fills the
					   mapping or partition (pv_bytes is its room) */
	uint64_t mda2;			/* bytes at the PV's end, 0 if none */
	uint64_t used;			/* allocated extents */
};

struct targets {
	uint64_t part_size;		/* table sectors */
	uint64_t map_size;		/* 512-byte sectors of the dm-crypt mapping (luks) */
	uint64_t pv_bytes;
	uint64_t pe_count;
	uint64_t free_needed;		/* extents the LVs must give up first */
};

/*
 * Targets for a partition of at most part_bytes: its end is put on the grain
 * at or below start + part_bytes; the mapping fills it to the last whole crypt
 * sector; the PV fills the mapping; pe_count is what fits below mda2.
 * -EINVAL when the partition would leave no room for one extent.
 */
int shrink_targets(const struct layers *l, uint64_t part_bytes, struct targets *t);

/*
 * Targets for a partition of exactly part_size table sectors (grow, and the
 * final fill): the mapping and the PV fill it; no grain rounding.
 */
int fill_targets(const struct layers *l, uint64_t part_size, struct targets *t);

#endif
