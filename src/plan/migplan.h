/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate's plan: what is on disk (the VG, the source PV, the target device: empty, our LUKS
 * header, its mapping, a PV on it, the PV in the VG) and so which of migrate's steps are left,
 * read-only. Every run starts here, so an interrupted run is continued by running it again.
 */
#ifndef SB_PLAN_MIGPLAN_H
#define SB_PLAN_MIGPLAN_H

#include <stdbool.h>

#include "defrag.h"
#include "../layer/luks.h"
#include "../layer/sigs.h"
#include "../lvm/commit.h"
#include "../lvm/pvcreate.h"

#define MIG_MAX_MOVE_BYTES (1ull << 30)	/* as defrag: a commit at least every GiB */
#define MIG_SUBSYSTEM_PREFIX "shrinkbox:"	/* LUKS2 subsystem: "shrinkbox:<VG uuid>" */

/* The command's options, as the plan reads them. */
struct mig_opts {
	const char *from, *to;		/* --from PV, --to DEVICE */
	const char *name;		/* --name, or NULL: luks-<UUID> */
	bool force, wipe, test_clear, dry_run;
	const char *const *devices;	/* --devices, or NULL: every block device */
};

/* What is on disk, and so what is left to do. */
struct mig {
	const struct mig_opts *o;
	const char *vgname;
	struct vgh *h;
	uint64_t ext;			/* bytes per extent */
	int src;			/* index in h->devs; -1 once the VG no longer has it */
	struct vg_dev sd;		/* the source opened by us when the VG no longer has it */
	bool sd_open;
	uint64_t used;			/* allocated extents on the source */

	struct luks_format_opts lo;
	char subsystem[64], cipher[96];
	char luks_uuid[40];
	uint64_t dev_bytes;		/* DEVICE */
	uint64_t data_offset;		/* sectors: LUKS data offset (predicted before the format) */
	bool is_luks, need_format, need_open, luks1_unproven, torn_header;
	struct dev_sig sigs[DEV_SIGS_MAX];
	unsigned n_sigs;
	char name[128], mapping[DEV_PATH_MAX];

	struct pvcreate_layout l;
	uint64_t pe_count;
	int pv_state;			/* pvcreate_probe on the mapping; -1 when not open yet */
	char pv_uuid[LVM_UUID_LEN + 1];
	int tdev;			/* index in h->devs of the new PV, -1 until vgextend */
	bool need_pvcreate, need_extend, need_label, need_reduce, need_orphan, need_wipe;
	struct defrag_plan plan;	/* on a model with the new PV when not extended yet */
};


/*
 * Opens the VG (writable unless a dry run) and finds what is left to do; refusals E_REFUSED
 * (the source not a PV of the VG, the target too small, not empty, a LUKS device not ours, a
 * PV of the VG on it, an LV on the source in use). m->vgname, m->o and m->lo are set first.
 */
int mig_inspect(struct mig *m);
/* The PV on the open mapping: none yet (need_pvcreate), ours as an orphan, or in the VG. */
int mig_inspect_pv(struct mig *m);
void mig_clear(struct mig *m);

#endif
