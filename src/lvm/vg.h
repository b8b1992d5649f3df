/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The typed view of a VG's metadata: PVs, LVs, segments and the extent map of
 * each PV. The view points into the cfg tree it was built from (which it owns),
 * so an edit made through it and printed keeps every key it does not model.
 */
#ifndef SB_LVM_VG_H
#define SB_LVM_VG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "label.h"

/* Status words (docs/ondisk.md §5.4); bits are per object kind. */
enum {
	VG_EXPORTED = 1 << 0, VG_RESIZEABLE = 1 << 1, VG_PVMOVE = 1 << 2, VG_READ = 1 << 3,
	VG_WRITE = 1 << 4, VG_CLUSTERED = 1 << 5, VG_SHARED = 1 << 6, VG_PARTIAL = 1 << 7,
};
enum { PV_ALLOCATABLE = 1 << 0, PV_EXPORTED = 1 << 1, PV_MISSING = 1 << 2 };
enum {
	LV_READ = 1 << 0, LV_WRITE = 1 << 1, LV_FIXED_MINOR = 1 << 2, LV_VISIBLE = 1 << 3,
	LV_PVMOVE = 1 << 4, LV_LOCKED = 1 << 5, LV_NOTSYNCED = 1 << 6, LV_REBUILD = 1 << 7,
	LV_WRITEMOSTLY = 1 << 8,
};

struct vg_pv {
	const char *handle;		/* "pv0": a local name segments refer to */
	char id[LVM_UUID_LEN + 1];	/* no dashes */
	const char *device;		/* hint only; may be NULL */
	uint64_t dev_size;		/* sectors; 0 when absent */
	uint64_t pe_start;		/* sectors */
	uint64_t pe_count;
	unsigned status;
	struct cfg_node *node;
};

struct vg_area {
	int pv;				/* index into vg->pvs, or -1 for an LV area */
	const char *lv;			/* the LV for an LV-on-LV area (pvmove0, ...) */
	uint64_t pe;			/* first PE (or LE of lv) */
};

struct vg_seg {
	uint64_t start_extent;		/* first LE */
	uint64_t extent_count;
	const char *type;
	bool linear;			/* "striped" (any stripe count) or "linear": what we handle */
	uint64_t stripe_count, stripe_size;
	uint64_t area_len;		/* PEs each area covers */
	unsigned n_areas;
	struct vg_area *areas;
	struct cfg_node *node;
};

struct vg_lv {
	const char *name;
	char id[LVM_UUID_LEN + 1];
	unsigned status;
	uint64_t le_count;
	unsigned n_segs;
	struct vg_seg *segs;		/* sorted by start_extent */
	struct cfg_node *node;
};

struct vg {
	const char *name;
	char id[LVM_UUID_LEN + 1];
	uint64_t seqno;
	uint64_t extent_size;		/* sectors */
	unsigned status;
	const char *system_id, *lock_type;
	unsigned n_pvs, n_lvs;
	struct vg_pv *pvs;
	struct vg_lv *lvs;
	/*
	 * Why this VG must not be changed by us (an unsupported segment type, a
	 * pvmove in progress, lvmlockd, an unknown flag word, ...): the first such
	 * finding, or NULL. Reading and showing it is still fine.
	 */
	char *refuse;
	struct cfg_node *root;		/* owned */
	struct cfg_node *sec;		/* the VG section inside root */
};

/* A run of PEs on one PV: free (lv < 0) or part of an LV segment's area. */
struct pv_seg {
	uint64_t pe, len;
	int lv;				/* index into vg->lvs, -1 free */
	int seg;			/* index into lv->segs */
	unsigned area;			/* which stripe/leg of that segment */
	uint64_t le;			/* first LE for linear single-area segments */
};

/*
 * Builds the typed view of a parsed metadata text and validates it the way
 * lvm2 does on read (required keys, status words, contiguous LEs,
 * segment_count, PEs inside pe_count, no PE used twice). Takes ownership of
 * root, also on failure.
 */
int vg_from_cfg(struct cfg_node *root, struct vg **out);
int vg_from_text(const char *text, size_t len, struct vg **out);
void vg_free(struct vg *vg);

int vg_find_pv(const struct vg *vg, const char *uuid_nodash);
int vg_find_lv(const struct vg *vg, const char *name);
/*
 * The segment's type as lvm2 reports it (lvs -o segtype): a one-stripe
 * "striped" segment, what lvm2 writes for a linear run, is "linear".
 */
const char *vg_seg_type(const struct vg_seg *seg);

/* The extent map of one PV in PE order, gaps as free runs; *out malloc'd. */
int vg_pv_map(const struct vg *vg, unsigned pv, struct pv_seg **out, size_t *n);
/* Allocated extents on one PV. */
uint64_t vg_pv_used(const struct vg *vg, unsigned pv);

/* Checks a VG or LV name against lvm2's rules (docs/ondisk.md §5.5). */
bool lvm_name_valid(const char *name);

#endif
