/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LVs as device-mapper devices, named and tabled the way lvm2 does it
 * (docs/ondisk.md §8) so that lvm2, udev rules and dracut recognise them:
 * name <vg>-<lv> with hyphens doubled, uuid LVM-<vg uuid><lv uuid>, one linear
 * (or striped) target per segment over the PVs' devices.
 */
#ifndef SB_LVDM_H
#define SB_LVDM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lvm/vg.h"

/* The table of LV lv: pv_dev[i] is the device holding vg->pvs[i] (0 if absent). */
int lvdm_table(const struct vg *vg, unsigned lv, const dev_t *pv_dev, char **table);

/* The kernel's device-mapper can be talked to (the test host has none). */
bool lvdm_available(void);

struct lvdm_info {
	bool exists;
	bool suspended;
	int open_count;
	dev_t dev;
};

int lvdm_info(const char *name, struct lvdm_info *info);
/* The device's open count once udev's short probes are over (waits up to 2 s). */
int lvdm_open_count(const char *name);
/* Creates and resumes the device with this table; an existing device is an error. */
int lvdm_create(const char *name, const char *uuid, const char *table);
/* Loads a new table and swaps it in (suspend, resume): the LV's size changes under its users. */
int lvdm_reload(const char *name, const char *table);
/* Removes the device; -EBUSY while it is open. */
int lvdm_remove(const char *name);

/* Activates / deactivates every visible LV of the VG whose PVs are all present. */
int lvdm_activate_vg(const struct vg *vg, const dev_t *pv_dev, unsigned *n_activated);
int lvdm_deactivate_vg(const struct vg *vg, char *busy, size_t busy_len);

#endif
