/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Activating and deactivating the VG found on a PV (unlock, lock). */
#ifndef SB_VGACTIVATE_H
#define SB_VGACTIVATE_H

#include <stddef.h>

/*
 * The VG on pv_path: its LVs activated (already active ones are reused), and
 * /dev/VG/LV -> /dev/mapper/VG-LV made for each active LV when udev has not
 * made it (as lvm2 does without udev). -ENOENT when pv_path is not a PV in a
 * VG. vgname receives the VG name.
 */
int vg_activate_on(const char *pv_path, char vgname[128], unsigned *n_activated);
/*
 * Its LVs deactivated, all or none: -EBUSY (message names the LV) if one is
 * open. Then the /dev/VG/LV links that lead nowhere, and /dev/VG if empty, go.
 */
int vg_deactivate_on(const char *pv_path, char vgname[128]);

#endif
