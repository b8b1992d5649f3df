/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Edits of a VG's metadata, made on its text tree so that every key we do not
 * model survives. After an edit the typed view is stale: vg_refresh() rebuilds
 * it from the tree (print, re-parse, validate).
 */
#ifndef SB_LVM_EDIT_H
#define SB_LVM_EDIT_H

#include <stdbool.h>
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

/*
 * Adds an orphan PV to the VG as lvm2's vgextend does (export.c _print_pvs):
 * a section with id, device (a hint; NULL: "unknown device"), status
 * ["ALLOCATABLE"], flags [], dev_size and pe_start (sectors) and pe_count,
 * at the end of physical_volumes; the PVs are then named pv0..pvN-1 in order,
 * as lvm2 names them on every write. *vg is rebuilt.
 */
int vg_add_pv(struct vg **vg, const char uuid[LVM_UUID_LEN + 1], const char *device,
	      uint64_t dev_sectors, uint64_t pe_start, uint64_t pe_count);

/*
 * Removes PV pv from the VG, as lvm2's vgreduce does: E_REFUSED while it
 * holds allocated extents or is the last PV. The rest are renumbered
 * pv0..pvN-1 (stripes lists follow). *vg is rebuilt; PV indexes shift.
 */
int vg_remove_pv(struct vg **vg, unsigned pv);

/*
 * An LV's tags (tags = ["..."] in its section, which lvm2 keeps and shows with
 * lvs -o tags): whether it carries tag, and adding or removing it (the key
 * goes with the last tag, as lvm2 prints it). The typed view is unchanged.
 */
bool vg_lv_has_tag(const struct vg *vg, unsigned lv, const char *tag);
int vg_lv_tag(struct vg *vg, unsigned lv, const char *tag, bool on);

/* The first VG tag that starts with prefix (lvs -o vg_tags), or NULL. */
const char *vg_tag_with_prefix(const struct vg *vg, const char *prefix);
/* Adds (on) or removes a VG tag; call vg_refresh after. */
int vg_tag(struct vg *vg, const char *tag, bool on);

#endif
