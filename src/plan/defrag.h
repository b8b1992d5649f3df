/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The defrag planner: clear every extent at or beyond a target end of a PV by
 * moving exactly the allocated extents found there, and nothing else, into
 * free extents below it (or onto another PV). Among such minimal plans it
 * prefers placements that keep each LV in few segments: right after the LE
 * before, right before the LE after, then the smallest free run that takes the
 * whole piece, then the largest free runs, lowest first.
 */
#ifndef SB_DEFRAG_H
#define SB_DEFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "../lvm/vg.h"

struct move {
	unsigned lv;		/* index into vg->lvs */
	uint64_t le, len;	/* the LEs moved */
	unsigned from_pv, to_pv;
	uint64_t from_pe, to_pe;
};

struct defrag_plan {
	unsigned pv, to_pv;
	uint64_t target_end;	/* no allocated PE at or beyond this on pv afterwards */
	uint64_t moved;		/* extents; the minimum: all that were allocated there */
	size_t n;
	struct move *moves;
};

/*
 * target_end: UINT64_MAX for "pack": the number of allocated extents on pv.
 * to_pv: the PV to move onto (pv itself, or another PV of the VG, whose free
 * extents anywhere are then usable). max_move caps a move's length (a batch),
 * 0 for no cap. Refusals: E_REFUSED for segments that cannot move (striped,
 * stacked), -ENOSPC when the free extents below the end are too few (the
 * message says how many are missing).
 */
int defrag_plan(const struct vg *vg, unsigned pv, uint64_t target_end, unsigned to_pv,
		uint64_t max_move, struct defrag_plan *p);
void defrag_plan_clear(struct defrag_plan *p);

#endif
