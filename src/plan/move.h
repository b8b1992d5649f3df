/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The extent mover. Data goes only into free extents, so the source stays
 * valid until the metadata commit that points the LV at the copy; the copy is
 * flushed before that commit. A power cut at any instant leaves the old or
 * the new mapping, both pointing at valid data, and running the same
 * command again continues (the planner starts from what is committed).
 */
#ifndef SB_MOVE_H
#define SB_MOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defrag.h"
#include "../lvm/commit.h"
#include "../util/progress.h"

/*
 * Bytes per read and write. The best of 256 KiB..16 MiB through dm-crypt in
 * bench/defrag-vm.sh, with reading and writing overlapped (bench/README.md).
 */
#define MOVE_CHUNK_DEFAULT (1u << 20)

/* keep[lv] for an LV all of whose bytes matter. */
#define MOVE_KEEP_ALL UINT64_MAX

struct mover_opts {
	size_t chunk;
	/*
	 * Per LV (indexed like vg->lvs), how many bytes from its start hold
	 * anything to keep; NULL means all of every LV. Extents wholly beyond
	 * are remapped without a copy (a swap area's pages: move_swap_keep()).
	 */
	const uint64_t *keep;
	bool verify;			/* read the copy back and compare before the commit */
	const struct commit_opts *commit;
	struct progress *progress;
};

/* The bytes of move m that are copied when the first keep bytes of its LV matter. */
uint64_t move_copy_bytes(const struct move *m, uint64_t ext_bytes, uint64_t keep);

/*
 * How much of LV lv must be copied when it moves: an inactive swap area
 * (libblkid TYPE=swap, a SWAPSPACE2 header, so no hibernation image) holds
 * nothing to keep but its header page: swap pages are written before they
 * are read, and nothing reads them after a reboot. Anything else, or a header
 * that does not lie in the LV's first linear segment: MOVE_KEEP_ALL.
 */
uint64_t move_swap_keep(const struct vgh *h, unsigned lv);

/*
 * Executes the plan move by move on the PVs of h: copy, flush, (verify),
 * remap the LV in the metadata, commit. res->wrote tells whether anything
 * reached a disk.
 */
int moves_apply(struct vgh *h, const struct defrag_plan *p, const struct mover_opts *o,
		struct commit_result *res);

#endif
