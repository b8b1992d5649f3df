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

#include "defrag.h"
#include "../lvm/commit.h"
#include "../util/progress.h"

#define MOVE_CHUNK_DEFAULT (4u << 20)	/* bytes per read/write; see bench/ */

struct mover_opts {
	size_t chunk;
	bool verify;			/* read the copy back and compare before the commit */
	const struct commit_opts *commit;
	struct progress *progress;
};

/*
 * Executes the plan move by move on the PVs of h: copy, flush, (verify),
 * remap the LV in the metadata, commit. res->wrote tells whether anything
 * reached a disk.
 */
int moves_apply(struct vgh *h, const struct defrag_plan *p, const struct mover_opts *o,
		struct commit_result *res);

#endif
