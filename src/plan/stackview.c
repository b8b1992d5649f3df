// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>

#include "stackview.h"
#include "../util/err.h"
#include "../util/units.h"

int stack_view_find(const struct stack *st, struct stack_view *sv)
{
	const struct volume *root = st->root, *v;

	memset(sv, 0, sizeof(*sv));
	if (root->kind != VOL_PTABLE || !root->focus)
		return err_set(-EINVAL, "%s: name the partition that holds the stack (e.g. /dev/sda3)",
			       st->device);
	for (size_t i = 0; i < root->pt.n; i++)
		if (root->pt.parts[i].partno == root->focus) {
			sv->entry = &root->pt.parts[i];
			sv->part = root->parts ? root->parts[i] : NULL;
		}
	if (!sv->part)
		return err_set(-ENOENT, "%s: partition %u not found", root->path, root->focus);
	sv->disk = root->path;
	sv->table_repair = root->pt.needs_write;
	sv->disk_grew = root->pt.backup_moves;
	v = sv->part;
	if (v->error[0])
		return err_set(-EIO, "%s: %s", v->name, v->error);
	if (v->kind == VOL_LUKS) {
		sv->luks = v;
		if (!v->luks.active || !v->inner)
			return err_set(E_REFUSED, "%s: LUKS is closed; unlock it first (shrinkbox "
				       "unlock %s)", v->name, v->name);
		if (v->luks.size_fixed || v->luks.requirements)
			return err_set(E_REFUSED, "%s: a LUKS2 fixed-size segment or requirements; "
				       "shrinkbox does not rewrite LUKS2 metadata", v->name);
		if (v->luks.integrity[0])
			return err_set(E_REFUSED, "%s: LUKS2 with dm-integrity (%s): its integrity tags "
				       "cover the device's size, which shrinkbox does not resize",
				       v->name, v->luks.integrity);
		v = v->inner;
		if (v->error[0])
			return err_set(-EIO, "%s: %s", v->name, v->error);
	}
	sv->l = (struct layers){
		.part_start = sv->entry->start, .part_size = sv->entry->size,
		.table_sector = root->pt.sector_size, .grain = root->pt.grain,
		.luks = sv->luks != NULL,
		.luks_offset = sv->luks ? sv->luks->luks.active_offset : 0,
		.crypt_sector = sv->luks ? sv->luks->luks.sector_size : SECTOR_SIZE,
	};
	/* No LVM: the layers end at the mapping or partition (extent 0). */
	if (v->kind == VOL_FS) {
		sv->fs = v;
		return 0;
	}
	if (v->kind != VOL_PV || !v->vg || v->pv_index < 0)
		return err_set(E_REFUSED, "%s holds %s, not an LVM PV in a VG", v->name,
			       v->probe.type[0] ? v->probe.type : "nothing shrinkbox recognises");
	if (v->vg->refuse)
		return err_set(E_REFUSED, "%s", v->vg->refuse);
	if (v->vg->n_pvs != 1)
		return err_set(E_REFUSED, "VG %s spans %u PVs; shrink handles a VG on one PV",
			       v->vg->name, v->vg->n_pvs);
	sv->pv = v;
	sv->l.pe_start = v->vg->pvs[v->pv_index].pe_start;
	sv->l.extent = v->vg->extent_size;
	sv->l.mda2 = v->pv.label.n_mdas == 2 ? v->pv.label.mda[1].size : 0;
	sv->l.used = vg_pv_used(v->vg, (unsigned)v->pv_index);
	return 0;
}
