// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg.h"
#include "../util/cleanup.h"
#include "../util/err.h"

struct word {
	const char *word;
	unsigned bit;
};

static const struct word vg_status_words[] = {
	{ "EXPORTED", VG_EXPORTED }, { "RESIZEABLE", VG_RESIZEABLE }, { "PVMOVE", VG_PVMOVE },
	{ "READ", VG_READ }, { "WRITE", VG_WRITE }, { "CLUSTERED", VG_CLUSTERED },
	{ "SHARED", VG_SHARED }, { "PARTIAL", VG_PARTIAL }, { NULL, 0 },
};
static const struct word pv_status_words[] = {
	{ "ALLOCATABLE", PV_ALLOCATABLE }, { "EXPORTED", PV_EXPORTED }, { "MISSING", PV_MISSING },
	{ NULL, 0 },
};
static const struct word lv_status_words[] = {
	{ "READ", LV_READ }, { "WRITE", LV_WRITE }, { "FIXED_MINOR", LV_FIXED_MINOR },
	{ "VISIBLE", LV_VISIBLE }, { "PVMOVE", LV_PVMOVE }, { "LOCKED", LV_LOCKED },
	{ "NOTSYNCED", LV_NOTSYNCED }, { "REBUILD", LV_REBUILD }, { "WRITEMOSTLY", LV_WRITEMOSTLY },
	{ NULL, 0 },
};
/* Compatible "flags" words lvm2 knows; the bits are unused, knowing the word is what counts. */
static const struct word vg_flag_words[] = {
	{ "WRITE_LOCKED", 0 }, { "NOAUTOACTIVATE", 0 }, { NULL, 0 },
};
static const struct word pv_flag_words[] = { { "MISSING", PV_MISSING }, { NULL, 0 } };
static const struct word lv_flag_words[] = {
	{ "WRITE_LOCKED", 0 }, { "ACTIVATION_SKIP", 0 }, { "NOAUTOACTIVATE", 0 },
	{ "ERROR_WHEN_FULL", 0 }, { "CACHE_VOL", 0 }, { NULL, 0 },
};

static void refuse(struct vg *vg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(struct vg *vg, const char *fmt, ...)
{
	va_list ap;

	if (vg->refuse)
		return;
	va_start(ap, fmt);
	if (vasprintf(&vg->refuse, fmt, ap) < 0)
		vg->refuse = NULL;
	va_end(ap);
}

/*
 * Reads a string-array of words into bits. Unknown words: an error for
 * "status" (lvm2 cannot read such a VG either), a refusal for "flags"
 * (lvm2 drops them silently; we will not rewrite what we do not understand).
 */
static int read_words(struct vg *vg, const struct cfg_node *sec, const char *key,
		      const struct word *table, bool required, unsigned *bits, const char *what)
{
	struct cfg_node *n = cfg_find(sec, key);

	if (!n) {
		if (required)
			return err_set(-EBADMSG, "%s: no %s", what, key);
		return 0;
	}
	if (n->section || n->v.type != CFG_ARRAY)
		return err_set(-EBADMSG, "%s: %s is not a list of words", what, key);
	for (size_t i = 0; i < n->v.n_items; i++) {
		const struct cfg_value *it = &n->v.items[i];
		const struct word *w;

		if (it->type != CFG_STR)
			return err_set(-EBADMSG, "%s: %s holds a non-string", what, key);
		for (w = table; w->word; w++)
			if (!strcmp(w->word, it->str))
				break;
		if (!w->word) {
			if (!strcmp(key, "status"))
				return err_set(-EBADMSG, "%s: unknown status word \"%s\"", what,
					       it->str);
			refuse(vg, "%s has the flag \"%s\", which shrinkbox does not know", what,
			       it->str);
			continue;
		}
		*bits |= w->bit;
	}
	return 0;
}

static int read_id(const struct cfg_node *sec, char out[LVM_UUID_LEN + 1], const char *what)
{
	const char *s;
	size_t n = 0;

	if (cfg_get_str(sec, "id", &s) < 0)
		return err_set(-EBADMSG, "%s: missing or malformed id", what);
	for (; *s; s++) {
		if (*s == '-')
			continue;
		if (n == LVM_UUID_LEN)
			return err_set(-EBADMSG, "%s: id is longer than 32 characters", what);
		out[n++] = *s;
	}
	out[n] = '\0';
	if (n != LVM_UUID_LEN || lvm_uuid_check(out, n) < 0)
		return err_set(-EBADMSG, "%s: malformed id", what);
	return 0;
}

static int need_u64(const struct cfg_node *sec, const char *key, uint64_t *v, const char *what)
{
	int r = cfg_get_u64(sec, key, v);

	if (r == -ENOENT)
		return err_set(-EBADMSG, "%s: no %s", what, key);
	if (r < 0)
		return err_set(-EBADMSG, "%s: %s is not a non-negative integer", what, key);
	return 0;
}

bool lvm_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > 127 || name[0] == '-' || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

int vg_find_pv(const struct vg *vg, const char *uuid)
{
	for (unsigned i = 0; i < vg->n_pvs; i++)
		if (!strcmp(vg->pvs[i].id, uuid))
			return (int)i;
	return -1;
}

int vg_find_lv(const struct vg *vg, const char *name)
{
	for (unsigned i = 0; i < vg->n_lvs; i++)
		if (!strcmp(vg->lvs[i].name, name))
			return (int)i;
	return -1;
}

const char *vg_seg_type(const struct vg_seg *seg)
{
	return !strcmp(seg->type, "striped") && seg->stripe_count == 1 ? "linear" : seg->type;
}

static int find_pv_handle(const struct vg *vg, const char *h)
{
	for (unsigned i = 0; i < vg->n_pvs; i++)
		if (!strcmp(vg->pvs[i].handle, h))
			return (int)i;
	return -1;
}

static unsigned count_sections(const struct cfg_node *sec)
{
	unsigned n = 0;

	for (const struct cfg_node *c = sec ? sec->child : NULL; c; c = c->next)
		n += c->section;
	return n;
}

static int read_pv(struct vg *vg, struct cfg_node *sec, struct vg_pv *pv)
{
	char what[160];
	int r;

	snprintf(what, sizeof(what), "PV %s", sec->key);
	pv->handle = sec->key;
	pv->node = sec;
	r = read_id(sec, pv->id, what);
	if (r < 0)
		return r;
	if (cfg_get_str(sec, "device", &pv->device) < 0)
		pv->device = NULL;
	r = read_words(vg, sec, "status", pv_status_words, true, &pv->status, what);
	if (r == 0)
		r = read_words(vg, sec, "flags", pv_flag_words, false, &pv->status, what);
	if (r < 0)
		return r;
	if (cfg_get_u64(sec, "dev_size", &pv->dev_size) == -EINVAL)
		return err_set(-EBADMSG, "%s: dev_size is not a non-negative integer", what);
	r = need_u64(sec, "pe_start", &pv->pe_start, what);
	if (r == 0)
		r = need_u64(sec, "pe_count", &pv->pe_count, what);
	if (r < 0)
		return r;
	if (pv->pe_count > UINT32_MAX)
		return err_set(-EBADMSG, "%s: pe_count %" PRIu64 " is out of range", what,
			       pv->pe_count);
	if (pv->status & PV_MISSING)
		refuse(vg, "PV %s is marked MISSING", pv->device ? pv->device : pv->handle);
	if (pv->status & PV_EXPORTED)
		refuse(vg, "PV %s is exported", pv->device ? pv->device : pv->handle);
	return 0;
}

/* Reads (name, number) pairs from an area list such as stripes = ["pv0", 0, "pv1", 0]. */
static int read_areas(struct vg *vg, const struct cfg_node *list, struct vg_seg *seg,
		      const char *what)
{
	const struct cfg_value *v = &list->v;

	if (list->section || v->type != CFG_ARRAY || !v->n_items || v->n_items % 2)
		return err_set(-EBADMSG, "%s: %s is not a list of (name, extent) pairs", what,
			       list->key);
	seg->n_areas = (unsigned)(v->n_items / 2);
	seg->areas = calloc(seg->n_areas, sizeof(*seg->areas));
	if (!seg->areas)
		return -ENOMEM;
	for (unsigned i = 0; i < seg->n_areas; i++) {
		const struct cfg_value *name = &v->items[2 * i], *pe = &v->items[2 * i + 1];
		struct vg_area *a = &seg->areas[i];

		if (name->type != CFG_STR || pe->type != CFG_INT || pe->num < 0)
			return err_set(-EBADMSG, "%s: %s is not a list of (name, extent) pairs",
				       what, list->key);
		a->pe = (uint64_t)pe->num;
		a->pv = find_pv_handle(vg, name->str);
		if (a->pv < 0)
			a->lv = name->str;
	}
	return 0;
}

static int read_seg(struct vg *vg, struct vg_lv *lv, struct cfg_node *sec, struct vg_seg *seg)
{
	static const char *const area_keys[] = { "stripes", "mirrors", "raids", NULL };
	char what[300];
	int r;

	snprintf(what, sizeof(what), "LV %s %s", lv->name, sec->key);
	seg->node = sec;
	r = need_u64(sec, "start_extent", &seg->start_extent, what);
	if (r == 0)
		r = need_u64(sec, "extent_count", &seg->extent_count, what);
	if (r < 0)
		return r;
	if (cfg_get_str(sec, "type", &seg->type) < 0)
		return err_set(-EBADMSG, "%s: missing type", what);
	if (!seg->extent_count || seg->extent_count > UINT32_MAX)
		return err_set(-EBADMSG, "%s: extent_count %" PRIu64 " is out of range", what,
			       seg->extent_count);
	if (cfg_find(sec, "extents_moved"))
		refuse(vg, "a pvmove is in progress (LV %s); finish it with \"pvmove\" or undo it "
			   "with \"pvmove --abort\" (both need the VG active), then run again",
		       lv->name);

	seg->linear = !strcmp(seg->type, "striped") || !strcmp(seg->type, "linear");
	if (seg->linear) {
		struct cfg_node *stripes = cfg_find(sec, "stripes");

		if (!strcmp(seg->type, "linear"))
			seg->stripe_count = 1;
		else if (need_u64(sec, "stripe_count", &seg->stripe_count, what) < 0)
			return -EBADMSG;
		if (!seg->stripe_count || seg->stripe_count > 128)
			return err_set(-EBADMSG, "%s: stripe_count %" PRIu64 " is out of range",
				       what, seg->stripe_count);
		if (seg->extent_count % seg->stripe_count)
			return err_set(-EBADMSG, "%s: %" PRIu64 " extents do not divide into %"
				       PRIu64 " stripes", what, seg->extent_count,
				       seg->stripe_count);
		if (seg->stripe_count > 1 && need_u64(sec, "stripe_size", &seg->stripe_size,
						      what) < 0)
			return -EBADMSG;
		if (!stripes)
			return err_set(-EBADMSG, "%s: no stripes", what);
		r = read_areas(vg, stripes, seg, what);
		if (r < 0)
			return r;
		if (seg->n_areas != seg->stripe_count)
			return err_set(-EBADMSG, "%s: %u stripes listed, stripe_count is %" PRIu64,
				       what, seg->n_areas, seg->stripe_count);
		seg->area_len = seg->extent_count / seg->stripe_count;
		for (unsigned i = 0; i < seg->n_areas; i++)
			if (seg->areas[i].pv < 0 && !strncmp(seg->areas[i].lv, "pvmove", 6))
				refuse(vg, "a pvmove is in progress (LV %s is on %s); finish it "
					   "with \"pvmove\" or undo it with \"pvmove --abort\" "
					   "(both need the VG active), then run again",
				       lv->name, seg->areas[i].lv);
			else if (seg->areas[i].pv < 0)
				refuse(vg, "LV %s is stacked on LV %s, which shrinkbox does not "
					   "handle", lv->name, seg->areas[i].lv);
		return 0;
	}

	/* Not ours to change, but map what it occupies so the extent map is honest. */
	refuse(vg, "LV %s has a segment of type \"%s\"; shrinkbox handles linear and striped "
		   "LVs only", lv->name, seg->type);
	seg->area_len = seg->extent_count;
	for (unsigned k = 0; area_keys[k]; k++) {
		struct cfg_node *list = cfg_find(sec, area_keys[k]);

		if (list)
			return read_areas(vg, list, seg, what);
	}
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct vg_seg *x = a, *y = b;

	return x->start_extent < y->start_extent ? -1 : x->start_extent > y->start_extent;
}

static int read_lv(struct vg *vg, struct cfg_node *sec, struct vg_lv *lv)
{
	uint64_t segment_count, le = 0;
	char what[160];
	unsigned i = 0;
	int r;

	snprintf(what, sizeof(what), "LV %s", sec->key);
	lv->name = sec->key;
	lv->node = sec;
	if (!lvm_name_valid(lv->name))
		return err_set(-EBADMSG, "%s: invalid LV name", what);
	r = read_id(sec, lv->id, what);
	if (r == 0)
		r = read_words(vg, sec, "status", lv_status_words, true, &lv->status, what);
	if (r == 0)
		r = read_words(vg, sec, "flags", lv_flag_words, false, &lv->status, what);
	if (r == 0)
		r = need_u64(sec, "segment_count", &segment_count, what);
	if (r < 0)
		return r;
	if (lv->status & (LV_PVMOVE | LV_LOCKED) || !strncmp(lv->name, "pvmove", 6))
		refuse(vg, "a pvmove is in progress (LV %s is %s); finish it with \"pvmove\" or "
			   "undo it with \"pvmove --abort\" (both need the VG active), then run "
			   "again", lv->name, lv->status & LV_LOCKED ? "LOCKED" : "a pvmove LV");

	lv->n_segs = count_sections(sec);
	if (lv->n_segs != segment_count)
		return err_set(-EBADMSG, "%s: segment_count is %" PRIu64 " but %u segments follow",
			       what, segment_count, lv->n_segs);
	if (!lv->n_segs)
		return err_set(-EBADMSG, "%s: no segments", what);
	lv->segs = calloc(lv->n_segs, sizeof(*lv->segs));
	if (!lv->segs)
		return -ENOMEM;
	for (struct cfg_node *c = sec->child; c; c = c->next) {
		if (!c->section)
			continue;
		r = read_seg(vg, lv, c, &lv->segs[i++]);
		if (r < 0)
			return r;
	}
	/* lvm2 orders segments by start_extent whatever their names (docs/ondisk.md §5.3). */
	qsort(lv->segs, lv->n_segs, sizeof(*lv->segs), cmp_seg);
	for (i = 0; i < lv->n_segs; i++) {
		if (lv->segs[i].start_extent != le)
			return err_set(-EBADMSG, "%s: segment %u should begin at LE %" PRIu64
				       " (found %" PRIu64 ")", what, i + 1, le,
				       lv->segs[i].start_extent);
		le += lv->segs[i].extent_count;
	}
	lv->le_count = le;
	return 0;
}

static int check_allocation(const struct vg *vg)
{
	for (unsigned p = 0; p < vg->n_pvs; p++) {
		_cleanup_free_ struct pv_seg *map = NULL;
		size_t n;
		int r = vg_pv_map(vg, p, &map, &n);

		if (r < 0)
			return r;
	}
	return 0;
}

int vg_from_cfg(struct cfg_node *root, struct vg **out)
{
	struct cfg_node *sec = NULL, *pvs, *lvs;
	const char *contents;
	uint64_t version;
	struct vg *vg;
	unsigned i;
	int r;

	vg = calloc(1, sizeof(*vg));
	if (!vg) {
		cfg_free(root);
		return -ENOMEM;
	}
	vg->root = root;
	/* lvm2 takes the first top-level section as the VG (docs/ondisk.md §5.2). */
	for (struct cfg_node *c = root->child; c; c = c->next)
		if (c->section) {
			sec = c;
			break;
		}
	r = -EBADMSG;
	if (cfg_get_str(root, "contents", &contents) < 0 ||
	    strcmp(contents, "Text Format Volume Group")) {
		err_set(r, "not LVM2 metadata (contents is not \"Text Format Volume Group\")");
		goto fail;
	}
	if (cfg_get_u64(root, "version", &version) < 0 || version != 1) {
		err_set(r, "metadata format version is not 1");
		goto fail;
	}
	if (!sec) {
		err_set(r, "metadata text has no volume group section");
		goto fail;
	}
	vg->sec = sec;
	vg->name = sec->key;
	if (!lvm_name_valid(vg->name)) {
		err_set(r, "invalid VG name");
		goto fail;
	}
	r = read_id(sec, vg->id, "VG");
	if (r == 0)
		r = need_u64(sec, "seqno", &vg->seqno, "VG");
	if (r == 0)
		r = need_u64(sec, "extent_size", &vg->extent_size, "VG");
	if (r == 0)
		r = read_words(vg, sec, "status", vg_status_words, true, &vg->status, "VG");
	if (r == 0)
		r = read_words(vg, sec, "flags", vg_flag_words, false, &vg->status, "VG");
	if (r < 0)
		goto fail;
	r = -EBADMSG;
	if (vg->seqno > UINT32_MAX) {
		err_set(r, "VG seqno %" PRIu64 " is out of range", vg->seqno);
		goto fail;
	}
	if (!vg->extent_size || vg->extent_size > UINT32_MAX) {
		err_set(r, "VG extent_size %" PRIu64 " is out of range", vg->extent_size);
		goto fail;
	}
	if (cfg_get_str(sec, "system_id", &vg->system_id) == 0 && *vg->system_id)
		refuse(vg, "VG %s has system_id \"%s\"; shrinkbox does not manage system IDs",
		       vg->name, vg->system_id);
	if (cfg_get_str(sec, "lock_type", &vg->lock_type) == 0)
		refuse(vg, "VG %s is a shared VG (lock_type \"%s\"); use lvmlockd's tools",
		       vg->name, vg->lock_type);
	if (vg->status & (VG_CLUSTERED | VG_SHARED))
		refuse(vg, "VG %s is clustered or shared", vg->name);
	if (vg->status & VG_EXPORTED)
		refuse(vg, "VG %s is exported; import it with vgimport first", vg->name);
	if (vg->status & VG_PVMOVE)
		refuse(vg, "VG %s is marked PVMOVE: a pvmove is in progress; finish it with "
			   "\"pvmove\" or \"pvmove --abort\"", vg->name);
	if (vg->status & VG_PARTIAL)
		refuse(vg, "VG %s is marked PARTIAL", vg->name);
	if (!(vg->status & VG_WRITE))
		refuse(vg, "VG %s is not writeable", vg->name);

	pvs = cfg_find_section(sec, "physical_volumes");
	if (!pvs) {
		err_set(r, "VG %s has no physical_volumes section", vg->name);
		goto fail;
	}
	vg->n_pvs = count_sections(pvs);
	vg->pvs = calloc(vg->n_pvs ? vg->n_pvs : 1, sizeof(*vg->pvs));
	if (!vg->pvs) {
		r = -ENOMEM;
		goto fail;
	}
	i = 0;
	for (struct cfg_node *c = pvs->child; c; c = c->next) {
		if (!c->section)
			continue;
		r = read_pv(vg, c, &vg->pvs[i++]);
		if (r < 0)
			goto fail;
		for (unsigned j = 0; j + 1 < i; j++)
			if (!strcmp(vg->pvs[j].id, vg->pvs[i - 1].id)) {
				r = err_set(-EBADMSG, "PV id %s appears twice", vg->pvs[j].id);
				goto fail;
			}
	}

	lvs = cfg_find_section(sec, "logical_volumes");
	vg->n_lvs = count_sections(lvs);
	vg->lvs = calloc(vg->n_lvs ? vg->n_lvs : 1, sizeof(*vg->lvs));
	if (!vg->lvs) {
		r = -ENOMEM;
		goto fail;
	}
	i = 0;
	for (struct cfg_node *c = lvs ? lvs->child : NULL; c; c = c->next) {
		if (!c->section)
			continue;
		r = read_lv(vg, c, &vg->lvs[i++]);
		if (r < 0)
			goto fail;
	}
	r = check_allocation(vg);
	if (r < 0)
		goto fail;
	*out = vg;
	return 0;
fail:
	vg_free(vg);
	return r;
}

int vg_from_text(const char *text, size_t len, struct vg **out)
{
	struct cfg_node *root;
	int r = cfg_parse(text, len, &root);

	if (r < 0)
		return r;
	return vg_from_cfg(root, out);
}

void vg_free(struct vg *vg)
{
	if (!vg)
		return;
	for (unsigned i = 0; i < vg->n_lvs; i++) {
		/* An LV that failed to read may have a count but no array yet. */
		for (unsigned s = 0; vg->lvs[i].segs && s < vg->lvs[i].n_segs; s++)
			free(vg->lvs[i].segs[s].areas);
		free(vg->lvs[i].segs);
	}
	free(vg->lvs);
	free(vg->pvs);
	free(vg->refuse);
	cfg_free(vg->root);
	free(vg);
}

static int cmp_pvseg(const void *a, const void *b)
{
	const struct pv_seg *x = a, *y = b;

	return x->pe < y->pe ? -1 : x->pe > y->pe;
}

int vg_pv_map(const struct vg *vg, unsigned pv, struct pv_seg **out, size_t *n_out)
{
	const struct vg_pv *p = &vg->pvs[pv];
	_cleanup_free_ struct pv_seg *used = NULL;
	struct pv_seg *map;
	size_t n = 0, cap = 0, m = 0;
	uint64_t pe = 0;

	for (unsigned l = 0; l < vg->n_lvs; l++) {
		const struct vg_lv *lv = &vg->lvs[l];

		for (unsigned s = 0; s < lv->n_segs; s++) {
			const struct vg_seg *seg = &lv->segs[s];

			for (unsigned a = 0; a < seg->n_areas; a++) {
				if (seg->areas[a].pv != (int)pv)
					continue;
				if (seg->areas[a].pe >= p->pe_count ||
				    seg->area_len > p->pe_count - seg->areas[a].pe)
					return err_set(-EBADMSG,
						       "LV %s uses PEs %" PRIu64 "-%" PRIu64
						       " of PV %s, which has only %" PRIu64,
						       lv->name, seg->areas[a].pe,
						       seg->areas[a].pe + seg->area_len - 1,
						       p->handle, p->pe_count);
				if (n == cap) {
					size_t nc = cap ? 2 * cap : 16;
					struct pv_seg *nu = realloc(used, nc * sizeof(*nu));

					if (!nu)
						return -ENOMEM;
					used = nu;
					cap = nc;
				}
				used[n++] = (struct pv_seg){
					.pe = seg->areas[a].pe, .len = seg->area_len, .lv = (int)l,
					.seg = (int)s, .area = a,
					.le = seg->start_extent,
				};
			}
		}
	}
	if (n)
		qsort(used, n, sizeof(*used), cmp_pvseg);
	map = calloc(2 * n + 1, sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (used[i].pe < pe) {
			free(map);
			return err_set(-EBADMSG, "PE %" PRIu64 " of PV %s is used twice (LV %s and "
				       "LV %s)", used[i].pe, p->handle, vg->lvs[used[i].lv].name,
				       vg->lvs[used[i - 1].lv].name);
		}
		if (used[i].pe > pe)
			map[m++] = (struct pv_seg){ .pe = pe, .len = used[i].pe - pe, .lv = -1 };
		map[m++] = used[i];
		pe = used[i].pe + used[i].len;
	}
	if (pe < p->pe_count)
		map[m++] = (struct pv_seg){ .pe = pe, .len = p->pe_count - pe, .lv = -1 };
	*out = map;
	*n_out = m;
	return 0;
}

uint64_t vg_pv_used(const struct vg *vg, unsigned pv)
{
	uint64_t used = 0;

	for (unsigned l = 0; l < vg->n_lvs; l++)
		for (unsigned s = 0; s < vg->lvs[l].n_segs; s++)
			for (unsigned a = 0; a < vg->lvs[l].segs[s].n_areas; a++)
				if (vg->lvs[l].segs[s].areas[a].pv == (int)pv)
					used += vg->lvs[l].segs[s].area_len;
	return used;
}
