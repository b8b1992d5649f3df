/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shrink and grow of a stack with no LVM: partition -> [LUKS] -> ext2/3/4 or
 * swap (stack_view.fs). The same shape as the LVM stack's: every step's own
 * checks before the first write, then each step an applet of its own
 * (fsresize, cryptresize, partresize), each resumable, so the same command
 * run again finishes the job. Both return the exit code.
 */
#ifndef SB_STACKFS_H
#define SB_STACKFS_H

#include <stdint.h>

#include "../plan/stackview.h"

/* The partition at most want bytes (its end on the table's grain). */
int stackfs_shrink(const char *dev, const struct stack_view *sv, uint64_t want,
		   const char *keyfile);
/* The partition new_part table sectors (grow's --max or --size), the rest filling it. */
int stackfs_grow(const char *dev, const struct stack_view *sv, uint64_t new_part,
		 const char *keyfile);

#endif
