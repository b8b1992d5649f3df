/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A PV's extents drawn to scale, one character per column (status, defrag). */
#ifndef SB_EXTMAP_H
#define SB_EXTMAP_H

#include <stddef.h>
#include <stdint.h>

#include "../lvm/vg.h"

#define MAP_WIDTH 64

/* One character per LV in maps and legends: A-Z, a-z, 0-9, then '#'; '.' is free. */
char lv_letter(int lv);

/*
 * Column i of width covers extents [i*n/width, (i+1)*n/width) and shows
 * whoever owns most of them. out needs width + 1 bytes.
 */
void pv_map_bar(const struct pv_seg *map, size_t n, uint64_t pe_count, char *out,
		unsigned width);

/* Prints "map |AAA..BB|  N columns for M extents" and a legend, indented. */
void pv_map_print(const struct vg *vg, unsigned pv, const char *indent);

#endif
