// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mdbench FILE [RUNS]: times our metadata text pipeline on one file, best of
 * RUNS (default 20) runs, in milliseconds:
 *   parse     cfg_parse of the whole text
 *   validate  vg_from_cfg: typed model + lvm2's read checks (this includes one
 *             extent map per PV, which is how "no PE used twice" is checked)
 *   map       vg_pv_map for every PV once more (what status/defrag ask for)
 *   print     cfg_print(CFG_STYLE_RAW), the text a commit writes
 *   total     the sum of the four in one run (best run)
 *   free      vg_free + free of the printed text (not in the total)
 * Before timing it checks that the printed text parses back to an equal tree.
 * Built by bench/metadata-scale.sh against src/lvm and src/util only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lvm/cfg.h"
#include "lvm/vg.h"
#include "util/err.h"

enum { T_PARSE, T_VALIDATE, T_MAP, T_PRINT, T_TOTAL, T_FREE, T_N };
static const char *const phase_name[T_N] = {
	"parse", "validate", "map", "print", "total", "free",
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			char *b = realloc(buf, cap = cap ? 2 * cap : 1 << 20);

			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* One pass of the pipeline; t[] gets each phase's time. Returns 0 or -errno. */
static int one_run(const char *text, size_t len, double t[T_N], size_t *out_len,
		   unsigned *segs, unsigned *lvs)
{
	struct cfg_node *root = NULL;
	struct vg *vg = NULL;
	char *printed;
	double t0, t1;
	int r;

	t0 = now_ms();
	r = cfg_parse(text, len, &root);
	t1 = now_ms();
	t[T_PARSE] = t1 - t0;
	if (r < 0)
		return r;

	t0 = now_ms();
	r = vg_from_cfg(root, &vg);
	t1 = now_ms();
	t[T_VALIDATE] = t1 - t0;
	if (r < 0)
		return r;

	t0 = now_ms();
	for (unsigned p = 0; p < vg->n_pvs; p++) {
		struct pv_seg *map;
		size_t n;

		r = vg_pv_map(vg, p, &map, &n);
		if (r < 0) {
			vg_free(vg);
			return r;
		}
		free(map);
	}
	t1 = now_ms();
	t[T_MAP] = t1 - t0;

	t0 = now_ms();
	printed = cfg_print(vg->root, CFG_STYLE_RAW, out_len);
	t1 = now_ms();
	t[T_PRINT] = t1 - t0;
	if (!printed) {
		vg_free(vg);
		return -ENOMEM;
	}
	t[T_TOTAL] = t[T_PARSE] + t[T_VALIDATE] + t[T_MAP] + t[T_PRINT];

	*lvs = vg->n_lvs;
	*segs = 0;
	for (unsigned l = 0; l < vg->n_lvs; l++)
		*segs += vg->lvs[l].n_segs;

	t0 = now_ms();
	vg_free(vg);
	free(printed);
	t1 = now_ms();
	t[T_FREE] = t1 - t0;
	return 0;
}

/* The printed text must parse back to the same tree (and print the same again). */
static int check_round_trip(const char *text, size_t len)
{
	struct cfg_node *a = NULL, *b = NULL;
	char *pa = NULL, *pb = NULL;
	size_t la = 0, lb = 0;
	int r = cfg_parse(text, len, &a);

	if (r < 0)
		return r;
	r = -EPROTO;
	pa = cfg_print(a, CFG_STYLE_RAW, &la);
	if (pa && cfg_parse(pa, la, &b) == 0 && cfg_equal(a, b)) {
		pb = cfg_print(b, CFG_STYLE_RAW, &lb);
		if (pb && la == lb && !memcmp(pa, pb, la))
			r = 0;
	}
	free(pa);
	free(pb);
	cfg_free(a);
	cfg_free(b);
	return r;
}

int main(int argc, char **argv)
{
	double best[T_N], t[T_N];
	unsigned runs = 20, segs = 0, lvs = 0;
	size_t len, out_len = 0;
	char *text;
	int r;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mdbench FILE [RUNS]\n");
		return 2;
	}
	if (argc == 3)
		runs = (unsigned)strtoul(argv[2], NULL, 10);
	if (!runs)
		runs = 1;
	text = read_all(argv[1], &len);
	if (!text) {
		fprintf(stderr, "mdbench: cannot read %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	r = check_round_trip(text, len);
	if (r < 0) {
		fprintf(stderr, "mdbench: %s does not round-trip: %s\n", argv[1], err_msg(r));
		return 1;
	}
	for (unsigned i = 0; i < T_N; i++)
		best[i] = 1e30;
	for (unsigned run = 0; run < runs; run++) {
		r = one_run(text, len, t, &out_len, &segs, &lvs);
		if (r < 0) {
			fprintf(stderr, "mdbench: %s: %s\n", argv[1], err_msg(r));
			return 1;
		}
		for (unsigned i = 0; i < T_N; i++)
			if (t[i] < best[i])
				best[i] = t[i];
	}
	printf("text      %zu bytes in, %zu bytes printed; %u LVs, %u segments\n", len,
	       out_len, lvs, segs);
	printf("runs      %u (best of)\n", runs);
	for (unsigned i = 0; i < T_N; i++)
		printf("%-9s %9.3f ms\n", phase_name[i], best[i]);
	free(text);
	return 0;
}
