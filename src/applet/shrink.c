// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * shrink PARTITION (--size S | --free S) [--lv VG/LV=SIZE ...] [--dry-run] [--yes]
 *
 * The whole stack from one declared target: the partition becomes at most S
 * (its end on the table's grain), or S smaller. Working inwards from that, the
 * LUKS mapping, the PV and its extents get the largest sizes that fit; when
 * the LVs use more extents than remain, the LVs named with --lv shrink to their
 * sizes, or, without --lv, the largest ext2/3/4 LV that can give the extents up
 * (its filesystem's minimum allowing) is chosen and named. Then, in this order,
 * each step an applet of its own: lvshrink, defrag, pvresize, cryptresize,
 * partresize, and the final fill of the mapping and the PV to the partition's
 * real end. Every step is atomic or resumable and starts from what is on disk,
 * so running the same command again after an interruption finishes the job,
 * and after success prints "No changes." for every step.
 *
 * The LUKS device must be open (unlock) and the LVs being changed unmounted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "jsonout.h"
#include "lvchoose.h"
#include "steps.h"
#include "stackfs.h"
#include "../applets.h"
#include "../layer/part.h"
#include "../lvm/commit.h"
#include "../lvm/edit.h"
#include "../plan/extmap.h"
#include "../plan/fsresize.h"
#include "../plan/need.h"
#include "../plan/selfexec.h"
#include "../plan/stack.h"
#include "../plan/stacksize.h"
#include "../plan/stackview.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timing.h"
#include "../util/secret.h"
#include "../util/units.h"

static const char *opt_size, *opt_free, *opt_keyfile;
static char **opt_lv;
static int opt_verify, opt_json;

static const struct poptOption shrink_opts[] = {
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0, "the partition's new size (at most)",
	  "SIZE" },
	{ "free", 0, POPT_ARG_STRING, &opt_free, 0, "space to free at the partition's end",
	  "SIZE" },
	{ "lv", 0, POPT_ARG_ARGV, &opt_lv, 0, "shrink this LV to SIZE (repeatable)",
	  "VG/LV=SIZE" },
	{ "key-file", 'd', POPT_ARG_STRING, &opt_keyfile, 0,
	  "for a mapping whose key is in the kernel keyring: the key for cryptresize", "FILE" },
	{ "json", 'j', POPT_ARG_NONE, &opt_json, 0,
	  "print the plan as one JSON document on stdout (other lines go to stderr)", NULL },
	{ "verify", 0, POPT_ARG_NONE, &opt_verify, 0,
	  "defrag reads each copy back and compares it before its commit", NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help shrink_help = {
	.synopsis = "PARTITION --size SIZE [--lv VG/LV=SIZE ...] [--key-file FILE] "
		    "[--verify] [--json]\nPARTITION --free SIZE [--lv VG/LV=SIZE ...] [--key-file "
		    "FILE] [--verify] [--json]",
	.description = "The whole stack from one declared target: the partition becomes at "
		       "most SIZE (its end on the table's grain), or with --free SIZE smaller. "
		       "Working inwards from that, the LUKS mapping, the PV and its extents "
		       "get the largest sizes that fit; when the LVs use more extents than "
		       "remain, the LVs named with --lv shrink to their sizes, or, without "
		       "--lv, the largest ext2/3/4 LV that can give the extents up (its "
		       "filesystem's minimum allowing) is chosen and named; when none can alone, "
		       "the refusal lists every LV with its smallest size and prints the --lv "
		       "options that free enough together. Then, in this "
		       "order, each step an applet of its own: lvshrink, defrag, pvresize, "
		       "cryptresize, partresize, and the final fill of the mapping and the PV "
		       "to the partition's real end. Every step is atomic or resumable and "
		       "starts from what is on disk, so running the same command again after "
		       "an interruption finishes the job, and after success prints \"No "
		       "changes.\" for every step.\n\nBefore the first write it checks what "
		       "every later step needs (the VG as a writer opens it, each LV's "
		       "filesystem and resize2fs minimum, the LUKS key), so the dry run and "
		       "the real run give the same verdict. The LUKS device must be open "
		       "(unlock, or the initramfs) and the LVs being changed unmounted.",
	.opts = shrink_opts,
	.examples = {
		{ "shrink /dev/nvme0n1p3 --size 200GiB --dry-run",
		  "the plan: the partition at most 200 GiB, and inside it LUKS, PV, extents "
		  "and an LV (chosen and named) to fit" },
		{ "shrink /dev/sda3 --free 50GiB --lv vg/home=100GiB --yes",
		  "free the last 50 GiB of the partition, shrinking vg/home to 100 GiB for it" },
	},
};

static int parse_lv_targets(const struct vg *vg, struct lv_target *t, unsigned *n)
{
	uint64_t ext = vg->extent_size * SECTOR_SIZE, bytes;

	*n = 0;
	for (char **a = opt_lv; a && *a; a++) {
		const char *eq = strchr(*a, '='), *slash = strchr(*a, '/');
		int lv, r;

		if (!eq || !slash || slash > eq || *n == MAX_LV_TARGETS)
			return err_set(-EINVAL, "--lv %s: write VG/LV=SIZE", *a);
		if ((size_t)(slash - *a) != strlen(vg->name) || strncmp(*a, vg->name, strlen(vg->name)))
			return err_set(-EINVAL, "--lv %s: the VG on this partition is %s", *a, vg->name);
		snprintf(t[*n].name, sizeof(t[*n].name), "%.*s", (int)(eq - *a), *a);
		{
			char lvname[256];

			snprintf(lvname, sizeof(lvname), "%.*s", (int)(eq - slash - 1), slash + 1);
			lv = vg_find_lv(vg, lvname);
		}
		if (lv < 0)
			return err_set(-EINVAL, "--lv %s: no such LV", *a);
		r = size_parse(eq + 1, ext, &bytes);
		if (r < 0)
			return err_wrap(r, "--lv %s: ", *a);
		t[*n].lv = (unsigned)lv;
		t[*n].new_le = div_round_up(bytes, ext);
		if (t[*n].new_le > vg->lvs[lv].le_count)
			return err_set(-EINVAL, "--lv %s: that is larger than the LV (%" PRIu64
				       " extents); shrink only shrinks", *a, vg->lvs[lv].le_count);
		(*n)++;
	}
	return 0;
}

/*
 * --free S is relative to the partition as it is, so a re-run after success
 * (or after an interruption past partresize) would free S once more. The
 * first run records what S meant as a VG tag (lvm2 keeps it; vgs -o tags
 * shows it) before its first step: S, the partition's size then, and the
 * size it shrinks to, in table sectors. A re-run with the same S that finds
 * the partition between those two sizes finishes that shrink instead. The
 * tag stays after success, so the same command then says "No changes.".
 */
#define FREE_TAG "shrinkbox_free_"

struct free_record {
	uint64_t freed, from, to;	/* bytes, bytes, table sectors */
};

static bool free_record_parse(const char *tag, struct free_record *f)
{
	char tail;

	return tag && sscanf(tag, FREE_TAG "%" SCNu64 "B_from_%" SCNu64 "B_to_%" SCNu64 "s%c",
			     &f->freed, &f->from, &f->to, &tail) == 3;
}

static int free_record_commit(const char *vgname, const char *old, const struct free_record *f)
{
	struct commit_opts co = {
		.description = "Write from shrinkbox shrink --free (the target, recorded).",
		.backup_dir = mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR,
	};
	struct commit_result res = { 0 };
	struct vgh *h = NULL;
	char tag[128];
	int r;

	snprintf(tag, sizeof(tag), FREE_TAG "%" PRIu64 "B_from_%" PRIu64 "B_to_%" PRIu64 "s",
		 f->freed, f->from, f->to);
	r = vgh_open(vgname, applet_device_list(), true, &h);
	if (r == 0 && old)
		r = vg_tag(h->vg, old, false);
	if (r == 0)
		r = vg_tag(h->vg, tag, true);
	if (r == 0)
		r = vg_refresh(&h->vg);
	if (r == 0)
		r = vgh_commit(h, &co, &res);
	vgh_close(h);
	if (r == 0)
		printf("==> recorded the target as VG tag %s\n", tag);
	return r;
}

/* With --json, stdout holds the JSON document only: every other line goes to stderr. */
static FILE *out(void)
{
	return opt_json ? stderr : stdout;
}

/* Inside out: the filesystems, the extents, the PV, the mapping, the partition, the fill. */
static void plan_steps(const struct stack_view *sv, const struct targets *t,
		       const struct lv_target *lvt, unsigned n_lvt, uint64_t ext, const char *dev,
		       struct steps *l)
{
	char sz[48];

	for (unsigned i = 0; i < n_lvt; i++) {
		snprintf(sz, sizeof(sz), "%" PRIu64 "B", lvt[i].new_le * ext);
		steps_add(l, "lvshrink", lvt[i].name, "--size", sz, NULL);
	}
	snprintf(sz, sizeof(sz), "%" PRIu64, t->pe_count);
	steps_add(l, "defrag", sv->pv->path, "--end", sz, opt_verify ? "--verify" : NULL);
	snprintf(sz, sizeof(sz), "%" PRIu64 "B", t->pv_bytes);
	steps_add(l, "pvresize", sv->pv->path, "--size", sz, NULL);
	if (sv->luks) {
		snprintf(sz, sizeof(sz), "%" PRIu64 "s", t->map_size);
		steps_add(l, "cryptresize", sv->luks->luks.active_name, "--size", sz, NULL);
	}
	snprintf(sz, sizeof(sz), "%" PRIu64 "B", t->part_size * sv->l.table_sector);
	steps_add(l, "partresize", sv->part->path[0] ? sv->part->path : dev, "--size", sz, NULL);
	/* The final exact fill: any LUKS mapping, then the PV, grow to the partition's real end. */
	if (sv->luks)
		steps_add(l, "cryptresize", sv->luks->luks.active_name, NULL, NULL, NULL);
	steps_add(l, "pvresize", sv->pv->path, NULL, NULL, NULL);
}

/* The plan: every layer before and after, in sectors and bytes; the steps when any. */
static void print_plan(const char *dev, const struct stack_view *sv, const struct targets *t,
		       const struct lv_target *lvt, unsigned n_lvt, const char *why,
		       const struct steps *l)
{
	const struct vg *vg = sv->pv->vg;
	uint64_t ext = vg->extent_size * SECTOR_SIZE;
	char b[SIZE_FMT_LEN], sz[64];

	applet_print_layers(dev, sv, t);
	snprintf(sz, sizeof(sz), "%" PRIu64 " extents, %" PRIu64 " used",
		 vg->pvs[sv->pv->pv_index].pe_count, sv->l.used);
	printf("  %-14s %-44s %" PRIu64 " extents (%s)\n", "PV", sz, t->pe_count,
	       size_fmt(b, t->pv_bytes));
	for (unsigned i = 0; i < n_lvt; i++) {
		const struct vg_lv *lv = &vg->lvs[lvt[i].lv];

		snprintf(sz, sizeof(sz), "%" PRIu64 " extents", lv->le_count);
		printf("  LV %-11s %-44s %" PRIu64 " extents = %s%s\n", lv->name, sz,
		       lvt[i].new_le, size_fmt(b, lvt[i].new_le * ext),
		       vg_lv_has_tag(vg, lvt[i].lv, RESIZE_MARK) ?
		       " (tagged " RESIZE_MARK ": an interrupted resize2fs is finished)" : "");
	}
	if (why)
		printf("  (chose %s: %s)\n", lvt[0].name, why);
	printf("  extents now (the LV shrink frees the end of each LV it shrinks; then defrag moves "
	       "what lies at or beyond PE %" PRIu64 "):\n", t->pe_count);
	pv_map_print(vg, (unsigned)sv->pv->pv_index, "    ");
	if (l)
		steps_print(l, stdout);
}

/* The same as one JSON document (schema 1). */
static void print_json(const char *dev, const struct stack_view *sv, const struct targets *t,
		       const struct lv_target *lvt, unsigned n_lvt, const struct steps *l,
		       bool changes)
{
	const struct vg *vg = sv->pv->vg;
	struct json_object *o = applet_layers_json("shrink", dev, sv, t, changes);
	struct json_object *lvs = applet_pv_json(o, sv, t, lvt, n_lvt);

	J_ADD(o, "pv_extents_used", J_U64(sv->l.used));
	for (unsigned i = 0; i < n_lvt; i++)
		J_ADD(json_object_array_get_idx(lvs, i), "resize_mark",
		      J_BOOL(vg_lv_has_tag(vg, lvt[i].lv, RESIZE_MARK)));
	J_ADD(o, "steps", changes ? steps_json(l) : json_object_new_array());
	json_print(o);
}

/* One shrink's state, stage to stage. */
struct shrink {
	const char *dev;
	struct stack *st;
	struct stack_view sv;
	struct targets t;
	struct lv_target lvt[MAX_LV_TARGETS];
	unsigned n_lvt;
	char why[2048];		/* why an LV was chosen, or every LV's smallest size */
	struct steps steps;
	const char *old_tag;	/* the VG's --free record before this run */
	struct free_record rec;
	bool recorded;		/* --free: the VG already records this target */
	uint64_t want;		/* the partition's size to reach, in bytes */
};

static const struct vg *shrink_vg(const struct shrink *s)
{
	return s->sv.pv->vg;
}

/* The stack and, without LVM, the whole shrink (stackfs); APPLET_NEXT for a PV. */
static int shrink_open(struct shrink *s)
{
	uint64_t ss;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	int r;

	err_clear();
	r = stack_probe(s->dev, &s->st);
	if (r == 0)
		r = stack_view_find(s->st, &s->sv);
	if (r < 0)
		return applet_fail_open(r, "");
	if (!s->sv.fs)
		return APPLET_NEXT;
	/* No LVM: no VG to record a --free target in, no LVs to name. */
	if (opt_free || opt_lv) {
		log_error("%s holds %s with no LVM: give --size (no --free, no --lv)", s->dev,
			  s->sv.fs->probe.type);
		return EXIT_USAGE;
	}
	ss = s->sv.l.table_sector;
	r = size_parse(opt_size, 0, &s->want);
	if (r == 0 && s->want > s->sv.l.part_size * ss)
		r = err_set(-EINVAL, "%s is larger than the partition (%s): use grow",
			    size_fmt(a, s->want), size_fmt(b, s->sv.l.part_size * ss));
	if (r < 0) {
		log_error("%s", err_msg(r));
		return EXIT_USAGE;
	}
	return stackfs_shrink(s->dev, &s->sv, s->want, opt_keyfile);
}

/* The partition's size to reach: --size, or --free (its record, when a re-run finishes it). */
static int shrink_want(struct shrink *s)
{
	const struct vg *vg = shrink_vg(s);
	uint64_t ss = s->sv.l.table_sector, now = s->sv.l.part_size * ss;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	int r;

	r = size_parse(opt_size ? opt_size : opt_free, vg->extent_size * SECTOR_SIZE, &s->want);
	if (r < 0) {
		log_error("%s", err_msg(r));
		return EXIT_USAGE;
	}
	if (opt_free) {
		s->old_tag = vg_tag_with_prefix(vg, FREE_TAG);
		if (free_record_parse(s->old_tag, &s->rec) && s->rec.freed == s->want &&
		    s->rec.to <= s->sv.l.part_size && now <= s->rec.from) {
			fprintf(out(), "(--free %s: this shrink was begun from %s and records its "
				"target, VG tag %s)\n", opt_free, size_fmt(a, s->rec.from), s->old_tag);
			s->want = s->rec.to * ss;
			s->recorded = true;
		} else if (s->want >= now) {
			log_error("--free %s: the partition has only %s", opt_free, size_fmt(a, now));
			return EXIT_USAGE;
		} else {
			s->rec = (struct free_record){ .freed = s->want, .from = now };
			s->want = now - s->want;
		}
	}
	if (s->want > now) {
		log_error("%s is larger than the partition (%s): use grow", size_fmt(a, s->want),
			  size_fmt(b, now));
		return EXIT_USAGE;
	}
	return APPLET_NEXT;
}

/* The layers' targets and the LVs that free the extents: --lv, or one chosen. */
static int shrink_targets_lvs(struct shrink *s)
{
	const struct vg *vg = shrink_vg(s);
	uint64_t freed = 0;
	char a[SIZE_FMT_LEN];
	int r;

	err_clear();
	r = shrink_targets(&s->sv.l, s->want, &s->t);
	if (r == 0)
		r = parse_lv_targets(vg, s->lvt, &s->n_lvt);
	if (r < 0)
		return applet_plan_fail(r);
	for (unsigned i = 0; i < s->n_lvt; i++)
		freed += vg->lvs[s->lvt[i].lv].le_count - s->lvt[i].new_le;
	if (s->t.free_needed > freed) {
		if (s->n_lvt) {
			log_error("the --lv targets free %" PRIu64 " extents; %" PRIu64 " are needed "
				  "for the PV to fit %s", freed, s->t.free_needed,
				  size_fmt(a, s->t.pv_bytes));
			return EXIT_REFUSED;
		}
		err_clear();
		r = shrink_choose_lv(vg->name, s->t.free_needed, &s->lvt[0], s->why, sizeof(s->why));
		if (r < 0) {
			int rc = applet_fail(r, NULL, vg->name);

			/* Every LV with its smallest size (and the --lv options that would do). */
			if (s->why[0])
				fprintf(stderr, "the LVs of VG %s:%s\n", vg->name, s->why);
			return rc;
		}
		s->n_lvt = 1;
	}
	s->n_lvt = applet_add_tagged(vg, s->lvt, s->n_lvt);
	s->rec.to = s->t.part_size;
	return APPLET_NEXT;
}

/* Every step's own checks, before the plan is shown and anything is written. */
static int shrink_check(struct shrink *s)
{
	const struct stack_view *sv = &s->sv;
	const struct targets *t = &s->t;
	int r;

	err_clear();
	r = applet_check_lv_targets(shrink_vg(s)->name, s->lvt, s->n_lvt,
				    (unsigned)sv->pv->pv_index, 0, false, opt_keyfile);
	if (r == 0 && (t->part_size != sv->l.part_size || sv->table_repair))
		r = part_check_size(sv->disk, sv->entry->partno, t->part_size);
	if (r == 0 && sv->luks && (t->map_size != sv->luks->luks.active_size ||
				   t->part_size != sv->l.part_size))
		r = applet_check_key(sv->luks->luks.active_name, opt_keyfile);
	if (r == 0 && sv->luks)
		r = applet_check_luks_tokens(sv->part->name, &sv->luks->luks,
					     t->part_size != sv->l.part_size || sv->table_repair);
	return r < 0 ? applet_fail(r, NULL, shrink_vg(s)->name) : APPLET_NEXT;
}

/* True when any layer changes (an LV named at its size, with no tag, changes nothing). */
static bool shrink_changes(const struct shrink *s)
{
	const struct vg *vg = shrink_vg(s);
	const struct stack_view *sv = &s->sv;
	bool any = false;

	for (unsigned i = 0; i < s->n_lvt; i++)
		any |= s->lvt[i].new_le != vg->lvs[s->lvt[i].lv].le_count ||
		       vg_lv_has_tag(vg, s->lvt[i].lv, RESIZE_MARK);
	return any || s->t.part_size != sv->l.part_size ||
	       s->t.pe_count != vg->pvs[sv->pv->pv_index].pe_count ||
	       (sv->luks && s->t.map_size != sv->luks->luks.active_size) || sv->table_repair;
}

/* The plan shown, consent, the --free record, then the steps in order. */
static int shrink_run(struct shrink *s)
{
	const struct vg *vg = shrink_vg(s);
	bool any = shrink_changes(s);
	char a[SIZE_FMT_LEN];
	int r, rc;

	plan_steps(&s->sv, &s->t, s->lvt, s->n_lvt, vg->extent_size * SECTOR_SIZE, s->dev,
		   &s->steps);
	if (opt_json)
		print_json(s->dev, &s->sv, &s->t, s->lvt, s->n_lvt, &s->steps, any);
	else
		print_plan(s->dev, &s->sv, &s->t, s->lvt, s->n_lvt, s->why[0] ? s->why : NULL,
			   any ? &s->steps : NULL);
	if (!any) {
		if (!opt_json)
			printf("No changes.\n");
		return EXIT_DONE;
	}
	if (opt_free && !s->recorded)
		fprintf(out(), "  --free %s is recorded first as a VG tag (%sB_from_%" PRIu64 "B_to_%"
			PRIu64 "s), so that running the same command again finishes this shrink\n",
			opt_free, FREE_TAG, s->rec.from, s->rec.to);
	r = applet_consent();
	if (r <= 0)
		return r == 0 ? EXIT_DONE : EXIT_REFUSED;
	if (opt_free && !s->recorded) {
		/* Not a step of the shrink: a refusal after it still changed nothing of the stack. */
		err_clear();
		r = free_record_commit(vg->name, s->old_tag, &s->rec);
		if (r < 0)
			return applet_fail(r, NULL, vg->name);
	}
	rc = steps_run(&s->steps, opt_keyfile);
	if (rc)
		return rc;
	fprintf(out(), "Done: partition %u of %s is %s.\n", s->sv.entry->partno, s->sv.disk,
		size_fmt(a, s->t.part_size * s->sv.l.table_sector));
	return EXIT_DONE;
}

int shrink_main(int argc, char **argv)
{
	static struct shrink s;	/* 40 KiB of steps and reasons: not on the stack */
	poptContext ctx;
	uint64_t t0;
	int rc;

	secret_protect_process();
	if (applet_parse("shrink", argc, argv, shrink_opts, "PARTITION", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "shrink", 1, 1, &s.dev) < 0 || !!opt_size == !!opt_free) {
		if (!!opt_size == !!opt_free)
			log_error("give exactly one of --size and --free");
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	mutate.json = opt_json;
	t0 = timing_now();
	rc = applet_key_file_check(opt_keyfile);
	if (rc == 0)
		rc = shrink_open(&s);
	timing_lap("shrink:probe", &t0);
	if (rc == APPLET_NEXT)
		rc = shrink_want(&s);
	if (rc == APPLET_NEXT)
		rc = shrink_targets_lvs(&s);
	timing_lap("shrink:targets", &t0);
	if (rc == APPLET_NEXT)
		rc = shrink_check(&s);
	timing_lap("shrink:check", &t0);
	if (rc == APPLET_NEXT)
		rc = shrink_run(&s);
	applet_key_release();
	stack_free(s.st);
	poptFreeContext(ctx);
	return rc;
}
