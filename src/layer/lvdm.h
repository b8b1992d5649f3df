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

/*
 * A reload after a commit that moved an LV's extents: the old table maps
 * extents that are free now, so a failure must not leave the LV live on it.
 * Each try loads the table, suspends and resumes; a failed try is repeated
 * (LVDM_RELOAD_TRIES in all, LVDM_RELOAD_PAUSE_MS apart: a transient ENOMEM or
 * a udev probe holding the device). When every try failed the device is
 * suspended, as often, and left so: its I/O waits in the kernel and nothing
 * reaches the old extents. A load into a suspended device is swapped in by its
 * next resume (include/uapi/linux/dm-ioctl.h, DM_TABLE_LOAD and DM_SUSPEND),
 * which is what lvchange --refresh or dmsetup reload + resume do.
 */
#define LVDM_RELOAD_TRIES 3
#define LVDM_RELOAD_PAUSE_MS 200

enum lvdm_outcome {
	LVDM_RELOADED,		/* live on the new table */
	LVDM_HELD,		/* the reload failed; suspended, on the old table or between */
	LVDM_STALE,		/* the reload failed and so did the suspend: live on the old table */
};

/* The steps, replaceable so that the unit tests drive the retries (-errno each). */
struct lvdm_ops {
	int (*load)(void *arg, const char *name, const char *table);
	int (*suspend)(void *arg, const char *name);
	int (*resume)(void *arg, const char *name);
	void (*pause)(void *arg, unsigned ms);
	void *arg;
};

/*
 * Runs the tries with ops: 0 with *outcome LVDM_RELOADED, or the last failed
 * reload step's -errno with *outcome LVDM_HELD or LVDM_STALE, *step naming
 * that step ("load", "suspend", "resume") and *hold_err the last suspend's
 * -errno when it could not hold (else 0). Records nothing.
 */
int lvdm_reload_steps(const struct lvdm_ops *ops, const char *name, const char *table,
		      enum lvdm_outcome *outcome, const char **step, int *hold_err);

/* lvdm_reload_steps() with the kernel's device-mapper (test hooks: reload, suspend). */
int lvdm_reload_hold(const char *name, const char *table, enum lvdm_outcome *outcome,
		     const char **step, int *hold_err);
/* Only the suspend of the above, tried as often: 0 once the device is suspended, or -errno. */
int lvdm_hold(const char *name);

/*
 * The -errno for an LV whose active table no longer matches the committed
 * metadata after a failed reload (held or stale): nothing may use it until it
 * is reloaded or the system rebooted; at boot the root must not be mounted.
 * ESTALE is otherwise unused here.
 */
#define E_DM_STALE (-ESTALE)
/* Removes the device; -EBUSY while it is open. */
int lvdm_remove(const char *name);

/* Activates / deactivates every visible LV of the VG whose PVs are all present. */
int lvdm_activate_vg(const struct vg *vg, const dev_t *pv_dev, unsigned *n_activated);
int lvdm_deactivate_vg(const struct vg *vg, char *busy, size_t busy_len);

/*
 * The device NAME exists in the kernel: its /dev/mapper node, or where that is
 * missing (lvm2 run without udev rules can leave none) device-mapper itself.
 */
bool lvdm_active(const char *name);

/* The dm name lvm2 gives vg/lv: hyphens doubled, joined by one hyphen (docs/ondisk.md §8.1). */
void lv_dm_name(const char *vg, const char *lv, char out[256]);

#endif
