/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One PV's device, open for writing, and the writes to it (flushed, but for the raw ones). */
#ifndef SB_LVM_PVDEV_H
#define SB_LVM_PVDEV_H

#include "mda.h"
#include "pv.h"
#include "../layer/sysfs.h"

struct vg_dev {
	char path[DEV_PATH_MAX];
	int fd;
	uint64_t size;		/* bytes */
	struct pv_disk pd;
	int pv;			/* index into vg->pvs */
};

/* len bytes at off, inside the device; no flush. */
int vg_dev_pwrite(struct vg_dev *d, const void *buf, size_t len, uint64_t off);
int vg_dev_flush(struct vg_dev *d);
/* The header sector of a metadata area; no flush. */
int vg_dev_write_header(struct vg_dev *d, const struct mda_header *h);
/* Writes the label sector of dev (pvresize); flushes. */
int vg_dev_write_label(struct vg_dev *d, const struct pv_label *l);
/* Writes an mda header with both slots empty at where (a new or moved mda); flushes. */
int vg_dev_init_mda(struct vg_dev *d, const struct disk_locn *where);
/* Zeroes len bytes at off of dev; flushes. */
int vg_dev_zero(struct vg_dev *d, uint64_t off, uint64_t len);

void vg_dev_close(struct vg_dev *d);
/*
 * Rewrites the label with extension version 2 and PV_EXT_USED, as lvm2's
 * vg_write does for a PV in a VG (format-text.c _set_ext_flags); nothing when
 * it is set already.
 */
int vg_dev_set_used(struct vg_dev *d);
/*
 * Makes a PV removed from its VG an orphan as lvm2's vgreduce leaves it
 * (pv_write of an orphan): every mda header rewritten with both slots empty,
 * then the label without PV_EXT_USED and with the device's size.
 */
int vg_dev_orphan(struct vg_dev *d);
/* Zeroes the sectors of the label scan area that hold a label (pvremove). */
int vg_dev_wipe_label(struct vg_dev *d);

#endif
