// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The partition resize plan: the new end on the table's grain (--size rounds
 * up to it, --max down), never over the next partition or past the last
 * usable sector (a last logical partition may count the free space after its
 * extended partition, which grows first), never below what the content needs
 * (need.c), and content nothing names only with the override and only while
 * nothing uses it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "partplan.h"
#include "../layer/swap.h"
#include "../layer/sysfs.h"
#include "../util/err.h"
#include "../util/units.h"

int part_plan_resolve(const char *dev, const struct part_request *rq, struct part_plan *p)
{
	struct stat sb;
	bool blk;

	memset(p, 0, sizeof(*p));
	if (stat(dev, &sb) < 0)
		return err_set(-errno, "%s: %m", dev);
	blk = S_ISBLK(sb.st_mode);
	if (blk && blk_partition_of(sb.st_rdev, p->disk, &p->partno) == 0) {
		if (rq->partno && (unsigned)rq->partno != p->partno)
			return err_set(-EINVAL, "%s is partition %u, not %d", dev, p->partno,
				       rq->partno);
		snprintf(p->node, sizeof(p->node), "%s", dev);
		return 0;
	}
	if (rq->partno <= 0)
		return err_set(-EINVAL, "%s is not a partition: name one with --partition N", dev);
	snprintf(p->disk, sizeof(p->disk), "%s", dev);
	p->partno = (unsigned)rq->partno;
	if (blk)
		blk_partition_path(sb.st_rdev, p->partno, p->node);
	return 0;
}

/*
 * Content nothing names may be in use through the kernel all the same: a plain
 * dm-crypt mapping (no header to find), an md array, a mounted filesystem or
 * swap libblkid cannot read. Such a partition is never shrunk, override or not.
 */
static int unknown_in_use(const struct part_plan *p)
{
	char holders[256] = "";
	struct stat sb;

	if (!p->node[0] || stat(p->node, &sb) < 0 || !S_ISBLK(sb.st_mode))
		return 0;
	if (blk_holders(sb.st_rdev, holders, sizeof(holders)) == 0 && holders[0])
		return err_set(E_REFUSED, "%s: partition %u is held by %s (an open mapping or "
			       "array over content shrinkbox cannot read); it is not shrunk, even "
			       "with --force-unknown-content", p->disk, p->partno, holders);
	if (blk_mounted(sb.st_rdev) || swap_in_use(p->node))
		return err_set(E_REFUSED, "%s: partition %u is mounted or in use as swap; it is not "
			       "shrunk, even with --force-unknown-content", p->disk, p->partno);
	return 0;
}

uint64_t part_node_sectors(const char *node)
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

/* The partition and its content in the probe: 0, or why not (err_set). */
static int find(struct part_plan *p)
{
	const struct part_table *pt;

	if (p->st->root->kind != VOL_PTABLE)
		return err_set(-ENODEV, "%s: no GPT or MBR partition table%s%s", p->disk,
			       p->st->root->error[0] ? ": " : "", p->st->root->error);
	pt = p->pt = &p->st->root->pt;
	for (size_t i = 0; i < pt->n; i++)
		if (pt->parts[i].partno == p->partno) {
			p->e = &pt->parts[i];
			p->content = p->st->root->parts ? p->st->root->parts[i] : NULL;
		}
	if (!p->e)
		return err_set(-ENXIO, "%s has no partition %u", p->disk, p->partno);
	if (p->e->container)
		return err_set(E_REFUSED, "%s: partition %u is an extended partition; resize its "
			       "logical partitions", p->disk, p->partno);
	return 0;
}

/* The new size in sectors from the request: 0, or -EINVAL (an --end before the start). */
static int new_size(struct part_plan *p, const struct part_request *rq, uint64_t grain)
{
	const struct part_entry *e = p->e;

	switch (rq->mode) {
	case PART_END:
		if (rq->end < e->start)
			return err_set(-EINVAL, "--end %s: must not be before the partition's start",
				       rq->end_arg);
		p->new_size = rq->end - e->start + 1;
		break;
	case PART_SIZE:
		/* Never smaller than asked: up to a whole sector, then up to the grain. */
		p->new_size = div_round_up(e->start + div_round_up(rq->bytes, p->ss), grain) *
			      grain - e->start;
		break;
	case PART_MAX:
		p->new_size = round_down(p->limit, grain) > e->start ?
				      round_down(p->limit, grain) - e->start : p->limit - e->start;
		break;
	}
	return 0;
}

/* A shrink: what the content needs fits, and the content may be cut at all. */
static int check_content(struct part_plan *p, const struct part_request *rq, uint64_t grain)
{
	const struct part_entry *e = p->e;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	uint64_t min;
	int r;

	if (!p->content)
		return err_set(-EIO, "%s: partition %u: its content was not read", p->disk,
			       p->partno);
	if (p->need.unknown) {
		r = unknown_in_use(p);
		if (r < 0)
			return r;
	}
	if (!p->need.known && !(p->need.unknown && rq->force_unknown))
		return err_set(E_REFUSED, "%s: will not shrink partition %u: %s%s", p->disk,
			       p->partno, p->need.what, p->need.unknown ? "; --force-unknown-content "
			       "shrinks it anyway, losing whatever lies past the new end" : "");
	if (p->new_size * p->ss >= p->need.bytes)
		return 0;
	min = div_round_up(e->start + div_round_up(p->need.bytes, p->ss), grain) * grain -
	      e->start;
	return err_set(E_REFUSED, "%s: partition %u cannot shrink to %s: its content needs %s (%s); "
		       "the smallest size that works is %" PRIu64 " s = %s", p->disk, p->partno,
		       size_fmt(a, p->new_size * p->ss), size_fmt(b, p->need.bytes), p->need.what,
		       min, size_fmt(b, min * p->ss));
}

int part_plan_make(struct part_plan *p, const struct part_request *rq)
{
	const struct part_entry *e;
	uint64_t grain;
	int r;

	r = stack_probe_part(p->disk, p->partno, &p->st);
	if (r < 0)	/* what the probe cannot read is the disk's, never the command line's */
		return r == -EINVAL ? -EIO : r;
	r = find(p);
	if (r < 0)
		return r;
	e = p->e;
	p->ss = p->pt->sector_size;
	grain = rq->no_align || !p->pt->grain ? 1 : p->pt->grain / p->ss;
	/* First sector we may not use; a last logical partition may grow its container first. */
	p->limit = e->start + e->size + e->grow_after;
	r = new_size(p, rq, grain);
	if (r < 0)
		return r;
	if (e->start + p->new_size > p->limit) {
		if (e->next_partno)
			return err_set(E_REFUSED, "%s: partition %u would end at sector %" PRIu64
				       ", over partition %u which starts at %" PRIu64, p->disk,
				       p->partno, e->start + p->new_size - 1, e->next_partno,
				       p->limit);
		return err_set(E_REFUSED, "%s: partition %u would end at sector %" PRIu64 ", past "
			       "the last usable sector %" PRIu64, p->disk, p->partno,
			       e->start + p->new_size - 1, p->pt->last_usable);
	}
	if (p->content)
		content_need(p->content, &p->need);
	if (p->new_size < e->size) {
		r = check_content(p, rq, grain);
		if (r < 0)
			return r;
	}
	p->ksize = part_node_sectors(p->node);
	p->write = p->new_size != e->size || p->pt->needs_write;
	p->noop = !p->write && (!p->ksize || p->ksize * SECTOR_SIZE == p->new_size * p->ss);
	return 0;
}

void part_plan_free(struct part_plan *p)
{
	stack_free(p->st);
	p->st = NULL;
}
