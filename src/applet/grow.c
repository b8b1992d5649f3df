// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * grow PARTITION [--size S | --max] [--lv VG/LV=SIZE|+SIZE|100%FREE ...]
 *      [--key-file FILE] [--dry-run] [--yes]
 *
 * The whole stack outwards, for a disk that was enlarged or a partition with
 * free space after it: the partition grows (to S, or with --max into all the
 * free space after it; without either it keeps its size), then the LUKS
 * mapping and the PV fill it exactly, then the LVs named with --lv grow and
 * their ext2/3/4 filesystems or swap areas fill them. Each step is an applet of
 * its own and atomic or resumable; the plan starts from what is on disk, so
 * running the same command again finishes an interrupted grow.
 *
 * --lv targets: SIZE is the LV's new size; 100%FREE gives it every extent the
 * PV has free after it grew; +SIZE grows the filesystem in it by SIZE (the LV
 * by what that needs), measured from the filesystem so that a re-run after an
 * interruption between the LV and the filesystem step does not add SIZE twice.
 * A re-run after success adds it again, as lvextend -L +SIZE would: give SIZE
 * or 100%FREE for a target that converges.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "jsonout.h"
#include "stackfs.h"
#include "steps.h"
#include "../applets.h"
#include "../layer/part.h"
#include "../layer/sysfs.h"
#include "../plan/extmap.h"
#include "../plan/stack.h"
#include "../plan/stacksize.h"
#include "../plan/stackview.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/secret.h"
#include "../util/strfmt.h"
#include "../util/units.h"

static const char *opt_size, *opt_keyfile;
static int opt_max, opt_json;
static char **opt_lv;

static const struct poptOption grow_opts[] = {
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0, "the partition's new size (at least)",
	  "SIZE" },
	{ "max", 0, POPT_ARG_NONE, &opt_max, 0, "grow the partition into all the free space after it",
	  NULL },
	{ "lv", 0, POPT_ARG_ARGV, &opt_lv, 0, "grow this LV and its filesystem (repeatable)",
	  "VG/LV=SIZE|+SIZE|100%FREE" },
	{ "key-file", 'd', POPT_ARG_STRING, &opt_keyfile, 0,
	  "for a mapping whose key is in the kernel keyring: the key for cryptresize", "FILE" },
	{ "json", 'j', POPT_ARG_NONE, &opt_json, 0,
	  "print the plan as one JSON document on stdout (other lines go to stderr)", NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help grow_help = {
	.synopsis = "PARTITION [--size SIZE | --max] [--lv VG/LV=SIZE|+SIZE|100%FREE ...] "
		    "[--key-file FILE] [--json]",
	.description = "The whole stack outwards, for a disk that was enlarged or a partition "
		       "with free space after it: the partition grows (to SIZE, or with --max "
		       "into all the free space after it; without either it keeps its size; "
		       "the backup GPT header moves to the disk's new end), then the LUKS "
		       "mapping and the PV fill it exactly, then the LVs named with --lv grow "
		       "and their ext2/3/4 filesystems or swap areas fill them. Each step is "
		       "an applet of its own (partresize, cryptresize, pvresize, lvgrow) and "
		       "atomic or resumable; the plan starts from what is on disk, so running "
		       "the same command again finishes an interrupted grow.\n\n--lv targets: "
		       "SIZE is the LV's new size; 100%FREE gives it every extent the PV has "
		       "free after it grew; +SIZE grows the filesystem in it by SIZE, measured "
		       "from the filesystem, so that a re-run after an interruption does not "
		       "add SIZE twice (a re-run after success adds it again, as lvextend -L "
		       "+SIZE would).",
	.opts = grow_opts,
	.examples = {
		{ "grow /dev/sda3 --max --lv vg/root=100%FREE --yes",
		  "after the disk was enlarged: the partition into all the free space after "
		  "it, LUKS and PV filling it, vg/root and its filesystem taking every free "
		  "extent" },
		{ "grow /dev/nvme0n1p3 --size 300GiB --lv vg/home=+20GiB --dry-run",
		  "the plan for a 300 GiB partition with 20 GiB more in the filesystem of "
		  "vg/home" },
	},
};

/* The filesystem or swap area in LV i, if the probe could read its size. */
static const struct fs_info *lv_fs(const struct stack_view *sv, unsigned i)
{
	const struct lv_view *v = sv->pv->lvs ? &sv->pv->lvs[i] : NULL;

	return v && v->probed && v->fs.size_known ? &v->fs : NULL;
}

/* Whether LV i is active and mounted (its filesystem then grows online, through the kernel). */
static bool lv_mounted(const struct stack_view *sv, unsigned i)
{
	const struct lv_view *v = sv->pv->lvs ? &sv->pv->lvs[i] : NULL;
	char path[DEV_PATH_MAX];
	struct stat st;

	if (!v || !v->active || str_fmt(path, sizeof(path), "/dev/mapper/%s", v->dm_name) < 0)
		return false;
	return stat(path, &st) == 0 && S_ISBLK(st.st_mode) && blk_mounted(st.st_rdev);
}

/*
 * The --lv targets against a PV of pe_count extents. 100%FREE is resolved
 * last, so that explicit sizes are served first; at most one may ask for it.
 */
static int parse_lv_targets(const struct stack_view *sv, uint64_t pe_count, struct lv_target *t,
			    unsigned *n)
{
	const struct vg *vg = sv->pv->vg;
	uint64_t ext = vg->extent_size * SECTOR_SIZE, bytes, total = 0, avail;
	int all = -1;

	*n = 0;
	for (char **a = opt_lv; a && *a; a++) {
		const char *eq = strchr(*a, '='), *slash = strchr(*a, '/'), *v;
		const struct fs_info *fs;
		const struct vg_lv *lv;
		char lvname[256];
		int i, r;

		if (!eq || !slash || slash > eq || *n == MAX_LV_TARGETS)
			return err_set(-EINVAL, "--lv %s: write VG/LV=SIZE, VG/LV=+SIZE or "
				       "VG/LV=100%%FREE", *a);
		if ((size_t)(slash - *a) != strlen(vg->name) || strncmp(*a, vg->name, strlen(vg->name)))
			return err_set(-EINVAL, "--lv %s: the VG on this partition is %s", *a, vg->name);
		snprintf(lvname, sizeof(lvname), "%.*s", (int)(eq - slash - 1), slash + 1);
		i = vg_find_lv(vg, lvname);
		if (i < 0)
			return err_set(-EINVAL, "--lv %s: no such LV", *a);
		for (unsigned k = 0; k < *n; k++)
			if (t[k].lv == (unsigned)i)
				return err_set(-EINVAL, "--lv %s: that LV is named twice", *a);
		lv = &vg->lvs[i];
		fs = lv_fs(sv, (unsigned)i);
		snprintf(t[*n].name, sizeof(t[*n].name), "%s/%s", vg->name, lv->name);
		t[*n].lv = (unsigned)i;
		t[*n].fs_short = fs && fs->size < lv->le_count * ext &&
				 lv->le_count * ext - fs->size >= fs->block_size;
		v = eq + 1;
		if (!strcmp(v, "100%FREE")) {
			if (all >= 0)
				return err_set(-EINVAL, "--lv %s: only one LV can take 100%%FREE", *a);
			all = (int)*n;
			t[*n].new_le = lv->le_count;
		} else if (*v == '+') {
			r = size_parse(v + 1, ext, &bytes);
			if (r < 0)
				return err_wrap(r, "--lv %s: ", *a);
			/* From the filesystem: what an interrupted grow already added is not added twice. */
			t[*n].new_le = div_round_up((fs ? fs->size : lv->le_count * ext) + bytes, ext);
			if (t[*n].new_le < lv->le_count)
				t[*n].new_le = lv->le_count;
		} else {
			r = size_parse(v, ext, &bytes);
			if (r < 0)
				return err_wrap(r, "--lv %s: ", *a);
			t[*n].new_le = div_round_up(bytes, ext);
			if (t[*n].new_le < lv->le_count)
				return err_set(E_REFUSED, "--lv %s: smaller than the LV (%" PRIu64
					       " extents); grow only grows (use lvshrink or shrink)",
					       *a, lv->le_count);
		}
		total += t[*n].new_le - lv->le_count;
		(*n)++;
	}
	avail = pe_count > vg_pv_used(vg, (unsigned)sv->pv->pv_index) ?
			pe_count - vg_pv_used(vg, (unsigned)sv->pv->pv_index) : 0;
	if (total > avail)
		return err_set(E_REFUSED, "the --lv targets need %" PRIu64 " more extents; the PV "
			       "will have %" PRIu64 " free", total, avail);
	if (all >= 0)
		t[all].new_le += avail - total;
	return 0;
}

/* The partition's new size in table sectors, as partresize will make it. */
static int part_target(const struct stack_view *sv, uint64_t ss, uint64_t *size)
{
	const struct part_entry *e = sv->entry;
	uint64_t grain = sv->l.grain / ss ? sv->l.grain / ss : 1, limit, bytes;
	int r;

	/* A last logical partition: its extended partition grows first (part_set_size()). */
	limit = e->start + e->size + e->grow_after;
	*size = e->size;
	if (opt_max) {
		/* The last grain boundary before the limit; never less than it is now. */
		if (round_down(limit, grain) > e->start + e->size)
			*size = round_down(limit, grain) - e->start;
	} else if (opt_size) {
		r = size_parse(opt_size, 0, &bytes);
		if (r < 0)
			return err_wrap(-EINVAL, "--size: ");
		*size = div_round_up(e->start + div_round_up(bytes, ss), grain) * grain - e->start;
		if (*size < e->size)
			return err_set(-EINVAL, "--size %s is smaller than the partition (%" PRIu64
				       " s); use shrink", opt_size, e->size);
		if (e->start + *size > limit)
			return err_set(E_REFUSED, "--size %s: the partition can grow to %" PRIu64
				       " s at most (%s after it)", opt_size, limit - e->start,
				       e->next_partno ? "the next partition" :
						      "the last usable sector");
	}
	return 0;
}

/* Outside in: the partition, the mapping, the PV, then the LVs and their filesystems. */
static void plan_steps(const struct stack_view *sv, const struct targets *t,
		       const struct lv_target *lvt, unsigned n_lvt, uint64_t ext, const char *dev,
		       struct steps *l)
{
	char sz[48];

	if (t->part_size != sv->l.part_size || sv->table_repair) {
		/* The exact last sector: --max may end off the grain, where --size would round. */
		snprintf(sz, sizeof(sz), "%" PRIu64, sv->entry->start + t->part_size - 1);
		steps_add(l, "partresize", sv->part->path[0] ? sv->part->path : dev, "--end", sz,
			  NULL);
	}
	if (sv->luks)
		steps_add(l, "cryptresize", sv->luks->luks.active_name, NULL, NULL, NULL);
	steps_add(l, "pvresize", sv->pv->path, NULL, NULL, NULL);
	for (unsigned i = 0; i < n_lvt; i++) {
		snprintf(sz, sizeof(sz), "%" PRIu64 "B", lvt[i].new_le * ext);
		steps_add(l, "lvgrow", lvt[i].name, "--size", sz, NULL);
	}
}

static void print_plan(const char *dev, const struct stack_view *sv, const struct targets *t,
		       const struct part_entry *cont, const struct lv_target *lvt, unsigned n_lvt,
		       const struct steps *l)
{
	const struct vg *vg = sv->pv->vg;
	uint64_t ext = vg->extent_size * SECTOR_SIZE;
	char b[SIZE_FMT_LEN], sz[48];

	applet_print_layers(dev, sv, t);
	if (cont)
		printf("  %-14s extended partition %u, sectors %" PRIu64 "-%" PRIu64
		       ": grows first, to end at %" PRIu64 "\n", "container", cont->partno,
		       cont->start, cont->start + cont->size - 1,
		       sv->entry->start + t->part_size - 1);
	snprintf(sz, sizeof(sz), "%" PRIu64 " extents", vg->pvs[sv->pv->pv_index].pe_count);
	printf("  %-14s %-44s %" PRIu64 " extents (%s)\n", "PV", sz, t->pe_count,
	       size_fmt(b, t->pv_bytes));
	for (unsigned i = 0; i < n_lvt; i++) {
		const struct vg_lv *lv = &vg->lvs[lvt[i].lv];

		snprintf(sz, sizeof(sz), "%" PRIu64 " extents", lv->le_count);
		printf("  LV %-11s %-44s %" PRIu64 " extents = %s%s%s\n", lv->name, sz,
		       lvt[i].new_le, size_fmt(b, lvt[i].new_le * ext),
		       lvt[i].fs_short ? " (its filesystem grows to fill it)" : "",
		       (lvt[i].fs_short || lvt[i].new_le != lv->le_count) &&
		       lv_mounted(sv, lvt[i].lv) ? " (mounted: grows online)" : "");
	}
	printf("  extents now:\n");
	pv_map_print(vg, (unsigned)sv->pv->pv_index, "    ");
	if (l)
		steps_print(l, stdout);
}

static void print_json(const char *dev, const struct stack_view *sv, const struct targets *t,
		       const struct part_entry *cont, const struct lv_target *lvt, unsigned n_lvt,
		       const struct steps *l, bool changes)
{
	struct json_object *o = applet_layers_json("grow", dev, sv, t, changes);
	struct json_object *lvs;

	if (cont) {
		J_ADD(o, "container_partition_number", J_U64(cont->partno));
		J_ADD(o, "container_end_sector_after", J_U64(sv->entry->start + t->part_size - 1));
	}
	lvs = applet_pv_json(o, sv, t, lvt, n_lvt);
	for (unsigned i = 0; i < n_lvt; i++) {
		struct json_object *x = json_object_array_get_idx(lvs, i);

		J_ADD(x, "filesystem_grows", J_BOOL(lvt[i].fs_short));
		J_ADD(x, "mounted", J_BOOL(lv_mounted(sv, lvt[i].lv)));
	}
	J_ADD(o, "steps", changes ? steps_json(l) : json_object_new_array());
	json_print(o);
}

/* One grow's state, stage to stage. */
struct grow {
	const char *dev;
	struct stack *st;
	struct stack_view sv;
	struct targets t;
	struct lv_target lvt[MAX_LV_TARGETS];
	unsigned n_lvt;
	struct steps steps;
	uint64_t new_part;	/* the partition's new size, table sectors */
};

/* The stack, the partition's target and, without LVM, the whole grow (stackfs). */
static int grow_open(struct grow *g)
{
	int r;

	err_clear();
	r = stack_probe(g->dev, &g->st);
	if (r == 0)
		r = stack_view_find(g->st, &g->sv);
	if (r < 0)
		return applet_fail_open(r, "");
	if (g->sv.fs && opt_lv) {
		log_error("%s holds %s with no LVM: no --lv", g->dev, g->sv.fs->probe.type);
		return EXIT_USAGE;
	}
	err_clear();
	r = part_target(&g->sv, g->sv.l.table_sector, &g->new_part);
	if (r < 0)
		return applet_plan_fail(r);
	if (g->sv.fs)
		return stackfs_grow(g->dev, &g->sv, g->new_part, opt_keyfile);
	return APPLET_NEXT;
}

/* Every layer's target, and every step's own checks before anything is shown or written. */
static int grow_plan(struct grow *g)
{
	const struct stack_view *sv = &g->sv;
	const struct vg *vg = sv->pv->vg;
	struct targets *t = &g->t;
	uint64_t pe_now = vg->pvs[sv->pv->pv_index].pe_count;
	int r;

	err_clear();
	r = fill_targets(&sv->l, g->new_part, t);
	if (r == 0 && t->pe_count < pe_now)
		r = err_set(E_REFUSED, "the PV has %" PRIu64 " extents, more than the partition holds "
			    "(%" PRIu64 "): the stack is not as grow expects; see status", pe_now,
			    t->pe_count);
	if (r == 0)
		r = parse_lv_targets(sv, t->pe_count, g->lvt, &g->n_lvt);
	if (r == 0)
		g->n_lvt = applet_add_tagged(vg, g->lvt, g->n_lvt);
	if (r == 0)
		r = applet_check_lv_targets(vg->name, g->lvt, g->n_lvt, (unsigned)sv->pv->pv_index,
					    t->pe_count - pe_now, true, opt_keyfile);
	if (r == 0 && (t->part_size != sv->l.part_size || sv->table_repair))
		r = part_check_size(sv->disk, sv->entry->partno, t->part_size);
	if (r == 0 && sv->luks && t->map_size != sv->luks->luks.active_size)
		r = applet_check_key(sv->luks->luks.active_name, opt_keyfile);
	if (r == 0 && sv->luks)
		r = applet_check_luks_tokens(sv->part->name, &sv->luks->luks,
					     t->part_size != sv->l.part_size || sv->table_repair);
	return r < 0 ? applet_plan_fail(r) : APPLET_NEXT;
}

static bool grow_changes(const struct grow *g)
{
	const struct stack_view *sv = &g->sv;
	const struct vg *vg = sv->pv->vg;
	bool any = g->t.part_size != sv->l.part_size ||
		   g->t.pe_count != vg->pvs[sv->pv->pv_index].pe_count ||
		   (sv->luks && g->t.map_size != sv->luks->luks.active_size) || sv->table_repair;

	for (unsigned i = 0; i < g->n_lvt; i++)
		any |= g->lvt[i].new_le != vg->lvs[g->lvt[i].lv].le_count || g->lvt[i].fs_short;
	return any;
}

/* The plan shown, consent, then the steps in order. */
static int grow_run(struct grow *g)
{
	const struct stack_view *sv = &g->sv;
	const struct part_entry *cont = part_container_grows(&g->st->root->pt, sv->entry,
							      g->t.part_size);
	bool any = grow_changes(g);
	char a[SIZE_FMT_LEN];
	int r, rc;

	plan_steps(sv, &g->t, g->lvt, g->n_lvt, sv->pv->vg->extent_size * SECTOR_SIZE, g->dev,
		   &g->steps);
	if (opt_json)
		print_json(g->dev, sv, &g->t, cont, g->lvt, g->n_lvt, &g->steps, any);
	else
		print_plan(g->dev, sv, &g->t, cont, g->lvt, g->n_lvt, any ? &g->steps : NULL);
	if (!any) {
		if (!opt_json)
			printf("No changes.\n");
		return EXIT_DONE;
	}
	r = applet_consent();
	if (r <= 0)
		return r == 0 ? EXIT_DONE : EXIT_REFUSED;
	rc = steps_run(&g->steps, opt_keyfile);
	if (rc)
		return rc;
	fprintf(opt_json ? stderr : stdout, "Done: partition %u of %s is %s.\n", sv->entry->partno,
		sv->disk, size_fmt(a, g->t.part_size * sv->l.table_sector));
	return EXIT_DONE;
}

int grow_main(int argc, char **argv)
{
	static struct grow g;	/* 30 KiB of steps: not on the stack */
	poptContext ctx;
	int rc;

	secret_protect_process();
	if (applet_parse("grow", argc, argv, grow_opts, "PARTITION", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "grow", 1, 1, &g.dev) < 0 || (opt_size && opt_max)) {
		if (opt_size && opt_max)
			log_error("give at most one of --size and --max");
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	mutate.json = opt_json;
	rc = applet_key_file_check(opt_keyfile);
	if (rc == 0)
		rc = grow_open(&g);
	if (rc == APPLET_NEXT)
		rc = grow_plan(&g);
	if (rc == APPLET_NEXT)
		rc = grow_run(&g);
	applet_key_release();
	stack_free(g.st);
	poptFreeContext(ctx);
	return rc;
}
