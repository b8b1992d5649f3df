// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsresize DEVICE [--size S] [--json] [--dry-run] [--yes]
 *
 * The filesystem or swap area directly on DEVICE (a partition, an open LUKS
 * mapping; not an LV: lvshrink and lvgrow resize those with their LV) made S,
 * or without --size to fill DEVICE to its last whole block. The step of
 * shrink and grow for stacks with no LVM (LUKS -> ext4, partition -> ext4),
 * and a way to run it by hand: shrink the content before its device shrinks,
 * fill it after the device grew.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "jsonout.h"
#include "../applets.h"
#include "../layer/sysfs.h"
#include "../lvm/commit.h"
#include "../plan/devfs.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/units.h"

static const char *opt_size;

static const struct poptOption fsresize_opts[] = {
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0,
	  "the filesystem's new size with a unit (default: fill the device)", "SIZE" },
	{ "json", 'j', POPT_ARG_NONE, &mutate.json, 0,
	  "print the plan as one JSON document on stdout (other lines go to stderr)", NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help fsresize_help = {
	.synopsis = "DEVICE [--size SIZE] [--json]",
	.description = "The ext2/3/4, XFS or btrfs filesystem or swap area directly on "
		       "DEVICE (a partition or an open LUKS mapping; an LV is resized with "
		       "lvshrink or lvgrow) becomes SIZE, rounded down to whole blocks, or without --size fills DEVICE to its "
		       "last whole block. It is the step of shrink and grow for stacks with no "
		       "LVM (LUKS -> ext4, partition -> ext4): the content shrinks before its "
		       "device does and fills it after the device grew. ext2/3/4: e2fsck -f -p, "
		       "then resize2fs, offline; a mounted one only grows, online (resize2fs "
		       "through the kernel, no e2fsck). SIZE below resize2fs's minimum is refused "
		       "before anything is written. XFS grows only (xfs_growfs), btrfs on one "
		       "device both ways (btrfs filesystem resize, its minimum from btrfs "
		       "inspect-internal min-dev-size), each through a mount: where DEVICE is not "
		       "mounted, on a temporary directory in a mount namespace of its own. swap: "
		       "the header, keeping UUID and label, when not in use.",
	.opts = fsresize_opts,
	.examples = {
		{ "fsresize /dev/mapper/luks-0b5c... --size 20GiB --dry-run",
		  "the plan to make the filesystem in the mapping 20 GiB" },
		{ "fsresize /dev/sda2 --yes", "grow the filesystem to fill the enlarged partition" },
	},
};

/* With --json, stdout holds the JSON document only. */
static FILE *text_out(void)
{
	return mutate.json ? stderr : stdout;
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

/* An LV's filesystem is resized with its LV (lvshrink, lvgrow), never alone. */
static int refuse_lv(const char *dev)
{
	char name[128], uuid[160];
	struct stat st;

	if (stat(dev, &st) < 0 || !S_ISBLK(st.st_mode) || blk_dm_info(st.st_rdev, name, uuid) < 0)
		return 0;
	if (strncmp(uuid, "LVM-", 4))
		return 0;
	return err_set(E_REFUSED, "%s is an LV (%s): lvshrink and lvgrow resize its filesystem "
		       "together with it", dev, name);
}

static const char *fsresize_steps(const struct devfs_plan *p)
{
	if (p->kind == FS_SWAP)
		return "swap header";
	if (p->kind == FS_XFS)
		return p->mounted ? "xfs_growfs (online)" : "xfs_growfs on a private mount";
	if (p->kind == FS_BTRFS)
		return p->mounted ? "btrfs filesystem resize (online)" :
		       "btrfs filesystem resize on a private mount; btrfs check --readonly";
	return p->mounted ? "resize2fs (online)" : "e2fsck -f -p; resize2fs";
}

static void fsresize_print(const char *dev, const struct devfs_plan *p)
{
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];

	printf("Plan for %s (%s%s):\n", dev, p->fs.type, p->mounted ? ", mounted: online" : "");
	printf("  device:     %s\n", size_fmt(a, p->dev_bytes));
	printf("  %-11s %s  ->  %s (%" PRIu64 " %s of %" PRIu32 " B%s)\n",
	       p->kind == FS_SWAP ? "swap area:" : "filesystem:", size_fmt(a, p->fs.size),
	       size_fmt(b, p->target), p->target / p->fs.block_size,
	       p->kind == FS_SWAP ? "pages" : "blocks", p->fs.block_size,
	       p->target == round_down(p->dev_bytes, p->fs.block_size) ? ", filling the device" : "");
	if ((p->kind == FS_EXT || p->kind == FS_BTRFS) && p->target < p->fs.size)
		printf("  %s minimum: %s\n", p->kind == FS_EXT ? "resize2fs's" : "btrfs's",
		       size_fmt(a, p->fs_min));
	printf("  steps: %s\n", fsresize_steps(p));
}

static void fsresize_json(const char *dev, const struct devfs_plan *p)
{
	struct json_object *o = json_doc("fsresize");

	J_ADD(o, "device", J_STR(dev));
	J_ADD(o, "changes", J_BOOL(p->changes));
	J_ADD(o, "content", J_STR(p->kind == FS_SWAP ? "swap" : p->fs.type));
	J_ADD(o, "mounted", J_BOOL(p->mounted));
	J_ADD(o, "device_bytes", J_U64(p->dev_bytes));
	J_ADD(o, "content_bytes_before", J_U64(p->fs.size));
	J_ADD(o, "content_bytes_after", J_U64(p->target));
	J_ADD(o, "block_bytes", J_U64(p->fs.block_size));
	if ((p->kind == FS_EXT || p->kind == FS_BTRFS) && p->target < p->fs.size)
		J_ADD(o, "content_minimum_bytes", J_U64(p->fs_min));
	J_ADD(o, "steps", J_STR(p->changes ? fsresize_steps(p) : ""));
	json_print(o);
}

/* The plan (or "No changes."), consent, the resize. */
static int fsresize_run(const char *dev, uint64_t bytes)
{
	struct fsresize_opts fo = { .say = say };
	struct commit_result res = { 0 };
	struct devfs_plan p;
	char a[SIZE_FMT_LEN];
	int r;

	err_clear();
	r = refuse_lv(dev);
	if (r == 0)
		r = devfs_plan(dev, bytes, 0, &p);
	if (r < 0)
		return applet_fail_open(r, "");
	if (mutate.json)
		fsresize_json(dev, &p);
	if (!p.changes) {
		if (!mutate.json)
			printf("No changes.\n");
		return EXIT_DONE;
	}
	if (!mutate.json)
		fsresize_print(dev, &p);
	r = applet_consent();
	if (r <= 0)
		return r == 0 ? EXIT_DONE : EXIT_REFUSED;
	err_clear();
	r = devfs_apply(&p, &fo, &res.wrote);
	if (r < 0)
		return applet_fail(r, &res, NULL);
	fprintf(text_out(), "Done: the %s on %s covers %s.\n", p.fs.type, dev, size_fmt(a, p.target));
	return EXIT_DONE;
}

int fsresize_main(int argc, char **argv)
{
	const char *dev;
	uint64_t bytes = 0;
	poptContext ctx;
	int r, rc = EXIT_USAGE;

	if (applet_parse("fsresize", argc, argv, fsresize_opts, "DEVICE", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "fsresize", 1, 1, &dev) < 0)
		goto out;
	if (opt_size) {
		r = size_parse(opt_size, 0, &bytes);
		if (r < 0 || !bytes) {
			log_error("--size %s", r < 0 ? err_msg(r) : "must be more than 0 B");
			goto out;
		}
	}
	rc = fsresize_run(dev, bytes);
out:
	poptFreeContext(ctx);
	return rc;
}
