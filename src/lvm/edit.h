/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Edits of a VG's metadata, made on its text tree so that every key we do not
 * model survives. After an edit the typed view is stale: vg_refresh() rebuilds
 * it from the tree (print, re-parse, validate).
 */
#ifndef SB_LVM_EDIT_H
#define SB_LVM_EDIT_H

#include <stddef.h>
#include <stdint.h>

#include "vg.h"

int vg_refresh(struct vg **vg);

/* Sets a PV's dev_size (sectors) and pe_count. */
int vg_set_pv_size(struct vg *vg, unsigned pv, uint64_t dev_sectors, uint64_t pe_count);

/*
 * Counts the allocated extents of PV pv at or beyond PE pe, and describes
 * them ("lvroot PE 100-119, lvswap PE 130-139") in msg.
 */
uint64_t vg_pv_allocated_beyond(const struct vg *vg, unsigned pv, uint64_t pe, char *msg,
				size_t len);

/*
 * Resizes LV lv to le_count extents. Shrinking cuts whole segments from the
 * end and shortens the last one kept. Growing (linear LVs only) extends the
 * last segment in place when the PEs right after it are free, then takes free
 * runs lowest first on allocatable PVs. -ENOSPC when the VG lacks extents.
 */
int vg_lv_resize(struct vg *vg, unsigned lv, uint64_t le_count);

/*
 * Points LEs [le, le+len) of LV lv at PEs [pe, pe+len) of PV pv, as after a
 * move of their data: splits the linear segments that held them, then merges
 * neighbouring segments that became contiguous on one PV. The LEs must lie in
 * linear one-stripe segments. *vg is rebuilt (LV indexes stay).
 */
int vg_lv_remap(struct vg **vg, unsigned lv, uint64_t le, uint64_t len, unsigned pv, uint64_t pe);

#endif
