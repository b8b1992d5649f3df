// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "defrag.h"
#include "../util/cleanup.h"
#include "../util/err.h"

/* Where an LV's LEs live while the plan is built: runs sorted by LE. */
struct run {
	uint64_t le, len;
	unsigned pv;
	uint64_t pe;
};

struct lvmap {
	size_t n, cap;
	struct run *r;
};

struct hole {
	uint64_t pe, len;
};

struct planner {
	const struct vg *vg;
	unsigned pv, to_pv;
	uint64_t end;
	struct lvmap *maps;	/* per LV */
	struct hole *holes;	/* on to_pv, usable destinations */
	size_t n_holes;
	struct defrag_plan *p;
	size_t cap_moves;
};

static int map_push(struct lvmap *m, struct run r)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;
		struct run *n = realloc(m->r, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->r = n;
		m->cap = cap;
	}
	m->r[m->n++] = r;
	return 0;
}

/* Looks up the PV and PE of one LE; false when the LE is not in a one-stripe linear run. */
static bool map_find(const struct lvmap *m, uint64_t le, unsigned *pv, uint64_t *pe)
{
	for (size_t i = 0; i < m->n; i++)
		if (le >= m->r[i].le && le < m->r[i].le + m->r[i].len) {
			*pv = m->r[i].pv;
			*pe = m->r[i].pe + (le - m->r[i].le);
			return true;
		}
	return false;
}

/* Records that LEs [le, le+len) now live at pv:pe (they lie within one run by construction). */
static int map_move(struct lvmap *m, uint64_t le, uint64_t len, unsigned pv, uint64_t pe)
{
	for (size_t i = 0; i < m->n; i++) {
		struct run old = m->r[i];
		int r = 0;

		if (le < old.le || le + len > old.le + old.len)
			continue;
		m->r[i] = (struct run){ le, len, pv, pe };
		if (le > old.le)
			r = map_push(m, (struct run){ old.le, le - old.le, old.pv, old.pe });
		if (r == 0 && le + len < old.le + old.len)
			r = map_push(m, (struct run){ le + len, old.le + old.len - le - len, old.pv,
						      old.pe + (le + len - old.le) });
		return r;
	}
	return -EINVAL;
}

/* Takes [pe, pe+len) out of the hole that contains it. */
static int hole_take(struct planner *pl, size_t h, uint64_t pe, uint64_t len)
{
	struct hole *o = &pl->holes[h];
	struct hole after = { pe + len, o->pe + o->len - (pe + len) };

	o->len = pe - o->pe;
	if (after.len) {
		struct hole *n = realloc(pl->holes, (pl->n_holes + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		pl->holes = n;
		pl->holes[pl->n_holes++] = after;
	}
	return 0;
}

static int add_move(struct planner *pl, unsigned lv, uint64_t le, uint64_t len,
		    uint64_t from_pe, uint64_t to_pe)
{
	struct defrag_plan *p = pl->p;

	if (p->n == pl->cap_moves) {
		size_t cap = pl->cap_moves ? 2 * pl->cap_moves : 16;
		struct move *n = realloc(p->moves, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->moves = n;
		pl->cap_moves = cap;
	}
	p->moves[p->n++] = (struct move){ lv, le, len, pl->pv, pl->to_pv, from_pe, to_pe };
	p->moved += len;
	return map_move(&pl->maps[lv], le, len, pl->to_pv, to_pe);
}

/* The hole holding PE pe, or -1. */
static ssize_t hole_at(const struct planner *pl, uint64_t pe)
{
	for (size_t h = 0; h < pl->n_holes; h++)
		if (pe >= pl->holes[h].pe && pe < pl->holes[h].pe + pl->holes[h].len)
			return (ssize_t)h;
	return -1;
}

/* Places LEs [le, le+len) of lv, now at from_pe on pl->pv, somewhere free. */
static int place(struct planner *pl, unsigned lv, uint64_t le, uint64_t len, uint64_t from_pe,
		 uint64_t max_move)
{
	while (len) {
		uint64_t want = max_move && len > max_move ? max_move : len, take = 0, to = 0;
		unsigned npv;
		uint64_t npe;
		ssize_t h = -1, best = -1;
		int r;

		/* 1. Right after the PE of the LE before: the LV continues in one piece. */
		if (le > 0 && map_find(&pl->maps[lv], le - 1, &npv, &npe) && npv == pl->to_pv &&
		    (h = hole_at(pl, npe + 1)) >= 0) {
			to = npe + 1;
			take = pl->holes[h].pe + pl->holes[h].len - to;
		}
		/* 2. Right before the PE of the LE after, when the whole piece fits there. */
		if (!take && map_find(&pl->maps[lv], le + want, &npv, &npe) && npv == pl->to_pv &&
		    npe >= want && (h = hole_at(pl, npe - want)) >= 0 &&
		    pl->holes[h].pe + pl->holes[h].len >= npe) {
			to = npe - want;
			take = want;
		}
		/* 3. The smallest hole that takes the whole piece; 4. else the largest one. */
		if (!take) {
			for (size_t k = 0; k < pl->n_holes; k++) {
				const struct hole *c = &pl->holes[k];

				if (!c->len)
					continue;
				if (c->len >= want) {
					if (best < 0 || pl->holes[best].len < want ||
					    c->len < pl->holes[best].len ||
					    (c->len == pl->holes[best].len && c->pe < pl->holes[best].pe))
						best = (ssize_t)k;
				} else if (best < 0 || (pl->holes[best].len < want &&
							(c->len > pl->holes[best].len ||
							 (c->len == pl->holes[best].len &&
							  c->pe < pl->holes[best].pe)))) {
					best = (ssize_t)k;
				}
			}
			if (best < 0)
				return err_set(-ENOSPC, "internal error: no free extents left");
			h = best;
			to = pl->holes[h].pe;
			take = pl->holes[h].len;
		}
		if (take > want)
			take = want;
		r = hole_take(pl, (size_t)h, to, take);
		if (r == 0)
			r = add_move(pl, lv, le, take, from_pe, to);
		if (r < 0)
			return r;
		le += take;
		from_pe += take;
		len -= take;
	}
	return 0;
}

static int cmp_move_lv_le(const void *a, const void *b)
{
	const struct move *x = a, *y = b;

	if (x->lv != y->lv)
		return x->lv < y->lv ? -1 : 1;
	return x->le < y->le ? -1 : x->le > y->le;
}

int defrag_plan(const struct vg *vg, unsigned pv, uint64_t target_end, unsigned to_pv,
		uint64_t max_move, struct defrag_plan *p)
{
	struct planner pl = { .vg = vg, .pv = pv, .to_pv = to_pv, .p = p };
	_cleanup_free_ struct pv_seg *map = NULL, *dmap = NULL;
	_cleanup_free_ struct move *src = NULL;
	size_t n, dn, n_src = 0;
	uint64_t used = vg_pv_used(vg, pv), need = 0, room = 0;
	int r;

	memset(p, 0, sizeof(*p));
	p->pv = pv;
	p->to_pv = to_pv;
	if (target_end == UINT64_MAX)
		target_end = to_pv == pv ? used : 0;
	if (target_end > vg->pvs[pv].pe_count)
		target_end = vg->pvs[pv].pe_count;
	p->target_end = pl.end = target_end;

	r = vg_pv_map(vg, pv, &map, &n);
	if (r < 0)
		return r;
	src = calloc(n ? n : 1, sizeof(*src));
	pl.maps = calloc(vg->n_lvs ? vg->n_lvs : 1, sizeof(*pl.maps));
	if (!src || !pl.maps) {
		r = -ENOMEM;
		goto out;
	}
	/* Every LV's current placement, for "where does the LE before live". */
	for (unsigned l = 0; l < vg->n_lvs; l++)
		for (unsigned s = 0; s < vg->lvs[l].n_segs; s++) {
			const struct vg_seg *sg = &vg->lvs[l].segs[s];

			if (!sg->linear || sg->stripe_count != 1 || sg->areas[0].pv < 0)
				continue;
			r = map_push(&pl.maps[l], (struct run){ sg->start_extent, sg->extent_count,
								(unsigned)sg->areas[0].pv,
								sg->areas[0].pe });
			if (r < 0)
				goto out;
		}
	/* Sources: the allocated extents at or beyond the end. */
	for (size_t i = 0; i < n; i++) {
		const struct pv_seg *ps = &map[i];
		uint64_t skip;
		const struct vg_seg *sg;

		if (ps->lv < 0 || ps->pe + ps->len <= target_end)
			continue;
		sg = &vg->lvs[ps->lv].segs[ps->seg];
		if (!sg->linear || sg->stripe_count != 1) {
			r = err_set(E_REFUSED, "LV %s has a %s%s segment at PE %" PRIu64 "-%" PRIu64
				    " beyond the target end %" PRIu64 "; only linear extents can be "
				    "moved", vg->lvs[ps->lv].name,
				    sg->stripe_count > 1 ? "striped " : "", sg->type, ps->pe,
				    ps->pe + ps->len - 1, target_end);
			goto out;
		}
		skip = ps->pe < target_end ? target_end - ps->pe : 0;
		src[n_src++] = (struct move){ (unsigned)ps->lv, ps->le + skip, ps->len - skip, pv,
					      to_pv, ps->pe + skip, 0 };
		need += ps->len - skip;
	}
	/* Destinations: free runs below the end (or anywhere on another PV). */
	r = vg_pv_map(vg, to_pv, &dmap, &dn);
	if (r < 0)
		goto out;
	pl.holes = calloc(dn ? dn : 1, sizeof(*pl.holes));
	if (!pl.holes) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < dn; i++) {
		uint64_t lim = to_pv == pv ? target_end : vg->pvs[to_pv].pe_count, len;

		if (dmap[i].lv >= 0 || dmap[i].pe >= lim)
			continue;
		len = dmap[i].pe + dmap[i].len > lim ? lim - dmap[i].pe : dmap[i].len;
		pl.holes[pl.n_holes++] = (struct hole){ dmap[i].pe, len };
		room += len;
	}
	if (to_pv != pv && !(vg->pvs[to_pv].status & PV_ALLOCATABLE)) {
		r = err_set(E_REFUSED, "PV %s is not allocatable", vg->pvs[to_pv].handle);
		goto out;
	}
	if (room < need) {
		r = err_set(-ENOSPC, "%" PRIu64 " allocated extents lie at or beyond PE %" PRIu64
			    " but only %" PRIu64 " are free below it: %" PRIu64 " more free extents "
			    "are needed (shrink an LV first)", need, target_end, room, need - room);
		goto out;
	}
	/* LV by LV in LE order, so "after the LE before" sees pieces placed a moment ago. */
	qsort(src, n_src, sizeof(*src), cmp_move_lv_le);
	for (size_t i = 0; i < n_src; i++) {
		r = place(&pl, src[i].lv, src[i].le, src[i].len, src[i].from_pe, max_move);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	for (unsigned l = 0; pl.maps && l < vg->n_lvs; l++)
		free(pl.maps[l].r);
	free(pl.maps);
	free(pl.holes);
	if (r < 0)
		defrag_plan_clear(p);
	return r;
}

void defrag_plan_clear(struct defrag_plan *p)
{
	free(p->moves);
	p->moves = NULL;
	p->n = 0;
}
