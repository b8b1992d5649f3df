// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "stacksize.h"
#include "../util/err.h"
#include "../util/units.h"

/* Every layer inside a partition ending exactly at byte `end`. */
static int targets_at(const struct layers *l, uint64_t end, struct targets *t)
{
	uint64_t start = l->part_start * l->table_sector, inside, ext = l->extent * SECTOR_SIZE;

	memset(t, 0, sizeof(*t));
	if (end <= start)
		return err_set(-EINVAL, "the partition would have no room at all");
	t->part_size = (end - start) / l->table_sector;
	inside = end - start;
	if (l->luks) {
		if (inside <= l->luks_offset * SECTOR_SIZE)
			return err_set(-EINVAL, "a partition of %" PRIu64 " B does not even hold the "
				       "LUKS header (%" PRIu64 " B)", inside,
				       l->luks_offset * SECTOR_SIZE);
		inside = round_down(inside - l->luks_offset * SECTOR_SIZE, l->crypt_sector);
		t->map_size = inside / SECTOR_SIZE;
	}
	t->pv_bytes = inside;
	if (!l->extent)
		return 0;
	if (inside < l->pe_start * SECTOR_SIZE + l->mda2 + ext)
		return err_set(-EINVAL, "a PV of %" PRIu64 " B does not hold one extent after its "
			       "metadata", inside);
	t->pe_count = (inside - l->pe_start * SECTOR_SIZE - l->mda2) / ext;
	t->free_needed = l->used > t->pe_count ? l->used - t->pe_count : 0;
	return 0;
}

int shrink_targets(const struct layers *l, uint64_t part_bytes, struct targets *t)
{
	uint64_t start = l->part_start * l->table_sector;
	uint64_t grain = l->grain ? l->grain : l->table_sector;
	uint64_t end = round_down(start + part_bytes, grain);

	/* The end on the grain, never past what was asked for. */
	if (end <= start) {
		memset(t, 0, sizeof(*t));
		return err_set(-EINVAL, "%" PRIu64 " B leaves the partition no room once its end "
			       "is aligned to %" PRIu64 " B", part_bytes, grain);
	}
	return targets_at(l, end, t);
}

int fill_targets(const struct layers *l, uint64_t part_size, struct targets *t)
{
	return targets_at(l, (l->part_start + part_size) * l->table_sector, t);
}
