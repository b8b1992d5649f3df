// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "jsonout.h"
#include "lvfs.h"
#include "../plan/fsresize.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/units.h"

static const char *opt_size, *opt_keyfile;
static int opt_json;

/* The two applets' tables differ only in what --size takes (lvm2's +SIZE and -SIZE). */
#define LVFS_OPTS_TAIL								\
	{ "json", 'j', POPT_ARG_NONE, &opt_json, 0,					\
	  "print the plan as JSON on stdout (messages go to stderr)", NULL },		\
	{ "key-file", 'd', POPT_ARG_STRING, &opt_keyfile, 0,				\
	  "LUKS inside the LV, its key in the kernel keyring: the key for its resize",	\
	  "FILE" },									\
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },	\
	POPT_TABLEEND

const struct poptOption lvshrink_opts[] = {
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0,
	  "new LV size with a unit (e.g. 20GiB); -SIZE shrinks it by SIZE", "SIZE" },
	LVFS_OPTS_TAIL
};

const struct poptOption lvgrow_opts[] = {
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0,
	  "new LV size with a unit (e.g. 20GiB); +SIZE grows it by SIZE (without --size the "
	  "LV keeps its size and its content grows to fill it)", "SIZE" },
	LVFS_OPTS_TAIL
};

/* With --json, stdout holds the JSON document only. */
static FILE *text_out(void)
{
	return opt_json ? stderr : stdout;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(text_out(), "  ");
	va_start(ap, fmt);
	vfprintf(text_out(), fmt, ap);
	va_end(ap);
	fprintf(text_out(), "\n");
	fflush(text_out());
}

/* LUKS inside the LV: the mapping's own step (cryptresize), with the key it may need. */
static int crypt_resize(const char *name, uint64_t sectors)
{
	char sz[32];
	int rc;

	snprintf(sz, sizeof(sz), "%" PRIu64 "s", sectors);
	fflush(stdout);
	rc = applet_step("cryptresize", name, sectors ? "--size" : NULL, sectors ? sz : NULL,
			 NULL, opt_keyfile);
	return rc == 0 ? 0 : err_set(rc == EXIT_REFUSED ? E_REFUSED : -EIO, "the resize of LUKS "
				     "mapping %s failed (exit %d)", name, rc);
}

/* The plan as one JSON document (schema 1: every size key names its unit). */
static void print_plan_json(const char *name, const char *lv, const struct fsresize_plan *p,
			    uint64_t ext, bool changes)
{
	struct json_object *o = json_object_new_object(), *steps = json_object_new_array();

	J_ADD(o, "schema_version", J_U64(1));
	J_ADD(o, "applet", J_STR(name));
	J_ADD(o, "lv", J_STR(lv));
	J_ADD(o, "changes", J_BOOL(changes));
	J_ADD(o, "content", J_STR(p->fs.type));
	J_ADD(o, "extent_bytes", J_U64(ext));
	J_ADD(o, "extents_before", J_U64(p->old_le));
	J_ADD(o, "extents_after", J_U64(p->new_le));
	J_ADD(o, "lv_bytes_before", J_U64(p->old_le * ext));
	J_ADD(o, "lv_bytes_after", J_U64(p->new_le * ext));
	J_ADD(o, "fs_bytes_before", J_U64(p->fs.size));
	J_ADD(o, "fs_bytes_after", J_U64(p->fs_final));
	J_ADD(o, "fs_block_bytes", J_U64(p->fs.block_size));
	if (p->kind == FS_EXT && p->new_le < p->old_le && !p->marked)
		J_ADD(o, "resize2fs_min_bytes", J_U64(p->fs_min));
	if (p->kind == FS_BTRFS && p->fs_final < p->fs.size)
		J_ADD(o, "btrfs_min_bytes", J_U64(p->fs_min));
	J_ADD(o, "resize_cut_off", J_BOOL(p->marked));
	J_ADD(o, "online", J_BOOL(p->online));
	if (p->kind == FS_LUKS) {
		J_ADD(o, "luks_mapping", J_STR(p->luks.active_name));
		J_ADD(o, "luks_sectors_before", J_U64(p->map_old));
		J_ADD(o, "luks_sectors_after", J_U64(p->map_new));
	}
	if (changes) {
		if (p->repair)
			json_object_array_add(steps, json_object_new_string(
				"repair of the cut-off resize2fs (e2fsck -f -n, then only what the rule "
				"allows)"));
		if (p->kind == FS_LUKS) {
			bool sh = p->map_new < p->map_old;

			json_object_array_add(steps, json_object_new_string(
				sh ? "the content in the mapping" : "LV metadata"));
			json_object_array_add(steps, json_object_new_string("cryptresize"));
			json_object_array_add(steps, json_object_new_string(
				sh ? "LV metadata" : "the content in the mapping"));
		} else if (p->kind == FS_XFS || p->kind == FS_BTRFS) {
			const char *tool = p->kind == FS_XFS ? "xfs_growfs" : "btrfs filesystem resize";

			if (p->new_le < p->old_le)
				json_object_array_add(steps, json_object_new_string(tool));
			json_object_array_add(steps, json_object_new_string("LV metadata"));
			if (p->new_le >= p->old_le)
				json_object_array_add(steps, json_object_new_string(tool));
		} else if (p->online) {
			json_object_array_add(steps, json_object_new_string("LV metadata"));
			json_object_array_add(steps, json_object_new_string(
				"resize2fs to fill, online"));
		} else if (p->kind == FS_EXT) {
			json_object_array_add(steps, json_object_new_string("e2fsck -f -p"));
			if (p->new_le < p->old_le)
				json_object_array_add(steps, json_object_new_string(
					"resize2fs to the new size"));
			json_object_array_add(steps, json_object_new_string("LV metadata"));
			json_object_array_add(steps, json_object_new_string("resize2fs to fill"));
		} else {
			json_object_array_add(steps, json_object_new_string(
				p->new_le < p->old_le ? "swap header" : "LV metadata"));
			json_object_array_add(steps, json_object_new_string(
				p->new_le < p->old_le ? "LV metadata" : "swap header"));
		}
	}
	J_ADD(o, "steps", steps);
	json_print(o);
}

int lvfs_main(const char *name, int argc, char **argv, bool grow)
{
	struct commit_result res = { 0 };
	struct fsresize_plan plan;
	struct fsresize_opts fo = { .say = say, .crypt_resize = crypt_resize };
	struct commit_opts co;
	struct lvdev dev = { .loopfd = -1 };
	char vgname[128], desc[256], a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	const char *arg, *lvname;
	struct vgh *h = NULL;
	uint64_t bytes = 0, want, ext;
	poptContext ctx;
	int r, rc = EXIT_FAILED, lv;
	bool dev_open = false;

	if (applet_parse(name, argc, argv, grow ? lvgrow_opts : lvshrink_opts, "VG/LV", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, name, 1, 1, &arg) < 0 || (!grow && !opt_size)) {
		if (!grow && !opt_size)
			log_error("--size is required");
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	rc = applet_key_file_check(opt_keyfile);
	if (rc)
		goto out;
	rc = applet_open_lv(arg, vgname, &lvname, &h, &lv);
	if (rc)
		goto out;
	rc = EXIT_FAILED;
	ext = h->vg->extent_size * SECTOR_SIZE;
	want = h->vg->lvs[lv].le_count;
	if (opt_size) {
		char sign;

		/* lvm2's -L +SIZE / -SIZE; each applet takes only its own direction's sign. */
		r = applet_lv_size(opt_size, false, ext, want, &want, &bytes, &sign);
		if (r < 0 || !bytes) {
			log_error("--size %s", r < 0 ? err_msg(r) : "must be more than 0 B");
			rc = EXIT_USAGE;
			goto out;
		}
		if (sign == (grow ? '-' : '+')) {
			log_error("%s --size %s: %s only %ss; use %s", name, opt_size, name,
				  grow ? "grow" : "shrink", grow ? "lvshrink" : "lvgrow");
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (grow ? want < h->vg->lvs[lv].le_count : want > h->vg->lvs[lv].le_count) {
		log_error("%s %s to %" PRIu64 " extents: it has %" PRIu64 "; use %s", name, arg, want,
			  h->vg->lvs[lv].le_count, grow ? "lvshrink" : "lvgrow");
		rc = EXIT_USAGE;
		goto out;
	}
	err_clear();
	r = grow ? lvdev_open_mounted(h, (unsigned)lv, &dev) : lvdev_open(h, (unsigned)lv, &dev);
	if (r < 0) {
		rc = applet_fail(r, NULL, vgname);
		goto out;
	}
	dev_open = true;
	r = fsresize_plan(h, (unsigned)lv, want, &dev, &plan);
	if (r < 0) {
		rc = applet_fail(r, NULL, vgname);
		goto out;
	}
	/* The mapping's resize may need its key again: at hand and right, before any write. */
	if (plan.kind == FS_LUKS && plan.map_new != plan.map_old) {
		err_clear();
		r = applet_check_key(plan.luks.active_name, opt_keyfile);
		if (r < 0) {
			rc = applet_fail(r, NULL, vgname);
			goto out;
		}
	}
	if (!plan.lv_changes && !plan.fs_changes && !plan.marked) {
		if (opt_json)
			print_plan_json(name, arg, &plan, ext, false);
		else
			printf("No changes.\n");
		rc = EXIT_DONE;
		goto out;
	}
	if (opt_json) {
		print_plan_json(name, arg, &plan, ext, true);
		mutate.json = 1;
		goto consent;
	}
	/* A temporary device (made for this command, gone after it) is no name to show. */
	if (dev.kind != LVDEV_ACTIVE)
		printf("Plan for %s (%s):\n", arg, plan.fs.type);
	else
		printf("Plan for %s (%s on %s):\n", arg, plan.fs.type, dev.path);
	if (bytes && bytes % ext)
		printf("  %s is not a whole number of %s extents: rounded up to %" PRIu64
		       " extents\n", size_fmt(a, bytes), size_fmt(b, ext), want);
	printf("  LV:         %" PRIu64 " extents = %s  ->  %" PRIu64 " extents = %s\n",
	       plan.old_le, size_fmt(a, plan.old_le * ext), plan.new_le,
	       size_fmt(b, plan.new_le * ext));
	if (plan.kind == FS_LUKS)
		printf("  LUKS:       mapping %s, %" PRIu64 " -> %" PRIu64 " sectors (after its %"
		       PRIu64 "-sector header), then its content:\n", plan.luks.active_name,
		       plan.map_old, plan.map_new, plan.luks.active_offset);
	printf("  filesystem: %s  ->  %s (%" PRIu64 " %s of %" PRIu32 " B, filling the %s)\n",
	       size_fmt(a, plan.fs.size), size_fmt(b, plan.fs_final),
	       plan.fs_final / plan.fs.block_size, plan.kind == FS_SWAP ? "pages" : "blocks",
	       plan.fs.block_size, plan.kind == FS_LUKS ? "mapping" : "LV");
	if (plan.marked)
		printf("  the LV carries the tag %s: a resize2fs was cut off; it is finished now\n",
		       RESIZE_MARK);
	if (plan.repair)
		printf("  so e2fsck -f -n first; e2fsck -f -y only if all it reports is what an "
		       "interrupted resize2fs leaves (else refused)\n"
		       "  (if e2fsck refuses the primary superblock's view, a newer one that resize2fs "
		       "left in its first backup group is tried in its place first; if there is none "
		       "and e2fsck reads the backup descriptors, the primary table's slots that hold "
		       "none are filled in from them)\n");
	if (plan.min_after_repair)
		printf("  resize2fs's minimum is read again after that repair (its figure now, %"
		       PRIu64 " B, counts the stale free blocks)\n", plan.fs_min);
	if (plan.kind == FS_LUKS)
		printf("  steps: %s\n", plan.map_new < plan.map_old ?
		       "the content (fsresize's steps); cryptresize; LV metadata" :
		       "LV metadata; cryptresize; the content (fsresize's steps)");
	else if (plan.kind == FS_XFS || plan.kind == FS_BTRFS)
		printf("  steps: %s%s\n", plan.new_le < plan.old_le ?
		       "btrfs filesystem resize; LV metadata" : plan.kind == FS_XFS ?
		       "LV metadata; xfs_growfs" : "LV metadata; btrfs filesystem resize",
		       plan.online ? " (online: the filesystem is mounted)" :
		       " (on a private mount)");
	else if (plan.online)
		printf("  steps: LV metadata; resize2fs to fill, online (the filesystem is mounted)\n");
	else if (plan.kind == FS_EXT)
		printf("  steps: e2fsck -f -p; %sLV metadata; resize2fs to fill (the LV is tagged %s "
		       "while resize2fs runs)\n",
		       plan.new_le < plan.old_le ? "resize2fs to the new size; " : "", RESIZE_MARK);
	else
		printf("  steps: %s\n", plan.new_le < plan.old_le ? "swap header; LV metadata" :
								    "LV metadata; swap header");
consent:
	r = applet_consent();
	if (r <= 0) {
		rc = r == 0 ? EXIT_DONE : EXIT_REFUSED;
		goto out;
	}
	snprintf(desc, sizeof(desc), "Write from shrinkbox %s %s.", name, arg);
	co = (struct commit_opts){
		.description = desc,
		.backup_dir = mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR,
	};
	fo.commit = &co;
	err_clear();
	r = fsresize_apply(h, &plan, &dev, &fo, &res);
	if (r < 0) {
		rc = applet_fail(r, &res, vgname);
		goto out;
	}
	fprintf(text_out(), "Done: %s is %" PRIu64 " extents = %s; its %s covers %s.\n", arg,
		plan.new_le, size_fmt(a, plan.new_le * ext), plan.fs.type,
		size_fmt(b, plan.fs_final));
	rc = EXIT_DONE;
out:
	if (dev_open)
		lvdev_close(&dev);
	vgh_close(h);
	poptFreeContext(ctx);
	return rc;
}
