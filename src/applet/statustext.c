// SPDX-License-Identifier: GPL-2.0-or-later
/* status: the report as text (src/applet/status.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "../lvm/edit.h"
#include "../plan/extmap.h"
#include "../plan/fsresize.h"
#include "../util/units.h"

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
			status_text(v->parts[i], d + 2);
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
		status_text(v->inner, d + 1);
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

void status_text(const struct volume *v, unsigned d)
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
