// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "commit.h"
#include "crc.h"
#include "ring.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/strfmt.h"
#include "../util/teststop.h"
#include "../util/units.h"

/* ---------------------------------------------------------------- commit */

static int stamp(struct vgh *h, uint64_t seqno, const char *description)
{
	struct utsname u;
	int r;

	if (uname(&u) < 0)
		snprintf(u.nodename, sizeof(u.nodename), "unknown");
	r = cfg_set_int(h->vg->sec, "seqno", (int64_t)seqno);
	if (r == 0)
		r = cfg_set_str(h->vg->root, "description", description);
	if (r == 0)
		r = cfg_set_str(h->vg->root, "creation_host", u.nodename);
	if (r == 0)
		r = cfg_set_int(h->vg->root, "creation_time", (int64_t)time(NULL));
	return r;
}

char *vgh_render(struct vgh *h, const char *description, size_t *len)
{
	if (stamp(h, h->vg->seqno + 1, description) < 0)
		return NULL;
	return cfg_print(h->vg->root, CFG_STYLE_RAW, len);
}

int vgh_backup(struct vgh *h, const char *dir, struct commit_result *res)
{
	_cleanup_close_ int fd = -1, dfd = -1;
	size_t done = 0;
	int r;

	if (!h->text)
		return err_set(-ENODATA, "no committed text to back up");
	r = mkdir_parents(dir, 0700);
	if (r < 0)
		return err_set(r, "cannot create the backup directory %s: %s", dir, strerror(-r));
	if (str_fmt(res->backup, sizeof(res->backup), "%s/%s_seqno%" PRIu64 "_%lld.vg", dir,
		    h->name, h->vg->seqno, (long long)time(NULL)) < 0)
		return err_set(-ENAMETOOLONG, "backup path too long");
	fd = open(res->backup, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(-errno, "cannot write the backup %s: %m", res->backup);
	while (done < h->text_len) {
		ssize_t n = write(fd, h->text + done, h->text_len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_set(-errno, "cannot write the backup %s: %m", res->backup);
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0)
		return err_set(-errno, "cannot flush the backup %s: %m", res->backup);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

static int mda_usable(const struct vg_dev *d, unsigned m)
{
	return d->pd.mda_ok[m] && !d->pd.mda_ignored[m];
}

static int write_text(struct vg_dev *d, const struct mda_header *h, uint64_t off,
		      const char *text, uint64_t size)
{
	uint64_t first = size, cap = div_round_up(size, MDA_ALIGN) * MDA_ALIGN, pad;
	_cleanup_free_ uint8_t *buf = calloc(1, cap);
	int r;

	if (!buf)
		return -ENOMEM;
	if (off + size > h->size)
		first = h->size - off;
	/* Each piece is written zero-padded to a 512-byte boundary, never past the area. */
	pad = div_round_up(first, MDA_ALIGN) * MDA_ALIGN;
	if (off + pad > h->size)
		pad = h->size - off;
	memcpy(buf, text, first);
	r = vg_dev_pwrite(d, buf, pad, h->start + off);
	if (r < 0 || first == size)
		return r;
	memset(buf, 0, cap);
	memcpy(buf, text + first, size - first);
	pad = div_round_up(size - first, MDA_ALIGN) * MDA_ALIGN;
	return vg_dev_pwrite(d, buf, pad, h->start + MDA_HEADER_SIZE);
}

/*
 * lvm2 never checks that extents fit the device (docs/ondisk.md §6.2), so the new
 * metadata is held to it here: every PV known, extents inside the device and
 * below a second metadata area.
 */
static int check_fits(const struct vgh *h, const struct vg *vg)
{
	for (unsigned p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = &vg->pvs[p];
		const struct vg_dev *d = NULL;
		uint64_t end = (pv->pe_start + pv->pe_count * vg->extent_size) * SECTOR_SIZE;

		for (unsigned i = 0; i < h->n_devs; i++)
			if (!strcmp(h->devs[i].pd.label.uuid, pv->id))
				d = &h->devs[i];
		if (!d)
			return err_set(-EINVAL, "internal error: the new metadata names a PV we "
				       "have not opened");
		if (end > d->size)
			return err_set(-EINVAL, "internal error: the new extents of %s would end at "
				       "byte %" PRIu64 ", past the device end %" PRIu64, d->path,
				       end, d->size);
		if (d->pd.label.n_mdas == 2 && end > d->pd.label.mda[1].offset)
			return err_set(-EINVAL, "internal error: the new extents of %s would run "
				       "into its second metadata area", d->path);
	}
	return 0;
}

/*
 * Points slot `slot` of every usable mda at the new text (slot 0 also clears the
 * precommit slot), one header sector each, with a flush per device.
 */
static int write_slots(struct vgh *h, uint64_t offs[][PV_MAX_MDAS], const struct raw_locn *rl,
		       unsigned slot)
{
	int r;

	for (unsigned i = 0; i < h->n_devs; i++) {
		for (unsigned m = 0; m < h->devs[i].pd.n_mdas; m++) {
			struct mda_header *mh = &h->devs[i].pd.mh[m];

			if (!mda_usable(&h->devs[i], m))
				continue;
			mh->slot[slot] = *rl;
			mh->slot[slot].offset = offs[i][m];
			if (slot == 0)
				memset(&mh->slot[1], 0, sizeof(mh->slot[1]));
			r = vg_dev_write_header(&h->devs[i], mh);
			if (r < 0)
				return r;
		}
		r = vg_dev_flush(&h->devs[i]);
		if (r < 0)
			return r;
		if (slot == 0 && i == 0)
			test_stop("commit1");
	}
	return 0;
}

int vgh_commit(struct vgh *h, const struct commit_opts *o, struct commit_result *res)
{
	uint64_t seqno = h->vg->seqno + 1, offs[64][PV_MAX_MDAS];
	_cleanup_free_ char *text = NULL;
	struct raw_locn rl;
	struct vg *check = NULL;
	size_t len;
	int r;

	res->seqno = 0;
	if (!h->writable || h->n_devs > 64)
		return -EINVAL;
	if (seqno > UINT32_MAX)
		return err_set(E_REFUSED, "VG %s: seqno would pass 2^32", h->name);
	text = vgh_render(h, o->description, &len);
	if (!text)
		return -ENOMEM;
	/* lvm2 rejects a text that does not start with the VG name (docs/ondisk.md §5.2). */
	if (!text_names_vg(text, h->name))
		return err_set(-EINVAL, "internal error: the new text does not start with the VG");
	/* Re-parse what we are about to write, as lvm2 does, and hold it to every rule. */
	err_clear();
	r = vg_from_text(text, len, &check);
	if (r < 0)
		return err_wrap(r, "internal error: the new metadata does not validate: ");
	if (check->refuse || check->seqno != seqno || !cfg_equal(check->root, h->vg->root)) {
		vg_free(check);
		return err_set(-EINVAL, "internal error: the new metadata does not round-trip");
	}
	r = check_fits(h, check);
	vg_free(check);
	if (r < 0)
		return r;
	rl.size = len + 1;	/* the NUL is part of the text (docs/ondisk.md §4.2) */
	rl.checksum = crc_lvm_text(text, rl.size);
	rl.flags = 0;

	/* Plan every location before the first write, so a full area fails cleanly. */
	for (unsigned i = 0; i < h->n_devs; i++)
		for (unsigned m = 0; m < h->devs[i].pd.n_mdas; m++) {
			offs[i][m] = 0;
			if (!mda_usable(&h->devs[i], m))
				continue;
			r = mda_next_offset(&h->devs[i].pd.mh[m], rl.size, &offs[i][m]);
			if (r < 0)
				return err_wrap(r, "%s: ", h->devs[i].path);
		}
	if (o->backup_dir && !res->backup[0]) {
		r = vgh_backup(h, o->backup_dir, res);
		if (r < 0)
			return r;
	}

	/* Phase 1: the text into every ring. Nothing points at it yet. */
	res->wrote = true;
	for (unsigned i = 0; i < h->n_devs; i++) {
		for (unsigned m = 0; m < h->devs[i].pd.n_mdas; m++) {
			if (!mda_usable(&h->devs[i], m))
				continue;
			r = write_text(&h->devs[i], &h->devs[i].pd.mh[m], offs[i][m], text,
				       rl.size);
			if (r < 0)
				return r;
		}
		r = vg_dev_flush(&h->devs[i]);
		if (r < 0)
			return r;
	}
	test_stop("text");

	/* Phase 2: precommit slots. Readers still use slot 0, the old text. */
	r = write_slots(h, offs, &rl, 1);
	if (r < 0)
		return r;
	test_stop("precommit");

	/* Phase 3: commit slots: one sector per mda is the commit point. */
	r = write_slots(h, offs, &rl, 0);
	if (r < 0)
		return r;

	/*
	 * Read every copy back: what lvm2 will read must be what we meant. From
	 * the disk, not the page cache that the writes just filled: O_DIRECT, or
	 * where a device refuses it, the cached pages dropped first (they are
	 * clean after the flush, so the kernel lets them go).
	 */
	for (unsigned i = 0; i < h->n_devs; i++) {
		struct vg_dev *d = &h->devs[i];
		struct region reg = { .fd = d->fd, .size = d->size, .name = d->path };
		_cleanup_close_ int dfd = open(d->path, O_RDONLY | O_DIRECT | O_CLOEXEC);

		if (dfd >= 0) {
			reg.fd = dfd;
			reg.direct = true;
		} else {
			(void)posix_fadvise(d->fd, 0, 0, POSIX_FADV_DONTNEED);
		}
		pv_disk_clear(&d->pd);
		r = pv_disk_read(&reg, &d->pd);
		d->pd.reg.fd = d->fd;
		d->pd.reg.direct = false;
		if (r < 0)
			return err_wrap(r, "%s: reading back after the commit: ", d->path);
		for (unsigned m = 0; m < d->pd.n_mdas; m++)
			if (mda_usable(d, m) && (!d->pd.text[m] || strcmp(d->pd.text[m], text)))
				return err_set(-EIO, "%s: metadata area %u does not hold the new "
					       "text after the commit", d->path, m + 1);
	}
	free(h->text);
	h->text = TAKE_PTR(text);
	h->text_len = len;
	err_clear();
	r = vg_from_text(h->text, h->text_len, &check);
	if (r < 0)
		return r;
	vg_free(h->vg);
	h->vg = check;
	res->seqno = seqno;
	return 0;
}
