// SPDX-License-Identifier: GPL-2.0-or-later
/* status --json: the report as one JSON document (src/applet/status.c). */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "jsonout.h"
#include "../lvm/edit.h"
#include "../plan/extmap.h"
#include "../plan/fsresize.h"
#include "../util/units.h"

static const char *kind_name(enum vol_kind k)
{
	switch (k) {
	case VOL_PTABLE: return "partition_table";
	case VOL_LUKS: return "luks";
	case VOL_PV: return "lvm_pv";
	case VOL_FS: return "filesystem";
	case VOL_OTHER: return "other";
	default: return "empty";
	}
}

#define J_STR_OR_NULL(s) ((s) && *(s) ? json_object_new_string(s) : NULL)


static struct json_object *json_words(unsigned bits, const char *const *names, unsigned n)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; i < n; i++)
		if (bits & (1u << i))
			json_object_array_add(a, J_STR(names[i]));
	return a;
}

static struct json_object *json_fs(const struct fs_info *fs)
{
	struct json_object *o;

	if (!fs->type[0])
		return NULL;
	o = json_object_new_object();
	J_ADD(o, "type", J_STR(fs->type));
	J_ADD(o, "uuid", J_STR_OR_NULL(fs->uuid));
	J_ADD(o, "label", J_STR_OR_NULL(fs->label));
	if (fs->size_known) {
		J_ADD(o, "size_bytes", J_U64(fs->size));
		J_ADD(o, "block_size_bytes", J_U64(fs->block_size));
		J_ADD(o, "blocks", J_U64(fs->blocks));
	}
	if (!strncmp(fs->type, "ext", 3) && fs->size_known) {
		J_ADD(o, "free_blocks", J_U64(fs->free_blocks));
		J_ADD(o, "clean", json_object_new_boolean(fs->ext_clean));
		J_ADD(o, "needs_fsck", json_object_new_boolean(fs->ext_needs_fsck));
	}
	return o;
}

static struct json_object *json_vg(const struct volume *v)
{
	static const char *const lv_words[] = { "READ", "WRITE", "FIXED_MINOR", "VISIBLE",
						"PVMOVE", "LOCKED", "NOTSYNCED", "REBUILD",
						"WRITEMOSTLY" };
	const struct vg *vg = v->vg;
	struct json_object *o = json_object_new_object(), *pvs, *lvs;
	char dash[LVM_UUID_LEN + 7];

	uuid_add_dashes(vg->id, dash);
	J_ADD(o, "name", J_STR(vg->name));
	J_ADD(o, "uuid", J_STR(dash));
	J_ADD(o, "seqno", J_U64(vg->seqno));
	J_ADD(o, "extent_size_sectors", J_U64(vg->extent_size));
	J_ADD(o, "extent_size_bytes", J_U64(vg->extent_size * SECTOR_SIZE));
	J_ADD(o, "refuse", J_STR_OR_NULL(vg->refuse));

	pvs = json_object_new_array();
	for (unsigned p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = &vg->pvs[p];
		struct json_object *po = json_object_new_object(), *segs;
		struct pv_seg *map = NULL;
		uint64_t used = vg_pv_used(vg, p);
		char bar[MAP_WIDTH + 1];
		size_t n;

		uuid_add_dashes(pv->id, dash);
		J_ADD(po, "uuid", J_STR(dash));
		J_ADD(po, "device_hint", J_STR_OR_NULL(pv->device));
		J_ADD(po, "path", J_STR_OR_NULL(v->pvs[p].path));
		J_ADD(po, "dev_size_sectors", J_U64(pv->dev_size));
		J_ADD(po, "pe_start_sectors", J_U64(pv->pe_start));
		J_ADD(po, "pe_count", J_U64(pv->pe_count));
		J_ADD(po, "pe_used", J_U64(used));
		J_ADD(po, "pe_free", J_U64(pv->pe_count - used));
		J_ADD(po, "extents_end_bytes",
		      J_U64((pv->pe_start + pv->pe_count * vg->extent_size) * SECTOR_SIZE));
		segs = json_object_new_array();
		if (vg_pv_map(vg, p, &map, &n) == 0) {
			for (size_t k = 0; k < n; k++) {
				struct json_object *s = json_object_new_object();

				J_ADD(s, "pe_start", J_U64(map[k].pe));
				J_ADD(s, "pe_end", J_U64(map[k].pe + map[k].len - 1));
				J_ADD(s, "extents", J_U64(map[k].len));
				J_ADD(s, "lv", map[k].lv < 0 ? NULL : J_STR(vg->lvs[map[k].lv].name));
				json_object_array_add(segs, s);
			}
			if (pv->pe_count) {
				pv_map_bar(map, n, pv->pe_count, bar, MAP_WIDTH);
				J_ADD(po, "map", J_STR(bar));
			}
			free(map);
		}
		J_ADD(po, "segments", segs);
		json_object_array_add(pvs, po);
	}
	J_ADD(o, "pvs", pvs);

	lvs = json_object_new_array();
	for (unsigned i = 0; i < vg->n_lvs; i++) {
		const struct vg_lv *lv = &vg->lvs[i];
		struct json_object *lo = json_object_new_object(), *segs = json_object_new_array();
		char letter[2] = { lv_letter((int)i), 0 };

		uuid_add_dashes(lv->id, dash);
		J_ADD(lo, "name", J_STR(lv->name));
		J_ADD(lo, "uuid", J_STR(dash));
		J_ADD(lo, "map_letter", J_STR(letter));
		J_ADD(lo, "status", json_words(lv->status, lv_words, 9));
		J_ADD(lo, "extents", J_U64(lv->le_count));
		J_ADD(lo, "size_bytes", J_U64(lv->le_count * vg->extent_size * SECTOR_SIZE));
		J_ADD(lo, "resize_interrupted", json_object_new_boolean(vg_lv_has_tag(vg, i,
										      RESIZE_MARK)));
		for (unsigned s = 0; s < lv->n_segs; s++) {
			const struct vg_seg *seg = &lv->segs[s];
			struct json_object *so = json_object_new_object();
			struct json_object *areas = json_object_new_array();

			J_ADD(so, "le_start", J_U64(seg->start_extent));
			J_ADD(so, "extents", J_U64(seg->extent_count));
			J_ADD(so, "type", J_STR(vg_seg_type(seg)));
			J_ADD(so, "stripe_count", J_U64(seg->stripe_count));
			for (unsigned k = 0; k < seg->n_areas; k++) {
				const struct vg_area *ar = &seg->areas[k];
				struct json_object *ao = json_object_new_object();

				if (ar->pv >= 0) {
					uuid_add_dashes(vg->pvs[ar->pv].id, dash);
					J_ADD(ao, "pv_uuid", J_STR(dash));
					J_ADD(ao, "pv_path", J_STR_OR_NULL(v->pvs[ar->pv].path));
					J_ADD(ao, "pe_start", J_U64(ar->pe));
					J_ADD(ao, "pe_end", J_U64(ar->pe + seg->area_len - 1));
				} else {
					J_ADD(ao, "lv", J_STR(ar->lv));
					J_ADD(ao, "le_start", J_U64(ar->pe));
				}
				json_object_array_add(areas, ao);
			}
			J_ADD(so, "areas", areas);
			json_object_array_add(segs, so);
		}
		J_ADD(lo, "segments", segs);
		J_ADD(lo, "dm_name", J_STR(v->lvs[i].dm_name));
		J_ADD(lo, "active", json_object_new_boolean(v->lvs[i].active));
		J_ADD(lo, "filesystem", v->lvs[i].probed ? json_fs(&v->lvs[i].fs) : NULL);
		J_ADD(lo, "note", J_STR_OR_NULL(v->lvs[i].note));
		json_object_array_add(lvs, lo);
	}
	J_ADD(o, "lvs", lvs);
	return o;
}

static struct json_object *json_pv(const struct volume *v)
{
	const struct pv_label *l = &v->pv.label;
	struct json_object *o = json_object_new_object(), *mdas = json_object_new_array();
	char dash[LVM_UUID_LEN + 7];

	uuid_add_dashes(l->uuid, dash);
	J_ADD(o, "uuid", J_STR(dash));
	J_ADD(o, "label_sector", J_U64(l->sector));
	J_ADD(o, "label_device_size_bytes", J_U64(l->device_size));
	J_ADD(o, "data_offset_bytes", J_U64(l->data_offset));
	for (unsigned i = 0; i < l->n_mdas; i++) {
		struct json_object *m = json_object_new_object();

		J_ADD(m, "offset_bytes", J_U64(l->mda[i].offset));
		J_ADD(m, "size_bytes", J_U64(l->mda[i].size));
		J_ADD(m, "ignored", json_object_new_boolean(v->pv.mda_ignored[i]));
		J_ADD(m, "error", J_STR_OR_NULL(v->pv.mda_err[i]));
		json_object_array_add(mdas, m);
	}
	J_ADD(o, "mdas", mdas);
	J_ADD(o, "vg", v->vg ? json_vg(v) : NULL);
	return o;
}

static struct json_object *json_luks(const struct volume *v)
{
	const struct luks_info *l = &v->luks;
	struct json_object *o = json_object_new_object();

	J_ADD(o, "version", J_U64(l->version));
	J_ADD(o, "uuid", J_STR(l->uuid));
	J_ADD(o, "cipher", J_STR(l->cipher));
	J_ADD(o, "key_bits", J_U64(l->key_bits));
	J_ADD(o, "data_offset_sectors", J_U64(l->data_offset));
	J_ADD(o, "data_offset_bytes", J_U64(l->data_offset * SECTOR_SIZE));
	J_ADD(o, "sector_size_bytes", J_U64(l->sector_size));
	J_ADD(o, "segment_size_bytes", l->size_fixed ? J_U64(l->fixed_size) : J_STR("dynamic"));
	J_ADD(o, "keyslots", J_U64(l->keyslots));
	J_ADD(o, "passphrase_keyslots", J_U64(l->passphrase_slots));
	J_ADD(o, "tokens", J_U64(l->tokens));
	if (l->integrity[0])
		J_ADD(o, "integrity", json_object_new_string(l->integrity));
	J_ADD(o, "requirements", json_object_new_boolean(l->requirements));
	if (l->active) {
		struct json_object *a = json_object_new_object();

		J_ADD(a, "name", J_STR(l->active_name));
		J_ADD(a, "path", J_STR(l->active_path));
		J_ADD(a, "offset_sectors", J_U64(l->active_offset));
		J_ADD(a, "size_sectors", J_U64(l->active_size));
		J_ADD(a, "size_bytes", J_U64(l->active_size * SECTOR_SIZE));
		J_ADD(o, "active", a);
	} else {
		J_ADD(o, "active", NULL);
	}
	return o;
}

static struct json_object *json_ptable(const struct volume *v)
{
	const struct part_table *pt = &v->pt;
	struct json_object *o = json_object_new_object(), *parts = json_object_new_array();

	J_ADD(o, "label", J_STR(pt->label));
	J_ADD(o, "id", J_STR(pt->id));
	J_ADD(o, "sector_size_bytes", J_U64(pt->sector_size));
	J_ADD(o, "grain_bytes", J_U64(pt->grain));
	/* Sector numbers and counts here are in the table's sectors (sector_size_bytes). */
	J_ADD(o, "first_usable_sector", J_U64(pt->first_usable));
	J_ADD(o, "last_usable_sector", J_U64(pt->last_usable));
	J_ADD(o, "disk_sectors", J_U64(pt->disk_sectors));
	for (size_t i = 0; i < pt->n; i++) {
		const struct part_entry *e = &pt->parts[i];
		struct json_object *p = json_object_new_object();

		J_ADD(p, "number", J_U64(e->partno));
		J_ADD(p, "start_sector", J_U64(e->start));
		J_ADD(p, "end_sector", J_U64(e->start + e->size - 1));
		J_ADD(p, "size_sectors", J_U64(e->size));
		J_ADD(p, "size_bytes", J_U64(e->size * pt->sector_size));
		J_ADD(p, "type", J_STR(e->type));
		J_ADD(p, "type_name", J_STR_OR_NULL(e->type_name));
		J_ADD(p, "name", J_STR_OR_NULL(e->name));
		J_ADD(p, "uuid", J_STR_OR_NULL(e->uuid));
		J_ADD(p, "container", json_object_new_boolean(e->container));
		J_ADD(p, "parent", e->parent ? J_U64(e->parent) : NULL);
		if (e->container) {
			struct json_object *l = json_object_new_array();

			for (size_t j = 0; j < pt->n; j++)
				if (pt->parts[j].parent == e->partno)
					json_object_array_add(l, J_U64(pt->parts[j].partno));
			J_ADD(p, "logical_partitions", l);
		}
		J_ADD(p, "aligned", json_object_new_boolean(e->aligned));
		J_ADD(p, "next_partition", e->next_partno ? J_U64(e->next_partno) : NULL);
		J_ADD(p, "free_after_sectors", J_U64(e->free_after));
		J_ADD(p, "free_after_bytes", J_U64(e->free_after * pt->sector_size));
		/* A logical partition's is inside its container; grow_after adds the rest. */
		J_ADD(p, "grow_after_sectors", J_U64(e->grow_after));
		J_ADD(p, "grow_after_bytes", J_U64(e->grow_after * pt->sector_size));
		J_ADD(p, "volume", v->parts && v->parts[i] ? status_json(v->parts[i]) : NULL);
		json_object_array_add(parts, p);
	}
	J_ADD(o, "partitions", parts);
	return o;
}

struct json_object *status_json(const struct volume *v)
{
	struct json_object *o = json_object_new_object();

	J_ADD(o, "name", J_STR(v->name));
	J_ADD(o, "path", J_STR_OR_NULL(v->path));
	J_ADD(o, "size_bytes", J_U64(v->reg.size));
	J_ADD(o, "kind", J_STR(kind_name(v->kind)));
	J_ADD(o, "type", J_STR_OR_NULL(v->probe.type));
	J_ADD(o, "error", J_STR_OR_NULL(v->error));
	J_ADD(o, "note", J_STR_OR_NULL(v->note));
	switch (v->kind) {
	case VOL_PTABLE:
		J_ADD(o, "partition_table", json_ptable(v));
		break;
	case VOL_LUKS:
		if (!v->error[0] || v->luks.version)
			J_ADD(o, "luks", json_luks(v));
		J_ADD(o, "inner", v->inner ? status_json(v->inner) : NULL);
		break;
	case VOL_PV:
		if (v->pv.label.uuid[0])
			J_ADD(o, "lvm_pv", json_pv(v));
		break;
	case VOL_FS:
	case VOL_OTHER:
		J_ADD(o, "filesystem", json_fs(&v->probe));
		break;
	default:
		break;
	}
	return o;
}

/* ---------------------------------------------------------------- main */
