// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pv.h"
#include "../util/err.h"

int pv_disk_read(const struct region *r, struct pv_disk *pd)
{
	uint8_t buf[LABEL_SCAN_SIZE];
	int ret;

	memset(pd, 0, sizeof(*pd));
	pd->reg = *r;
	ret = region_read(r, 0, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	ret = pvlabel_decode(buf, &pd->label);
	if (ret < 0)
		return ret;
	if (pd->label.data_offset > r->size)
		return err_set(-EBADMSG, "label puts the first extent at byte %" PRIu64
			       ", beyond the device's %" PRIu64 " bytes", pd->label.data_offset,
			       r->size);
	pd->n_mdas = pd->label.n_mdas;
	for (unsigned i = 0; i < pd->n_mdas; i++) {
		uint8_t hb[MDA_HEADER_SIZE];

		err_clear();
		ret = region_read(r, pd->label.mda[i].offset, hb, sizeof(hb));
		if (ret == 0)
			ret = mda_header_decode(hb, &pd->label.mda[i], &pd->mh[i]);
		if (ret == 0 && (pd->label.mda[i].offset > r->size ||
				 pd->label.mda[i].size > r->size - pd->label.mda[i].offset))
			ret = err_set(-ENODATA, "metadata area at byte %" PRIu64 " runs past the end "
				      "of the device (truncated?)", pd->label.mda[i].offset);
		if (ret < 0) {
			snprintf(pd->mda_err[i], sizeof(pd->mda_err[i]), "%s", err_msg(ret));
			continue;
		}
		pd->mda_ok[i] = true;
		if (pd->mh[i].slot[0].flags & RAW_LOCN_IGNORED) {
			pd->mda_ignored[i] = true;
			continue;
		}
		err_clear();
		ret = mda_read_text(r, &pd->mh[i], 0, &pd->text[i], &pd->text_len[i]);
		if (ret < 0 && ret != -ENOENT)
			snprintf(pd->mda_err[i], sizeof(pd->mda_err[i]), "%s", err_msg(ret));
	}
	return 0;
}

void pv_disk_clear(struct pv_disk *pd)
{
	for (unsigned i = 0; i < PV_MAX_MDAS; i++)
		free(pd->text[i]);
	memset(pd, 0, sizeof(*pd));
}

bool pv_disk_is_orphan(const struct pv_disk *pd)
{
	for (unsigned i = 0; i < pd->n_mdas; i++)
		if (pd->text[i] || pd->mda_err[i][0])
			return false;
	return true;
}

int vg_assemble(struct pv_disk *const *pds, size_t n, struct vg **out)
{
	struct vg *best = NULL;
	const struct raw_locn *best_rl = NULL;
	const char *best_dev = NULL;
	char first_err[512] = "";
	int r, copies = 0;

	for (size_t p = 0; p < n; p++) {
		for (unsigned i = 0; i < pds[p]->n_mdas; i++) {
			const struct raw_locn *rl = &pds[p]->mh[i].slot[0];
			struct vg *vg;

			if (!pds[p]->text[i])
				continue;
			copies++;
			err_clear();
			r = vg_from_text(pds[p]->text[i], pds[p]->text_len[i], &vg);
			if (r < 0) {
				if (!first_err[0])
					snprintf(first_err, sizeof(first_err), "%s", err_msg(r));
				continue;
			}
			if (best && strcmp(vg->id, best->id)) {
				/*
				 * Two VGs of one name (a cloned disk, a USB disk from
				 * the same installer): which one is meant cannot be
				 * guessed. lvm2 warns and picks one; we refuse.
				 */
				char a[LVM_UUID_LEN + 7], b[LVM_UUID_LEN + 7];

				uuid_add_dashes(best->id, a);
				uuid_add_dashes(vg->id, b);
				err_set(E_REFUSED, "two VGs are named %s: uuid %s (on %s) and uuid %s "
					"(on %s); name the PVs of the one you mean with --devices (or "
					"rename the other: vgrename %s NEWNAME)", vg->name, a,
					best_dev ? best_dev : "?", b,
					pds[p]->reg.name ? pds[p]->reg.name : "?", b);
				vg_free(vg);
				vg_free(best);
				return E_REFUSED;
			}
			if (best && vg->seqno == best->seqno) {
				if (rl->checksum != best_rl->checksum || rl->size != best_rl->size) {
					err_set(-EBADMSG,
						"metadata copies disagree at seqno %" PRIu64
						" (checksum 0x%08" PRIx32 " vs 0x%08" PRIx32
						"); repair with \"vgck --updatemetadata\"",
						best->seqno, rl->checksum, best_rl->checksum);
					vg_free(vg);
					vg_free(best);
					return -EBADMSG;
				}
				vg_free(vg);
				continue;
			}
			if (!best || vg->seqno > best->seqno) {
				vg_free(best);
				best = vg;
				best_rl = rl;
				best_dev = pds[p]->reg.name;
			} else {
				vg_free(vg);
			}
		}
	}
	if (!best) {
		if (!copies)
			return err_set(-ENOENT, "no committed metadata found");
		return err_set(-EBADMSG, "%s", first_err);
	}
	*out = best;
	return 0;
}
