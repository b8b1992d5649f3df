/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VG opened for change: its PVs, its lock, its committed metadata. */
#ifndef SB_LVM_VGOPEN_H
#define SB_LVM_VGOPEN_H

#include <stdbool.h>

#include "pvdev.h"
#include "vg.h"

struct vgh {
	char name[128];
	int lock_fd;
	bool writable;
	unsigned n_devs;
	struct vg_dev *devs;	/* one per PV of the VG, found by label */
	struct vg *vg;		/* the committed metadata (highest seqno) */
	char *text;		/* its text, as read: the backup */
	size_t text_len;
};

/*
 * Finds the VG's PVs among devices (NULL: every block device the kernel
 * lists), takes lvm2's VG lock if writable, and checks the VG can be changed
 * by us. Refusals (E_REFUSED): missing or duplicate PVs, a damaged metadata
 * area, metadata copies that disagree, a PV whose extents run past its device,
 * and everything vg->refuse names (pvmove, thin, lvmlockd, ...).
 */
int vgh_open(const char *vgname, const char *const *devices, bool writable, struct vgh **out);
/* The VG whose PV is device: its name, for vgh_open. */
int vg_name_of_pv(const char *device, char name[128]);
void vgh_close(struct vgh *h);
/* The index in h->devs of the device at path (same path or same device number), or -1. */
int vgh_find_dev(const struct vgh *h, const char *path);

/*
 * vgextend and vgreduce (migrate). vgh_add_dev opens path (a PV label must be
 * there) for writing and appends it to h->devs; returns its index. Its pv
 * index is -1 until the metadata names its uuid (vg_add_pv, then
 * vgh_reindex): from then on vgh_commit writes its metadata areas too.
 */
int vgh_add_dev(struct vgh *h, const char *path);
/* Sets every devs[].pv again from h->vg by uuid (after PVs were added or removed). */
void vgh_reindex(struct vgh *h);
/* Takes device i out of h (no more commits to it) and hands it to the caller. */
int vgh_drop_dev(struct vgh *h, unsigned i, struct vg_dev *out);
/* Whether metadata text (NULL: none) is that of VG name: "name {" or "name ". */
bool text_names_vg(const char *text, const char *name);

#endif
