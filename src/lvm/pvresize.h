/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resizing a PV's metadata: pe_count and dev_size, and, for a PV with a second
 * metadata area at its end, moving that area in a crash-safe order
 * (docs/ondisk.md §7.2): the new mda2 is prepared first, the label is switched to
 * it while mda1 still holds the committed metadata, the old mda2 header is
 * wiped if it would remain inside the device, and only then is the new
 * metadata committed to every area.
 */
#ifndef SB_LVM_PVRESIZE_H
#define SB_LVM_PVRESIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "commit.h"

struct pvresize_plan {
	unsigned dev;			/* index into h->devs */
	uint64_t dev_bytes;		/* the device as it is */
	uint64_t old_bytes, new_bytes;	/* the PV's size before and after */
	uint64_t old_pe_count, new_pe_count;
	bool has_mda2, move_mda2;
	struct disk_locn old_mda2, new_mda2;
	bool label_update;		/* device_size_xl or mda2 changes */
};

/*
 * Plans the PV on h->devs[dev] becoming new_bytes (0: the whole device).
 * E_REFUSED with the LVs and PE ranges in the way when allocated extents would
 * be cut off; -EINVAL for sizes below one extent or above the device.
 */
int pvresize_plan(const struct vgh *h, unsigned dev, uint64_t new_bytes, struct pvresize_plan *p);
bool pvresize_is_noop(const struct pvresize_plan *p);
int pvresize_apply(struct vgh *h, const struct pvresize_plan *p, const struct commit_opts *o,
		   struct commit_result *res);

#endif
