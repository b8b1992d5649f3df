// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "edit.h"
#include "pvresize.h"
#include "../util/err.h"
#include "../util/teststop.h"
#include "../util/units.h"

int pvresize_plan(const struct vgh *h, unsigned dev, uint64_t new_bytes, struct pvresize_plan *p)
{
	const struct vg_dev *d = &h->devs[dev];
	const struct vg_pv *pv = &h->vg->pvs[d->pv];
	const struct pv_label *l = &d->pd.label;
	uint64_t ext = h->vg->extent_size * SECTOR_SIZE, first = pv->pe_start * SECTOR_SIZE;
	uint64_t mda2 = 0, room, in_way;
	char who[512];

	memset(p, 0, sizeof(*p));
	p->dev = dev;
	p->dev_bytes = d->size;
	p->old_pe_count = pv->pe_count;
	p->old_bytes = pv->dev_size * SECTOR_SIZE;
	if (!new_bytes)
		new_bytes = round_down(d->size, SECTOR_SIZE);
	if (new_bytes % SECTOR_SIZE)
		return err_set(-EINVAL, "%s: %" PRIu64 " B is not a whole number of 512-byte "
			       "sectors", d->path, new_bytes);
	if (new_bytes > d->size)
		return err_set(E_REFUSED, "%s: the device has only %" PRIu64 " B, less than %"
			       PRIu64 " B (grow the partition first: partresize)", d->path, d->size,
			       new_bytes);
	p->has_mda2 = l->n_mdas == 2;
	if (p->has_mda2) {
		p->old_mda2 = l->mda[1];
		mda2 = l->mda[1].size;
	}
	if (new_bytes < first + mda2 + ext)
		return err_set(E_REFUSED, "%s: %" PRIu64 " B leaves no room for one extent of %" PRIu64
			       " B after the first extent offset %" PRIu64 " B%s", d->path,
			       new_bytes, ext, first, mda2 ? " and the second metadata area" : "");
	room = new_bytes - first - mda2;
	p->new_pe_count = room / ext;
	p->new_bytes = new_bytes;
	if (p->new_pe_count > UINT32_MAX)
		return err_set(-ERANGE, "%s: %" PRIu64 " extents is too many", d->path,
			       p->new_pe_count);
	in_way = vg_pv_allocated_beyond(h->vg, (unsigned)d->pv, p->new_pe_count, who, sizeof(who));
	if (in_way)
		return err_set(E_REFUSED, "%s: %" PRIu64 " allocated extents lie at or beyond PE %"
			       PRIu64 ", the new end: %s; move them first (shrinkbox defrag)",
			       d->path, in_way, p->new_pe_count, who);
	if (p->has_mda2) {
		p->new_mda2.offset = new_bytes - mda2;
		p->new_mda2.size = mda2;
		p->move_mda2 = p->new_mda2.offset != p->old_mda2.offset;
	}
	p->label_update = p->move_mda2 || l->device_size != new_bytes;
	return 0;
}

bool pvresize_is_noop(const struct pvresize_plan *p)
{
	return p->new_pe_count == p->old_pe_count && p->new_bytes == p->old_bytes &&
	       !p->label_update;
}

int pvresize_apply(struct vgh *h, const struct pvresize_plan *p, const struct commit_opts *o,
		   struct commit_result *res)
{
	struct vg_dev *d = &h->devs[p->dev];
	struct pv_label l = d->pd.label;
	int r;

	memset(res, 0, sizeof(*res));
	/* The backup comes before the first write of any kind. */
	if (o->backup_dir) {
		r = vgh_backup(h, o->backup_dir, res);
		if (r < 0)
			return r;
	}
	if (p->move_mda2 && p->new_pe_count < p->old_pe_count) {
		/*
		 * 0. Shrinking: the new mda2 lands on extents the committed metadata
		 * still counts as the PV's (free ones, checked by the plan). Until the
		 * smaller pe_count is committed, lvm2 could allocate an LV over it
		 * after a cut, and the next metadata write would land in that LV. So
		 * the smaller pe_count goes first (the device size as it is: mda2 and
		 * the label have not moved yet); then the area is outside the PV's
		 * extents in every later state.
		 */
		r = vg_set_pv_size(h->vg, (unsigned)d->pv, h->vg->pvs[d->pv].dev_size,
				   p->new_pe_count);
		if (r == 0)
			r = vg_refresh(&h->vg);
		if (r < 0)
			return r;
		r = vgh_commit(h, o, res);
		res->wrote = true;
		if (r < 0)
			return r;
	}
	if (p->move_mda2) {
		/* 1. The new mda2, empty, where nothing allocated lives (checked by the plan). */
		res->wrote = true;
		r = vg_dev_init_mda(d, &p->new_mda2);
		if (r < 0)
			return r;
	}
	if (p->label_update) {
		/* 2. The label switches to it; mda1 still holds the committed metadata. */
		res->wrote = true;
		l.device_size = p->new_bytes;
		if (p->move_mda2)
			l.mda[1] = p->new_mda2;
		r = vg_dev_write_label(d, &l);
		if (r < 0)
			return r;
		d->pd.label = l;
		test_stop("pv-label");
	}
	if (p->move_mda2) {
		struct mda_header *mh = &d->pd.mh[1];

		memset(mh, 0, sizeof(*mh));
		mh->start = p->new_mda2.offset;
		mh->size = p->new_mda2.size;
		mh->version = FMTT_VERSION;
		d->pd.mda_ok[1] = true;
		d->pd.mda_ignored[1] = false;
		/* 3. No stale mda2 header may remain inside the device (docs/ondisk.md §7.1). */
		if (p->old_mda2.offset + MDA_HEADER_SIZE <= d->size) {
			r = vg_dev_zero(d, p->old_mda2.offset, MDA_HEADER_SIZE);
			if (r < 0)
				return r;
		}
	}
	/* 4. The metadata, committed to every area (mda2 now at its new place). */
	r = vg_set_pv_size(h->vg, (unsigned)d->pv, p->new_bytes / SECTOR_SIZE, p->new_pe_count);
	if (r == 0)
		r = vg_refresh(&h->vg);
	if (r < 0)
		return r;
	{
		bool wrote = res->wrote;

		r = vgh_commit(h, o, res);
		res->wrote |= wrote;
	}
	return r;
}
