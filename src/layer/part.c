// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libfdisk.h>
#include <linux/blkpg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "part.h"
#include "ptwrite.h"
#include "../util/err.h"
#include "../util/units.h"

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* No other logical partition of e's container starts after e (so no EBR follows it). */
static bool last_logical(const struct part_table *pt, const struct part_entry *e)
{
	for (size_t j = 0; j < pt->n; j++)
		if (pt->parts[j].parent == e->parent && pt->parts[j].start > e->start)
			return false;
	return true;
}

static int cmp_start(const void *a, const void *b)
{
	const struct part_entry *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * A GPT whose backup header is not on the last sector: the disk grew (an
 * enlarged image or LUN). libfdisk moves the backup header and its entries to
 * the end on the next write (UEFI 2.x 5.3.2: the backup header is on the last
 * LBA, its entries just before it) and the last usable sector with them, so
 * that is the limit a partition can grow to.
 */
static void gpt_grown(struct fdisk_context *cxt, struct part_table *pt)
{
	struct fdisk_labelitem *li;
	uint64_t alt = 0, nents = 0, es;

	if (strcmp(pt->label, "gpt") || !pt->sector_size || !(li = fdisk_new_labelitem()))
		return;
	if (fdisk_get_disklabel_item(cxt, GPT_LABELITEM_ALTLBA, li) == 0)
		fdisk_labelitem_get_data_u64(li, &alt);
	fdisk_reset_labelitem(li);
	if (fdisk_get_disklabel_item(cxt, GPT_LABELITEM_ENTRIESALLOC, li) == 0)
		fdisk_labelitem_get_data_u64(li, &nents);
	fdisk_unref_labelitem(li);
	es = div_round_up(nents * 128, pt->sector_size);
	if (!alt || !nents || alt + 1 >= pt->disk_sectors || pt->disk_sectors < es + 2)
		return;
	if (pt->disk_sectors - 2 - es > pt->last_usable) {
		pt->backup_moves = true;
		pt->last_usable = pt->disk_sectors - 2 - es;
	}
}

int part_table_read(const char *path, struct part_table *pt)
{
	struct fdisk_context *cxt = fdisk_new_context();
	struct fdisk_table *tb = NULL;
	struct fdisk_iter *itr = NULL;
	struct fdisk_partition *pa;
	char *id = NULL;
	size_t cap;
	int r;

	memset(pt, 0, sizeof(*pt));
	if (!cxt)
		return -ENOMEM;
	r = fdisk_assign_device(cxt, path, 1);
	if (r < 0) {
		r = err_set(r, "%s: libfdisk cannot open it: %s", path, strerror(-r));
		goto out;
	}
	if (!fdisk_has_label(cxt)) {
		r = -ENOENT;
		goto out;
	}
	copy(pt->label, sizeof(pt->label), fdisk_label_get_name(fdisk_get_label(cxt, NULL)));
	if (fdisk_get_disklabel_id(cxt, &id) == 0)
		copy(pt->id, sizeof(pt->id), id);
	pt->sector_size = (unsigned)fdisk_get_sector_size(cxt);
	pt->grain = fdisk_get_grain_size(cxt);
	pt->first_usable = fdisk_get_first_lba(cxt);
	pt->last_usable = fdisk_get_last_lba(cxt);
	pt->disk_sectors = fdisk_get_nsectors(cxt);
	/* An MBR entry's start and size are 32 bits (libfdisk's dos.c get_disk_ranges() agrees). */
	if (!strcmp(pt->label, "dos") && pt->last_usable > UINT32_MAX)
		pt->last_usable = UINT32_MAX;
	gpt_grown(cxt, pt);
	pt->needs_write = fdisk_label_is_changed(fdisk_get_label(cxt, NULL));
	if (!pt->needs_write && !strcmp(pt->label, "gpt")) {
		bool staged = false;

		/* A cut in the middle of our own write: the next write finishes it. */
		if (pt_gpt_staged(path, pt->sector_size, &staged) == 0 && staged)
			pt->needs_write = true;
	}

	r = fdisk_get_partitions(cxt, &tb);
	if (r < 0) {
		r = err_set(r, "%s: cannot read the partition table: %s", path, strerror(-r));
		goto out;
	}
	cap = fdisk_table_get_nents(tb);
	pt->parts = calloc(cap ? cap : 1, sizeof(*pt->parts));
	itr = fdisk_new_iter(FDISK_ITER_FORWARD);
	if (!pt->parts || !itr) {
		r = -ENOMEM;
		goto out;
	}
	while (fdisk_table_next_partition(tb, itr, &pa) == 0 && pt->n < cap) {
		struct part_entry *e = &pt->parts[pt->n];
		struct fdisk_parttype *t = fdisk_partition_get_type(pa);
		size_t partno, parent;

		if (!fdisk_partition_has_start(pa) || !fdisk_partition_has_size(pa) ||
		    !fdisk_partition_has_partno(pa))
			continue;
		partno = fdisk_partition_get_partno(pa);
		e->partno = (unsigned)partno + 1;
		e->start = fdisk_partition_get_start(pa);
		e->size = fdisk_partition_get_size(pa);
		e->container = fdisk_partition_is_container(pa);
		if (fdisk_partition_is_nested(pa) &&
		    fdisk_partition_get_parent(pa, &parent) == 0)
			e->parent = (unsigned)parent + 1;
		if (t) {
			copy(e->type, sizeof(e->type), fdisk_parttype_get_string(t));
			if (!e->type[0])
				snprintf(e->type, sizeof(e->type), "%x", fdisk_parttype_get_code(t));
			copy(e->type_name, sizeof(e->type_name), fdisk_parttype_get_name(t));
		}
		copy(e->name, sizeof(e->name), fdisk_partition_get_name(pa));
		copy(e->uuid, sizeof(e->uuid), fdisk_partition_get_uuid(pa));
		e->aligned = pt->grain && (e->start * pt->sector_size) % pt->grain == 0 &&
			     (e->size * pt->sector_size) % pt->grain == 0;
		pt->n++;
	}
	qsort(pt->parts, pt->n, sizeof(*pt->parts), cmp_start);
	for (size_t i = 0; i < pt->n; i++) {
		struct part_entry *e = &pt->parts[i];
		uint64_t end = e->start + e->size;	/* first sector after */
		uint64_t limit = pt->last_usable + 1;

		for (size_t j = 0; j < pt->n; j++) {
			const struct part_entry *o = &pt->parts[j];

			/* An extended container encloses its logicals; it is not "after" them. */
			if (o->start >= end && o->start < limit && !(o->container && !e->container &&
								     o->start <= e->start)) {
				limit = o->start;
				e->next_partno = o->partno;
			}
		}
		/*
		 * MBR logical partitions: each is preceded by its EBR somewhere in the gap
		 * before it, and none may pass the end of its extended container. The gap
		 * before a logical partition is therefore not free (sfdisk -F agrees).
		 */
		if (!strcmp(pt->label, "dos") && !e->container) {
			for (size_t j = 0; j < pt->n; j++) {
				const struct part_entry *c = &pt->parts[j];

				if (c->container && c->start <= e->start &&
				    e->start < c->start + c->size && c->start + c->size < limit)
					limit = c->start + c->size;
			}
			if (e->next_partno > 4)
				limit = end;
		}
		e->free_after = limit > end ? limit - end : 0;
		e->grow_after = e->free_after;
	}
	/* The last logical partition grows into the space after its container too. */
	for (size_t i = 0; i < pt->n; i++) {
		struct part_entry *e = &pt->parts[i];
		const struct part_entry *c = e->parent ? part_table_find(pt, e->parent) : NULL;

		if (c && last_logical(pt, e) && e->start + e->size + e->free_after ==
						    c->start + c->size)
			e->grow_after += c->free_after;
	}
	r = 0;
out:
	free(id);
	fdisk_free_iter(itr);
	fdisk_unref_table(tb);
	fdisk_unref_context(cxt);
	if (r < 0)
		part_table_clear(pt);
	return r;
}

void part_table_clear(struct part_table *pt)
{
	free(pt->parts);
	memset(pt, 0, sizeof(*pt));
}

const struct part_entry *part_table_find(const struct part_table *pt, unsigned partno)
{
	for (size_t i = 0; i < pt->n; i++)
		if (pt->parts[i].partno == partno)
			return &pt->parts[i];
	return NULL;
}

struct set_size {
	const char *disk;
	unsigned partno;
	uint64_t size;
};

const struct part_entry *part_container_grows(const struct part_table *pt,
					      const struct part_entry *e, uint64_t size)
{
	const struct part_entry *c = e->parent ? part_table_find(pt, e->parent) : NULL;

	if (!c || e->start + size <= c->start + c->size || !last_logical(pt, e))
		return NULL;
	return c;
}

static void fdisk_unref_tablep(struct fdisk_table **tb)
{
	fdisk_unref_table(*tb);
}

/*
 * The rule of part_container_grows(), on the table libfdisk holds: the last
 * logical partition ending past its extended partition makes the container
 * grow first, to end with it. libfdisk's recount_resize() finds room for a
 * nested partition only inside its parent, and for a container in the free
 * space after it; dos_set_partition() keeps the container's start, and the
 * EBR links are relative to that start, so the chain is unchanged.
 */
static int grow_container(struct fdisk_context *cxt, const struct set_size *a)
{
	struct fdisk_table *tb __attribute__((cleanup(fdisk_unref_tablep))) = NULL;
	struct fdisk_partition *me, *c, *pa;
	struct fdisk_iter *itr;
	uint64_t end, c_end;
	size_t parent;
	bool last = true;
	int r;

	if (!fdisk_is_label(cxt, DOS))
		return 0;
	r = fdisk_get_partitions(cxt, &tb);
	if (r < 0)
		return err_set(r, "%s: cannot read the partition table: %s", a->disk, strerror(-r));
	me = fdisk_table_get_partition_by_partno(tb, a->partno - 1);
	if (!me || !fdisk_partition_is_nested(me) || fdisk_partition_get_parent(me, &parent) < 0)
		return 0;
	c = fdisk_table_get_partition_by_partno(tb, parent);
	if (!c || !fdisk_partition_has_start(c) || !fdisk_partition_has_size(c))
		return 0;
	end = fdisk_partition_get_start(me) + a->size;
	c_end = fdisk_partition_get_start(c) + fdisk_partition_get_size(c);
	if (end <= c_end)
		return 0;
	itr = fdisk_new_iter(FDISK_ITER_FORWARD);
	if (!itr)
		return -ENOMEM;
	while (fdisk_table_next_partition(tb, itr, &pa) == 0) {
		size_t pp;

		if (pa != me && fdisk_partition_is_nested(pa) &&
		    fdisk_partition_get_parent(pa, &pp) == 0 && pp == parent &&
		    fdisk_partition_get_start(pa) > fdisk_partition_get_start(me))
			last = false;
	}
	fdisk_free_iter(itr);
	/* Not the last: the next EBR is in the way, and set_size_edit() gets libfdisk's refusal. */
	if (!last)
		return 0;
	pa = fdisk_new_partition();
	if (!pa)
		return -ENOMEM;
	r = fdisk_partition_set_size(pa, end - fdisk_partition_get_start(c));
	if (r == 0)
		r = fdisk_partition_size_explicit(pa, 1);
	if (r == 0)
		r = fdisk_set_partition(cxt, parent, pa);
	fdisk_unref_partition(pa);
	if (r < 0)
		return err_set(r == -ERANGE ? E_REFUSED : r, "%s: extended partition %zu cannot "
			       "grow to end at sector %" PRIu64 " (for partition %u): %s",
			       a->disk, parent + 1, end - 1, a->partno, strerror(-r));
	return 0;
}

static int set_size_edit(struct fdisk_context *cxt, void *arg)
{
	const struct set_size *a = arg;
	struct fdisk_partition *pa;
	int r;

	r = grow_container(cxt, a);
	if (r < 0)
		return r;
	pa = fdisk_new_partition();
	if (!pa)
		return -ENOMEM;
	r = fdisk_partition_set_size(pa, a->size);
	if (r == 0)
		r = fdisk_partition_size_explicit(pa, 1);
	if (r == 0)
		r = fdisk_set_partition(cxt, a->partno - 1, pa);
	fdisk_unref_partition(pa);
	if (r < 0)
		return err_set(r, "%s: partition %u cannot become %" PRIu64 " sectors: %s", a->disk,
			       a->partno, a->size, strerror(-r));
	return 0;
}

/*
 * libfdisk edits and validates the table in a scratch copy; ptwrite.c writes
 * the result in an order every cut survives (docs/ptwrite.md), flushed when
 * this returns 0.
 */
int part_set_size(const char *disk, unsigned partno, uint64_t size)
{
	struct set_size a = { disk, partno, size };

	return pt_write(disk, set_size_edit, &a, NULL);
}

int part_check_size(const char *disk, unsigned partno, uint64_t size)
{
	struct set_size a = { disk, partno, size };

	return pt_write_check(disk, set_size_edit, &a);
}

int part_kernel_resize(const char *disk, unsigned partno, uint64_t start_bytes,
		       uint64_t length_bytes)
{
	struct blkpg_partition p = {
		.start = (long long)start_bytes,
		.length = (long long)length_bytes,
		.pno = (int)partno,
	};
	struct blkpg_ioctl_arg a = {
		.op = BLKPG_RESIZE_PARTITION,
		.datalen = sizeof(p),
		.data = &p,
	};
	int fd = open(disk, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return err_set(-errno, "%s: %m", disk);
	if (ioctl(fd, BLKPG, &a) < 0) {
		r = -errno;
		if (r != -ENXIO)
			r = err_set(r, "%s: the kernel refused the new size of partition %u (%s)",
				    disk, partno, strerror(-r));
	}
	close(fd);
	return r;
}
