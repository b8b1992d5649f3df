// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * partresize DEVICE [--partition N] (--size S | --end SECTOR | --max)
 *            [--no-align] [--dry-run] [--yes]
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
#include "../plan/need.h"
#include "../plan/stack.h"
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
	{ "force-unknown-content", 0, POPT_ARG_NONE, &opt_force_unknown, 0,
	  "shrink even over content nothing can name (no signature): its data past the new "
	  "end is lost", NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help partresize_help = {
	.synopsis = "DEVICE (--size SIZE | --end SECTOR | --max) [--partition N] [--no-align] "
		    "[--force-unknown-content]",
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

struct target {
	char disk[DEV_PATH_MAX];
	char node[DEV_PATH_MAX];	/* the partition's device node, "" in an image file */
	unsigned partno;
	bool blk;
};

static int resolve(const char *dev, struct target *t)
{
	struct stat sb;

	memset(t, 0, sizeof(*t));
	if (stat(dev, &sb) < 0)
		return err_set(-errno, "%s: %m", dev);
	t->blk = S_ISBLK(sb.st_mode);
	if (t->blk && blk_partition_of(sb.st_rdev, t->disk, &t->partno) == 0) {
		if (opt_partno && (unsigned)opt_partno != t->partno)
			return err_set(-EINVAL, "%s is partition %u, not %d", dev, t->partno,
				       opt_partno);
		snprintf(t->node, sizeof(t->node), "%s", dev);
		return 0;
	}
	if (opt_partno <= 0)
		return err_set(-EINVAL, "%s is not a partition: name one with --partition N", dev);
	snprintf(t->disk, sizeof(t->disk), "%s", dev);
	t->partno = (unsigned)opt_partno;
	if (t->blk)
		blk_partition_path(sb.st_rdev, t->partno, t->node);
	return 0;
}

/*
 * Content nothing names may be in use through the kernel all the same: a plain
 * dm-crypt mapping (no header to find), an md array, a mounted filesystem or
 * swap libblkid cannot read. Such a partition is never shrunk, override or not.
 */
static int unknown_in_use(const struct target *t)
{
	char holders[256] = "";
	struct stat sb;

	if (!t->node[0] || stat(t->node, &sb) < 0 || !S_ISBLK(sb.st_mode))
		return 0;
	if (blk_holders(sb.st_rdev, holders, sizeof(holders)) == 0 && holders[0])
		return err_set(E_REFUSED, "%s: partition %u is held by %s (an open mapping or "
			       "array over content shrinkbox cannot read); it is not shrunk, even "
			       "with --force-unknown-content", t->disk, t->partno, holders);
	if (blk_mounted(sb.st_rdev) || swap_in_use(t->node))
		return err_set(E_REFUSED, "%s: partition %u is mounted or in use as swap; it is not "
			       "shrunk, even with --force-unknown-content", t->disk, t->partno);
	return 0;
}

/* The kernel's idea of the partition's size in 512-byte sectors; 0 if it has none. */
static uint64_t kernel_size(const char *node)
{
	char path[DEV_PATH_MAX + 64], buf[32];
	const char *base = strrchr(node, '/');
	uint64_t v = 0;
	FILE *f;

	if (!node[0] || !base)
		return 0;
	snprintf(path, sizeof(path), "/sys/class/block/%s/size", base + 1);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f))
		v = strtoull(buf, NULL, 10);
	fclose(f);
	return v;
}

/*
 * A logical partition: what happens to its extended partition. It grows first
 * when the new end passes it (part_set_size()); it never shrinks with it.
 */
static void plan_container(const struct part_table *pt, const struct part_entry *e,
			   uint64_t new_size)
{
	const struct part_entry *c = part_table_find(pt, e->parent), *g;
	char a[SIZE_FMT_LEN];

	if (!c)
		return;
	g = part_container_grows(pt, e, new_size);
	if (g)
		printf("  extended partition %u: sectors %" PRIu64 "-%" PRIu64 "  ->  %" PRIu64 "-%"
		       PRIu64 " (%s), first: its MBR entry is written and flushed before the EBR "
		       "of partition %u\n", c->partno, c->start, c->start + c->size - 1, c->start,
		       e->start + new_size - 1, size_fmt(a, (e->start + new_size - c->start) *
							   pt->sector_size), e->partno);
	else
		printf("  extended partition %u: sectors %" PRIu64 "-%" PRIu64 " (unchanged%s)\n",
		       c->partno, c->start, c->start + c->size - 1,
		       new_size < e->size ? ": a shrink leaves the container alone" : "");
	printf("  the kernel's node for extended partition %u stays its 1 KiB stub "
	       "(block/partitions/msdos.c)\n", c->partno);
}

int partresize_main(int argc, char **argv)
{
	_cleanup_close_ int lockfd = -1;
	struct stack *st = NULL;
	struct target t;
	struct need need;
	const struct part_entry *e = NULL;
	const struct volume *content = NULL;
	const struct part_table *pt;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	uint64_t ss, grain, limit, new_size, bytes, ksize;
	const char *dev;
	poptContext ctx;
	int r, rc = EXIT_FAILED, modes;

	if (applet_parse("partresize", argc, argv, partresize_opts, "DEVICE", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "partresize", 1, 1, &dev) < 0) {
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	modes = !!opt_size + !!opt_end + !!opt_max;
	if (modes != 1) {
		log_error("give exactly one of --size, --end and --max");
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	err_clear();
	r = resolve(dev, &t);
	if (r < 0) {
		log_error("%s", err_msg(r));
		rc = r == -EINVAL || r == -ENOENT ? EXIT_USAGE : EXIT_FAILED;
		goto out;
	}
	/* Hold the disk's BSD lock, so udev and other tools keep off while we work. */
	lockfd = open(t.disk, O_RDONLY | O_CLOEXEC);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
		log_error("%s: cannot open and lock it: %m", t.disk);
		goto out;
	}
	err_clear();
	r = stack_probe_part(t.disk, t.partno, &st);
	if (r < 0) {
		log_error("%s", err_msg(r));
		goto out;
	}
	if (st->root->kind != VOL_PTABLE) {
		log_error("%s: no GPT or MBR partition table%s%s", t.disk,
			  st->root->error[0] ? ": " : "", st->root->error);
		goto out;
	}
	pt = &st->root->pt;
	for (size_t i = 0; i < pt->n; i++)
		if (pt->parts[i].partno == t.partno) {
			e = &pt->parts[i];
			content = st->root->parts ? st->root->parts[i] : NULL;
		}
	if (!e) {
		log_error("%s has no partition %u", t.disk, t.partno);
		goto out;
	}
	if (e->container) {
		log_error("%s: partition %u is an extended partition; resize its logical partitions",
			  t.disk, t.partno);
		rc = EXIT_REFUSED;
		goto out;
	}
	ss = pt->sector_size;
	grain = opt_no_align || !pt->grain ? 1 : pt->grain / ss;
	/* First sector we may not use; a last logical partition may grow its container first. */
	limit = e->start + e->size + e->grow_after;

	if (opt_end) {
		uint64_t end;

		r = count_parse(opt_end, &end);
		if (r < 0 || end < e->start) {
			log_error("--end %s: %s", opt_end,
				  r < 0 ? err_msg(r) : "must not be before the partition's start");
			rc = EXIT_USAGE;
			goto out;
		}
		new_size = end - e->start + 1;
	} else if (opt_size) {
		r = size_parse(opt_size, 0, &bytes);
		if (r < 0 || !bytes) {
			log_error("--size %s", r < 0 ? err_msg(r) : "must be more than 0 B");
			rc = EXIT_USAGE;
			goto out;
		}
		/* Never smaller than asked: up to a whole sector, then up to the grain. */
		new_size = div_round_up(e->start + div_round_up(bytes, ss), grain) * grain - e->start;
	} else {
		new_size = round_down(limit, grain) > e->start ?
				   round_down(limit, grain) - e->start : limit - e->start;
	}
	if (e->start + new_size > limit) {
		if (e->next_partno)
			log_error("%s: partition %u would end at sector %" PRIu64 ", over partition %u "
				  "which starts at %" PRIu64, t.disk, t.partno,
				  e->start + new_size - 1, e->next_partno, limit);
		else
			log_error("%s: partition %u would end at sector %" PRIu64 ", past the last "
				  "usable sector %" PRIu64, t.disk, t.partno, e->start + new_size - 1,
				  pt->last_usable);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (new_size < e->size) {
		if (!content) {
			log_error("%s: partition %u: its content was not read", t.disk, t.partno);
			goto out;
		}
		content_need(content, &need);
		if (need.unknown) {
			r = unknown_in_use(&t);
			if (r < 0) {
				log_error("%s", err_msg(r));
				rc = EXIT_REFUSED;
				goto out;
			}
		}
		if (!need.known && !(need.unknown && opt_force_unknown)) {
			log_error("%s: will not shrink partition %u: %s%s", t.disk, t.partno,
				  need.what, need.unknown ? "; --force-unknown-content shrinks it "
				  "anyway, losing whatever lies past the new end" : "");
			rc = EXIT_REFUSED;
			goto out;
		}
		if (new_size * ss < need.bytes) {
			uint64_t min = div_round_up(e->start + div_round_up(need.bytes, ss), grain) *
				       grain - e->start;

			log_error("%s: partition %u cannot shrink to %s: its content needs %s (%s); "
				  "the smallest size that works is %" PRIu64 " s = %s", t.disk, t.partno,
				  size_fmt(a, new_size * ss), size_fmt(b, need.bytes), need.what, min,
				  size_fmt(b, min * ss));
			rc = EXIT_REFUSED;
			goto out;
		}
	}
	ksize = kernel_size(t.node);
	if (new_size == e->size && (!ksize || ksize * SECTOR_SIZE == new_size * ss) &&
	    !pt->needs_write) {
		printf("No changes.\n");
		rc = EXIT_DONE;
		goto out;
	}

	printf("Plan for partition %u of %s (%s, %" PRIu64 "-byte sectors):\n", t.partno, t.disk,
	       pt->label, ss);
	printf("  start: sector %" PRIu64 " (unchanged)\n", e->start);
	printf("  size:  %" PRIu64 " s = %s  ->  %" PRIu64 " s = %s\n", e->size,
	       size_fmt(a, e->size * ss), new_size, size_fmt(b, new_size * ss));
	printf("  end:   sector %" PRIu64 "  ->  %" PRIu64 "%s\n", e->start + e->size - 1,
	       e->start + new_size - 1,
	       (e->start + new_size) % (pt->grain / ss ? pt->grain / ss : 1) ? "" :
									  " (on the grain)");
	if (e->next_partno)
		printf("  next:  partition %u at sector %" PRIu64 "\n", e->next_partno, limit);
	else
		printf("  next:  free space to the last usable sector %" PRIu64 "\n", pt->last_usable);
	if (e->parent)
		plan_container(pt, e, new_size);
	if (content) {
		content_need(content, &need);
		if (need.known)
			printf("  content needs %s: %s\n", size_fmt(a, need.bytes), need.what);
		else if (need.unknown && new_size < e->size)
			printf("  content: %s; --force-unknown-content: whatever lies past the new "
			       "end is lost\n", need.what);
		if (content->kind == VOL_LUKS)
			applet_print_luks_tokens(content->name, &content->luks, true);
	}
	if (content && content->kind == VOL_LUKS && (new_size != e->size || pt->needs_write)) {
		err_clear();
		r = applet_check_luks_tokens(content->name, &content->luks, true);
		if (r < 0) {
			log_error("%s", err_msg(r));
			rc = EXIT_REFUSED;
			goto out;
		}
	}
	if (pt->needs_write)
		printf("  table: %s; writing the table %s\n", pt->backup_moves ?
		       "the disk grew: the backup GPT header is not on its last sector" :
		       "an interrupted table write, or a damaged copy (a GPT header or entry array, "
		       "a staged copy of the array, a protective MBR of the wrong size)",
		       pt->backup_moves ? "moves it to the end" : "finishes or repairs it");
	if (ksize)
		printf("  then tell the kernel (BLKPG_RESIZE_PARTITION): %s, %" PRIu64 " s now, "
		       "becomes %" PRIu64 " s\n", t.node, ksize, new_size * ss / SECTOR_SIZE);
	if (new_size != e->size || pt->needs_write) {
		/* Every decision of the write (libfdisk's checks, room to stage a GPT array), now. */
		err_clear();
		r = part_check_size(t.disk, t.partno, new_size);
		if (r < 0) {
			log_error("%s", err_msg(r));
			rc = r == E_REFUSED ? EXIT_REFUSED : EXIT_FAILED;
			goto out;
		}
	}
	r = applet_consent();
	if (r <= 0) {
		rc = r == 0 ? EXIT_DONE : EXIT_REFUSED;
		goto out;
	}
	if (new_size != e->size || pt->needs_write) {
		char bk[DEV_PATH_MAX];

		/* The table as it is, for sfdisk to restore, before anything is written. */
		err_clear();
		r = pt_backup(t.disk, mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR, bk,
			      sizeof(bk));
		if (r < 0) {
			log_error("%s (nothing was changed)", err_msg(r));
			rc = EXIT_FAILED;
			goto out;
		}
		printf("  table saved: %s (sfdisk %s < %s restores it)\n", bk, t.disk, bk);
		err_clear();
		r = part_set_size(t.disk, t.partno, new_size);
		if (r < 0) {
			log_error("%s", err_msg(r));
			/* E_REFUSED: decided before its first write (the check above agrees). */
			rc = r == E_REFUSED ? EXIT_REFUSED : EXIT_PARTIAL;
			goto out;
		}
	}
	if (ksize) {
		err_clear();
		r = part_kernel_resize(t.disk, t.partno, e->start * ss, new_size * ss);
		if (r < 0) {
			log_error("%s; the table on the disk is already changed: run the same command "
				  "again, or reboot", err_msg(r));
			rc = EXIT_PARTIAL;
			goto out;
		}
		if (kernel_size(t.node) * SECTOR_SIZE != new_size * ss) {
			log_error("%s: the kernel still reports %" PRIu64 " sectors", t.node,
				  kernel_size(t.node));
			rc = EXIT_PARTIAL;
			goto out;
		}
	}
	test_stop("part-resized");
	printf("Done: partition %u of %s is %" PRIu64 " s = %s.\n", t.partno, t.disk, new_size,
	       size_fmt(a, new_size * ss));
	rc = EXIT_DONE;
out:
	stack_free(st);
	poptFreeContext(ctx);
	return rc;
}
