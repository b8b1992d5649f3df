// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * status DEVICE [--json]
 *
 * Shows every layer that can be seen from DEVICE (a whole disk, a partition,
 * an image file, an open LUKS mapping or a PV): the partition table, the LUKS
 * header and its open mapping, the PV, its VG and LVs with their segments in
 * PE ranges, the filesystems' own sizes, and a to-scale map of each PV's
 * extents. Sizes are exact (bytes, 512-byte sectors, extents). Read-only.
 *
 * Exit: 0 everything read cleanly; 1 a layer could not be read or is damaged
 * (the report says which, and so does one line on stderr per problem);
 * 2 usage.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "../applets.h"
#include "../lvm/edit.h"
#include "../plan/extmap.h"
#include "../plan/fsresize.h"
#include "../plan/stack.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/units.h"


static int opt_json;

static const struct poptOption status_opts[] = {
	{ "json", 'j', POPT_ARG_NONE, &opt_json, 0, "print the report as JSON", NULL },
	POPT_TABLEEND
};

const struct applet_help status_help = {
	.synopsis = "DEVICE [--json]",
	.description = "Shows every layer that can be seen from DEVICE (a whole disk, a "
		       "partition, an image file, an open LUKS mapping or a PV): the partition "
		       "table with each partition's start, end and size and what follows it; "
		       "the LUKS header (version, cipher, key size, data offset, sector size, "
		       "segment size) and its open mapping; the PV, its VG and LVs with their "
		       "segments as PE ranges; the filesystems' own sizes from their "
		       "superblocks; and a to-scale map of each PV's extents. Sizes are exact: "
		       "bytes, 512-byte sectors, extents. Read-only.\n\nExit status 1 when a "
		       "layer could not be read or is damaged: the report says which, and so "
		       "does one line on stderr per problem.",
	.opts = status_opts,
	.examples = {
		{ "status /dev/sda",
		  "every layer of the disk /dev/sda and of what its partitions hold" },
		{ "status /dev/mapper/cryptroot --json",
		  "the PV inside an open LUKS mapping, its VG, LVs and extent map, as one JSON "
		  "document" },
	},
};

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

/* ---------------------------------------------------------------- text */

static void indent(unsigned d)
{
	printf("%*s", (int)(2 * d), "");
}

static void text_fs(const struct fs_info *fs, uint64_t container, unsigned d)
{
	char a[SIZE_FMT_LEN];

	indent(d);
	if (!fs->type[0]) {
		printf("content: no signature found\n");
		return;
	}
	printf("content: %s", fs->type);
	if (fs->label[0])
		printf(" label \"%s\"", fs->label);
	if (fs->uuid[0])
		printf(" uuid %s", fs->uuid);
	printf("\n");
	if (!fs->size_known)
		return;
	indent(d + 1);
	printf("size %s = %" PRIu64 " %s of %" PRIu32 " B", size_fmt(a, fs->size), fs->blocks,
	       strcmp(fs->type, "swap") ? "blocks" : "pages", fs->block_size);
	if (fs->size > container)
		printf("  LARGER THAN ITS CONTAINER (%" PRIu64 " B)", container);
	else
		printf(", %" PRIu64 " B unused at the end", container - fs->size);
	if (!strncmp(fs->type, "ext", 3))
		printf("%s%s", fs->ext_clean ? ", clean" : ", NOT CLEAN",
		       fs->ext_needs_fsck ? ", modified since the last fsck" : "");
	printf("\n");
}

static void text_vg(const struct volume *v, unsigned d)
{
	const struct vg *vg = v->vg;
	uint64_t ext = vg->extent_size * SECTOR_SIZE;
	char a[SIZE_FMT_LEN], dash[LVM_UUID_LEN + 7];

	uuid_add_dashes(vg->id, dash);
	indent(d);
	printf("VG %s  uuid %s  seqno %" PRIu64 "  extent size %" PRIu64 " s = %s\n", vg->name,
	       dash, vg->seqno, vg->extent_size, size_fmt(a, ext));
	if (vg->refuse) {
		indent(d + 1);
		printf("shrinkbox will not change this VG: %s\n", vg->refuse);
	}
	for (unsigned i = 0; i < vg->n_lvs; i++) {
		const struct vg_lv *lv = &vg->lvs[i];
		const struct lv_view *lvv = &v->lvs[i];

		indent(d + 1);
		printf("[%c] LV %s%s  %" PRIu64 " extents = %s%s\n", lv_letter((int)i), lv->name,
		       lv->status & LV_VISIBLE ? "" : " (hidden)", lv->le_count,
		       size_fmt(a, lv->le_count * ext),
		       lvv->active ? "  active" : "");
		for (unsigned s = 0; s < lv->n_segs; s++) {
			const struct vg_seg *seg = &lv->segs[s];

			indent(d + 3);
			printf("LE %" PRIu64 "-%" PRIu64 " %s:", seg->start_extent,
			       seg->start_extent + seg->extent_count - 1, vg_seg_type(seg));
			for (unsigned k = 0; k < seg->n_areas; k++) {
				const struct vg_area *ar = &seg->areas[k];

				if (ar->pv >= 0)
					printf(" %s PE %" PRIu64 "-%" PRIu64,
					       v->pvs[ar->pv].path[0] ? v->pvs[ar->pv].path :
								      vg->pvs[ar->pv].handle,
					       ar->pe, ar->pe + seg->area_len - 1);
				else
					printf(" LV %s LE %" PRIu64, ar->lv, ar->pe);
			}
			printf("\n");
		}
		if (lvv->probed)
			text_fs(&lvv->fs, lv->le_count * ext, d + 3);
		if (lvv->note[0]) {
			indent(d + 3);
			printf("(%s)\n", lvv->note);
		}
		if (vg_lv_has_tag(vg, i, RESIZE_MARK)) {
			indent(d + 3);
			printf("(tagged %s: a resize2fs was cut off; run the same lvshrink, lvgrow, "
			       "shrink or grow again to finish it)\n", RESIZE_MARK);
		}
	}
	for (unsigned p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = &vg->pvs[p];
		struct pv_seg *map = NULL;
		char dash2[LVM_UUID_LEN + 7];
		uint64_t used = vg_pv_used(vg, p);
		size_t n;

		uuid_add_dashes(pv->id, dash2);
		indent(d + 1);
		printf("PV %s %s  pe_start %" PRIu64 " s, %" PRIu64 " extents (%" PRIu64
		       " used, %" PRIu64 " free), extents end at byte %" PRIu64 "\n",
		       v->pvs[p].path[0] ? v->pvs[p].path : "(not found here)", dash2,
		       pv->pe_start, pv->pe_count, used, pv->pe_count - used,
		       (pv->pe_start + pv->pe_count * vg->extent_size) * SECTOR_SIZE);
		{
			char ind[64];

			snprintf(ind, sizeof(ind), "%*s", (int)(2 * (d + 2)), "");
			pv_map_print(vg, p, ind);
		}
		if (vg_pv_map(vg, p, &map, &n) < 0 || !pv->pe_count) {
			free(map);
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			indent(d + 2);
			printf("PE %8" PRIu64 "-%-8" PRIu64 " %8" PRIu64 " extents  ", map[k].pe,
			       map[k].pe + map[k].len - 1, map[k].len);
			if (map[k].lv < 0)
				printf("free\n");
			else
				printf("%s LE %" PRIu64 "\n", vg->lvs[map[k].lv].name, map[k].le);
		}
		free(map);
	}
}

static void text_vol(const struct volume *v, unsigned d);

/* An MBR extended partition and its logical partitions (msdos.c parse_extended()). */
static void text_nesting(const struct part_table *pt, const struct part_entry *e)
{
	const char *sep = "";

	if (e->parent) {
		printf("logical partition in extended partition %u; ", e->parent);
		return;
	}
	printf("extended partition (a container) of logical partition(s) ");
	for (size_t j = 0; j < pt->n; j++)
		if (pt->parts[j].parent == e->partno) {
			printf("%s%u", sep, pt->parts[j].partno);
			sep = ", ";
		}
	printf("%s; ", sep[0] ? "" : "none");
}

/*
 * A logical partition's free space is inside its container; the last one can
 * also grow into the space after it, as partresize and grow grow the
 * container first (part_set_size()).
 */
static void text_logical_free(const struct part_table *pt, const struct part_entry *e,
			      unsigned d)
{
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN], c[SIZE_FMT_LEN];

	if (e->next_partno > 4) {
		printf(" free inside extended partition %u before partition %u (its EBR)\n",
		       e->parent, e->next_partno);
		return;
	}
	printf(" free inside extended partition %u, to its end\n", e->parent);
	indent(d);
	if (e->grow_after > e->free_after)
		printf("can grow by %s to sector %" PRIu64 ": %s inside extended partition %u, %s "
		       "by growing it first\n", size_fmt(a, e->grow_after * pt->sector_size),
		       e->start + e->size + e->grow_after - 1,
		       size_fmt(b, e->free_after * pt->sector_size), e->parent,
		       size_fmt(c, (e->grow_after - e->free_after) * pt->sector_size));
	else if (e->grow_after)
		printf("can grow by %s, inside extended partition %u (none free after it)\n",
		       size_fmt(a, e->grow_after * pt->sector_size), e->parent);
	else
		printf("cannot grow: no free space inside extended partition %u or after it\n",
		       e->parent);
}

static void text_ptable(const struct volume *v, unsigned d)
{
	const struct part_table *pt = &v->pt;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];

	indent(d);
	printf("%s partition table, id %s, sector %u B, grain %s, usable sectors %" PRIu64
	       "-%" PRIu64 "\n", pt->label, pt->id, pt->sector_size, size_fmt(a, pt->grain),
	       pt->first_usable, pt->last_usable);
	for (size_t i = 0; i < pt->n; i++) {
		const struct part_entry *e = &pt->parts[i];

		indent(d + 1);
		printf("partition %u: sectors %" PRIu64 "-%" PRIu64 ", %" PRIu64 " s = %s, %s%s%s%s\n",
		       e->partno, e->start, e->start + e->size - 1, e->size,
		       size_fmt(a, e->size * pt->sector_size),
		       e->type_name[0] ? e->type_name : e->type,
		       e->name[0] ? ", \"" : "", e->name, e->name[0] ? "\"" : "");
		indent(d + 2);
		if (e->container || e->parent)
			text_nesting(pt, e);
		printf("%s; then %s", e->aligned ? "aligned to the grain" : "NOT aligned to the grain",
		       e->free_after ? size_fmt(b, e->free_after * pt->sector_size) : "no");
		if (e->parent)
			text_logical_free(pt, e, d + 2);
		else if (e->next_partno)
			printf(" free %sbefore partition %u\n", e->container ? "outside it " : "",
			       e->next_partno);
		else
			printf(" free %sto the end of the usable area\n",
			       e->container ? "outside it " : "");
		if (v->parts && v->parts[i])
			text_vol(v->parts[i], d + 2);
	}
}

static void text_luks(const struct volume *v, unsigned d)
{
	const struct luks_info *l = &v->luks;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];

	if (!l->version)
		return;	/* the header could not be read: the error line says why */
	indent(d);
	printf("LUKS%d %s, %u-bit key, uuid %s, %u keyslot(s)\n", l->version, l->cipher,
	       l->key_bits, l->uuid, l->keyslots);
	indent(d + 1);
	printf("data offset %" PRIu64 " s = %s, sector size %u B, segment size ", l->data_offset,
	       size_fmt(a, l->data_offset * SECTOR_SIZE), l->sector_size);
	if (l->size_fixed)
		printf("fixed %s\n", size_fmt(b, l->fixed_size));
	else
		printf("dynamic (to the end of the device)\n");
	if (l->requirements) {
		indent(d + 1);
		printf("has LUKS2 requirements (e.g. an unfinished reencryption)\n");
	}
	if (l->integrity[0]) {
		indent(d + 1);
		printf("dm-integrity %s under dm-crypt (not resized by shrinkbox)\n", l->integrity);
	}
	if (l->tokens) {
		indent(d + 1);
		printf("%u token(s): %s; %u keyslot(s) open by passphrase or key file", l->tokens,
		       l->token_types, l->passphrase_slots);
		if (l->tpm2_slot >= 0)
			printf("; TPM2 keyslot %d, PCRs %s", l->tpm2_slot,
			       l->tpm2_pcrs[0] ? l->tpm2_pcrs : "none");
		printf("\n");
	}
	if (l->active) {
		indent(d + 1);
		printf("open as %s: %" PRIu64 " s = %s\n", l->active_path, l->active_size,
		       size_fmt(a, l->active_size * SECTOR_SIZE));
	}
	if (v->inner)
		text_vol(v->inner, d + 1);
}

static void text_pv(const struct volume *v, unsigned d)
{
	const struct pv_label *l = &v->pv.label;
	char dash[LVM_UUID_LEN + 7], a[SIZE_FMT_LEN];

	uuid_add_dashes(l->uuid, dash);
	indent(d);
	printf("LVM2 PV %s, label in sector %" PRIu64 ", first extent at byte %" PRIu64
	       ", label device size %s\n", dash, l->sector, l->data_offset,
	       size_fmt(a, l->device_size));
	for (unsigned i = 0; i < l->n_mdas; i++) {
		indent(d + 1);
		printf("metadata area %u: bytes %" PRIu64 "-%" PRIu64 "%s%s\n", i + 1,
		       l->mda[i].offset, l->mda[i].offset + l->mda[i].size - 1,
		       v->pv.mda_ignored[i] ? " (ignored)" : "",
		       v->pv.mda_err[i][0] ? " DAMAGED" : "");
	}
	if (v->vg)
		text_vg(v, d + 1);
}

static void text_vol(const struct volume *v, unsigned d)
{
	char a[SIZE_FMT_LEN];

	if (d == 0) {
		printf("%s: %s\n", v->name, size_fmt(a, v->reg.size));
		d = 1;
	}
	switch (v->kind) {
	case VOL_PTABLE:
		text_ptable(v, d);
		break;
	case VOL_LUKS:
		text_luks(v, d);
		break;
	case VOL_PV:
		text_pv(v, d);
		break;
	case VOL_FS:
	case VOL_OTHER:
		text_fs(&v->probe, v->reg.size, d);
		if (v->probe.type[0] && !strcmp(v->probe.type, "xfs")) {
			indent(d + 1);
			printf("(XFS cannot be shrunk)\n");
		}
		break;
	case VOL_EMPTY:
		indent(d);
		printf("no partition table, LUKS header, LVM label or filesystem found\n");
		break;
	}
	if (v->note[0]) {
		indent(d);
		printf("(%s)\n", v->note);
	}
	if (v->error[0]) {
		indent(d);
		printf("ERROR: %s\n", v->error);
	}
}

/* ---------------------------------------------------------------- json */

#define J_ADD(o, k, v) json_object_object_add(o, k, v)
#define J_U64(v) json_object_new_int64((int64_t)(v))
#define J_STR(s) json_object_new_string(s)
#define J_STR_OR_NULL(s) ((s) && *(s) ? json_object_new_string(s) : NULL)

static struct json_object *json_vol(const struct volume *v);

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
		J_ADD(p, "volume", v->parts && v->parts[i] ? json_vol(v->parts[i]) : NULL);
		json_object_array_add(parts, p);
	}
	J_ADD(o, "partitions", parts);
	return o;
}

static struct json_object *json_vol(const struct volume *v)
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
		J_ADD(o, "inner", v->inner ? json_vol(v->inner) : NULL);
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

static void report_errors(const struct volume *v, unsigned *n)
{
	if (!v)
		return;
	if (v->error[0]) {
		log_error("%s: %s", v->name, v->error);
		(*n)++;
	}
	if (v->parts)
		for (size_t i = 0; i < v->pt.n; i++)
			report_errors(v->parts[i], n);
	report_errors(v->inner, n);
}

int status_main(int argc, char **argv)
{
	poptContext ctx;
	const char *dev;
	struct stack *st = NULL;
	unsigned n_err = 0;
	int r;

	if (applet_parse("status", argc, argv, status_opts, "DEVICE", &ctx))
		return EXIT_USAGE;
	r = applet_args(ctx, "status", 1, 1, &dev);
	if (r < 0) {
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	luks_quiet();
	err_clear();
	r = stack_probe(dev, &st);
	if (r < 0) {
		log_error("%s", err_msg(r));
		poptFreeContext(ctx);
		return EXIT_FAILED;
	}
	if (opt_json) {
		struct json_object *o = json_object_new_object();

		/* 1: every key holding a size or a position names its unit (_bytes, _sectors). */
		J_ADD(o, "schema_version", J_U64(1));
		J_ADD(o, "device", J_STR(dev));
		J_ADD(o, "volume", json_vol(st->root));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		text_vol(st->root, 0);
	}
	fflush(stdout);
	report_errors(st->root, &n_err);
	if (st->root->kind == VOL_EMPTY && !n_err) {
		log_error("%s: no partition table, LUKS header, LVM label or filesystem found", dev);
		n_err++;
	}
	stack_free(st);
	poptFreeContext(ctx);
	return n_err ? EXIT_FAILED : EXIT_DONE;
}
