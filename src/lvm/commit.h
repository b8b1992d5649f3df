/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VG opened for change, and the commit of new metadata to every metadata
 * area of every PV, in lvm2's order (docs/ondisk.md §4.5): the same text
 * written into every ring first, then every precommit slot, then every commit
 * slot, with a flush after each phase. The commit point of each mda is the
 * single-sector write of its header.
 */
#ifndef SB_LVM_COMMIT_H
#define SB_LVM_COMMIT_H

#include <stdbool.h>

#include "pv.h"
#include "vg.h"
#include "../layer/sysfs.h"

struct vg_dev {
	char path[DEV_PATH_MAX];
	int fd;
	uint64_t size;		/* bytes */
	struct pv_disk pd;
	int pv;			/* index into vg->pvs */
};

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

struct commit_opts {
	const char *description;	/* "Write from shrinkbox pvresize ..." */
	const char *backup_dir;		/* NULL: no backup file */
};

struct commit_result {
	uint64_t seqno;
	char backup[DEV_PATH_MAX + 128];	/* the previous metadata, for vgcfgrestore -f */
	bool wrote;				/* anything reached a disk */
};

/* Saves the committed text as a file vgcfgrestore -f accepts; its path in res->backup. */
int vgh_backup(struct vgh *h, const char *dir, struct commit_result *res);

/*
 * Commits h->vg->root (edited in place by the caller) as seqno + 1. Validates
 * the text by re-parsing it before the first write and reads every copy back
 * after the last. On success h->vg is the new model. res must start zeroed;
 * a backup already named in res->backup is not written again.
 */
int vgh_commit(struct vgh *h, const struct commit_opts *o, struct commit_result *res);

/* The text h->vg would be committed as (seqno + 1), for --dry-run and "vgcfg show". */
char *vgh_render(struct vgh *h, const char *description, size_t *len);

/* Writes the label sector of dev (pvresize); flushes. */
int vg_dev_write_label(struct vg_dev *d, const struct pv_label *l);
/* Writes an mda header with both slots empty at where (a new or moved mda); flushes. */
int vg_dev_init_mda(struct vg_dev *d, const struct disk_locn *where);
/* Zeroes len bytes at off of dev; flushes. */
int vg_dev_zero(struct vg_dev *d, uint64_t off, uint64_t len);

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
