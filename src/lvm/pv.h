/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One PV as found on disk (label, metadata area headers, committed texts),
 * and the assembly of a VG from the PVs that carry its metadata: the highest
 * seqno wins, and copies that share a seqno must be identical (docs/ondisk.md §4.6).
 */
#ifndef SB_LVM_PV_H
#define SB_LVM_PV_H

#include "label.h"
#include "mda.h"
#include "vg.h"
#include "../util/io.h"

struct pv_disk {
	struct region reg;
	struct pv_label label;
	unsigned n_mdas;
	struct mda_header mh[PV_MAX_MDAS];
	bool mda_ok[PV_MAX_MDAS];		/* header valid */
	bool mda_ignored[PV_MAX_MDAS];		/* metadataignore: not read */
	char *text[PV_MAX_MDAS];		/* committed text, NULL if none */
	size_t text_len[PV_MAX_MDAS];
	char mda_err[PV_MAX_MDAS][256];		/* why an mda could not be used */
};

/*
 * Reads the label and every metadata area. -ENOENT: no label. Label errors
 * fail the call; a bad metadata area is recorded in mda_err and the call
 * still succeeds (another area or PV may hold the metadata).
 */
int pv_disk_read(const struct region *r, struct pv_disk *pd);
void pv_disk_clear(struct pv_disk *pd);

/* True when the PV carries no metadata at all (an orphan, or all mdas empty). */
bool pv_disk_is_orphan(const struct pv_disk *pd);

/*
 * Builds the VG from the committed texts of n PVs: parses every copy, takes
 * the highest seqno, refuses copies that disagree at the same seqno. -ENOENT
 * when no PV has metadata; -EBADMSG when no copy is usable.
 */
int vg_assemble(struct pv_disk *const *pds, size_t n, struct vg **out);

#endif
