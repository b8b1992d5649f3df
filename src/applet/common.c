// SPDX-License-Identifier: GPL-2.0-or-later
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libcryptsetup.h>

#include "common.h"
#include "help.h"
#include "jsonout.h"
#include "../applets.h"
#include "../version.h"
#include "../layer/luks.h"
#include "../layer/lvdm.h"
#include "../lvm/edit.h"
#include "../plan/lvdev.h"
#include "../plan/fsresize.h"
#include "../plan/stackview.h"
#include "../util/units.h"
#include "../lvm/commit.h"
#include "../util/err.h"
#include "../util/log.h"

static int quiet, verbose, debug, want_version, want_help;

const struct poptOption common_table[] = {
	{ "quiet", 'q', POPT_ARG_NONE, &quiet, 0, "only warnings and errors on stderr", NULL },
	{ "verbose", 'v', POPT_ARG_NONE, &verbose, 0,
	  "debug messages too, the libraries' (libdevmapper, libcryptsetup) included", NULL },
	{ "debug", 0, POPT_ARG_NONE, &debug, 0,
	  "as --verbose, with libcryptsetup's own debug output (as cryptsetup --debug)", NULL },
	{ "version", 'V', POPT_ARG_NONE, &want_version, 0, "print the version and exit", NULL },
	{ "help", 'h', POPT_ARG_NONE, &want_help, 0,
	  "show the usage, the options and examples, and exit", NULL },
	POPT_TABLEEND
};

/*
 * popt takes the last of an option given twice; "--size 1GiB --size 2GiB" is
 * more likely a mistake than a correction, so applet_parse refuses it, as
 * lvm2 does ("Option --size may not be repeated", tools/lvmcmdline.c). It
 * parses a copy of the tables in which every option has a val of its own,
 * which poptGetNextOpt returns each time it meets the option. A flag given
 * twice means the same as once (the boot script puts --dry-run before the
 * words of rd.shrinkbox.cmd, which may hold it too), and POPT_ARG_ARGV options
 * (--lv) are repeatable by design: only options with a value are counted.
 */
#define PARSE_MAX_OPTS 128
#define PARSE_VAL_BASE 0x5b00
static struct poptOption parse_pool[PARSE_MAX_OPTS];
static const struct poptOption *parse_orig[PARSE_MAX_OPTS];
static unsigned parse_used, parse_seen[PARSE_MAX_OPTS];

static struct poptOption *parse_tag(const struct poptOption *t)
{
	struct poptOption *copy = &parse_pool[parse_used];
	size_t n = 0;

	while (t[n].longName || t[n].shortName || t[n].argInfo || t[n].arg)
		n++;
	if (parse_used + n + 1 > PARSE_MAX_OPTS)
		return NULL;
	parse_used += (unsigned)n + 1;
	for (size_t i = 0; i <= n; i++) {
		copy[i] = t[i];
		if (i == n)
			break;
		if ((t[i].argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE) {
			copy[i].arg = parse_tag(t[i].arg);
			if (!copy[i].arg)
				return NULL;
		} else if (!t[i].val) {
			copy[i].val = PARSE_VAL_BASE + (int)(&copy[i] - parse_pool);
			parse_orig[&copy[i] - parse_pool] = &t[i];
		}
	}
	return copy;
}

int applet_parse(const char *name, int argc, char **argv, const struct poptOption *opts,
		 const char *usage_args, poptContext *ctx)
{
	/* popt keeps a pointer to the table for the context's lifetime: static, filled here. */
	static struct poptOption table[] = {
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, NULL, 0, "Options:", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, NULL, 0, "Common options:", NULL },
		POPT_TABLEEND
	};
	const struct applet *a = applet_find(name);
	int rc;

	(void)usage_args;	/* the synopsis is the applet's help text now (help.h) */
	/* Before the first parse: the values the steps start from (step.c). */
	applet_opts_snapshot();
	quiet = verbose = debug = want_version = want_help = 0;
	parse_used = 0;
	memset(parse_seen, 0, sizeof(parse_seen));
	memset(parse_orig, 0, sizeof(parse_orig));
	table[0].arg = parse_tag(opts);
	table[1].arg = parse_tag(common_table);
	if (!table[0].arg || !table[1].arg) {
		log_error("internal error: more than %d options", PARSE_MAX_OPTS);
		return EXIT_USAGE;
	}

	*ctx = poptGetContext(name, argc, (const char **)argv, table, 0);
	if (!*ctx)
		return EXIT_USAGE;
	while ((rc = poptGetNextOpt(*ctx)) > 0) {
		const struct poptOption *o;
		int type;

		if (rc < PARSE_VAL_BASE || rc >= PARSE_VAL_BASE + PARSE_MAX_OPTS)
			continue;
		o = parse_orig[rc - PARSE_VAL_BASE];
		type = o ? (int)(o->argInfo & POPT_ARG_MASK) : POPT_ARG_NONE;
		if (parse_seen[rc - PARSE_VAL_BASE]++ && type != POPT_ARG_NONE &&
		    type != POPT_ARG_ARGV) {
			char sh[8] = "";

			if (o->shortName)
				snprintf(sh, sizeof(sh), " (-%c)", o->shortName);
			log_error("--%s%s given more than once: give it once (\"%s --help\" lists "
				  "the options)", o->longName, sh, name);
			poptFreeContext(*ctx);
			*ctx = NULL;
			return EXIT_USAGE;
		}
	}
	if (rc < -1) {
		log_error("%s: %s (\"%s --help\" lists the options)",
			  poptBadOption(*ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc), name);
		poptFreeContext(*ctx);
		*ctx = NULL;
		return EXIT_USAGE;
	}
	if (want_help && a) {
		help_print(stdout, a);
		exit(EXIT_DONE);
	}
	if (want_version) {
		printf("shrinkbox %s\n", SHRINKBOX_VERSION);
		exit(EXIT_DONE);
	}
	if (quiet && (verbose || debug)) {
		log_error("--quiet with --%s: give one of them", verbose ? "verbose" : "debug");
		poptFreeContext(*ctx);
		*ctx = NULL;
		return EXIT_USAGE;
	}
	if (quiet)
		log_setup(name, LOG_WARN);
	if (verbose || debug)
		log_setup(name, LOG_DEBUG);
	if (mutate.plan_live && !mutate.dry_run) {
		log_error("--plan-live plans only: it needs --dry-run");
		poptFreeContext(*ctx);
		*ctx = NULL;
		return EXIT_USAGE;
	}
	lvdev_plan_live = mutate.plan_live;
	if (debug) {
		/* Its debug lines through our log (stderr), never onto stdout's JSON. */
		luks_quiet();
		crypt_set_debug_level(CRYPT_DEBUG_ALL);
	}
	return 0;
}

int applet_args(poptContext ctx, const char *name, unsigned min, unsigned max,
		const char **args)
{
	unsigned n = 0;
	const char *a;

	while ((a = poptGetArg(ctx))) {
		if (n == max) {
			log_error("unexpected argument \"%s\" (\"%s --help\" shows the usage)", a,
				  name);
			return -1;
		}
		args[n++] = a;
	}
	if (n < min) {
		log_error("missing argument (\"%s --help\" shows the usage)", name);
		return -1;
	}
	return (int)n;
}

int applet_lv_size(const char *arg, bool extents, uint64_t ext, uint64_t cur_le,
		   uint64_t *want_le, uint64_t *bytes, char *sign)
{
	uint64_t n, cur = cur_le * ext;
	int r;

	*sign = *arg == '+' || *arg == '-' ? *arg : 0;
	if (*sign)
		arg++;
	r = extents ? count_parse(arg, &n) : size_parse(arg, ext, &n);
	if (r < 0)
		return r;
	if (extents && !mul_u64(n, ext, &n))
		return err_set(-ERANGE, "%s extents: too many", arg);
	if (*sign == '-' && n >= cur)
		return err_set(-EINVAL, "-%s: the LV has only %" PRIu64 " B", arg, cur);
	if (*sign == '+' && !add_u64(cur, n, &n))
		return err_set(-ERANGE, "+%s: too large", arg);
	if (*sign == '-')
		n = cur - n;
	*bytes = n;
	*want_le = div_round_up(n, ext);
	return 0;
}

struct mutate_opts mutate;

const struct poptOption mutate_table[] = {
	{ "yes", 'y', POPT_ARG_NONE, &mutate.yes, 0, "apply the plan without asking", NULL },
	{ "dry-run", 'n', POPT_ARG_NONE, &mutate.dry_run, 0,
	  "print the plan and change nothing", NULL },
	{ "backup-dir", 0, POPT_ARG_STRING, &mutate.backup_dir, 0,
	  "where to save the previous metadata (default " DEFAULT_BACKUP_DIR ")", "DIR" },
	{ "devices", 0, POPT_ARG_STRING, &mutate.devices, 0,
	  "look for PVs only on these devices (comma-separated)", "DEV,..." },
	/* For schedule only: the next boot's plan, made while the filesystems are mounted. */
	{ "plan-live", 0, POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &mutate.plan_live, 0,
	  "with --dry-run: plan mounted and open LVs as if unmounted", NULL },
	POPT_TABLEEND
};

int applet_consent(void)
{
	char answer[16];

	if (mutate.dry_run) {
		/* With --json, stdout holds the JSON document only. */
		fprintf(mutate.json ? stderr : stdout, "Dry run: nothing was changed.\n");
		return 0;
	}
	if (mutate.yes)
		return 1;
	if (!isatty(STDIN_FILENO)) {
		log_error("not applying the plan: add --yes to apply it, or --dry-run to only see it");
		return -1;
	}
	fprintf(mutate.json ? stderr : stdout, "Apply this plan? [y/N] ");
	fflush(mutate.json ? stderr : stdout);
	if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
		log_error("not applying the plan: not confirmed");
		return -1;
	}
	return 1;
}

const char *const *applet_device_list(void)
{
	/* Built again when --devices differs (steps run in this process with their own). */
	static char buf[4096], from[4096];
	static const char *list[65];
	char *tok, *save;
	size_t n = 0;

	if (!mutate.devices)
		return NULL;
	if (list[0] && !strcmp(from, mutate.devices))
		return list;
	snprintf(from, sizeof(from), "%s", mutate.devices);
	snprintf(buf, sizeof(buf), "%s", mutate.devices);
	for (tok = strtok_r(buf, ",", &save); tok && n < 64; tok = strtok_r(NULL, ",", &save))
		list[n++] = tok;
	list[n] = NULL;
	return list;
}

int applet_fail(int r, const struct commit_result *res, const char *vg)
{
	log_error("%s", err_msg(r));
	if (r == E_DM_STALE) {
		if (res && res->backup[0])
			log_error("the previous metadata is in %s", res->backup);
		return EXIT_STALE;
	}
	if (res && res->wrote) {
		if (res->backup[0])
			log_error("the change was interrupted after it began writing; the previous "
				  "metadata is in %s (restore: vgcfgrestore -f %s %s), or run the "
				  "same command again to finish it", res->backup, res->backup, vg);
		return EXIT_PARTIAL;
	}
	/* Not enough free extents is a refusal wherever it is found (lvresize, edits). */
	return r == E_REFUSED || r == -ENOSPC ? EXIT_REFUSED : EXIT_FAILED;
}

int applet_plan_fail(int r)
{
	if (r != -EINVAL)
		return applet_fail(r, NULL, NULL);
	log_error("%s", err_msg(r));
	return EXIT_USAGE;
}

int applet_run_plan(const struct applet_stages *s, void *plan, bool noop)
{
	int r;

	if (mutate.json)
		s->print_json(plan);
	if (noop) {
		fprintf(mutate.json ? stderr : stdout, "No changes.\n");
		return EXIT_DONE;
	}
	if (!mutate.json)
		s->print(plan);
	r = s->check ? s->check(plan) : 0;
	if (r)
		return r;
	r = applet_consent();
	return r < 0 ? EXIT_REFUSED : r == 0 ? EXIT_DONE : s->apply(plan);
}

int applet_fail_open(int r, const char *vg)
{
	/* A VG, LV or PV the command line names that is not there: a usage error. */
	if (r == -ENOENT) {
		log_error("%s", err_msg(r));
		return EXIT_USAGE;
	}
	return applet_fail(r, NULL, vg);
}

int applet_open_lv(const char *arg, char vgname[128], const char **lvname, struct vgh **h,
		   int *lv)
{
	const char *slash = strchr(arg, '/');
	int r;

	if (!slash || slash == arg || !slash[1] || slash - arg >= 128) {
		log_error("\"%s\": name the LV as VG/LV", arg);
		return EXIT_USAGE;
	}
	snprintf(vgname, 128, "%.*s", (int)(slash - arg), arg);
	*lvname = slash + 1;
	err_clear();
	r = vgh_open(vgname, applet_device_list(), !mutate.dry_run, h);
	if (r < 0)
		return applet_fail_open(r, vgname);
	*lv = vg_find_lv((*h)->vg, *lvname);
	if (*lv < 0) {
		log_error("VG %s has no LV \"%s\"", vgname, *lvname);
		return EXIT_USAGE;
	}
	return 0;
}

int applet_open_pv(const char *pv, char vgname[128], struct vgh **h, int *dev)
{
	int r;

	vgname[0] = '\0';
	err_clear();
	r = vg_name_of_pv(pv, vgname);
	if (r == 0)
		r = vgh_open(vgname, applet_device_list(), !mutate.dry_run, h);
	if (r < 0)
		return applet_fail_open(r, vgname);
	*dev = vgh_find_dev(*h, pv);
	if (*dev < 0) {
		log_error("%s: not found among the PVs of VG %s", pv, vgname);
		return EXIT_USAGE;
	}
	return 0;
}

int applet_check_lv_targets(const char *vgname, const struct lv_target *t, unsigned n,
			    unsigned pv, uint64_t pv_extra, bool grow, const char *keyfile)
{
	const struct fsresize_ahead ahead = { .pv = pv, .pv_extra = pv_extra };
	struct vgh *h = NULL;
	int r;

	/* As the steps will open it: every PV there, one VG of the name, nothing refused. */
	r = vgh_open(vgname, applet_device_list(), false, &h);
	for (unsigned i = 0; r == 0 && i < n; i++) {
		struct lvdev d = { .loopfd = -1 };
		struct fsresize_plan p;

		/* As lvgrow opens it: mounted, its filesystem grows online. */
		r = grow ? lvdev_open_mounted(h, t[i].lv, &d) : lvdev_open(h, t[i].lv, &d);
		if (r == 0)
			r = fsresize_plan_ahead(h, t[i].lv, t[i].new_le, &d, pv_extra ? &ahead : NULL,
						&p);
		lvdev_close(&d);
		/* LUKS inside the LV: its mapping's resize may need the key. */
		if (r == 0 && p.kind == FS_LUKS && p.map_new != p.map_old)
			r = applet_check_key(p.luks.active_name, keyfile);
		/* Named once: most reasons begin "LV VG/LV" already. */
		if (r < 0 && strncmp(err_msg(r), "LV ", 3))
			r = err_wrap(r, "%s: ", t[i].name);
	}
	vgh_close(h);
	return r;
}

void applet_print_layers(const char *dev, const struct stack_view *sv, const struct targets *t)
{
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	uint64_t ss = sv->l.table_sector;

	const char *in = sv->fs ? sv->fs->probe.type : "LVM";

	printf("Plan for %s (partition %u of %s, %s%s):\n", dev, sv->entry->partno, sv->disk,
	       sv->luks ? "LUKS, " : "", in);
	printf("  %-14s %-44s %s\n", "layer", "now", "after");
	printf("  %-14s %" PRIu64 " s = %-30s %" PRIu64 " s = %s\n", "partition", sv->l.part_size,
	       size_fmt(a, sv->l.part_size * ss), t->part_size, size_fmt(b, t->part_size * ss));
	if (sv->table_repair && sv->disk_grew)
		printf("  %-14s the disk grew: the backup GPT header moves to its new last sector\n",
		       "table");
	else if (sv->table_repair)
		printf("  %-14s an interrupted table write or a damaged copy; written whole again\n",
		       "table");
	if (sv->luks)
		printf("  %-14s %" PRIu64 " s = %-30s %" PRIu64 " s = %s\n", "LUKS mapping",
		       sv->luks->luks.active_size, size_fmt(a, sv->luks->luks.active_size * 512),
		       t->map_size, size_fmt(b, t->map_size * 512));
	if (sv->luks)
		applet_print_luks_tokens(sv->part->name, &sv->luks->luks,
					 t->part_size != sv->l.part_size || sv->table_repair);
}

struct json_object *applet_layers_json(const char *applet, const char *dev,
				       const struct stack_view *sv, const struct targets *t,
				       bool changes)
{
	struct json_object *o = json_doc(applet);
	uint64_t ss = sv->l.table_sector;

	J_ADD(o, "device", J_STR(dev));
	J_ADD(o, "disk", J_STR(sv->disk));
	J_ADD(o, "partition_number", J_U64(sv->entry->partno));
	J_ADD(o, "changes", J_BOOL(changes));
	J_ADD(o, "table_sector_bytes", J_U64(ss));
	J_ADD(o, "partition_sectors_before", J_U64(sv->l.part_size));
	J_ADD(o, "partition_sectors_after", J_U64(t->part_size));
	J_ADD(o, "partition_bytes_before", J_U64(sv->l.part_size * ss));
	J_ADD(o, "partition_bytes_after", J_U64(t->part_size * ss));
	J_ADD(o, "table_rewritten", J_BOOL(sv->table_repair));
	J_ADD(o, "disk_grew", J_BOOL(sv->table_repair && sv->disk_grew));
	if (sv->luks) {
		J_ADD(o, "luks_mapping", J_STR(sv->luks->luks.active_name));
		J_ADD(o, "luks_mapping_sectors_before", J_U64(sv->luks->luks.active_size));
		J_ADD(o, "luks_mapping_sectors_after", J_U64(t->map_size));
	}
	return o;
}

struct json_object *applet_pv_json(struct json_object *o, const struct stack_view *sv,
				   const struct targets *t, const struct lv_target *lvt,
				   unsigned n_lvt)
{
	const struct vg *vg = sv->pv->vg;
	uint64_t ext = vg->extent_size * SECTOR_SIZE;
	struct json_object *lvs = json_object_new_array();

	J_ADD(o, "vg", J_STR(vg->name));
	J_ADD(o, "extent_bytes", J_U64(ext));
	J_ADD(o, "pv", J_STR(sv->pv->path));
	J_ADD(o, "pv_extents_before", J_U64(vg->pvs[sv->pv->pv_index].pe_count));
	J_ADD(o, "pv_extents_after", J_U64(t->pe_count));
	J_ADD(o, "pv_bytes_after", J_U64(t->pv_bytes));
	for (unsigned i = 0; i < n_lvt; i++) {
		struct json_object *x = json_object_new_object();

		J_ADD(x, "lv", J_STR(lvt[i].name));
		J_ADD(x, "extents_before", J_U64(vg->lvs[lvt[i].lv].le_count));
		J_ADD(x, "extents_after", J_U64(lvt[i].new_le));
		J_ADD(x, "bytes_after", J_U64(lvt[i].new_le * ext));
		json_object_array_add(lvs, x);
	}
	J_ADD(o, "lvs", lvs);
	return lvs;
}

unsigned applet_add_tagged(const struct vg *vg, struct lv_target *t, unsigned n)
{
	for (unsigned i = 0; i < vg->n_lvs; i++) {
		unsigned k = 0;

		if (!vg_lv_has_tag(vg, i, RESIZE_MARK))
			continue;
		while (k < n && t[k].lv != i)
			k++;
		if (k == n) {
			if (n == MAX_LV_TARGETS)
				break;
			snprintf(t[n].name, sizeof(t[n].name), "%s/%s", vg->name, vg->lvs[i].name);
			t[n].lv = i;
			t[n].new_le = vg->lvs[i].le_count;
			n++;
		}
		t[k].fs_short = true;
	}
	return n;
}
