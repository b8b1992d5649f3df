/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The layers of one whole-stack operation (shrink, grow), found from a probe
 * of the partition the user named: the partition, the open LUKS mapping if
 * any, the PV inside and its VG (or a filesystem there, with no LVM), and the
 * boundaries the size arithmetic needs (struct layers), all from the real
 * headers.
 */
#ifndef SB_STACKVIEW_H
#define SB_STACKVIEW_H

#include "stack.h"
#include "stacksize.h"

struct stack_view {
	const struct volume *part, *luks, *pv;
	const struct volume *fs;	/* no LVM: the filesystem or swap in the partition or
					   mapping (pv is NULL, l has no PV fields) */
	const struct part_entry *entry;
	const char *disk;
	bool table_repair;		/* the partition table needs a write to be whole again */
	bool disk_grew;			/* GPT: the backup header is not on the disk's last sector */
	struct layers l;
};

/*
 * 0, or why the stack cannot be resized as a whole (E_REFUSED for what is
 * understood but not handled: a closed LUKS volume, LUKS2 fixed segments, a
 * VG on several PVs, a VG lvm2 would refuse; -errno for what cannot be read).
 */
int stack_view_find(const struct stack *st, struct stack_view *sv);

#endif
