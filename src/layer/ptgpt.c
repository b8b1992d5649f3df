// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GPT for the partition-table writer: headers read as the kernel's efi.c judges them, and the
 * phases that move a new table onto the disk so that every cut leaves a primary the kernel
 * accepts (docs/ptwrite.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptio.h"
#include "../lvm/crc.h"
#include "../util/cleanup.h"
#include "../util/endian.h"
#include "../util/err.h"
#include "../util/io.h"
#include "../util/teststop.h"

/* efi_crc32() of block/partitions/efi.h: the CRC-32 of zlib, inverted in and out. */
static uint32_t gpt_crc(const void *buf, size_t len)
{
	return crc_lvm(0xffffffffu, buf, len) ^ 0xffffffffu;
}

void ptw_gpt_free(struct gpt *g)
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
int ptw_gpt_read(const struct dev *d, uint64_t lba, struct gpt *g)
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
	r = ptw_read(d, lba, 1, h);
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
	r = ptw_read(d, g->ents_lba, g->es, g->ents);
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
		bool hit = ptw_is_zero(p, ss);

		for (size_t k = 0; !hit && k < narr; k++)
			hit = arr[k] && !memcmp(p, arr[k] + i * ss, ss);
		if (!hit)
			return false;
	}
	return true;
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
int ptw_gpt_commit(struct writer *w, const struct dev *d, const struct dev *s,
		   const struct gpt *pc, const struct gpt *bc)
{
	struct gpt n1 __attribute__((cleanup(ptw_gpt_free))) = { 0 };
	struct gpt b1 __attribute__((cleanup(ptw_gpt_free))) = { 0 };
	_cleanup_free_ uint8_t *pmbr = malloc(d->ss), *hf = malloc(d->ss);
	_cleanup_free_ uint8_t *home_now = NULL, *buf = NULL, *zero = NULL;
	const uint8_t *arr[4];
	uint64_t es, home, slot[2], use = 0;
	unsigned nslot;
	bool stage;
	int r;

	if (!pmbr || !hf)
		return -ENOMEM;
	r = ptw_gpt_read(s, 1, &n1);
	if (r == 0 && n1.ok)
		r = ptw_gpt_read(s, n1.alt, &b1);
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
	r = ptw_read(d, home, es, home_now);
	if (r == 0)
		r = ptw_read(s, 0, 1, pmbr);
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
			r = ptw_read(d, slot[i], es, buf);
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

	r = ptw_update(w, b1.ents_lba, b1.ents, es);
	if (r == 0)
		r = ptw_update(w, n1.alt, b1.hdr, 1);
	if (r == 0)
		r = ptw_update(w, 0, pmbr, 1);
	if (r == 0)
		r = ptw_flush(w);
	if (r == 0 && !w->check)
		test_stop("pt-backup");
	if (r == 0 && stage) {
		_cleanup_free_ uint8_t *hg = malloc(d->ss);

		if (!hg)
			return -ENOMEM;
		memcpy(hg, hf, d->ss);
		gpt_set_ents_lba(hg, use);
		r = ptw_update(w, use, n1.ents, es);
		if (r == 0)
			r = ptw_flush(w);
		if (r == 0)
			r = ptw_update(w, 1, hg, 1);
		if (r == 0)
			r = ptw_flush(w);
		if (r == 0 && !w->check)
			test_stop("pt-staged");
		w->st.staged = true;
	}
	/* Now no header the kernel reads points home (or home already holds the new array). */
	if (r == 0)
		r = ptw_update(w, home, n1.ents, es);
	if (r == 0)
		r = ptw_flush(w);
	if (r == 0)
		r = ptw_update(w, 1, hf, 1);
	if (r == 0)
		r = ptw_flush(w);
	if (r == 0 && !w->check)
		test_stop("pt-home");
	/* Clear what this or an interrupted earlier write left in a slot. */
	for (unsigned i = 0; r == 0 && home == GPT_HOME && i < nslot; i++) {
		if (slot[i] + es > b1.ents_lba || gpt_ents_meet(&n1, slot[i], es))
			continue;
		r = ptw_read(d, slot[i], es, buf);
		if (r == 0 && !ptw_is_zero(buf, es * d->ss) && ours(buf, es, d->ss, arr, 4))
			r = ptw_update(w, slot[i], zero, es);
	}
	if (r == 0)
		r = ptw_flush(w);
	return r;
}

int pt_gpt_staged(const char *path, unsigned sector_size, bool *found)
{
	struct gpt pc __attribute__((cleanup(ptw_gpt_free))) = { 0 };
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
	r = ptw_gpt_read(&d, 1, &pc);
	if (r < 0 || !pc.ok)
		return r;
	if (pc.alt < d.sectors) {
		struct gpt bc __attribute__((cleanup(ptw_gpt_free))) = { 0 };

		/*
		 * A valid backup whose entries are not the primary's: libfdisk's
		 * gpt_probe_label() does not compare them (only a bad CRC marks the
		 * label changed); a cut in libfdisk's own order leaves one.
		 */
		r = ptw_gpt_read(&d, pc.alt, &bc);
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
		r = ptw_read(&d, slot[i], pc.es, buf);
		if (r < 0)
			return r;
		/* A non-zero sector equal to the array's: our copy, not yet cleared. */
		for (uint64_t k = 0; k < pc.es && !*found; k++)
			*found = !ptw_is_zero(buf + k * d.ss, d.ss) &&
				 !memcmp(buf + k * d.ss, pc.ents + k * d.ss, d.ss);
	}
	return 0;
}
