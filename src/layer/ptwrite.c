// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Partition-table writes in an order a power cut cannot break: the on-disk
 * facts this relies on are in docs/ptwrite.md.
 *
 * The model: a write that was not followed by a completed flush may or may
 * not be on the disk, each sector of it independently; a single logical
 * sector is written whole or not at all. So the bytes move in phases with a
 * flush between, and every phase leaves a table the kernel accepts whatever
 * subset of its writes arrived.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libfdisk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ptio.h"
#include "../util/cleanup.h"
#include "../util/endian.h"
#include "../util/err.h"
#include "../util/io.h"
#include "../util/teststop.h"

#define DOS_CHAIN_MAX	256		/* EBRs followed; more is a loop */

int ptw_read(const struct dev *d, uint64_t lba, uint64_t n, void *buf)
{
	int r;

	if (lba > d->sectors || n > d->sectors - lba)
		return err_set(-ENODATA, "%s: sectors %" PRIu64 "+%" PRIu64 " are past its end",
			       d->name, lba, n);
	r = pread_all(d->fd, buf, n * d->ss, lba * d->ss, NULL);
	if (r < 0)
		return err_set(r, "%s: cannot read sector %" PRIu64 ": %s", d->name, lba,
			       strerror(-r));
	return 0;
}

bool ptw_is_zero(const uint8_t *p, size_t len)
{
	return !len || (!p[0] && !memcmp(p, p + 1, len - 1));
}

/* ---- the writer: every write and flush goes through here (and the test log) ---- */

int ptw_write(struct writer *w, uint64_t lba, const uint8_t *buf, uint64_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = n * w->d->ss;
	int r = w->check ? 0 : pwrite_all(w->d->fd, buf, len, lba * w->d->ss, NULL);

	if (r < 0)
		return err_set(r, "%s: cannot write the partition table at sector %" PRIu64 ": %s",
			       w->d->name, lba, strerror(-r));
	w->dirty = true;
	w->st.writes++;
	if (w->log) {
		fprintf(w->log, "W %" PRIu64 " %zu ", lba * w->d->ss, len);
		for (size_t i = 0; i < len; i++) {
			putc(hex[buf[i] >> 4], w->log);
			putc(hex[buf[i] & 15], w->log);
		}
		putc('\n', w->log);
	}
	return 0;
}

/*
 * fdatasync() on a block device is blkdev_fsync(): the page cache is written
 * and a cache flush (REQ_PREFLUSH) sent; on an image file, the file's data.
 */
int ptw_flush(struct writer *w)
{
	if (!w->dirty)
		return 0;
	if (!w->check && fdatasync(w->d->fd) < 0)
		return err_set(-errno, "%s: flushing the partition table failed: %m", w->d->name);
	w->dirty = false;
	w->st.flushes++;
	if (w->log) {
		fputs("F\n", w->log);
		fflush(w->log);
	}
	return 0;
}

/* Writes the sectors of [lba, lba+n) whose bytes on the disk differ from buf, one write per run. */
int ptw_update(struct writer *w, uint64_t lba, const uint8_t *buf, uint64_t n)
{
	unsigned ss = w->d->ss;
	_cleanup_free_ uint8_t *cur = malloc(n * ss);
	int r;

	if (!cur)
		return -ENOMEM;
	r = ptw_read(w->d, lba, n, cur);
	if (r < 0)
		return r;
	for (uint64_t i = 0, j; i < n; i = j) {
		if (!memcmp(cur + i * ss, buf + i * ss, ss)) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < n && memcmp(cur + j * ss, buf + j * ss, ss); j++)
			;
		r = ptw_write(w, lba + i, buf + i * ss, j - i);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- MBR and EBRs ---- */

static bool dos_is_ext(uint8_t type)
{
	/* is_extended_partition() in block/partitions/msdos.c */
	return type == 0x05 || type == 0x0f || type == 0x85;
}

/* The extended partition's entry in the MBR sector mbr: its end (first sector after), 0: none. */
static uint64_t dos_ext_end(const uint8_t *mbr, uint64_t *start)
{
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = mbr + 446 + 16 * i;

		if (dos_is_ext(e[4])) {
			*start = get_le32(e + 8);
			return *start + get_le32(e + 12);
		}
	}
	*start = 0;
	return 0;
}

/*
 * The MBR and the EBR chain, as parse_extended() in block/partitions/msdos.c
 * walks it: each EBR's first extended entry links to the next, relative to
 * the extended partition's start. Appends to lba[] what is not there yet.
 */
static int dos_chain(const struct dev *d, uint64_t *lba, unsigned *n, unsigned cap)
{
	_cleanup_free_ uint8_t *b = malloc(d->ss);
	uint64_t ext, cur;
	int r;

	if (!b)
		return -ENOMEM;
	r = ptw_read(d, 0, 1, b);
	if (r < 0)
		return r;
	if (*n == 0)
		lba[(*n)++] = 0;
	if (get_le16(b + 510) != 0xaa55 || !dos_ext_end(b, &ext) || !ext)
		return 0;
	for (cur = ext; cur < d->sectors;) {
		uint64_t next = 0;
		unsigned k;

		for (k = 0; k < *n && lba[k] != cur; k++)
			;
		if (k == *n) {
			if (*n == cap)
				return 0;
			lba[(*n)++] = cur;
		}
		r = ptw_read(d, cur, 1, b);
		if (r < 0)
			return r;
		if (get_le16(b + 510) != 0xaa55)
			return 0;
		for (int i = 0; i < 4 && !next; i++)
			if (dos_is_ext(b[446 + 16 * i + 4]))
				next = ext + get_le32(b + 446 + 16 * i + 8);
		if (!next || next == cur || next <= ext)
			return 0;
		cur = next;
	}
	return 0;
}

/*
 * Every change of a dos label is single-sector: each changed sector is written
 * and flushed on its own. A logical partition is found through the extended
 * entry of the MBR and its EBR; when the container grows it goes first, when it
 * shrinks last, so a logical partition never sticks out of it (libfdisk's
 * dos_verify_disklabel(): "Logical partition N: not entirely in partition M";
 * the kernel's parse_extended() does not check). A last logical partition that
 * grows past its container (part_set_size()) is therefore two flushed
 * one-sector writes: the MBR (container grown, the logical one as it was),
 * then its EBR. A shrink of a logical partition changes its EBR only.
 */
static int dos_commit(struct writer *w, const struct dev *d, const struct dev *s)
{
	uint64_t lba[2 * (DOS_CHAIN_MAX + 1)], ext0, ext1;
	_cleanup_free_ uint8_t *a = malloc(d->ss), *b = malloc(d->ss);
	bool mbr_first, mbr_done = false;
	unsigned n = 0;
	int r;

	if (!a || !b)
		return -ENOMEM;
	r = dos_chain(d, lba, &n, ARRAY_SIZE(lba));
	if (r == 0)
		r = dos_chain(s, lba, &n, ARRAY_SIZE(lba));
	if (r == 0)
		r = ptw_read(d, 0, 1, a);
	if (r == 0)
		r = ptw_read(s, 0, 1, b);
	if (r < 0)
		return r;
	mbr_first = dos_ext_end(b, &ext1) > dos_ext_end(a, &ext0);
	if (mbr_first) {
		r = ptw_update(w, 0, b, 1);
		if (r == 0)
			r = ptw_flush(w);
		if (r == 0 && !w->check)
			test_stop("pt-container");
		mbr_done = true;
	}
	for (unsigned i = 0; r == 0 && i < n; i++) {
		if (lba[i] == 0)
			continue;
		r = ptw_read(s, lba[i], 1, b);
		if (r == 0)
			r = ptw_update(w, lba[i], b, 1);
		if (r == 0)
			r = ptw_flush(w);
	}
	if (r == 0 && !mbr_done) {
		r = ptw_read(s, 0, 1, b);
		if (r == 0)
			r = ptw_update(w, 0, b, 1);
		if (r == 0)
			r = ptw_flush(w);
	}
	return r;
}

/* ---- the scratch copy ---- */

static int copy_in(const struct dev *d, const struct dev *s, uint64_t lba, uint64_t n)
{
	_cleanup_free_ uint8_t *buf = NULL;
	int r;

	if (lba >= d->sectors || !n)
		return 0;
	if (n > d->sectors - lba)
		n = d->sectors - lba;
	buf = malloc(n * d->ss);
	if (!buf)
		return -ENOMEM;
	r = ptw_read(d, lba, n, buf);
	if (r < 0)
		return r;
	r = pwrite_all(s->fd, buf, n * d->ss, lba * d->ss, NULL);
	if (r < 0)
		return err_set(r, "%s: cannot write the scratch copy: %s", d->name, strerror(-r));
	return 0;
}

static FILE *writelog_open(void)
{
	const char *p = test_writelog();

	return p && *p ? fopen(p, "ae") : NULL;
}

static void fdisk_unrefp(struct fdisk_context **c)
{
	fdisk_unref_context(*c);
}

static int pt_run(const char *disk, pt_edit_fn edit, void *arg, struct pt_write_stats *stats,
		  bool check);

int pt_write(const char *disk, pt_edit_fn edit, void *arg, struct pt_write_stats *stats)
{
	return pt_run(disk, edit, arg, stats, false);
}

int pt_write_check(const char *disk, pt_edit_fn edit, void *arg)
{
	return pt_run(disk, edit, arg, NULL, true);
}

static int pt_run(const char *disk, pt_edit_fn edit, void *arg, struct pt_write_stats *stats,
		  bool check)
{
	struct fdisk_context *ro __attribute__((cleanup(fdisk_unrefp))) = fdisk_new_context();
	struct fdisk_context *cxt __attribute__((cleanup(fdisk_unrefp))) = NULL;
	struct gpt pc __attribute__((cleanup(ptw_gpt_free))) = { 0 };
	struct gpt bc __attribute__((cleanup(ptw_gpt_free))) = { 0 };
	_cleanup_fclose_ FILE *log = NULL;
	_cleanup_close_ int fd = -1, mfd = -1;
	unsigned long ss, phy, grain;
	unsigned heads, secs, cyls;
	struct writer w = { 0 };
	struct dev d, s;
	uint64_t bytes;
	bool gpt, blk;
	int r;

	if (stats)
		memset(stats, 0, sizeof(*stats));
	if (!ro)
		return -ENOMEM;
	r = fdisk_assign_device(ro, disk, 1);
	if (r < 0)
		return err_set(r, "%s: libfdisk cannot open it: %s", disk, strerror(-r));
	if (!fdisk_has_label(ro))
		return err_set(-ENOENT, "%s: no partition table", disk);
	gpt = fdisk_is_label(ro, GPT);
	if (!gpt && !fdisk_is_label(ro, DOS))
		return err_set(E_REFUSED, "%s: a %s label: shrinkbox writes only gpt and dos",
			       disk, fdisk_label_get_name(fdisk_get_label(ro, NULL)));
	ss = fdisk_get_sector_size(ro);
	phy = fdisk_get_physector_size(ro);
	grain = fdisk_get_grain_size(ro);
	heads = fdisk_get_geom_heads(ro);
	secs = (unsigned)fdisk_get_geom_sectors(ro);
	cyls = (unsigned)fdisk_get_geom_cylinders(ro);
	fdisk_unref_context(ro);
	ro = NULL;

	fd = dev_open(disk, check ? O_RDONLY : O_RDWR, &bytes, &blk);
	if (fd < 0)
		return fd;
	d = (struct dev){ fd, disk, (unsigned)ss, bytes / ss };
	if (ss < 512 || d.sectors < 4)
		return err_set(-EINVAL, "%s: too small for a partition table", disk);
	/* A memfd: sparse, the disk's size, and gone with the process. */
	mfd = memfd_create("shrinkbox-ptwrite", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)bytes) < 0)
		return err_set(-errno, "%s: cannot make a scratch copy of the table: %m", disk);
	s = (struct dev){ mfd, "scratch copy", (unsigned)ss, d.sectors };

	/* What libfdisk reads: gpt.c gpt_probe_label(), dos.c read_extended(). */
	if (gpt) {
		r = ptw_gpt_read(&d, 1, &pc);
		if (r == 0)
			r = ptw_gpt_read(&d, pc.ok ? pc.alt : d.sectors - 1, &bc);
		if (r == 0)
			r = copy_in(&d, &s, 0, GPT_HOME + (pc.ok ? pc.es : 16384 / ss));
		if (r == 0 && pc.ok)
			r = copy_in(&d, &s, pc.ents_lba, pc.es);
		if (r == 0 && bc.ok)
			r = copy_in(&d, &s, bc.ents_lba, bc.es);
		if (r == 0)
			r = copy_in(&d, &s, pc.ok ? pc.alt : d.sectors - 1, 1);
	} else {
		uint64_t lba[DOS_CHAIN_MAX + 1];
		_cleanup_free_ uint8_t *mbr = malloc(ss);
		unsigned n = 0;

		/*
		 * libfdisk falls back to dos when both GPT copies fail their CRCs
		 * (what a cut in libfdisk's own write order could leave): the
		 * 0xEE entry is then "partition 1", and resizing it would turn the
		 * protective MBR into nonsense. msdos.c skips such a disk too.
		 */
		if (!mbr)
			return -ENOMEM;
		r = ptw_read(&d, 0, 1, mbr);
		for (int i = 0; r == 0 && i < 4; i++)
			if (mbr[446 + 16 * i + 4] == 0xee)
				return err_set(E_REFUSED, "%s: a protective MBR (type ee) but no "
					       "valid GPT header: both GPT copies are damaged; "
					       "repair them first (gdisk, or sfdisk -d of a "
					       "backup); nothing written", disk);
		if (r == 0)
			r = dos_chain(&d, lba, &n, ARRAY_SIZE(lba));
		for (unsigned i = 0; r == 0 && i < n; i++)
			r = copy_in(&d, &s, lba[i], 1);
	}
	if (r < 0)
		return r;

	cxt = fdisk_new_context();
	if (!cxt)
		return -ENOMEM;
	/* The scratch file must look like the disk: sector size, geometry (dos CHS), grain. */
	fdisk_save_user_sector_size(cxt, (unsigned)phy, (unsigned)ss);
	if (heads && secs)
		fdisk_save_user_geometry(cxt, cyls, heads, secs);
	if (grain >= ss)
		fdisk_save_user_grain(cxt, grain);
	r = fdisk_assign_device_by_fd(cxt, mfd, disk, 0);
	if (r < 0)
		return err_set(r, "%s: libfdisk cannot open the scratch copy: %s", disk,
			       strerror(-r));
	if (!fdisk_has_label(cxt) || fdisk_is_label(cxt, GPT) != gpt)
		return err_set(-EIO, "%s: the scratch copy of the table does not read back; "
			       "nothing written", disk);
	r = edit(cxt, arg);
	if (r < 0)
		return r;
	r = fdisk_write_disklabel(cxt);
	if (r < 0)
		return err_set(r, "%s: writing the partition table failed: %s", disk, strerror(-r));
	fdisk_deassign_device(cxt, 1);

	log = check ? NULL : writelog_open();
	w = (struct writer){ .d = &d, .check = check, .log = log };
	r = gpt ? ptw_gpt_commit(&w, &d, &s, &pc, &bc) : dos_commit(&w, &d, &s);
	if (r == 0)
		r = ptw_flush(&w);
	if (stats)
		*stats = w.st;
	return r;
}
