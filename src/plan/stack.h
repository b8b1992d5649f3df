/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe -> model: everything that can be seen from one device, layer by layer
 * (partition table, LUKS header and open mapping, LVM PV and its VG, the
 * filesystems in the LVs), with exact sizes. Read-only. Later planners start
 * from this model; status prints it.
 */
#ifndef SB_STACK_H
#define SB_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "../layer/fs.h"
#include "../layer/luks.h"
#include "../layer/part.h"
#include "../layer/sysfs.h"
#include "../lvm/pv.h"
#include "../lvm/vg.h"
#include "../util/io.h"

enum vol_kind { VOL_EMPTY, VOL_PTABLE, VOL_LUKS, VOL_PV, VOL_FS, VOL_OTHER };

struct lv_view {
	char dm_name[256];		/* vg-lv, hyphens doubled (docs/ondisk.md §8.1) */
	bool active;			/* /dev/mapper/<dm_name> exists */
	bool probed;
	struct fs_info fs;
	char note[200];			/* how (or why not) the content was read */
};

struct pv_view {
	char path[DEV_PATH_MAX];	/* where the PV was found, "" if not found */
	uint64_t dev_bytes;		/* size of that device */
};

struct volume {
	char path[DEV_PATH_MAX];	/* device node or image file; "" for a partition of an image */
	char name[DEV_PATH_MAX + 16];	/* for messages: path, or "img (partition 3)" */
	struct region reg;
	enum vol_kind kind;
	struct fs_info probe;		/* what libblkid says is here */
	char error[512];		/* why this layer could not be read ("" if fine) */
	char note[256];			/* a plain remark ("LUKS is closed", ...) */

	struct part_table pt;		/* VOL_PTABLE */
	unsigned focus;			/* the partition the user named, 0 = all */
	struct volume **parts;		/* per pt.parts entry; NULL when not descended */

	struct luks_info luks;		/* VOL_LUKS */
	struct volume *inner;		/* the open mapping's content */

	struct pv_disk pv;		/* VOL_PV */
	struct vg *vg;
	int pv_index;			/* this PV in vg->pvs, -1 if not listed */
	struct pv_view *pvs;		/* per vg->pvs */
	struct lv_view *lvs;		/* per vg->lvs */
};

struct stack {
	char device[DEV_PATH_MAX];
	struct volume *root;
	int fds[64];			/* every fd the probe opened, closed by stack_free */
	unsigned n_fds;
	unsigned n_errors;
};

/* Probes DEVICE. Fails only when DEVICE itself cannot be opened; layer errors are in the model. */
int stack_probe(const char *device, struct stack **out);
/* Probes a whole disk or image, descending only into partition partno (0: all). */
int stack_probe_part(const char *disk, unsigned partno, struct stack **out);
void stack_free(struct stack *st);


#endif
