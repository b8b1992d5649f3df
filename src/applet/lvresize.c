// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lvresize VG/LV --size S | --extents N [--fs-checked] [--json] [--dry-run] [--yes] ...
 *
 * The metadata half of an LV resize. A size in bytes is rounded to whole
 * extents in the safe direction (up: never less than asked for) and the plan
 * says so. Shrinking cuts the LV's filesystem, so it needs --fs-checked (set by
 * lvshrink after it shrank the filesystem) and refuses otherwise. Growing takes
 * the extents right after the LV's last segment when they are free, else the
 * lowest free ones. An active LV is refused: its dm table would be stale.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "jsonout.h"
#include "../applets.h"
#include "../lvm/commit.h"
#include "../lvm/edit.h"
#include "../layer/lvdm.h"
#include "../plan/stack.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/units.h"

static const char *opt_size, *opt_extents;
static int opt_fs_checked;

static const struct poptOption lvresize_opts[] = {
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0,
	  "new LV size with a unit (e.g. 20GiB); +SIZE grows by, -SIZE shrinks by", "SIZE" },
	{ "extents", 'l', POPT_ARG_STRING, &opt_extents, 0,
	  "new LV size in extents; +N grows by, -N shrinks by", "N" },
	{ "fs-checked", 0, POPT_ARG_NONE, &opt_fs_checked, 0,
	  "the filesystem already fits the smaller size (set by lvshrink)", NULL },
	{ "json", 'j', POPT_ARG_NONE, &mutate.json, 0,
	  "print the plan as one JSON document on stdout (other lines go to stderr)", NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help lvresize_help = {
	.synopsis = "VG/LV --size [+|-]SIZE [--fs-checked] [--json]\nVG/LV --extents [+|-]N "
		    "[--fs-checked] [--json]",
	.description = "The metadata half of an LV resize, as lvm2's lvresize -L and -l take "
		       "it: SIZE (or N extents) is the new size, +SIZE grows by SIZE, -SIZE "
		       "shrinks by it. A size in bytes is rounded to whole extents in the safe "
		       "direction (up: never less than asked for) and the plan says so. "
		       "Shrinking cuts the LV's filesystem, so it needs --fs-checked (lvshrink "
		       "passes it after it shrank the filesystem) and is refused otherwise. "
		       "Growing takes the extents right after the LV's last segment when they "
		       "are free, else the lowest free ones. An active LV is refused: its dm "
		       "table would be stale.",
	.opts = lvresize_opts,
	.examples = {
		{ "lvresize vg/data --extents +256 --yes",
		  "grow vg/data by 256 extents (the metadata only: lvgrow grows the filesystem "
		  "too)" },
		{ "lvresize vg/data --size -1GiB --fs-checked --dry-run",
		  "the plan to give back 1 GiB of an LV whose filesystem already fits the "
		  "smaller size" },
	},
};

static void print_segments(const struct vg *vg, const struct vg_lv *lv, const char *indent)
{
	for (unsigned s = 0; s < lv->n_segs; s++) {
		const struct vg_seg *seg = &lv->segs[s];

		printf("%sLE %" PRIu64 "-%" PRIu64 ":", indent, seg->start_extent,
		       seg->start_extent + seg->extent_count - 1);
		for (unsigned a = 0; a < seg->n_areas; a++)
			printf(" %s PE %" PRIu64 "-%" PRIu64,
			       seg->areas[a].pv >= 0 ? vg->pvs[seg->areas[a].pv].handle :
						       seg->areas[a].lv,
			       seg->areas[a].pe, seg->areas[a].pe + seg->area_len - 1);
		printf("\n");
	}
}

static struct json_object *segments_json(const struct vg *vg, const struct vg_lv *lv)
{
	struct json_object *arr = json_object_new_array();

	for (unsigned i = 0; i < lv->n_segs; i++) {
		const struct vg_seg *seg = &lv->segs[i];

		for (unsigned a = 0; a < seg->n_areas; a++) {
			struct json_object *o = json_object_new_object();

			J_ADD(o, "le_start", J_U64(seg->start_extent));
			J_ADD(o, "extents", J_U64(seg->extent_count));
			J_ADD(o, "pv", J_STR(seg->areas[a].pv >= 0 ? vg->pvs[seg->areas[a].pv].handle :
					      seg->areas[a].lv));
			J_ADD(o, "pe_start", J_U64(seg->areas[a].pe));
			json_object_array_add(arr, o);
		}
	}
	return arr;
}

/* One lvresize's state, stage to stage. */
struct lvr {
	const char *arg, *lvname;
	char vgname[128];
	struct vgh *h;
	int lv;
	uint64_t old, want;	/* extents */
	uint64_t bytes;		/* the size asked for in bytes (0: in extents) */
};

/* The LV and its new extent count; "No changes." or a refusal end it here. */
static int lvr_target(struct lvr *c)
{
	uint64_t ext;
	char dm[256], sign;
	int r, rc;

	rc = applet_open_lv(c->arg, c->vgname, &c->lvname, &c->h, &c->lv);
	if (rc)
		return rc;
	ext = c->h->vg->extent_size * SECTOR_SIZE;
	c->old = c->h->vg->lvs[c->lv].le_count;
	/* lvm2's -L/-l: SIZE, +SIZE (grow by), -SIZE (shrink by; still needs --fs-checked). */
	r = applet_lv_size(opt_extents ? opt_extents : opt_size, opt_extents != NULL, ext, c->old,
			   &c->want, &c->bytes, &sign);
	if (opt_extents)
		c->bytes = 0;	/* whole extents: nothing was rounded */
	if (r < 0 || !c->want) {
		log_error("%s", r < 0 ? err_msg(r) : "the size must be at least one extent");
		return EXIT_USAGE;
	}
	if (c->want == c->old) {
		if (mutate.json) {
			struct json_object *o = json_doc("lvresize");

			J_ADD(o, "lv", J_STR(c->arg));
			J_ADD(o, "changes", J_BOOL(false));
			J_ADD(o, "extents_before", J_U64(c->old));
			J_ADD(o, "extents_after", J_U64(c->want));
			json_print(o);
		} else {
			printf("No changes.\n");
		}
		return EXIT_DONE;
	}
	if (c->want < c->old && !opt_fs_checked) {
		log_error("shrinking %s from %" PRIu64 " to %" PRIu64 " extents would cut off the end "
			  "of its filesystem; use \"shrinkbox lvshrink\", which shrinks the "
			  "filesystem first, or pass --fs-checked if it already fits", c->arg, c->old,
			  c->want);
		return EXIT_REFUSED;
	}
	lv_dm_name(c->vgname, c->lvname, dm);
	if (lvdm_active(dm)) {
		log_error("%s is active (/dev/mapper/%s); deactivate it first (its table would be "
			  "stale)", c->arg, dm);
		return EXIT_REFUSED;
	}
	return APPLET_NEXT;
}

/* The plan: the size and the segments before and after, the edit made in memory. */
static int lvr_plan(struct lvr *c)
{
	const struct vg *vg = c->h->vg;
	uint64_t ext = vg->extent_size * SECTOR_SIZE;
	struct json_object *o = NULL;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	int r;

	if (mutate.json) {
		o = json_doc("lvresize");
		J_ADD(o, "lv", J_STR(c->arg));
		J_ADD(o, "changes", J_BOOL(true));
		J_ADD(o, "seqno_before", J_U64(vg->seqno));
		J_ADD(o, "seqno_after", J_U64(vg->seqno + 1));
		J_ADD(o, "extent_bytes", J_U64(ext));
		J_ADD(o, "extents_before", J_U64(c->old));
		J_ADD(o, "extents_after", J_U64(c->want));
		J_ADD(o, "lv_bytes_before", J_U64(c->old * ext));
		J_ADD(o, "lv_bytes_after", J_U64(c->want * ext));
		J_ADD(o, "rounded_up", J_BOOL(c->bytes && c->bytes % ext));
		J_ADD(o, "segments_before", segments_json(vg, &vg->lvs[c->lv]));
	} else {
		printf("Plan for LV %s (metadata seqno %" PRIu64 " -> %" PRIu64 "):\n", c->arg,
		       vg->seqno, vg->seqno + 1);
		if (c->bytes && c->bytes % ext)
			printf("  %s is not a whole number of %s extents: rounded up to %" PRIu64
			       " extents\n", size_fmt(a, c->bytes), size_fmt(b, ext), c->want);
		printf("  size: %" PRIu64 " extents = %s  ->  %" PRIu64 " extents = %s\n", c->old,
		       size_fmt(a, c->old * ext), c->want, size_fmt(b, c->want * ext));
		printf("  now:\n");
		print_segments(vg, &vg->lvs[c->lv], "    ");
	}
	err_clear();
	r = vg_lv_resize(c->h->vg, (unsigned)c->lv, c->want);
	if (r == 0)
		r = vg_refresh(&c->h->vg);
	if (r < 0) {
		if (o)
			json_object_put(o);
		return applet_fail(r, NULL, c->vgname);
	}
	c->lv = vg_find_lv(c->h->vg, c->lvname);
	if (o) {
		J_ADD(o, "segments_after", segments_json(c->h->vg, &c->h->vg->lvs[c->lv]));
		json_print(o);
	} else {
		printf("  after:\n");
		print_segments(c->h->vg, &c->h->vg->lvs[c->lv], "    ");
	}
	return APPLET_NEXT;
}

static int lvr_commit(struct lvr *c)
{
	struct commit_result res = { 0 };
	struct commit_opts co;
	char desc[256];
	int r;

	r = applet_consent();
	if (r <= 0)
		return r == 0 ? EXIT_DONE : EXIT_REFUSED;
	snprintf(desc, sizeof(desc), "Write from shrinkbox lvresize %s.", c->arg);
	co = (struct commit_opts){
		.description = desc,
		.backup_dir = mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR,
	};
	err_clear();
	r = vgh_commit(c->h, &co, &res);
	if (r < 0)
		return applet_fail(r, &res, c->vgname);
	fprintf(mutate.json ? stderr : stdout, "Done: %s is %" PRIu64 " extents; metadata seqno %"
		PRIu64 ".\nPrevious metadata: %s\n", c->arg, c->want, res.seqno, res.backup);
	return EXIT_DONE;
}

int lvresize_main(int argc, char **argv)
{
	struct lvr c = { .h = NULL };
	poptContext ctx;
	int rc;

	if (applet_parse("lvresize", argc, argv, lvresize_opts, "VG/LV", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "lvresize", 1, 1, &c.arg) < 0) {
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	if (!!opt_size == !!opt_extents) {
		log_error("give exactly one of --size and --extents");
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	rc = lvr_target(&c);
	if (rc == APPLET_NEXT)
		rc = lvr_plan(&c);
	if (rc == APPLET_NEXT)
		rc = lvr_commit(&c);
	vgh_close(c.h);
	poptFreeContext(ctx);
	return rc;
}
