/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A filesystem or swap area directly on a device, with no LV around it: a
 * partition, or an open LUKS mapping (LUKS -> ext4, as Arch and hand-made
 * installs have it; plain partition -> ext4). The device's own size is
 * changed by another step (partresize, cryptresize); this one only makes the
 * content a given size inside it: shrink before the device shrinks, fill it
 * after the device grew. ext2/3/4: e2fsck -f -p and resize2fs, offline; a
 * mounted ext2/3/4 only grows, online (resize2fs does that through the
 * kernel). XFS (grow only) and a single-device btrfs: through a mount
 * (mountfs.h). swap: its header, when not in use. Anything else is refused.
 */
#ifndef SB_DEVFS_H
#define SB_DEVFS_H

#include <stdbool.h>
#include <stdint.h>

#include "fsopts.h"
#include "../layer/fs.h"
#include "../util/io.h"

struct devfs_plan {
	char dev[DEV_PATH_MAX];
	enum fs_kind kind;
	struct fs_info fs;		/* as found */
	uint64_t dev_bytes;		/* the device's size when this step runs */
	uint64_t target;		/* bytes the content will cover */
	uint64_t fs_min;		/* shrink: resize2fs -P, btrfs min-dev-size */
	bool mounted;			/* mounted: grows online, never shrinks */
	bool changes;
};

/*
 * Plans content of dev to cover bytes (rounded down to whole blocks or
 * pages), or with bytes 0 to fill the device. dev_bytes: the device's size
 * when the step runs (0: as it is now; grow passes the size the mapping or
 * partition will have by then). Read-only: resize2fs -P for a shrink. 0, or
 * E_REFUSED with the reason and nothing changed, or -errno.
 */
int devfs_plan(const char *dev, uint64_t bytes, uint64_t dev_bytes, struct devfs_plan *p);
/*
 * The plan, against the device as it is now (its size read again); *wrote
 * says whether anything may have been written when it fails.
 */
int devfs_apply(const struct devfs_plan *p, const struct fsresize_opts *o, bool *wrote);

#endif
