// SPDX-License-Identifier: GPL-2.0-or-later
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "need.h"
#include "../util/strfmt.h"
#include "../util/units.h"

static void need_pv(const struct volume *v, struct need *n)
{
	const struct pv_label *l = &v->pv.label;
	uint64_t end = l->data_offset;

	for (unsigned i = 0; i < l->n_mdas; i++)
		if (l->mda[i].offset + l->mda[i].size > end)
			end = l->mda[i].offset + l->mda[i].size;
	if (v->vg && v->pv_index >= 0) {
		const struct vg_pv *pv = &v->vg->pvs[v->pv_index];
		uint64_t ext_end = (pv->pe_start + pv->pe_count * v->vg->extent_size) * SECTOR_SIZE;

		if (ext_end > end)
			end = ext_end;
		snprintf(n->what, sizeof(n->what), "LVM PV of VG %s: %" PRIu64 " extents end at "
			 "byte %" PRIu64 "%s", v->vg->name, pv->pe_count, ext_end,
			 l->n_mdas == 2 ? ", then its second metadata area" : "");
	} else {
		/* An orphan PV is as large as its label says (pvs shows that as PSize). */
		if (l->device_size > end)
			end = l->device_size;
		snprintf(n->what, sizeof(n->what), "LVM PV in no VG, %" PRIu64 " B by its label",
			 l->device_size);
	}
	n->known = true;
	n->bytes = end;
}

static void need_luks(const struct volume *v, struct need *n)
{
	const struct luks_info *l = &v->luks;

	if (l->requirements) {
		snprintf(n->what, sizeof(n->what), "LUKS2 with requirements set (an unfinished "
			 "reencryption?)");
		return;
	}
	if (l->integrity[0]) {
		snprintf(n->what, sizeof(n->what), "LUKS2 with dm-integrity (%s), which shrinkbox "
			 "does not resize", l->integrity);
		return;
	}
	if (!l->active) {
		snprintf(n->what, sizeof(n->what), "LUKS%d, closed: what is inside cannot be "
			 "checked; unlock it first", l->version);
		return;
	}
	n->known = true;
	n->bytes = (l->active_offset + l->active_size) * SECTOR_SIZE;
	snprintf(n->what, sizeof(n->what), "LUKS%d open as %s: data offset %" PRIu64
		 " s + mapping %" PRIu64 " s", l->version, l->active_name, l->active_offset,
		 l->active_size);
	if (l->size_fixed && l->data_offset * SECTOR_SIZE + l->fixed_size > n->bytes) {
		n->bytes = l->data_offset * SECTOR_SIZE + l->fixed_size;
		snprintf(n->what, sizeof(n->what), "LUKS2 with a fixed segment of %" PRIu64 " B "
			 "at data offset %" PRIu64 " s", l->fixed_size, l->data_offset);
	}
}

void content_need(const struct volume *v, struct need *n)
{
	memset(n, 0, sizeof(*n));
	if (v->error[0]) {
		/* A long reason is cut short; its start says enough. */
		(void)str_fmt(n->what, sizeof(n->what), "content could not be read: %s", v->error);
		return;
	}
	switch (v->kind) {
	case VOL_EMPTY:
		/*
		 * No signature is not no data: plain dm-crypt (no header; e.g. swap
		 * with a random key), random bytes, a filesystem libblkid cannot
		 * name. Nothing says how much of it is used.
		 */
		n->unknown = true;
		snprintf(n->what, sizeof(n->what), "no signature libblkid knows (plain dm-crypt, "
			 "an unknown filesystem or raw data?): how much of it is used cannot be "
			 "read");
		return;
	case VOL_LUKS:
		need_luks(v, n);
		return;
	case VOL_PV:
		need_pv(v, n);
		return;
	case VOL_FS:
		if (v->probe.size_known) {
			n->known = true;
			n->bytes = v->probe.size;
			snprintf(n->what, sizeof(n->what), "%s of %" PRIu64 " B", v->probe.type,
				 v->probe.size);
			return;
		}
		n->unknown = true;
		snprintf(n->what, sizeof(n->what), "%s, whose size shrinkbox cannot read",
			 v->probe.type);
		return;
	default:
		n->unknown = true;
		snprintf(n->what, sizeof(n->what), "content of a kind shrinkbox does not know");
		return;
	}
}
