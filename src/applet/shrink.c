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

/* "1100MiB" when the size is whole MiB (extents are), else bytes: what --lv takes back. */
static const char *lv_size_arg(char buf[32], uint64_t bytes)
{
	if (bytes % (1u << 20) == 0)
		snprintf(buf, 32, "%" PRIu64 "MiB", bytes >> 20);
	else
		snprintf(buf, 32, "%" PRIu64 "B", bytes);
	return buf;
}

struct lv_give {
	unsigned lv;
	uint64_t give;		/* extents it can give up, its content kept */
};

static int by_give(const void *a, const void *b)
{
	const struct lv_give *x = a, *y = b;

	return x->give < y->give ? 1 : x->give > y->give ? -1 : (x->lv > y->lv) - (x->lv < y->lv);
}

/*
 * Without --lv: the largest ext2/3/4 LV that can give up `need` extents on its
 * own (resize2fs -P, read-only). When none can, the refusal lists every LV with
 * its smallest size and what it can give, and the --lv options that free
 * enough together when several can.
 */
static int choose_lv(const char *vgname, uint64_t need, struct lv_target *t, char *why,
		     size_t why_len)
{
	struct vgh *h = NULL;
	struct lv_give *c = NULL;
	uint64_t best = 0, ext, sum = 0;
	unsigned n = 0;
	size_t o = 0;
	int r, chosen = -1;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN], arg[32];

#define WHY(...)                                                                          \
	do {                                                                              \
		int k_ = snprintf(why + o, why_len - o, __VA_ARGS__);                     \
		o += k_ > 0 && (size_t)k_ < why_len - o ? (size_t)k_ : 0;                 \
	} while (0)
	r = vgh_open(vgname, applet_device_list(), false, &h);
	if (r < 0)
		return r;
	ext = h->vg->extent_size * SECTOR_SIZE;
	c = calloc(h->vg->n_lvs ? h->vg->n_lvs : 1, sizeof(*c));
	if (!c) {
		vgh_close(h);
		return err_set(-ENOMEM, "out of memory");
	}
	why[0] = '\0';
	for (unsigned i = 0; i < h->vg->n_lvs; i++) {
		const struct vg_lv *lv = &h->vg->lvs[i];
		struct lvdev d = { .loopfd = -1 };
		enum fs_kind kind = FS_EXT;
		uint64_t min_le = 0;

		if (!(lv->status & LV_VISIBLE))
			continue;
		err_clear();
		r = lvdev_open(h, i, &d);
		if (r == 0)
			r = fsresize_min_le(h, i, &d, &min_le, &kind);
		lvdev_close(&d);
		if (r < 0) {
			char pre[300];

			/* The reason names the LV itself when it comes from its content. */
			snprintf(pre, sizeof(pre), "LV %s/%s ", vgname, lv->name);
			if (!strncmp(err_msg(r), pre, strlen(pre)))
				WHY("\n  %s/%s: %s (%s)", vgname, lv->name, err_msg(r) + strlen(pre),
				    size_fmt_human(a, lv->le_count * ext));
			else
				WHY("\n  %s/%s (%s): %s", vgname, lv->name,
				    size_fmt_human(a, lv->le_count * ext), err_msg(r));
			continue;
		}
		if (!min_le) {
			/* A resize2fs was cut off: the repair comes first, then its minimum counts. */
			WHY("\n  %s/%s: %" PRIu64 " extents = %s, tagged %s: its smallest size is "
			    "known after the repair", vgname, lv->name, lv->le_count,
			    size_fmt_human(a, lv->le_count * ext), RESIZE_MARK);
			min_le = 1;
		} else {
			WHY("\n  %s/%s: %" PRIu64 " extents = %s, its %s needs %" PRIu64 " = %s: can "
			    "give %" PRIu64 "%s", vgname, lv->name, lv->le_count,
			    size_fmt_human(a, lv->le_count * ext),
			    kind == FS_EXT ? "filesystem" : kind == FS_SWAP ? "swap area" : "btrfs",
			    min_le, size_fmt_human(b, min_le * ext),
			    lv->le_count > min_le ? lv->le_count - min_le : 0,
			    kind == FS_EXT ? "" : kind == FS_SWAP ?
			    " (swap is never chosen: name it with --lv)" :
			    " (btrfs is never chosen: name it with --lv)");
		}
		if (kind != FS_EXT || lv->le_count <= min_le)
			continue;
		c[n++] = (struct lv_give){ .lv = i, .give = lv->le_count - min_le };
		sum += lv->le_count - min_le;
		if (lv->le_count - min_le >= need && lv->le_count > best) {
			best = lv->le_count;
			chosen = (int)i;
		}
	}
	if (chosen >= 0) {
		snprintf(t->name, sizeof(t->name), "%s/%s", vgname, h->vg->lvs[chosen].name);
		t->lv = (unsigned)chosen;
		t->new_le = h->vg->lvs[chosen].le_count - need;
		snprintf(why, why_len, "the largest ext2/3/4 LV whose filesystem can give up %" PRIu64
			 " extents", need);
		r = 0;
	} else if (sum >= need) {
		uint64_t left = need;

		/* The fewest LVs: those that can give most first, the last one only what is left. */
		qsort(c, n, sizeof(*c), by_give);
		WHY("\nthese together free enough:");
		for (unsigned i = 0; i < n && left; i++) {
			const struct vg_lv *lv = &h->vg->lvs[c[i].lv];
			uint64_t g = c[i].give < left ? c[i].give : left;

			WHY(" --lv %s/%s=%s", vgname, lv->name, lv_size_arg(arg, (lv->le_count - g) * ext));
			left -= g;
		}
		r = err_set(E_REFUSED, "%" PRIu64 " extents must be freed and no LV can give them up "
			    "on its own; name the LVs to shrink with --lv VG/LV=SIZE (nothing was "
			    "changed)", need);
	} else {
		r = err_set(E_REFUSED, "%" PRIu64 " extents must be freed and the ext2/3/4 LVs can "
			    "give up %" PRIu64 " together: choose a larger --size, or make room in the "
			    "VG first (nothing was changed)", need, sum);
	}
#undef WHY
	free(c);
	vgh_close(h);
	return r;
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
	struct json_object *lvs = json_object_new_array();

	J_ADD(o, "vg", J_STR(vg->name));
	J_ADD(o, "extent_bytes", J_U64(vg->extent_size * SECTOR_SIZE));
	J_ADD(o, "pv", J_STR(sv->pv->path));
	J_ADD(o, "pv_extents_before", J_U64(vg->pvs[sv->pv->pv_index].pe_count));
	J_ADD(o, "pv_extents_used", J_U64(sv->l.used));
	J_ADD(o, "pv_extents_after", J_U64(t->pe_count));
	J_ADD(o, "pv_bytes_after", J_U64(t->pv_bytes));
	for (unsigned i = 0; i < n_lvt; i++) {
		struct json_object *x = json_object_new_object();

		J_ADD(x, "lv", J_STR(lvt[i].name));
		J_ADD(x, "extents_before", J_U64(vg->lvs[lvt[i].lv].le_count));
		J_ADD(x, "extents_after", J_U64(lvt[i].new_le));
		J_ADD(x, "bytes_after", J_U64(lvt[i].new_le * vg->extent_size * SECTOR_SIZE));
		J_ADD(x, "resize_mark", J_BOOL(vg_lv_has_tag(vg, lvt[i].lv, RESIZE_MARK)));
		json_object_array_add(lvs, x);
	}
	J_ADD(o, "lvs", lvs);
	J_ADD(o, "steps", changes ? steps_json(l) : json_object_new_array());
	json_print(o);
}

int shrink_main(int argc, char **argv)
{
	struct stack *st = NULL;
	struct stack_view sv;
	struct targets t;
	struct lv_target lvt[MAX_LV_TARGETS] = { 0 };
	char why[2048] = "", a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	struct steps steps = { 0 };
	const char *dev, *old_tag = NULL;
	struct free_record rec = { 0 };
	bool recorded = false;
	unsigned n_lvt = 0;
	uint64_t want, ss, ext, freed = 0;
	const struct vg *vg;
	poptContext ctx;
	int r, rc = EXIT_FAILED;
	bool any = false;

	secret_protect_process();
	if (applet_parse("shrink", argc, argv, shrink_opts, "PARTITION", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "shrink", 1, 1, &dev) < 0 || !!opt_size == !!opt_free) {
		if (!!opt_size == !!opt_free)
			log_error("give exactly one of --size and --free");
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	mutate.json = opt_json;
	rc = applet_key_file_check(opt_keyfile);
	if (rc)
		goto out;
	rc = EXIT_FAILED;
	err_clear();
	r = stack_probe(dev, &st);
	if (r == 0)
		r = stack_view_find(st, &sv);
	if (r < 0) {
		rc = applet_fail_open(r, "");
		goto out;
	}
	ss = sv.l.table_sector;
	if (sv.fs) {
		/* No LVM: no VG to record a --free target in, no LVs to name. */
		if (opt_free || opt_lv) {
			log_error("%s holds %s with no LVM: give --size (no --free, no --lv)", dev,
				  sv.fs->probe.type);
			rc = EXIT_USAGE;
			goto out;
		}
		r = size_parse(opt_size, 0, &want);
		if (r == 0 && want > sv.l.part_size * ss)
			r = err_set(-EINVAL, "%s is larger than the partition (%s): use grow",
				    size_fmt(a, want), size_fmt(b, sv.l.part_size * ss));
		if (r < 0) {
			log_error("%s", err_msg(r));
			rc = EXIT_USAGE;
			goto out;
		}
		rc = stackfs_shrink(dev, &sv, want, opt_keyfile);
		goto out;
	}
	vg = sv.pv->vg;
	ext = vg->extent_size * SECTOR_SIZE;
	r = size_parse(opt_size ? opt_size : opt_free, ext, &want);
	if (r < 0) {
		log_error("%s", err_msg(r));
		rc = EXIT_USAGE;
		goto out;
	}
	if (opt_free) {
		uint64_t now = sv.l.part_size * ss;

		old_tag = vg_tag_with_prefix(vg, FREE_TAG);
		if (free_record_parse(old_tag, &rec) && rec.freed == want && rec.to <= sv.l.part_size &&
		    now <= rec.from) {
			fprintf(out(), "(--free %s: this shrink was begun from %s and records its "
				"target, VG tag %s)\n", opt_free, size_fmt(a, rec.from), old_tag);
			want = rec.to * ss;
			recorded = true;
		} else if (want >= now) {
			log_error("--free %s: the partition has only %s", opt_free, size_fmt(a, now));
			rc = EXIT_USAGE;
			goto out;
		} else {
			rec = (struct free_record){ .freed = want, .from = now };
			want = now - want;
		}
	}
	if (want > sv.l.part_size * ss) {
		log_error("%s is larger than the partition (%s): use grow", size_fmt(a, want),
			  size_fmt(b, sv.l.part_size * ss));
		rc = EXIT_USAGE;
		goto out;
	}
	err_clear();
	r = shrink_targets(&sv.l, want, &t);
	if (r == 0)
		r = parse_lv_targets(vg, lvt, &n_lvt);
	if (r < 0) {
		log_error("%s", err_msg(r));
		rc = r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
		goto out;
	}
	for (unsigned i = 0; i < n_lvt; i++)
		freed += vg->lvs[lvt[i].lv].le_count - lvt[i].new_le;
	if (t.free_needed > freed) {
		if (n_lvt) {
			log_error("the --lv targets free %" PRIu64 " extents; %" PRIu64 " are needed "
				  "for the PV to fit %s", freed, t.free_needed,
				  size_fmt(a, t.pv_bytes));
			rc = EXIT_REFUSED;
			goto out;
		}
		err_clear();
		r = choose_lv(vg->name, t.free_needed, &lvt[0], why, sizeof(why));
		if (r < 0) {
			rc = applet_fail(r, NULL, vg->name);
			/* Every LV with its smallest size (and the --lv options that would do). */
			if (why[0])
				fprintf(stderr, "the LVs of VG %s:%s\n", vg->name, why);
			goto out;
		}
		n_lvt = 1;
	}
	n_lvt = applet_add_tagged(vg, lvt, n_lvt);
	rec.to = t.part_size;

	/* Every step's own checks, before the plan is shown and anything is written. */
	err_clear();
	r = applet_check_lv_targets(vg->name, lvt, n_lvt, (unsigned)sv.pv->pv_index, 0, false,
				    opt_keyfile);
	if (r == 0 && (t.part_size != sv.l.part_size || sv.table_repair))
		r = part_check_size(sv.disk, sv.entry->partno, t.part_size);
	if (r == 0 && sv.luks && (t.map_size != sv.luks->luks.active_size ||
				  t.part_size != sv.l.part_size))
		r = applet_check_key(sv.luks->luks.active_name, opt_keyfile);
	if (r == 0 && sv.luks)
		r = applet_check_luks_tokens(sv.part->name, &sv.luks->luks,
					     t.part_size != sv.l.part_size || sv.table_repair);
	if (r < 0) {
		rc = applet_fail(r, NULL, vg->name);
		goto out;
	}

	/* An LV named with --lv that already has its size (and no tag) changes nothing. */
	for (unsigned i = 0; i < n_lvt; i++)
		any |= lvt[i].new_le != vg->lvs[lvt[i].lv].le_count ||
		       vg_lv_has_tag(vg, lvt[i].lv, RESIZE_MARK);
	any = any || t.part_size != sv.l.part_size || t.pe_count != vg->pvs[sv.pv->pv_index].pe_count ||
	      (sv.luks && t.map_size != sv.luks->luks.active_size) || sv.table_repair;
	plan_steps(&sv, &t, lvt, n_lvt, ext, dev, &steps);
	if (opt_json)
		print_json(dev, &sv, &t, lvt, n_lvt, &steps, any);
	else
		print_plan(dev, &sv, &t, lvt, n_lvt, why[0] ? why : NULL, any ? &steps : NULL);
	if (!any) {
		if (!opt_json)
			printf("No changes.\n");
		rc = EXIT_DONE;
		goto out;
	}
	if (opt_free && !recorded)
		fprintf(out(), "  --free %s is recorded first as a VG tag (%sB_from_%" PRIu64 "B_to_%"
			PRIu64 "s), so that running the same command again finishes this shrink\n",
			opt_free, FREE_TAG, rec.from, rec.to);
	r = applet_consent();
	if (r <= 0) {
		rc = r == 0 ? EXIT_DONE : EXIT_REFUSED;
		goto out;
	}
	if (opt_free && !recorded) {
		/* Not a step of the shrink: a refusal after it still changed nothing of the stack. */
		err_clear();
		r = free_record_commit(vg->name, old_tag, &rec);
		if (r < 0) {
			rc = applet_fail(r, NULL, vg->name);
			goto out;
		}
	}
	rc = steps_run(&steps, opt_keyfile);
	if (rc)
		goto out;
	fprintf(out(), "Done: partition %u of %s is %s.\n", sv.entry->partno, sv.disk,
		size_fmt(a, t.part_size * ss));
	rc = EXIT_DONE;
out:
	applet_key_release();
	stack_free(st);
	poptFreeContext(ctx);
	return rc;
}
