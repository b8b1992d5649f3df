// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * partresize DEVICE [--partition N] (--size S | --end SECTOR | --max)
 *            [--no-align] [--json] [--dry-run] [--yes]
 *
 * Shrinks or grows a GPT or MBR partition, keeping its start. DEVICE is the
 * partition itself (/dev/sda3), or a disk or image file with --partition N.
 * The new end stays on the table's grain (1 MiB) unless --no-align or --end
 * says otherwise: --size rounds up to it, --max rounds down. Refuses to overlap
 * the next partition, to pass the last usable sector, and to cut into what the
 * layer inside needs (an open LUKS mapping, a PV's extents and metadata, a
 * filesystem), read from their headers; a closed LUKS volume or unknown content
 * is not shrunk at all. The kernel is told with BLKPG_RESIZE_PARTITION, which
 * works while the partition is in use.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "../applets.h"
#include "../layer/part.h"
#include "../layer/ptbackup.h"
#include "../layer/swap.h"
#include "../layer/sysfs.h"
#include "jsonout.h"
#include "../plan/partplan.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/teststop.h"
#include "../util/units.h"

static const char *opt_size, *opt_end;
static int opt_max, opt_no_align, opt_partno, opt_force_unknown;

static const struct poptOption partresize_opts[] = {
	{ "partition", 'p', POPT_ARG_INT, &opt_partno, 0,
	  "partition number, when DEVICE is a disk or image file", "N" },
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0, "new size with a unit (e.g. 20GiB)",
	  "SIZE" },
	{ "end", 'e', POPT_ARG_STRING, &opt_end, 0, "new last sector (inclusive, table sectors)",
	  "SECTOR" },
	{ "max", 0, POPT_ARG_NONE, &opt_max, 0, "grow into all the free space after it", NULL },
	{ "no-align", 0, POPT_ARG_NONE, &opt_no_align, 0,
	  "do not keep the end on the table's grain (1 MiB)", NULL },
	{ "json", 'j', POPT_ARG_NONE, &mutate.json, 0,
	  "print the plan as JSON on stdout (every other line goes to stderr)", NULL },
	{ "force-unknown-content", 0, POPT_ARG_NONE, &opt_force_unknown, 0,
	  "shrink even over content nothing can name (no signature): its data past the new "
	  "end is lost", NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help partresize_help = {
	.synopsis = "DEVICE (--size SIZE | --end SECTOR | --max) [--partition N] [--no-align] "
		    "[--force-unknown-content] [--json]",
	.description = "Shrinks or grows a GPT or MBR partition through libfdisk, keeping its "
		       "start. DEVICE is the partition itself (/dev/sda3), or a disk or image "
		       "file with --partition N. The new end stays on the table's grain (1 "
		       "MiB) unless --no-align or --end says otherwise: --size rounds up to "
		       "it, --max rounds down. Refuses to overlap the next partition, to pass "
		       "the last usable sector, and to cut into what the layer inside needs "
		       "(an open LUKS mapping, a PV's extents and metadata, a filesystem), "
		       "read from their headers; a closed LUKS volume or content nothing names "
		       "is not shrunk without --force-unknown-content, and never while held, "
		       "mounted or swap. The kernel is told with BLKPG_RESIZE_PARTITION, which "
		       "works while the partition is in use. A table libfdisk flags as damaged "
		       "(a write cut off mid-way: one GPT copy corrupt, a stale protective "
		       "MBR) is rewritten whole, even at the same size.",
	.opts = partresize_opts,
	.examples = {
		{ "partresize /dev/sda3 --size 200GiB --dry-run",
		  "the plan to make partition 3 of /dev/sda 200 GiB (its end on the 1 MiB "
		  "grain)" },
		{ "partresize /dev/sda --partition 3 --max --yes",
		  "grow partition 3 into all the free space after it" },
	},
};

/*
 * A logical partition: what happens to its extended partition. It grows first
 * when the new end passes it (part_set_size()); it never shrinks with it.
 */
static void print_container(const struct part_plan *p)
{
	const struct part_table *pt = p->pt;
	const struct part_entry *e = p->e, *c = part_table_find(pt, e->parent), *g;
	char a[SIZE_FMT_LEN];

	if (!c)
		return;
	g = part_container_grows(pt, e, p->new_size);
	if (g)
		printf("  extended partition %u: sectors %" PRIu64 "-%" PRIu64 "  ->  %" PRIu64 "-%"
		       PRIu64 " (%s), first: its MBR entry is written and flushed before the EBR "
		       "of partition %u\n", c->partno, c->start, c->start + c->size - 1, c->start,
		       e->start + p->new_size - 1, size_fmt(a, (e->start + p->new_size - c->start) *
							      pt->sector_size), e->partno);
	else
		printf("  extended partition %u: sectors %" PRIu64 "-%" PRIu64 " (unchanged%s)\n",
		       c->partno, c->start, c->start + c->size - 1,
		       p->new_size < e->size ? ": a shrink leaves the container alone" : "");
	printf("  the kernel's node for extended partition %u stays its 1 KiB stub "
	       "(block/partitions/msdos.c)\n", c->partno);
}

static const char *table_why(const struct part_plan *p)
{
	return p->pt->backup_moves ? "the disk grew: the backup GPT header is not on its last sector" :
	       "an interrupted table write, or a damaged copy (a GPT header or entry array, a "
	       "staged copy of the array, a protective MBR of the wrong size)";
}

static void print_plan(const void *plan)
{
	const struct part_plan *p = plan;
	const struct part_table *pt = p->pt;
	const struct part_entry *e = p->e;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	uint64_t ss = p->ss;

	printf("Plan for partition %u of %s (%s, %" PRIu64 "-byte sectors):\n", p->partno, p->disk,
	       pt->label, ss);
	printf("  start: sector %" PRIu64 " (unchanged)\n", e->start);
	printf("  size:  %" PRIu64 " s = %s  ->  %" PRIu64 " s = %s\n", e->size,
	       size_fmt(a, e->size * ss), p->new_size, size_fmt(b, p->new_size * ss));
	printf("  end:   sector %" PRIu64 "  ->  %" PRIu64 "%s\n", e->start + e->size - 1,
	       e->start + p->new_size - 1,
	       (e->start + p->new_size) % (pt->grain / ss ? pt->grain / ss : 1) ? "" :
										" (on the grain)");
	if (e->next_partno)
		printf("  next:  partition %u at sector %" PRIu64 "\n", e->next_partno, p->limit);
	else
		printf("  next:  free space to the last usable sector %" PRIu64 "\n", pt->last_usable);
	if (e->parent)
		print_container(p);
	if (p->content) {
		if (p->need.known)
			printf("  content needs %s: %s\n", size_fmt(a, p->need.bytes), p->need.what);
		else if (p->need.unknown && p->new_size < e->size)
			printf("  content: %s; --force-unknown-content: whatever lies past the new "
			       "end is lost\n", p->need.what);
		if (p->content->kind == VOL_LUKS)
			applet_print_luks_tokens(p->content->name, &p->content->luks, true);
	}
	if (pt->needs_write)
		printf("  table: %s; writing the table %s\n", table_why(p),
		       pt->backup_moves ? "moves it to the end" : "finishes or repairs it");
	if (p->ksize)
		printf("  then tell the kernel (BLKPG_RESIZE_PARTITION): %s, %" PRIu64 " s now, "
		       "becomes %" PRIu64 " s\n", p->node, p->ksize, p->new_size * ss / SECTOR_SIZE);
}

/* The same facts as print_plan, as one JSON document on stdout. */
static void print_json(const void *plan)
{
	const struct part_plan *p = plan;
	const struct part_table *pt = p->pt;
	const struct part_entry *e = p->e, *c, *g;
	struct json_object *o = json_object_new_object(), *x;

	J_ADD(o, "schema_version", J_U64(1));
	J_ADD(o, "applet", J_STR("partresize"));
	J_ADD(o, "disk", J_STR(p->disk));
	J_ADD(o, "partition", J_U64(p->partno));
	J_ADD(o, "label", J_STR(pt->label));
	J_ADD(o, "changes", J_BOOL(!p->noop));
	J_ADD(o, "sector_size_bytes", J_U64(p->ss));
	J_ADD(o, "start_sector", J_U64(e->start));
	J_ADD(o, "size_sectors_before", J_U64(e->size));
	J_ADD(o, "size_sectors_after", J_U64(p->new_size));
	J_ADD(o, "size_bytes_before", J_U64(e->size * p->ss));
	J_ADD(o, "size_bytes_after", J_U64(p->new_size * p->ss));
	J_ADD(o, "end_sector_before", J_U64(e->start + e->size - 1));
	J_ADD(o, "end_sector_after", J_U64(e->start + p->new_size - 1));
	if (e->next_partno) {
		J_ADD(o, "next_partition", J_U64(e->next_partno));
		J_ADD(o, "next_start_sector", J_U64(p->limit));
	}
	J_ADD(o, "last_usable_sector", J_U64(pt->last_usable));
	c = e->parent ? part_table_find(pt, e->parent) : NULL;
	if (c) {
		g = part_container_grows(pt, e, p->new_size);
		x = json_object_new_object();
		J_ADD(x, "partition", J_U64(c->partno));
		J_ADD(x, "start_sector", J_U64(c->start));
		J_ADD(x, "end_sector_before", J_U64(c->start + c->size - 1));
		J_ADD(x, "end_sector_after", J_U64(g ? e->start + p->new_size - 1 :
						   c->start + c->size - 1));
		J_ADD(o, "extended", x);
	}
	if (p->content) {
		x = json_object_new_object();
		J_ADD(x, "known", J_BOOL(p->need.known));
		if (p->need.known)
			J_ADD(x, "needs_bytes", J_U64(p->need.bytes));
		J_ADD(x, "what", J_STR(p->need.what));
		J_ADD(o, "content", x);
	}
	J_ADD(o, "table_write", J_BOOL(p->write));
	if (pt->needs_write)
		J_ADD(o, "table_repair", J_STR(table_why(p)));
	if (p->ksize) {
		J_ADD(o, "kernel_node", J_STR(p->node));
		J_ADD(o, "kernel_sectors_before", J_U64(p->ksize));
		J_ADD(o, "kernel_sectors_after", J_U64(p->new_size * p->ss / SECTOR_SIZE));
	}
	json_print(o);
}

/* What the plan leaves to the write: the LUKS tokens' rule, libfdisk's own checks. */
static int check_write(const void *plan)
{
	const struct part_plan *p = plan;
	int r;

	if (!p->write)
		return 0;
	if (p->content && p->content->kind == VOL_LUKS) {
		err_clear();
		r = applet_check_luks_tokens(p->content->name, &p->content->luks, true);
		if (r < 0)
			return applet_plan_fail(r);
	}
	/* Every decision of the write (libfdisk's checks, room to stage a GPT array), now. */
	err_clear();
	r = part_check_size(p->disk, p->partno, p->new_size);
	if (r < 0) {
		log_error("%s", err_msg(r));
		return r == E_REFUSED ? EXIT_REFUSED : EXIT_FAILED;
	}
	return 0;
}

static int apply(void *plan)
{
	const struct part_plan *p = plan;
	FILE *out = mutate.json ? stderr : stdout;
	char a[SIZE_FMT_LEN];
	int r;

	if (p->write) {
		char bk[DEV_PATH_MAX];

		/* The table as it is, for sfdisk to restore, before anything is written. */
		err_clear();
		r = pt_backup(p->disk, mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR, bk,
			      sizeof(bk));
		if (r < 0) {
			log_error("%s (nothing was changed)", err_msg(r));
			return EXIT_FAILED;
		}
		fprintf(out, "  table saved: %s (sfdisk %s < %s restores it)\n", bk, p->disk, bk);
		err_clear();
		r = part_set_size(p->disk, p->partno, p->new_size);
		if (r < 0) {
			log_error("%s", err_msg(r));
			/* E_REFUSED: decided before its first write (the check above agrees). */
			return r == E_REFUSED ? EXIT_REFUSED : EXIT_PARTIAL;
		}
	}
	if (p->ksize) {
		err_clear();
		r = part_kernel_resize(p->disk, p->partno, p->e->start * p->ss, p->new_size * p->ss);
		if (r < 0) {
			log_error("%s; the table on the disk is already changed: run the same command "
				  "again, or reboot", err_msg(r));
			return EXIT_PARTIAL;
		}
		if (part_node_sectors(p->node) * SECTOR_SIZE != p->new_size * p->ss) {
			log_error("%s: the kernel still reports %" PRIu64 " sectors", p->node,
				  part_node_sectors(p->node));
			return EXIT_PARTIAL;
		}
	}
	test_stop("part-resized");
	fprintf(out, "Done: partition %u of %s is %" PRIu64 " s = %s.\n", p->partno, p->disk,
		p->new_size, size_fmt(a, p->new_size * p->ss));
	return EXIT_DONE;
}

/* The command line as a request: 0, or EXIT_USAGE (printed). */
static int request(struct part_request *rq)
{
	int r;

	*rq = (struct part_request){ .partno = opt_partno, .no_align = opt_no_align,
				     .force_unknown = opt_force_unknown, .end_arg = opt_end };
	if (!!opt_size + !!opt_end + !!opt_max != 1) {
		log_error("give exactly one of --size, --end and --max");
		return EXIT_USAGE;
	}
	if (opt_end) {
		rq->mode = PART_END;
		r = count_parse(opt_end, &rq->end);
		if (r < 0) {
			log_error("--end %s: %s", opt_end, err_msg(r));
			return EXIT_USAGE;
		}
	} else if (opt_size) {
		rq->mode = PART_SIZE;
		r = size_parse(opt_size, 0, &rq->bytes);
		if (r < 0 || !rq->bytes) {
			log_error("--size %s", r < 0 ? err_msg(r) : "must be more than 0 B");
			return EXIT_USAGE;
		}
	} else {
		rq->mode = PART_MAX;
	}
	return 0;
}

static const struct applet_stages stages = {
	.print = print_plan, .print_json = print_json, .check = check_write, .apply = apply,
};

int partresize_main(int argc, char **argv)
{
	_cleanup_close_ int lockfd = -1;
	struct part_plan p = { 0 };
	struct part_request rq;
	const char *dev;
	poptContext ctx;
	int r, rc;

	if (applet_parse("partresize", argc, argv, partresize_opts, "DEVICE", &ctx))
		return EXIT_USAGE;
	rc = applet_args(ctx, "partresize", 1, 1, &dev) < 0 ? EXIT_USAGE : request(&rq);
	if (rc)
		goto out;
	err_clear();
	r = part_plan_resolve(dev, &rq, &p);
	if (r < 0) {
		log_error("%s", err_msg(r));
		rc = r == -EINVAL || r == -ENOENT ? EXIT_USAGE : EXIT_FAILED;
		goto out;
	}
	/* Hold the disk's BSD lock, so udev and other tools keep off while we work. */
	lockfd = open(p.disk, O_RDONLY | O_CLOEXEC);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
		log_error("%s: cannot open and lock it: %m", p.disk);
		rc = EXIT_FAILED;
		goto out;
	}
	err_clear();
	r = part_plan_make(&p, &rq);
	if (r < 0) {
		rc = applet_plan_fail(r);
		goto out;
	}
	rc = applet_run_plan(&stages, &p, p.noop);
out:
	part_plan_free(&p);
	poptFreeContext(ctx);
	return rc;
}
