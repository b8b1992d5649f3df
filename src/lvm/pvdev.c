// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes to one PV's device: raw bytes with a flush, its label sector, its
 * metadata area headers; the label changes of a PV going in or out of a VG.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "pvdev.h"
#include "../util/err.h"
#include "../util/units.h"

int vg_dev_pwrite(struct vg_dev *d, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	if (off > d->size || len > d->size - off)
		return err_set(-EINVAL, "%s: refusing to write bytes %" PRIu64 "-%" PRIu64
			       " beyond the device end %" PRIu64, d->path, off, off + len, d->size);
	while (done < len) {
		ssize_t n = pwrite(d->fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_set(-errno, "%s: write at byte %" PRIu64 " failed: %m", d->path,
				       off + done);
		}
		done += (size_t)n;
	}
	return 0;
}

int vg_dev_flush(struct vg_dev *d)
{
	if (fsync(d->fd) < 0)
		return err_set(-errno, "%s: flush failed: %m", d->path);
	return 0;
}

int vg_dev_zero(struct vg_dev *d, uint64_t off, uint64_t len)
{
	static const uint8_t zero[4096];
	int r = 0;

	while (len && r == 0) {
		size_t n = len < sizeof(zero) ? (size_t)len : sizeof(zero);

		r = vg_dev_pwrite(d, zero, n, off);
		off += n;
		len -= n;
	}
	return r ? r : vg_dev_flush(d);
}

int vg_dev_write_label(struct vg_dev *d, const struct pv_label *l)
{
	uint8_t sec[LABEL_SIZE];
	int r = pvlabel_encode(l, sec);

	if (r < 0)
		return err_set(r, "%s: cannot encode the label", d->path);
	r = vg_dev_pwrite(d, sec, sizeof(sec), l->sector * LABEL_SIZE);
	return r ? r : vg_dev_flush(d);
}

int vg_dev_init_mda(struct vg_dev *d, const struct disk_locn *where)
{
	struct mda_header h = { .start = where->offset, .size = where->size };
	uint8_t buf[MDA_HEADER_SIZE];
	int r;

	/* lvm2 zeroes the first 4 KiB of a new metadata area (docs/ondisk.md §4.1). */
	r = vg_dev_zero(d, where->offset, 4096 < where->size ? 4096 : where->size);
	if (r < 0)
		return r;
	mda_header_encode(&h, buf);
	r = vg_dev_pwrite(d, buf, sizeof(buf), where->offset);
	return r ? r : vg_dev_flush(d);
}

int vg_dev_write_header(struct vg_dev *d, const struct mda_header *h)
{
	uint8_t buf[MDA_HEADER_SIZE];

	mda_header_encode(h, buf);
	return vg_dev_pwrite(d, buf, sizeof(buf), h->start);
}

void vg_dev_close(struct vg_dev *d)
{
	pv_disk_clear(&d->pd);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int vg_dev_set_used(struct vg_dev *d)
{
	struct pv_label l = d->pd.label;

	if (l.ext_version == PV_EXT_VERSION && (l.ext_flags & PV_EXT_USED))
		return 0;
	l.ext_version = PV_EXT_VERSION;
	l.ext_flags |= PV_EXT_USED;
	d->pd.label = l;
	return vg_dev_write_label(d, &l);
}

int vg_dev_orphan(struct vg_dev *d)
{
	struct pv_label l = d->pd.label;
	int r;

	/*
	 * lvm2's pv_write of an orphan (format-text.c _write_single_mda): a fresh
	 * header sector per metadata area, both slots empty (the ignore flag kept),
	 * the old text left where it was; then the label, flushed last.
	 */
	for (unsigned m = 0; m < l.n_mdas; m++) {
		struct mda_header h = { .start = l.mda[m].offset, .size = l.mda[m].size };

		if (d->pd.mda_ignored[m])
			h.slot[0].flags = RAW_LOCN_IGNORED;
		r = vg_dev_write_header(d, &h);
		if (r < 0)
			return r;
	}
	r = vg_dev_flush(d);
	if (r < 0)
		return r;
	l.ext_version = PV_EXT_VERSION;
	l.ext_flags &= ~PV_EXT_USED;
	l.device_size = d->size / SECTOR_SIZE * SECTOR_SIZE;
	r = vg_dev_write_label(d, &l);
	if (r == 0)
		d->pd.label = l;
	return r;
}

int vg_dev_wipe_label(struct vg_dev *d)
{
	static const uint8_t zero[LABEL_SIZE];
	int r;

	/* As pvremove's label_remove: every sector of the scan area that holds a label. */
	for (unsigned s = 0; s < LABEL_SCAN_SECTORS; s++) {
		uint8_t buf[LABEL_SIZE];

		if (pread(d->fd, buf, sizeof(buf), (off_t)s * LABEL_SIZE) != (ssize_t)sizeof(buf))
			return err_set(-EIO, "%s: cannot read sector %u", d->path, s);
		if (memcmp(buf, LABEL_ID, strlen(LABEL_ID)))
			continue;
		r = vg_dev_pwrite(d, zero, sizeof(zero), (uint64_t)s * LABEL_SIZE);
		if (r < 0)
			return r;
	}
	return vg_dev_flush(d);
}
