// SPDX-License-Identifier: GPL-2.0-or-later
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extmap.h"

char lv_letter(int lv)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	return lv < 0 ? '.' : lv < (int)sizeof(set) - 1 ? set[lv] : '#';
}

void pv_map_bar(const struct pv_seg *map, size_t n, uint64_t pe_count, char *out,
		unsigned width)
{
	size_t k = 0;

	if (pe_count < width)
		width = (unsigned)pe_count;
	for (unsigned col = 0; col < width; col++) {
		uint64_t lo = col * pe_count / width, hi = (col + 1) * pe_count / width;
		uint64_t best = 0;
		int owner = -1;

		while (k < n && map[k].pe + map[k].len <= lo)
			k++;
		for (size_t j = k; j < n && map[j].pe < hi; j++) {
			uint64_t a = map[j].pe > lo ? map[j].pe : lo;
			uint64_t b = map[j].pe + map[j].len < hi ? map[j].pe + map[j].len : hi;

			if (b - a > best) {
				best = b - a;
				owner = map[j].lv;
			}
		}
		out[col] = lv_letter(owner);
	}
	out[width] = '\0';
}

void pv_map_print(const struct vg *vg, unsigned pv, const char *indent)
{
	struct pv_seg *map = NULL;
	char bar[MAP_WIDTH + 1];
	size_t n;

	if (vg_pv_map(vg, pv, &map, &n) < 0 || !vg->pvs[pv].pe_count) {
		free(map);
		return;
	}
	pv_map_bar(map, n, vg->pvs[pv].pe_count, bar, MAP_WIDTH);
	printf("%smap |%s|  %u columns for %" PRIu64 " extents\n%s", indent, bar,
	       (unsigned)strlen(bar), vg->pvs[pv].pe_count, indent);
	for (unsigned i = 0; i < vg->n_lvs; i++)
		printf("%c=%s ", lv_letter((int)i), vg->lvs[i].name);
	printf(".=free\n");
	free(map);
}
