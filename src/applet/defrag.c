// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * defrag PV [--end PE | --size S] [--to PV2] [--verify] [--chunk S] [--json]
 *        [--dry-run] [--yes] [--backup-dir DIR] [--devices LIST]
 *
 * Compacts a PV: moves exactly the allocated extents at or beyond a target end
 * into free extents below it, each move copied, flushed, then committed, so a
 * power cut leaves the old or the new mapping and running it again continues.
 * The target end is by default the number of allocated extents (pack
 * everything); --end PE or --size S (the PV must fit in S) clears only what
 * lies beyond. --to moves everything off PV onto PV2 instead.
 *
 * The LVs whose extents move must not be in use (mounted, swapped on, open);
 * active ones have their tables reloaded after each commit.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "jsonout.h"
#include "../applets.h"
#include "../layer/lvdm.h"
#include "../layer/sysfs.h"
#include "../lvm/commit.h"
#include "../plan/defrag.h"
#include "../plan/extmap.h"
#include "../plan/move.h"
#include "../plan/stack.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/units.h"

#define MAX_MOVE_BYTES (1ull << 30)	/* commit at least every GiB: a power cut loses little */

static const char *opt_end, *opt_size, *opt_to, *opt_chunk;
static int opt_verify, opt_json, opt_copy_swap;

static const struct poptOption defrag_opts[] = {
	{ "end", 'e', POPT_ARG_STRING, &opt_end, 0, "clear everything at or beyond this PE", "PE" },
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0,
	  "clear everything that would not fit a PV of this size", "SIZE" },
	{ "to", 't', POPT_ARG_STRING, &opt_to, 0, "move every extent of PV onto this PV", "PV2" },
	{ "verify", 0, POPT_ARG_NONE, &opt_verify, 0, "read each copy back before committing",
	  NULL },
	{ "chunk", 0, POPT_ARG_STRING, &opt_chunk, 0, "bytes per read and write (default 1MiB)",
	  "SIZE" },
	{ "copy-swap", 0, POPT_ARG_NONE, &opt_copy_swap, 0,
	  "copy swap areas whole (default: only their header page)", NULL },
	{ "json", 'j', POPT_ARG_NONE, &opt_json, 0, "print the plan as JSON", NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help defrag_help = {
	.synopsis = "PV [--end PE | --size SIZE] [--verify] [--chunk SIZE] [--copy-swap] "
		    "[--json]\nPV --to PV2 [--verify] [--chunk SIZE] [--json]",
	.description = "Compacts a PV: moves exactly the allocated extents at or beyond a "
		       "target end into free extents below it, keeping LVs in few segments; "
		       "each move is copied (read and write overlapped), flushed, then "
		       "committed, so a power cut leaves the old or the new mapping and "
		       "running the same command again continues. The target end is by default "
		       "the number of allocated extents (pack everything); --end PE or --size "
		       "SIZE (the PV must fit in SIZE) clears only what lies beyond it. --to "
		       "moves every extent of PV onto PV2 instead.\n\nThe LVs whose extents "
		       "move must not be in use (mounted, swapped on, open); active ones have "
		       "their tables reloaded after each commit. Of an inactive swap area only "
		       "its header page is copied unless --copy-swap.",
	.opts = defrag_opts,
	.examples = {
		{ "defrag /dev/mapper/cryptroot --dry-run",
		  "the moves that would pack every allocated extent at the start of the PV" },
		{ "defrag /dev/sdb1 --size 100GiB --verify --yes",
		  "clear everything beyond the PV's first 100 GiB, each copy read back before "
		  "its commit" },
	},
};

/* Bytes the plan copies: all of every move but the swap areas' pages (keep[]). */
static uint64_t copy_total(const struct vgh *h, const struct defrag_plan *p, const uint64_t *keep)
{
	uint64_t ext = h->vg->extent_size * SECTOR_SIZE, n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += move_copy_bytes(&p->moves[i], ext, keep[p->moves[i].lv]);
	return n;
}

static void print_plan_text(const struct vgh *h, const struct defrag_plan *p, const char *pv,
			    const char *to, const uint64_t *keep)
{
	uint64_t ext = h->vg->extent_size * SECTOR_SIZE;
	char a[SIZE_FMT_LEN];

	printf("Plan for PV %s in VG %s:\n", pv, h->name);
	if (p->to_pv == p->pv)
		printf("  clear PE %" PRIu64 " and beyond: move %" PRIu64 " extents = %s in %zu "
		       "moves\n", p->target_end, p->moved, size_fmt(a, p->moved * ext), p->n);
	else
		printf("  move all %" PRIu64 " extents = %s onto %s in %zu moves\n", p->moved,
		       size_fmt(a, p->moved * ext), to, p->n);
	for (size_t i = 0; i < p->n; i++) {
		const struct move *m = &p->moves[i];

		printf("  %-16s LE %" PRIu64 "-%" PRIu64 ":  %s:%" PRIu64 "-%" PRIu64 "  ->  %s:%"
		       PRIu64 "-%" PRIu64 "\n", h->vg->lvs[m->lv].name, m->le, m->le + m->len - 1,
		       pv, m->from_pe, m->from_pe + m->len - 1, p->to_pv == p->pv ? pv : to,
		       m->to_pe, m->to_pe + m->len - 1);
	}
	for (size_t i = 0, k; i < p->n; i++) {
		unsigned lv = p->moves[i].lv;
		uint64_t copied = 0;

		for (k = 0; k < i && p->moves[k].lv != lv; k++)
			;
		if (keep[lv] == MOVE_KEEP_ALL || k < i)	/* said once per LV */
			continue;
		for (k = i; k < p->n; k++)
			if (p->moves[k].lv == lv)
				copied += move_copy_bytes(&p->moves[k], ext, keep[lv]);
		/* Its header moves or stays: say which, so the figure below adds up. */
		if (copied)
			printf("  %s is an inactive swap area without a hibernation image: only its %"
			       PRIu64 " B header is copied, its pages hold nothing to keep "
			       "(--copy-swap copies them)\n", h->vg->lvs[lv].name, copied);
		else
			printf("  %s is an inactive swap area without a hibernation image: nothing of "
			       "it is copied (its header stays where it is), its pages hold nothing "
			       "to keep (--copy-swap copies them)\n", h->vg->lvs[lv].name);
	}
	printf("  bytes to copy: %s\n", size_fmt(a, copy_total(h, p, keep)));
}

static void print_plan_json(const struct vgh *h, const struct defrag_plan *p, const char *pv,
			    const char *to, const uint64_t *keep)
{
	uint64_t ext = h->vg->extent_size * SECTOR_SIZE;
	struct json_object *o = json_object_new_object(), *moves = json_object_new_array();

	json_object_object_add(o, "schema_version", json_object_new_int(1));
	json_object_object_add(o, "vg", json_object_new_string(h->name));
	json_object_object_add(o, "pv", json_object_new_string(pv));
	json_object_object_add(o, "to", json_object_new_string(to ? to : pv));
	json_object_object_add(o, "target_end_pe", json_object_new_int64((int64_t)p->target_end));
	json_object_object_add(o, "extents", json_object_new_int64((int64_t)p->moved));
	json_object_object_add(o, "moved_bytes", json_object_new_int64((int64_t)(p->moved * ext)));
	json_object_object_add(o, "copy_bytes",
			       json_object_new_int64((int64_t)copy_total(h, p, keep)));
	for (size_t i = 0; i < p->n; i++) {
		const struct move *m = &p->moves[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "lv", json_object_new_string(h->vg->lvs[m->lv].name));
		json_object_object_add(j, "le_start", json_object_new_int64((int64_t)m->le));
		json_object_object_add(j, "extents", json_object_new_int64((int64_t)m->len));
		json_object_object_add(j, "from_pe", json_object_new_int64((int64_t)m->from_pe));
		json_object_object_add(j, "to_pe", json_object_new_int64((int64_t)m->to_pe));
		json_object_object_add(j, "copy_bytes", json_object_new_int64(
			(int64_t)move_copy_bytes(m, ext, keep[m->lv])));
		json_object_array_add(moves, j);
	}
	json_object_object_add(o, "moves", moves);
	json_print(o);
}

/*
 * The LVs whose extents move must not be in use: nothing may write to them
 * while their data is copied. An active but unused LV is fine: its table is
 * reloaded after each commit.
 */
static int check_unused(const struct vgh *h, const struct defrag_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		char dm[256];
		struct lvdm_info info;

		lv_dm_name(h->name, h->vg->lvs[p->moves[i].lv].name, dm);
		if (lvdm_available() && lvdm_info(dm, &info) == 0 && info.exists &&
		    lvdm_open_count(dm) > 0)
			return err_set(E_REFUSED, "LV %s/%s is in use (/dev/mapper/%s is open %d "
				       "time(s): mounted or swapped on?); its extents cannot move "
				       "under it", h->name, h->vg->lvs[p->moves[i].lv].name, dm,
				       info.open_count);
	}
	return 0;
}

/* One defrag's state, stage to stage. */
struct defrag {
	const char *pv;
	char vgname[128];
	struct vgh *h;
	int dev, to_dev;		/* the PV emptied at its end, the PV moved to */
	uint64_t end;			/* the first PE that must hold nothing */
	struct defrag_plan plan;
	struct mover_opts mo;
	uint64_t *keep;			/* per LV: the bytes of each extent its content needs */
};

static int defrag_chunk(struct defrag *d)
{
	uint64_t v;
	int r;

	d->mo.chunk = MOVE_CHUNK_DEFAULT;
	if (!opt_chunk)
		return APPLET_NEXT;
	r = size_parse(opt_chunk, 0, &v);
	if (r < 0 || !v || v % 4096 || v > (256u << 20)) {
		log_error("--chunk %s", r < 0 ? err_msg(r) :
			  "must be a multiple of 4096 B up to 256 MiB");
		return EXIT_USAGE;
	}
	d->mo.chunk = (size_t)v;
	return APPLET_NEXT;
}

/* The VG through the PV, the target PV, and the end (--end PE, or --size of the PV). */
static int defrag_open(struct defrag *d)
{
	uint64_t ext, v;
	int r = 0, rc;

	rc = applet_open_pv(d->pv, d->vgname, &d->h, &d->dev);
	if (rc)
		return rc;
	d->to_dev = opt_to ? vgh_find_dev(d->h, opt_to) : d->dev;
	if (d->to_dev < 0) {
		log_error("%s: not a PV of VG %s", opt_to, d->vgname);
		return EXIT_FAILED;
	}
	ext = d->h->vg->extent_size * SECTOR_SIZE;
	d->end = UINT64_MAX;
	if (opt_end) {
		r = count_parse(opt_end, &d->end);
	} else if (opt_size) {
		const struct vg_dev *vd = &d->h->devs[d->dev];
		uint64_t first = d->h->vg->pvs[vd->pv].pe_start * SECTOR_SIZE;
		uint64_t mda2 = vd->pd.label.n_mdas == 2 ? vd->pd.label.mda[1].size : 0;

		r = size_parse(opt_size, ext, &v);
		d->end = r == 0 && v > first + mda2 ? (v - first - mda2) / ext : 0;
	}
	if (r < 0) {
		log_error("%s", err_msg(r));
		return EXIT_USAGE;
	}
	return APPLET_NEXT;
}

/* The moves, and what each moved LV's content needs copied (swap keeps its header). */
static int defrag_make(struct defrag *d)
{
	const struct vg *vg = d->h->vg;
	uint64_t ext = vg->extent_size * SECTOR_SIZE;
	int r;

	err_clear();
	r = defrag_plan(vg, (unsigned)d->h->devs[d->dev].pv, d->end,
			(unsigned)d->h->devs[d->to_dev].pv,
			MAX_MOVE_BYTES / ext ? MAX_MOVE_BYTES / ext : 1, &d->plan);
	if (r < 0)
		return applet_fail(r, NULL, d->vgname);
	d->keep = calloc(vg->n_lvs ? vg->n_lvs : 1, sizeof(*d->keep));
	if (!d->keep) {
		log_error("out of memory");
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < vg->n_lvs; i++)
		d->keep[i] = MOVE_KEEP_ALL;
	for (size_t i = 0; i < d->plan.n && !opt_copy_swap; i++)
		if (d->keep[d->plan.moves[i].lv] == MOVE_KEEP_ALL)
			d->keep[d->plan.moves[i].lv] = move_swap_keep(d->h, d->plan.moves[i].lv);
	return APPLET_NEXT;
}

/* The plan (or "No changes."), the checks it leaves to the write, consent. */
static int defrag_show(struct defrag *d)
{
	int r;

	if (!d->plan.n) {
		if (opt_json)
			print_plan_json(d->h, &d->plan, d->pv, opt_to, d->keep);
		else
			printf("No changes.\n");
		return EXIT_DONE;
	}
	if (opt_json) {
		print_plan_json(d->h, &d->plan, d->pv, opt_to, d->keep);
	} else {
		print_plan_text(d->h, &d->plan, d->pv, opt_to, d->keep);
		printf("  before:\n");
		pv_map_print(d->h->vg, (unsigned)d->h->devs[d->dev].pv, "    ");
	}
	r = check_unused(d->h, &d->plan);
	if (r < 0)
		return applet_fail(r, NULL, d->vgname);
	mutate.json = opt_json;
	r = applet_consent();
	if (r <= 0)
		return r == 0 ? EXIT_DONE : EXIT_REFUSED;
	return APPLET_NEXT;
}

/* The copies and their commits, then what moved and what was copied. */
static int defrag_apply(struct defrag *d)
{
	struct commit_result res = { 0 };
	struct progress prog;
	struct commit_opts co;
	char desc[256], a[SIZE_FMT_LEN], c[SIZE_FMT_LEN];
	uint64_t ext = d->h->vg->extent_size * SECTOR_SIZE, copied;
	int r;

	snprintf(desc, sizeof(desc), "Write from shrinkbox defrag %s.", d->pv);
	co = (struct commit_opts){
		.description = desc,
		.backup_dir = mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR,
	};
	fflush(stdout);	/* the plan before the progress lines, which go to stderr */
	copied = copy_total(d->h, &d->plan, d->keep);
	progress_start(&prog, "defrag", copied);
	d->mo.verify = opt_verify;
	d->mo.commit = &co;
	d->mo.progress = &prog;
	d->mo.keep = d->keep;
	err_clear();
	r = moves_apply(d->h, &d->plan, &d->mo, &res);
	progress_end(&prog);
	if (r < 0)
		return applet_fail(r, &res, d->vgname);
	if (!opt_json) {
		printf("  after:\n");
		pv_map_print(d->h->vg, (unsigned)d->h->devs[d->dev].pv, "    ");
	}
	/* Moved is what the map says; copied is what the data needed (swap keeps its header). */
	fprintf(opt_json ? stderr : stdout, "Done: moved %" PRIu64 " extents = %s, %s copied%s; "
		"VG %s metadata seqno %" PRIu64 ".\n", d->plan.moved,
		size_fmt(a, d->plan.moved * ext), size_fmt(c, copied),
		copied < d->plan.moved * ext ? " (the rest remapped without a copy)" : "",
		d->vgname, res.seqno);
	return EXIT_DONE;
}

int defrag_main(int argc, char **argv)
{
	struct defrag d = { .h = NULL };
	poptContext ctx;
	int rc;

	if (applet_parse("defrag", argc, argv, defrag_opts, "PV", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "defrag", 1, 1, &d.pv) < 0 || (opt_end && opt_size) ||
	    (opt_to && (opt_end || opt_size))) {
		if (opt_end && opt_size)
			log_error("give at most one of --end and --size");
		if (opt_to && (opt_end || opt_size))
			log_error("--to moves everything; it takes no --end or --size");
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	rc = defrag_chunk(&d);
	if (rc == APPLET_NEXT)
		rc = defrag_open(&d);
	if (rc == APPLET_NEXT)
		rc = defrag_make(&d);
	if (rc == APPLET_NEXT)
		rc = defrag_show(&d);
	if (rc == APPLET_NEXT)
		rc = defrag_apply(&d);
	defrag_plan_clear(&d.plan);
	free(d.keep);
	vgh_close(d.h);
	poptFreeContext(ctx);
	return rc;
}
