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

#include "ptwrite.h"
#include "../lvm/crc.h"
#include "../util/cleanup.h"
#include "../util/endian.h"
#include "../util/err.h"
#include "../util/io.h"
#include "../util/teststop.h"

#define GPT_HDR_MIN	92		/* sizeof(gpt_header), block/partitions/efi.h */
#define GPT_ENTRY_SIZE	128		/* sizeof(gpt_entry); the kernel takes no other */
#define GPT_ARRAY_MAX	(4u << 20)	/* bytes; 16 KiB is usual, the kernel's cap is kmalloc's */
#define GPT_HOME	2		/* LBA of the primary entry array (UEFI 2.x 5.3.1) */
#define DOS_CHAIN_MAX	256		/* EBRs followed; more is a loop */

struct dev {
	int fd;
	const char *name;
	unsigned ss;			/* logical sector size, bytes */
	uint64_t sectors;
};

static int rd(const struct dev *d, uint64_t lba, uint64_t n, void *buf)
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

/* efi_crc32() of block/partitions/efi.h: the CRC-32 of zlib, inverted in and out. */
static uint32_t gpt_crc(const void *buf, size_t len)
{
	return crc_lvm(0xffffffffu, buf, len) ^ 0xffffffffu;
}

struct gpt {
	bool ok;			/* the kernel would accept this header and its entries */
	uint64_t lba, alt, first, last, ents_lba, es;	/* es: sectors of the entry array */
	uint32_t nents;
	uint8_t *hdr;			/* one sector */
	uint8_t *ents;			/* es sectors */
};

static void gpt_free(struct gpt *g)
{
	free(g->hdr);
	free(g->ents);
	memset(g, 0, sizeof(*g));
}

/*
 * Reads the GPT header at lba with the checks of is_gpt_valid() in
 * block/partitions/efi.c, in its order: signature, 92 <= HeaderSize <= sector,
 * header CRC, MyLBA, First/LastUsableLBA within the disk and in order, entry
 * size 128, the entry array's CRC. libfdisk's gpt_read_header() checks the same
 * and that LBA 1 is outside the usable range. 0 with g->ok false: not valid.
 */
static int gpt_read(const struct dev *d, uint64_t lba, struct gpt *g)
{
	uint32_t hsz, crc, esz;
	uint64_t bytes;
	uint8_t *h;
	bool good;
	int r;

	memset(g, 0, sizeof(*g));
	g->lba = lba;
	if (lba >= d->sectors)
		return 0;
	h = g->hdr = malloc(d->ss);
	if (!h)
		return -ENOMEM;
	r = rd(d, lba, 1, h);
	if (r < 0)
		return r;
	if (memcmp(h, "EFI PART", 8))
		return 0;
	hsz = get_le32(h + 12);
	if (hsz < GPT_HDR_MIN || hsz > d->ss)
		return 0;
	crc = get_le32(h + 16);
	put_le32(h + 16, 0);
	good = gpt_crc(h, hsz) == crc;
	put_le32(h + 16, crc);
	if (!good || get_le64(h + 24) != lba)
		return 0;
	g->alt = get_le64(h + 32);
	g->first = get_le64(h + 40);
	g->last = get_le64(h + 48);
	g->ents_lba = get_le64(h + 72);
	g->nents = get_le32(h + 80);
	esz = get_le32(h + 84);
	if (g->first > d->sectors - 1 || g->last > d->sectors - 1 || g->last < g->first ||
	    esz != GPT_ENTRY_SIZE || !g->nents)
		return 0;
	bytes = (uint64_t)g->nents * esz;
	if (bytes > GPT_ARRAY_MAX)
		return 0;
	g->es = (bytes + d->ss - 1) / d->ss;
	if (g->ents_lba >= d->sectors || g->es > d->sectors - g->ents_lba)
		return 0;
	g->ents = calloc(g->es, d->ss);
	if (!g->ents)
		return -ENOMEM;
	r = rd(d, g->ents_lba, g->es, g->ents);
	if (r < 0)
		return r;
	g->ok = gpt_crc(g->ents, bytes) == get_le32(h + 88);
	return 0;
}

/* Points a header at another copy of its (identical) entry array. */
static void gpt_set_ents_lba(uint8_t *h, uint64_t lba)
{
	put_le64(h + 72, lba);
	put_le32(h + 16, 0);
	put_le32(h + 16, gpt_crc(h, get_le32(h + 12)));
}

/* A used entry (type GUID not zero, as is_pte_valid() reads it) meets [lba, lba+n). */
static bool gpt_ents_meet(const struct gpt *g, uint64_t lba, uint64_t n)
{
	static const uint8_t zero[16];

	for (uint32_t i = 0; g->ok && i < g->nents; i++) {
		const uint8_t *e = g->ents + (size_t)i * GPT_ENTRY_SIZE;

		if (memcmp(e, zero, sizeof(zero)) &&
		    get_le64(e + 32) < lba + n && get_le64(e + 40) >= lba)
			return true;
	}
	return false;
}

/*
 * The staging slot for a copy of an entry array of es sectors whose home is
 * LBA 2, in order of preference: just before FirstUsableLBA, where UEFI 2.x
 * 5.3.1 wants the array ("after the primary GPT Header and end before the
 * FirstUsableLBA"), or, on tables whose first usable LBA is 2 + es (34: gdisk,
 * parted), just after the home array, in free space no partition covers. The
 * kernel does not check where PartitionEntryLBA points (efi.c
 * alloc_read_gpt_entries() reads there), nor does libfdisk.
 */
static unsigned gpt_slots(uint64_t first_usable, uint64_t es, uint64_t slot[2])
{
	unsigned n = 0;

	if (first_usable >= es && first_usable - es >= GPT_HOME + es)
		slot[n++] = first_usable - es;
	if (!n || slot[0] != GPT_HOME + es)
		slot[n++] = GPT_HOME + es;
	return n;
}

static bool gpt_is_slot(uint64_t lba, uint64_t first_usable, uint64_t es)
{
	uint64_t slot[2];
	unsigned n = gpt_slots(first_usable, es, slot);

	for (unsigned i = 0; i < n; i++)
		if (lba == slot[i])
			return true;
	return false;
}

static bool is_zero(const uint8_t *p, size_t len)
{
	return !len || (!p[0] && !memcmp(p, p + 1, len - 1));
}

/*
 * Every sector of buf (n sectors) is zeros or the same sector of one of the
 * entry arrays (each n sectors, NULL entries skipped): what our own staging
 * copies leave, whole or torn. Anything else there belongs to someone else.
 */
static bool ours(const uint8_t *buf, uint64_t n, unsigned ss, const uint8_t *const *arr,
		 size_t narr)
{
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *p = buf + i * ss;
		bool hit = is_zero(p, ss);

		for (size_t k = 0; !hit && k < narr; k++)
			hit = arr[k] && !memcmp(p, arr[k] + i * ss, ss);
		if (!hit)
			return false;
	}
	return true;
}

/* ---- the writer: every write and flush goes through here (and the test log) ---- */

struct writer {
	const struct dev *d;
	bool check;			/* pt_write_check: every decision, no write */
	FILE *log;			/* SHRINKBOX_TEST_WRITELOG */
	bool dirty;
	struct pt_write_stats st;
};

static int w_write(struct writer *w, uint64_t lba, const uint8_t *buf, uint64_t n)
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
static int w_flush(struct writer *w)
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
static int w_update(struct writer *w, uint64_t lba, const uint8_t *buf, uint64_t n)
{
	unsigned ss = w->d->ss;
	_cleanup_free_ uint8_t *cur = malloc(n * ss);
	int r;

	if (!cur)
		return -ENOMEM;
	r = rd(w->d, lba, n, cur);
	if (r < 0)
		return r;
	for (uint64_t i = 0, j; i < n; i = j) {
		if (!memcmp(cur + i * ss, buf + i * ss, ss)) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < n && memcmp(cur + j * ss, buf + j * ss, ss); j++)
			;
		r = w_write(w, lba + i, buf + i * ss, j - i);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- GPT ---- */

/*
 * pc, bc: the disk's primary and backup (as libfdisk found them); the scratch
 * s holds what libfdisk wrote. The phases (docs/ptwrite.md):
 *  1. backup entries, backup header (UEFI 2.x 5.3.2: the last LBA), PMBR; flush.
 *     The kernel reads only the primary unless booted with "gpt"
 *     (efi.c find_valid_gpt(): the alternate is read only if the primary is
 *     good or force_gpt), and the PMBR only for a 0xEE entry starting at LBA 1
 *     (efi.c is_pmbr_valid(); a wrong size is a pr_debug): old and new pass.
 *  2. if the array at home changes: the new array into the staging slot, flush;
 *     the primary header pointing at the slot (one sector: the commit), flush.
 *  3. the new array at home, flush; the header pointing home, flush; the slot
 *     zeroed, flush.
 * A cut anywhere leaves a primary the kernel accepts naming the old or the new
 * partitions; the next write finds the header at the slot (or a stale copy
 * in it) and finishes 3.
 */
static int gpt_commit(struct writer *w, const struct dev *d, const struct dev *s,
		      const struct gpt *pc, const struct gpt *bc)
{
	struct gpt n1 __attribute__((cleanup(gpt_free))) = { 0 };
	struct gpt b1 __attribute__((cleanup(gpt_free))) = { 0 };
	_cleanup_free_ uint8_t *pmbr = malloc(d->ss), *hf = malloc(d->ss);
	_cleanup_free_ uint8_t *home_now = NULL, *buf = NULL, *zero = NULL;
	const uint8_t *arr[4];
	uint64_t es, home, slot[2], use = 0;
	unsigned nslot;
	bool stage;
	int r;

	if (!pmbr || !hf)
		return -ENOMEM;
	r = gpt_read(s, 1, &n1);
	if (r == 0 && n1.ok)
		r = gpt_read(s, n1.alt, &b1);
	if (r < 0)
		return r;
	if (!n1.ok || !b1.ok || b1.es != n1.es || n1.alt != d->sectors - 1 ||
	    b1.ents_lba <= n1.last || b1.ents_lba + b1.es > n1.alt)
		return err_set(-EIO, "%s: the GPT libfdisk made does not pass the kernel's checks; "
			       "nothing written", d->name);
	es = n1.es;
	home = gpt_is_slot(n1.ents_lba, n1.first, es) ? GPT_HOME : n1.ents_lba;
	home_now = calloc(es, d->ss);
	buf = calloc(es, d->ss);
	zero = calloc(es, d->ss);
	if (!home_now || !buf || !zero)
		return -ENOMEM;
	r = rd(d, home, es, home_now);
	if (r == 0)
		r = rd(s, 0, 1, pmbr);
	if (r < 0)
		return r;
	memcpy(hf, n1.hdr, d->ss);
	gpt_set_ents_lba(hf, home);
	arr[0] = n1.ents;
	arr[1] = pc->ok && pc->es == es ? pc->ents : NULL;
	arr[2] = home_now;
	arr[3] = bc->ok && bc->es == es ? bc->ents : NULL;

	/* The header the kernel reads names the array at home, which must change: stage. */
	stage = pc->ok && pc->ents_lba < home + es && home < pc->ents_lba + pc->es &&
		memcmp(home_now, n1.ents, es * d->ss);
	nslot = gpt_slots(n1.first, es, slot);
	if (stage) {
		if (home != GPT_HOME)
			return err_set(E_REFUSED, "%s: the GPT entry array is at sector %" PRIu64
				       ", not %d: shrinkbox stages only the usual layout; nothing "
				       "written", d->name, home, GPT_HOME);
		for (unsigned i = 0; i < nslot && !use; i++) {
			if (slot[i] + es > b1.ents_lba || gpt_ents_meet(&n1, slot[i], es) ||
			    gpt_ents_meet(pc, slot[i], es))
				continue;
			r = rd(d, slot[i], es, buf);
			if (r < 0)
				return r;
			if (ours(buf, es, d->ss, arr, 4))
				use = slot[i];
		}
		if (!use)
			return err_set(E_REFUSED, "%s: no room to stage the new GPT entry array (%"
				       PRIu64 " sectors) before the first usable sector %" PRIu64
				       " or after the array, outside every partition and holding "
				       "only zeros; nothing written", d->name, es, n1.first);
	}

	r = w_update(w, b1.ents_lba, b1.ents, es);
	if (r == 0)
		r = w_update(w, n1.alt, b1.hdr, 1);
	if (r == 0)
		r = w_update(w, 0, pmbr, 1);
	if (r == 0)
		r = w_flush(w);
	if (r == 0 && !w->check)
		test_stop("pt-backup");
	if (r == 0 && stage) {
		_cleanup_free_ uint8_t *hg = malloc(d->ss);

		if (!hg)
			return -ENOMEM;
		memcpy(hg, hf, d->ss);
		gpt_set_ents_lba(hg, use);
		r = w_update(w, use, n1.ents, es);
		if (r == 0)
			r = w_flush(w);
		if (r == 0)
			r = w_update(w, 1, hg, 1);
		if (r == 0)
			r = w_flush(w);
		if (r == 0 && !w->check)
			test_stop("pt-staged");
		w->st.staged = true;
	}
	/* Now no header the kernel reads points home (or home already holds the new array). */
	if (r == 0)
		r = w_update(w, home, n1.ents, es);
	if (r == 0)
		r = w_flush(w);
	if (r == 0)
		r = w_update(w, 1, hf, 1);
	if (r == 0)
		r = w_flush(w);
	if (r == 0 && !w->check)
		test_stop("pt-home");
	/* Clear what this or an interrupted earlier write left in a slot. */
	for (unsigned i = 0; r == 0 && home == GPT_HOME && i < nslot; i++) {
		if (slot[i] + es > b1.ents_lba || gpt_ents_meet(&n1, slot[i], es))
			continue;
		r = rd(d, slot[i], es, buf);
		if (r == 0 && !is_zero(buf, es * d->ss) && ours(buf, es, d->ss, arr, 4))
			r = w_update(w, slot[i], zero, es);
	}
	if (r == 0)
		r = w_flush(w);
	return r;
}

int pt_gpt_staged(const char *path, unsigned sector_size, bool *found)
{
	struct gpt pc __attribute__((cleanup(gpt_free))) = { 0 };
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_close_ int fd = -1;
	uint64_t bytes, slot[2];
	struct dev d;
	unsigned n;
	bool blk;
	int r;

	*found = false;
	if (sector_size < 512)
		return 0;
	fd = dev_open(path, O_RDONLY, &bytes, &blk);
	if (fd < 0)
		return fd;
	d = (struct dev){ fd, path, sector_size, bytes / sector_size };
	if (d.sectors < 3)
		return 0;
	r = gpt_read(&d, 1, &pc);
	if (r < 0 || !pc.ok)
		return r;
	if (pc.alt < d.sectors) {
		struct gpt bc __attribute__((cleanup(gpt_free))) = { 0 };

		/*
		 * A valid backup whose entries are not the primary's: libfdisk's
		 * gpt_probe_label() does not compare them (only a bad CRC marks the
		 * label changed); a cut in libfdisk's own order leaves one.
		 */
		r = gpt_read(&d, pc.alt, &bc);
		if (r < 0)
			return r;
		if (bc.ok && (bc.es != pc.es || memcmp(bc.ents, pc.ents, pc.es * d.ss))) {
			*found = true;
			return 0;
		}
	}
	if (pc.ents_lba != GPT_HOME) {
		*found = gpt_is_slot(pc.ents_lba, pc.first, pc.es);
		return 0;
	}
	buf = calloc(pc.es, d.ss);
	if (!buf)
		return -ENOMEM;
	n = gpt_slots(pc.first, pc.es, slot);
	for (unsigned i = 0; i < n && !*found; i++) {
		if (slot[i] + pc.es > d.sectors || gpt_ents_meet(&pc, slot[i], pc.es))
			continue;
		r = rd(&d, slot[i], pc.es, buf);
		if (r < 0)
			return r;
		/* A non-zero sector equal to the array's: our copy, not yet cleared. */
		for (uint64_t k = 0; k < pc.es && !*found; k++)
			*found = !is_zero(buf + k * d.ss, d.ss) &&
				 !memcmp(buf + k * d.ss, pc.ents + k * d.ss, d.ss);
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
	r = rd(d, 0, 1, b);
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
		r = rd(d, cur, 1, b);
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
		r = rd(d, 0, 1, a);
	if (r == 0)
		r = rd(s, 0, 1, b);
	if (r < 0)
		return r;
	mbr_first = dos_ext_end(b, &ext1) > dos_ext_end(a, &ext0);
	if (mbr_first) {
		r = w_update(w, 0, b, 1);
		if (r == 0)
			r = w_flush(w);
		if (r == 0 && !w->check)
			test_stop("pt-container");
		mbr_done = true;
	}
	for (unsigned i = 0; r == 0 && i < n; i++) {
		if (lba[i] == 0)
			continue;
		r = rd(s, lba[i], 1, b);
		if (r == 0)
			r = w_update(w, lba[i], b, 1);
		if (r == 0)
			r = w_flush(w);
	}
	if (r == 0 && !mbr_done) {
		r = rd(s, 0, 1, b);
		if (r == 0)
			r = w_update(w, 0, b, 1);
		if (r == 0)
			r = w_flush(w);
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
	r = rd(d, lba, n, buf);
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
	struct gpt pc __attribute__((cleanup(gpt_free))) = { 0 };
	struct gpt bc __attribute__((cleanup(gpt_free))) = { 0 };
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
		r = gpt_read(&d, 1, &pc);
		if (r == 0)
			r = gpt_read(&d, pc.ok ? pc.alt : d.sectors - 1, &bc);
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
		r = rd(&d, 0, 1, mbr);
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
	r = gpt ? gpt_commit(&w, &d, &s, &pc, &bc) : dos_commit(&w, &d, &s);
	if (r == 0)
		r = w_flush(&w);
	if (stats)
		*stats = w.st;
	return r;
}
