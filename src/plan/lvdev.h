/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A block device for an LV, to run e2fsck and resize2fs on: its active dm
 * device; else a temporary activation; else, where the kernel has no
 * device-mapper (the test host), a loop device over an LV that is one linear
 * run of extents. Refuses an LV that is mounted or otherwise in use, but for
 * an open LUKS mapping on it (d->crypt: its content, resized through it).
 */
#ifndef SB_LVDEV_H
#define SB_LVDEV_H

#include <stdbool.h>

#include "../layer/sysfs.h"
#include "../lvm/commit.h"

enum lvdev_kind { LVDEV_ACTIVE, LVDEV_TEMP_DM, LVDEV_LOOP };

struct lvdev {
	enum lvdev_kind kind;
	char path[DEV_PATH_MAX];
	char dm_name[256];
	int loopfd;
	bool own_node;		/* path is our private node of a temporary device (lvdev.c) */
	char name[300];		/* "VG/LV": what messages name (path may be a temporary node) */
	bool mounted;		/* active and mounted (lvdev_open_mounted only) */
	char crypt[128];	/* active and holding an open LUKS mapping: its dm name */
};

int lvdev_open(const struct vgh *h, unsigned lv, struct lvdev *d);
/*
 * The same for a grow: an active LV that is mounted is opened, with
 * d->mounted set, instead of refused; its filesystem grows online.
 */
int lvdev_open_mounted(const struct vgh *h, unsigned lv, struct lvdev *d);

/*
 * Set for a dry run on the running system (schedule): an LV that is mounted,
 * swapped on or open is opened for planning as the next boot will find it,
 * before anything mounts it, instead of refused.
 */
extern bool lvdev_plan_live;
/* After a metadata change: the dm table follows the LV's new segments (or the loop its size). */
int lvdev_refresh(const struct vgh *h, unsigned lv, struct lvdev *d);
void lvdev_close(struct lvdev *d);

#endif
