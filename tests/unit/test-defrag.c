// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The defrag planner on synthetic layouts: the seed guide's case, hand-made
 * fragmented VGs, and a property test over random layouts that checks
 * minimality (exactly the extents beyond the end move), that destinations are
 * free, below the end and disjoint, and that applying the moves to the
 * metadata gives a valid VG with nothing beyond the end.
 */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "lvm/edit.h"
#include "plan/defrag.h"
#include "plan/move.h"
#include "util/cleanup.h"
#include "util/err.h"

struct piece {
	int lv;			/* -1: free */
	uint64_t len;
};

/* A VG text: one PV of pe_count extents laid out as the pieces say, LEs in PE order. */
static char *layout_text(const struct piece *p, size_t n, uint64_t pe_count, unsigned n_lvs)
{
	static const char *ids = "abcdefghijklmnopqrstuvwxyzABCDEF";
	size_t cap = 65536 + n * 200, o = 0;
	char *t = malloc(cap);
	uint64_t pe = 0, le[64] = { 0 };
	unsigned segs[64] = { 0 };

	for (size_t i = 0; i < n; i++)
		if (p[i].lv >= 0)
			segs[p[i].lv]++;
	o += (size_t)snprintf(t + o, cap - o,
			      "vgt {\nid = \"aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaaa\"\nseqno = 1\n"
			      "status = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\nextent_size = 8192\n"
			      "max_lv = 0\nmax_pv = 0\nphysical_volumes {\npv0 {\n"
			      "id = \"bbbbbb-bbbb-bbbb-bbbb-bbbb-bbbb-bbbbbb\"\n"
			      "status = [\"ALLOCATABLE\"]\npe_start = 2048\npe_count = %lu\n}\n"
			      "pv1 {\nid = \"cccccc-cccc-cccc-cccc-cccc-cccc-cccccc\"\n"
			      "status = [\"ALLOCATABLE\"]\npe_start = 2048\npe_count = %lu\n}\n}\n"
			      "logical_volumes {\n", (unsigned long)pe_count, (unsigned long)pe_count);
	for (unsigned l = 0; l < n_lvs; l++) {
		unsigned k = 0;

		if (!segs[l])
			continue;
		o += (size_t)snprintf(t + o, cap - o,
				      "lv%u {\nid = \"dddddd-dddd-dddd-dddd-dddd-dddd-dddd%c%c\"\n"
				      "status = [\"READ\", \"WRITE\", \"VISIBLE\"]\nsegment_count = %u\n",
				      l, ids[l % 32], ids[(l / 32) % 32], segs[l]);
		pe = 0;
		for (size_t i = 0; i < n; i++) {
			if (p[i].lv == (int)l)
				o += (size_t)snprintf(t + o, cap - o,
						      "segment%u {\nstart_extent = %lu\n"
						      "extent_count = %lu\ntype = \"striped\"\n"
						      "stripe_count = 1\nstripes = [\"pv0\", %lu]\n}\n",
						      ++k, (unsigned long)le[l],
						      (unsigned long)p[i].len, (unsigned long)pe);
			if (p[i].lv == (int)l)
				le[l] += p[i].len;
			pe += p[i].len;
		}
		o += (size_t)snprintf(t + o, cap - o, "}\n");
	}
	snprintf(t + o, cap - o, "}\n}\ncontents = \"Text Format Volume Group\"\nversion = 1\n");
	return t;
}

static struct vg *layout(const struct piece *p, size_t n, uint64_t pe_count, unsigned n_lvs)
{
	char *t = layout_text(p, n, pe_count, n_lvs);
	struct vg *vg = NULL;

	err_clear();
	if (vg_from_text(t, strlen(t), &vg) < 0)
		test_fail(__FILE__, __LINE__, "layout does not parse: %s", err_msg(-EINVAL));
	free(t);
	return vg;
}

static unsigned total_segs(const struct vg *vg)
{
	unsigned n = 0;

	for (unsigned l = 0; l < vg->n_lvs; l++)
		n += vg->lvs[l].n_segs;
	return n;
}

/* Applies every move to the metadata and checks the result; returns the segments after. */
static unsigned apply_and_check(struct vg **vg, const struct defrag_plan *p)
{
	uint64_t before[64], beyond;
	char msg[64];

	for (unsigned l = 0; l < (*vg)->n_lvs; l++)
		before[l] = (*vg)->lvs[l].le_count;
	for (size_t i = 0; i < p->n; i++) {
		const struct move *m = &p->moves[i];

		err_clear();
		if (vg_lv_remap(vg, m->lv, m->le, m->len, m->to_pv, m->to_pe) < 0) {
			test_fail(__FILE__, __LINE__, "move %zu does not apply: %s", i,
				  err_msg(-EINVAL));
			return 0;
		}
	}
	for (unsigned l = 0; l < (*vg)->n_lvs; l++)
		CHECK_U64((*vg)->lvs[l].le_count, before[l]);
	beyond = vg_pv_allocated_beyond(*vg, p->pv, p->to_pv == p->pv ? p->target_end : 0, msg,
					sizeof(msg));
	CHECK_U64(beyond, 0);
	return total_segs(*vg);
}

TEST(defrag_seed_guide_swap_behind_a_gap)
{
	/* lvroot 0-99, a gap of 50 where lvroot was shrunk, lvswap 150-179, free after. */
	const struct piece p[] = { { 0, 100 }, { -1, 50 }, { 1, 30 }, { -1, 20 } };
	struct vg *vg = layout(p, 4, 200, 2);
	struct defrag_plan plan;

	if (!vg)
		return;
	CHECK_INT(defrag_plan(vg, 0, UINT64_MAX, 0, 0, &plan), 0);
	CHECK_U64(plan.target_end, 130);
	CHECK_U64(plan.moved, 30);
	CHECK_U64(plan.n, 1);
	CHECK_U64(plan.moves[0].from_pe, 150);
	CHECK_U64(plan.moves[0].to_pe, 100);
	CHECK_U64(apply_and_check(&vg, &plan), 2);
	defrag_plan_clear(&plan);
	/* Packed: nothing more to do. */
	CHECK_INT(defrag_plan(vg, 0, UINT64_MAX, 0, 0, &plan), 0);
	CHECK_U64(plan.n, 0);
	defrag_plan_clear(&plan);
	vg_free(vg);
}

TEST(defrag_continues_the_lv_in_place)
{
	/* A 0-9, gap 10-19, B 20-29 (B LE 0-9), A LE 10-14 at 30-34. */
	const struct piece p[] = { { 0, 10 }, { -1, 10 }, { 1, 10 }, { 0, 5 }, { -1, 15 } };
	struct vg *vg = layout(p, 5, 50, 2);
	struct defrag_plan plan;

	if (!vg)
		return;
	CHECK_INT(defrag_plan(vg, 0, UINT64_MAX, 0, 0, &plan), 0);
	CHECK_U64(plan.target_end, 25);
	CHECK_U64(plan.moved, 10);	/* B's LE 5-9 and A's LE 10-14: nothing else */
	/* A's piece goes right after A's PE 9: A becomes one segment. */
	for (size_t i = 0; i < plan.n; i++)
		if (plan.moves[i].lv == 0)
			CHECK_U64(plan.moves[i].to_pe, 10);
	CHECK_U64(apply_and_check(&vg, &plan), 3);
	CHECK_U64(vg->lvs[0].n_segs, 1);
	defrag_plan_clear(&plan);
	vg_free(vg);
}

TEST(defrag_target_end_and_refusals)
{
	const struct piece p[] = { { 0, 10 }, { -1, 10 }, { 1, 10 }, { -1, 20 } };
	struct vg *vg = layout(p, 4, 50, 2);
	struct defrag_plan plan;

	if (!vg)
		return;
	/* "Just clear everything beyond 30": nothing is there. */
	CHECK_INT(defrag_plan(vg, 0, 30, 0, 0, &plan), 0);
	CHECK_U64(plan.n, 0);
	defrag_plan_clear(&plan);
	/* Beyond 15: B's 10 extents move, 5 fit below 15: 5 missing. */
	err_clear();
	CHECK_INT(defrag_plan(vg, 0, 15, 0, 0, &plan), -ENOSPC);
	CHECK_MSG("5 more free extents are needed");
	/* A cap on the move length splits the move but not the placement. */
	CHECK_INT(defrag_plan(vg, 0, 20, 0, 3, &plan), 0);
	CHECK_U64(plan.moved, 10);
	CHECK_U64(plan.n, 4);
	CHECK_U64(apply_and_check(&vg, &plan), 2);
	defrag_plan_clear(&plan);
	vg_free(vg);
}

TEST(defrag_onto_another_pv)
{
	const struct piece p[] = { { 0, 10 }, { -1, 5 }, { 1, 10 }, { -1, 25 } };
	struct vg *vg = layout(p, 4, 50, 2);
	struct defrag_plan plan;

	if (!vg)
		return;
	CHECK_INT(defrag_plan(vg, 0, UINT64_MAX, 1, 0, &plan), 0);
	CHECK_U64(plan.target_end, 0);
	CHECK_U64(plan.moved, 20);
	CHECK_U64(apply_and_check(&vg, &plan), 2);
	CHECK_U64(vg_pv_used(vg, 0), 0);
	CHECK_U64(vg_pv_used(vg, 1), 20);
	defrag_plan_clear(&plan);
	vg_free(vg);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

TEST(defrag_property_random_layouts)
{
	uint64_t seed = 0x5eed5eedull;
	unsigned layouts = 0;

	for (int iter = 0; iter < 400; iter++) {
		struct piece p[64];
		unsigned n_lvs = 1 + (unsigned)(rnd(&seed) % 8), n = 0;
		uint64_t pe_count = 0, used = 0, target;
		struct defrag_plan plan;
		struct vg *vg;
		_cleanup_free_ uint8_t *taken = NULL;
		int r;

		while (n < 40) {
			int lv = rnd(&seed) % 3 == 0 ? -1 : (int)(rnd(&seed) % n_lvs);

			p[n].lv = lv;
			p[n].len = 1 + rnd(&seed) % 12;
			pe_count += p[n].len;
			used += lv >= 0 ? p[n].len : 0;
			n++;
		}
		vg = layout(p, n, pe_count, n_lvs);
		if (!vg)
			continue;
		target = used + rnd(&seed) % (pe_count - used + 1);
		if (iter % 4 == 0)
			target = UINT64_MAX;
		err_clear();
		r = defrag_plan(vg, 0, target, 0, iter % 3 ? 0 : 1 + rnd(&seed) % 5, &plan);
		if (r < 0) {
			test_fail(__FILE__, __LINE__, "iteration %d: %s", iter, err_msg(r));
			vg_free(vg);
			continue;
		}
		/* Minimal: exactly the allocated extents at or beyond the end move. */
		CHECK_U64(plan.moved, vg_pv_allocated_beyond(vg, 0, plan.target_end, NULL, 0));
		/* Destinations: below the end, free before the plan, disjoint. */
		taken = calloc(pe_count, 1);
		{
			struct pv_seg *map = NULL;
			size_t mn;

			CHECK_INT(vg_pv_map(vg, 0, &map, &mn), 0);
			for (size_t i = 0; map && i < mn; i++)
				if (map[i].lv >= 0)
					memset(taken + map[i].pe, 1, map[i].len);
			free(map);
		}
		for (size_t i = 0; i < plan.n; i++) {
			const struct move *m = &plan.moves[i];

			CHECK(m->from_pe >= plan.target_end);
			CHECK(m->to_pe + m->len <= plan.target_end);
			for (uint64_t k = 0; k < m->len && m->to_pe + k < pe_count; k++) {
				if (taken[m->to_pe + k])
					test_fail(__FILE__, __LINE__, "iteration %d: PE %lu reused",
						  iter, (unsigned long)(m->to_pe + k));
				taken[m->to_pe + k] = 1;
			}
		}
		apply_and_check(&vg, &plan);
		defrag_plan_clear(&plan);
		vg_free(vg);
		layouts++;
	}
	CHECK_U64(layouts, 400);
}

/* A swap area's move copies only what overlaps its header page, in whole 4 KiB blocks. */
TEST(move_copy_bytes_keeps_only_the_header)
{
	const uint64_t ext = 4u << 20;
	struct move m = { .lv = 0, .le = 0, .len = 3 };

	CHECK_U64(move_copy_bytes(&m, ext, MOVE_KEEP_ALL), 3 * ext);
	CHECK_U64(move_copy_bytes(&m, ext, 4096), 4096);
	CHECK_U64(move_copy_bytes(&m, ext, 65536), 65536);
	CHECK_U64(move_copy_bytes(&m, ext, 5000), 8192);		/* whole O_DIRECT blocks */
	CHECK_U64(move_copy_bytes(&m, ext, 3 * ext), 3 * ext);
	CHECK_U64(move_copy_bytes(&m, ext, 10 * ext), 3 * ext);
	m.le = 1;							/* the header stays behind */
	CHECK_U64(move_copy_bytes(&m, ext, 4096), 0);
	CHECK_U64(move_copy_bytes(&m, ext, ext), 0);
	CHECK_U64(move_copy_bytes(&m, ext, ext + 1), 4096);
	m = (struct move){ .le = 0, .len = 1 };				/* 4 KiB extents */
	CHECK_U64(move_copy_bytes(&m, 4096, 65536), 4096);		/* never past the move */
}
