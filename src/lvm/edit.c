// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit.h"
#include "../util/cleanup.h"
#include "../util/err.h"

int vg_refresh(struct vg **vg)
{
	_cleanup_free_ char *text = NULL;
	struct vg *n = NULL;
	size_t len;
	int r;

	text = cfg_print((*vg)->root, CFG_STYLE_RAW, &len);
	if (!text)
		return -ENOMEM;
	r = vg_from_text(text, len, &n);
	if (r < 0)
		return err_wrap(r, "the edited metadata does not validate: ");
	vg_free(*vg);
	*vg = n;
	return 0;
}

int vg_set_pv_size(struct vg *vg, unsigned pv, uint64_t dev_sectors, uint64_t pe_count)
{
	int r = cfg_set_int(vg->pvs[pv].node, "dev_size", (int64_t)dev_sectors);

	return r ? r : cfg_set_int(vg->pvs[pv].node, "pe_count", (int64_t)pe_count);
}

uint64_t vg_pv_allocated_beyond(const struct vg *vg, unsigned pv, uint64_t pe, char *msg,
				size_t len)
{
	_cleanup_free_ struct pv_seg *map = NULL;
	uint64_t n_used = 0;
	size_t n, o = 0;

	if (len)
		msg[0] = '\0';
	if (vg_pv_map(vg, pv, &map, &n) < 0)
		return UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		uint64_t a = map[i].pe, b = map[i].pe + map[i].len;

		if (map[i].lv < 0 || b <= pe)
			continue;
		if (a < pe)
			a = pe;
		n_used += b - a;
		if (o < len) {
			int k = snprintf(msg + o, len - o, "%s%s PE %" PRIu64 "-%" PRIu64,
					 o ? ", " : "", vg->lvs[map[i].lv].name, a, b - 1);

			o += k > 0 ? (size_t)k : 0;
		}
	}
	return n_used;
}

static int seg_start(const struct cfg_node *seg, uint64_t *v)
{
	return cfg_get_u64(seg, "start_extent", v);
}

/* Orders an LV's segment sections by start_extent and names them segment1..N, as lvm2 does. */
static int lv_renumber(struct cfg_node *lvsec)
{
	struct cfg_node *keys = NULL, **kt = &keys, *segs[4096];
	unsigned n = 0;

	for (struct cfg_node *c = lvsec->child, *next; c; c = next) {
		next = c->next;
		c->next = NULL;
		if (c->section) {
			if (n == ARRAY_SIZE(segs))
				return err_set(-E2BIG, "LV %s has more than %zu segments", lvsec->key,
					       ARRAY_SIZE(segs));
			segs[n++] = c;
		} else {
			*kt = c;
			kt = &c->next;
		}
	}
	for (unsigned i = 1; i < n; i++)	/* insertion sort: n is small, order mostly right */
		for (unsigned j = i; j > 0; j--) {
			uint64_t a = 0, b = 0;

			seg_start(segs[j - 1], &a);
			seg_start(segs[j], &b);
			if (a <= b)
				break;
			struct cfg_node *t = segs[j];

			segs[j] = segs[j - 1];
			segs[j - 1] = t;
		}
	lvsec->child = keys;
	for (unsigned i = 0; i < n; i++) {
		char name[32];
		char *k;

		snprintf(name, sizeof(name), "segment%u", i + 1);
		k = strdup(name);
		if (!k)
			return -ENOMEM;
		free(segs[i]->key);
		segs[i]->key = k;
		*kt = segs[i];
		kt = &segs[i]->next;
	}
	return cfg_set_int(lvsec, "segment_count", n);
}

static int lv_shrink(struct vg *vg, struct vg_lv *lv, uint64_t le_count)
{
	for (unsigned s = 0; s < lv->n_segs; s++) {
		struct vg_seg *seg = &lv->segs[s];
		uint64_t keep;

		if (seg->start_extent >= le_count) {
			cfg_remove(lv->node, seg->node);
			continue;
		}
		if (seg->start_extent + seg->extent_count <= le_count)
			continue;
		keep = le_count - seg->start_extent;
		if (keep % seg->stripe_count)
			return err_set(-EINVAL, "LV %s: %" PRIu64 " extents would split a %" PRIu64
				       "-stripe segment unevenly", lv->name, le_count,
				       seg->stripe_count);
		int r = cfg_set_int(seg->node, "extent_count", (int64_t)keep);

		if (r < 0)
			return r;
	}
	(void)vg;
	return lv_renumber(lv->node);
}

struct free_run {
	unsigned pv;
	uint64_t pe, len;
};

static int add_segment(struct vg *vg, struct vg_lv *lv, uint64_t le, const struct free_run *fr,
		       uint64_t len)
{
	struct cfg_node *seg = cfg_new_section("segment_new");
	int r;

	if (!seg)
		return -ENOMEM;
	cfg_append(lv->node, seg);
	r = cfg_set_int(seg, "start_extent", (int64_t)le);
	if (r == 0)
		r = cfg_set_int(seg, "extent_count", (int64_t)len);
	if (r == 0)
		r = cfg_set_str(seg, "type", "striped");
	if (r == 0)
		r = cfg_set_int(seg, "stripe_count", 1);
	if (r == 0)
		r = cfg_set_pair(seg, "stripes", vg->pvs[fr->pv].handle, (int64_t)fr->pe);
	return r;
}

static int lv_grow(struct vg *vg, struct vg_lv *lv, uint64_t le_count)
{
	struct vg_seg *last = &lv->segs[lv->n_segs - 1];
	_cleanup_free_ struct free_run *runs = NULL;
	uint64_t need = le_count - lv->le_count, le = lv->le_count, have = 0;
	size_t n_runs = 0, cap = 0;
	int r;

	for (unsigned s = 0; s < lv->n_segs; s++)
		if (!lv->segs[s].linear || lv->segs[s].stripe_count != 1 ||
		    lv->segs[s].areas[0].pv < 0)
			return err_set(E_REFUSED, "LV %s is not linear; shrinkbox grows linear LVs "
				       "only", lv->name);
	for (unsigned p = 0; p < vg->n_pvs; p++) {
		_cleanup_free_ struct pv_seg *map = NULL;
		size_t n;

		if (!(vg->pvs[p].status & PV_ALLOCATABLE))
			continue;
		r = vg_pv_map(vg, p, &map, &n);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			if (map[i].lv >= 0)
				continue;
			if (n_runs == cap) {
				size_t nc = cap ? 2 * cap : 16;
				struct free_run *nr = realloc(runs, nc * sizeof(*nr));

				if (!nr)
					return -ENOMEM;
				runs = nr;
				cap = nc;
			}
			runs[n_runs++] = (struct free_run){ p, map[i].pe, map[i].len };
			have += map[i].len;
		}
	}
	if (have < need)
		return err_set(-ENOSPC, "LV %s needs %" PRIu64 " more extents but VG %s has only %"
			       PRIu64 " free", lv->name, need, vg->name, have);

	/* Contiguous after the last segment first: the LV stays in one piece. */
	for (size_t i = 0; i < n_runs && need; i++) {
		uint64_t end = last->areas[0].pe + last->area_len, take;

		if (runs[i].pv != (unsigned)last->areas[0].pv || runs[i].pe != end)
			continue;
		take = runs[i].len < need ? runs[i].len : need;
		r = cfg_set_int(last->node, "extent_count", (int64_t)(last->extent_count + take));
		if (r < 0)
			return r;
		runs[i].pe += take;
		runs[i].len -= take;
		need -= take;
		le += take;
	}
	/* Then the lowest free runs, PV by PV in metadata order. */
	for (size_t i = 0; i < n_runs && need; i++) {
		uint64_t take = runs[i].len < need ? runs[i].len : need;

		if (!take)
			continue;
		r = add_segment(vg, lv, le, &runs[i], take);
		if (r < 0)
			return r;
		need -= take;
		le += take;
	}
	return lv_renumber(lv->node);
}

int vg_lv_resize(struct vg *vg, unsigned lv, uint64_t le_count)
{
	struct vg_lv *l = &vg->lvs[lv];

	if (!le_count)
		return err_set(-EINVAL, "LV %s cannot have 0 extents", l->name);
	if (le_count > UINT32_MAX)
		return err_set(-ERANGE, "LV %s: %" PRIu64 " extents is too many", l->name,
			       le_count);
	if (le_count == l->le_count)
		return 0;
	return le_count < l->le_count ? lv_shrink(vg, l, le_count) : lv_grow(vg, l, le_count);
}

/* Writes one linear segment's placement into its section. */
static int seg_set(struct cfg_node *seg, uint64_t start, uint64_t count, const char *pv,
		   uint64_t pe)
{
	int r = cfg_set_int(seg, "start_extent", (int64_t)start);

	if (r == 0)
		r = cfg_set_int(seg, "extent_count", (int64_t)count);
	if (r == 0)
		r = cfg_set_pair(seg, "stripes", pv, (int64_t)pe);
	return r;
}

/* Two segment sections alike in everything but where they are. */
static bool seg_same_extras(const struct cfg_node *a, const struct cfg_node *b)
{
	static const char *const placement[] = { "start_extent", "extent_count", "stripes" };
	const struct cfg_node *x = a->child, *y = b->child;

	for (;;) {
		while (x && (!strcmp(x->key, placement[0]) || !strcmp(x->key, placement[1]) ||
			     !strcmp(x->key, placement[2])))
			x = x->next;
		while (y && (!strcmp(y->key, placement[0]) || !strcmp(y->key, placement[1]) ||
			     !strcmp(y->key, placement[2])))
			y = y->next;
		if (!x || !y)
			return !x && !y;
		if (strcmp(x->key, y->key))
			return false;
		{
			struct cfg_node xa = *x, ya = *y;

			xa.next = ya.next = NULL;
			if (!cfg_equal(&xa, &ya))
				return false;
		}
		x = x->next;
		y = y->next;
	}
}

static int lv_merge(struct vg **vgp, unsigned lv)
{
	for (;;) {
		struct vg *vg = *vgp;
		const struct vg_lv *l = &vg->lvs[lv];
		bool merged = false;
		int r;

		for (unsigned s = 0; s + 1 < l->n_segs && !merged; s++) {
			const struct vg_seg *a = &l->segs[s], *b = &l->segs[s + 1];

			if (!a->linear || !b->linear || a->stripe_count != 1 || b->stripe_count != 1 ||
			    a->areas[0].pv < 0 || a->areas[0].pv != b->areas[0].pv ||
			    a->areas[0].pe + a->extent_count != b->areas[0].pe ||
			    strcmp(a->type, b->type) || !seg_same_extras(a->node, b->node))
				continue;
			r = cfg_set_int(a->node, "extent_count",
					(int64_t)(a->extent_count + b->extent_count));
			if (r < 0)
				return r;
			cfg_remove(l->node, b->node);
			merged = true;
		}
		if (!merged)
			return 0;
		r = lv_renumber(vg->lvs[lv].node);
		if (r == 0)
			r = vg_refresh(vgp);
		if (r < 0)
			return r;
	}
}

int vg_lv_remap(struct vg **vgp, unsigned lv, uint64_t le, uint64_t len, unsigned pv,
		uint64_t pe)
{
	struct vg *vg = *vgp;
	struct vg_lv *l = &vg->lvs[lv];
	const char *name = l->name;
	int r;

	if (!len || le + len > l->le_count)
		return err_set(-EINVAL, "LV %s: LEs %" PRIu64 "+%" PRIu64 " are not all in the LV",
			       name, le, len);
	for (unsigned s = 0; s < l->n_segs; s++) {
		const struct vg_seg *seg = &l->segs[s];
		uint64_t s0 = seg->start_extent, s1 = s0 + seg->extent_count, a, b, old_pe;
		const char *old_pv;
		struct cfg_node *mid, *tail, *at = seg->node;

		if (s1 <= le || s0 >= le + len)
			continue;
		if (!seg->linear || seg->stripe_count != 1 || seg->areas[0].pv < 0)
			return err_set(E_REFUSED, "LV %s: LE %" PRIu64 " is in a %s segment; only "
				       "linear extents can be moved", name, s0, seg->type);
		a = s0 > le ? s0 : le;
		b = s1 < le + len ? s1 : le + len;
		old_pv = vg->pvs[seg->areas[0].pv].handle;
		old_pe = seg->areas[0].pe;
		mid = cfg_clone(seg->node);
		tail = b < s1 ? cfg_clone(seg->node) : NULL;
		if (!mid || (b < s1 && !tail)) {
			cfg_free(mid);
			cfg_free(tail);
			return -ENOMEM;
		}
		/* seg->node keeps the head [s0, a) when there is one, else becomes the middle. */
		if (a > s0) {
			r = seg_set(seg->node, s0, a - s0, old_pv, old_pe);
			cfg_insert_after(at, mid);
			at = mid;
		} else {
			cfg_free(mid);
			mid = seg->node;
			r = 0;
		}
		if (r == 0)
			r = seg_set(mid, a, b - a, vg->pvs[pv].handle, pe + (a - le));
		if (r == 0 && tail) {
			cfg_insert_after(at, tail);
			r = seg_set(tail, b, s1 - b, old_pv, old_pe + (b - s0));
		} else if (tail) {
			cfg_free(tail);
		}
		if (r < 0)
			return r;
	}
	r = lv_renumber(l->node);
	if (r == 0)
		r = vg_refresh(vgp);
	return r < 0 ? r : lv_merge(vgp, lv);
}

/*
 * Names the PV sections pv0..pvN-1 in their order and points every stripes
 * list at the new names, as lvm2's export does on every write (export.c
 * _get_pv_name_from_uuid numbers the PVs afresh).
 */
static int pvs_renumber(struct vg *vg)
{
	char **old = calloc(vg->n_pvs ? vg->n_pvs : 1, sizeof(*old));
	int r = 0;

	if (!old)
		return -ENOMEM;
	for (unsigned p = 0; p < vg->n_pvs && r == 0; p++)
		if (!(old[p] = strdup(vg->pvs[p].handle)))
			r = -ENOMEM;
	for (unsigned l = 0; l < vg->n_lvs && r == 0; l++)
		for (unsigned s = 0; s < vg->lvs[l].n_segs && r == 0; s++) {
			struct cfg_node *st = cfg_find(vg->lvs[l].segs[s].node, "stripes");

			if (!st || st->section || st->v.type != CFG_ARRAY)
				continue;
			for (size_t i = 0; i + 1 < st->v.n_items && r == 0; i += 2) {
				struct cfg_value *it = &st->v.items[i];
				char name[32], *d;

				for (unsigned p = 0; p < vg->n_pvs; p++) {
					if (it->type != CFG_STR || strcmp(it->str, old[p]))
						continue;
					snprintf(name, sizeof(name), "pv%u", p);
					d = strdup(name);
					if (!d) {
						r = -ENOMEM;
						break;
					}
					free(it->str);
					it->str = d;
					break;
				}
			}
		}
	for (unsigned p = 0; p < vg->n_pvs && r == 0; p++) {
		char name[32], *d;

		snprintf(name, sizeof(name), "pv%u", p);
		d = strdup(name);
		if (!d) {
			r = -ENOMEM;
			break;
		}
		free(vg->pvs[p].node->key);
		vg->pvs[p].node->key = d;
	}
	for (unsigned p = 0; p < vg->n_pvs; p++)
		free(old[p]);
	free(old);
	return r;
}

int vg_add_pv(struct vg **vgp, const char uuid[LVM_UUID_LEN + 1], const char *device,
	      uint64_t dev_sectors, uint64_t pe_start, uint64_t pe_count)
{
	struct vg *vg = *vgp;
	struct cfg_node *pvs = cfg_find_section(vg->sec, "physical_volumes"), *tree = NULL, *sec;
	char dash[LVM_UUID_LEN + 7], text[512];
	int r;

	if (!pvs)
		return err_set(-EINVAL, "VG %s has no physical_volumes section", vg->name);
	if (lvm_uuid_check(uuid, strlen(uuid)) < 0)
		return err_set(-EINVAL, "\"%s\" is not a PV uuid", uuid);
	if (vg_find_pv(vg, uuid) >= 0)
		return err_set(-EEXIST, "PV %s is already in VG %s", uuid, vg->name);
	if (!pe_count || pe_start + pe_count * vg->extent_size > dev_sectors)
		return err_set(-EINVAL, "PV %s: %" PRIu64 " extents from sector %" PRIu64 " do not "
			       "fit %" PRIu64 " sectors", uuid, pe_count, pe_start, dev_sectors);
	if (dev_sectors > INT64_MAX || pe_count > UINT32_MAX)
		return -EINVAL;
	uuid_add_dashes(uuid, dash);
	/* The keys and their order of lvm2's _print_pvs for a new PV; the device is a hint. */
	snprintf(text, sizeof(text), "pv%u {\nid = \"%s\"\ndevice = \"\"\nstatus = "
		 "[\"ALLOCATABLE\"]\nflags = []\ndev_size = %" PRIu64 "\npe_start = %" PRIu64
		 "\npe_count = %" PRIu64 "\n}\n", vg->n_pvs, dash, dev_sectors, pe_start, pe_count);
	r = cfg_parse(text, strlen(text), &tree);
	if (r < 0)
		return r;
	sec = tree->child;
	tree->child = NULL;
	cfg_free(tree);
	r = cfg_set_str(sec, "device", device ? device : "unknown device");
	if (r < 0) {
		cfg_free(sec);
		return r;
	}
	cfg_append(pvs, sec);
	r = vg_refresh(vgp);
	if (r == 0)
		r = pvs_renumber(*vgp);
	return r < 0 ? r : vg_refresh(vgp);
}

int vg_remove_pv(struct vg **vgp, unsigned pv)
{
	struct vg *vg = *vgp;
	struct cfg_node *pvs = cfg_find_section(vg->sec, "physical_volumes");
	char who[256];
	uint64_t used;
	int r;

	if (!pvs || pv >= vg->n_pvs)
		return -EINVAL;
	if (vg->n_pvs == 1)
		return err_set(E_REFUSED, "cannot remove the last PV of VG %s", vg->name);
	used = vg_pv_allocated_beyond(vg, pv, 0, who, sizeof(who));
	if (used)
		return err_set(E_REFUSED, "PV %s of VG %s still holds %" PRIu64 " allocated "
			       "extents (%s)", vg->pvs[pv].device ? vg->pvs[pv].device :
			       vg->pvs[pv].handle, vg->name, used, who);
	cfg_remove(pvs, vg->pvs[pv].node);
	r = vg_refresh(vgp);
	if (r == 0)
		r = pvs_renumber(*vgp);
	return r < 0 ? r : vg_refresh(vgp);
}

bool vg_lv_has_tag(const struct vg *vg, unsigned lv, const char *tag)
{
	const struct cfg_node *n = cfg_find(vg->lvs[lv].node, "tags");

	if (!n || n->section || n->v.type != CFG_ARRAY)
		return false;
	for (size_t i = 0; i < n->v.n_items; i++)
		if (n->v.items[i].type == CFG_STR && !strcmp(n->v.items[i].str, tag))
			return true;
	return false;
}

int vg_lv_tag(struct vg *vg, unsigned lv, const char *tag, bool on)
{
	struct cfg_node *sec = vg->lvs[lv].node;
	int r;

	/* Where lvm2 prints an LV's tags (export.c _print_lv): right after its flags. */
	r = on ? cfg_strs_add(sec, "tags", "flags", tag) : cfg_strs_del(sec, "tags", tag);
	if (r == -EINVAL)
		return err_set(r, "LV %s: its tags are not a list of strings", vg->lvs[lv].name);
	return r;
}

static const struct cfg_node *vg_tags(const struct vg *vg)
{
	const struct cfg_node *n = cfg_find(vg->sec, "tags");

	return n && !n->section && n->v.type == CFG_ARRAY ? n : NULL;
}

const char *vg_tag_with_prefix(const struct vg *vg, const char *prefix)
{
	const struct cfg_node *n = vg_tags(vg);

	for (size_t i = 0; n && i < n->v.n_items; i++)
		if (n->v.items[i].type == CFG_STR &&
		    !strncmp(n->v.items[i].str, prefix, strlen(prefix)))
			return n->v.items[i].str;
	return NULL;
}

int vg_tag(struct vg *vg, const char *tag, bool on)
{
	int r;

	/* Where lvm2 prints a VG's tags (export.c _print_vg): right after its flags. */
	r = on ? cfg_strs_add(vg->sec, "tags", "flags", tag) : cfg_strs_del(vg->sec, "tags", tag);
	if (r == -EINVAL)
		return err_set(r, "VG %s: its tags are not a list of strings", vg->name);
	return r;
}
