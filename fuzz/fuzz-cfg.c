// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the metadata text parser and printer, and the typed VG
 * model on top. Invariants: whatever parses prints, in both styles, to text
 * that parses back to an equal tree and prints again byte for byte; the VG
 * model never crashes, and its extent maps cover every PE exactly once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/cfg.h"
#include "lvm/vg.h"

static void check_round_trip(const struct cfg_node *root, enum cfg_style style)
{
	struct cfg_node *again = NULL;
	size_t len, len2;
	char *text = cfg_print(root, style, &len), *text2;

	if (!text)
		return;
	if (cfg_parse(text, len, &again) < 0 || !cfg_equal(root, again))
		abort();
	text2 = cfg_print(again, style, &len2);
	if (!text2 || len != len2 || memcmp(text, text2, len))
		abort();
	free(text);
	free(text2);
	cfg_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_node *root = NULL;
	struct vg *vg = NULL;
	char *raw;
	size_t len;

	if (size > 1 << 20)
		return 0;
	if (cfg_parse((const char *)data, size, &root) < 0)
		return 0;
	check_round_trip(root, CFG_STYLE_RAW);
	check_round_trip(root, CFG_STYLE_FILE);
	raw = cfg_print(root, CFG_STYLE_RAW, &len);
	cfg_free(root);
	if (!raw)
		return 0;
	if (vg_from_text(raw, len, &vg) == 0) {
		for (unsigned p = 0; p < vg->n_pvs; p++) {
			struct pv_seg *map = NULL;
			size_t n;
			uint64_t pe = 0;

			if (vg_pv_map(vg, p, &map, &n) < 0)
				abort();	/* vg_from_text already mapped every PV */
			for (size_t i = 0; i < n; i++) {
				if (map[i].pe != pe || !map[i].len)
					abort();
				pe += map[i].len;
			}
			if (pe != vg->pvs[p].pe_count)
				abort();
			free(map);
		}
		vg_free(vg);
	}
	free(raw);
	return 0;
}
