/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An LV and the filesystem in it resized together, exactly, in these steps:
 * e2fsck -f -p; resize2fs to the new LV size in sectors (no safety margin);
 * the LV metadata commit and the dm table reload; resize2fs again to fill the
 * LV to its last whole block. Swap: the header is rewritten in place. XFS
 * (grow only) and btrfs: through a mount (mountfs.h), the filesystem first
 * when it shrinks, the LV first when it grows. Before
 * and after each step the filesystem's own size (from its superblock or
 * header) is checked against the LV's. Every intermediate state has the
 * filesystem inside the LV, so re-running the same command finishes the job
 * (a marked LV has work left even at its target size).
 */
#ifndef SB_FSRESIZE_H
#define SB_FSRESIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "devfs.h"
#include "fsopts.h"
#include "lvdev.h"
#include "../layer/fs.h"
#include "../layer/luks.h"
#include "../lvm/commit.h"


struct fsresize_plan {
	unsigned lv;
	uint64_t old_le, new_le, ext;		/* extents; ext is bytes per extent */
	enum fs_kind kind;
	struct fs_info fs;			/* as found */
	uint64_t fs_final;			/* bytes the filesystem will cover */
	uint64_t fs_min;			/* ext shrink: resize2fs's own minimum (-P);
						   btrfs: min-dev-size */
	bool lv_changes, fs_changes;
	bool marked;				/* carries RESIZE_MARK: a resize2fs was cut off */
	bool repair;				/* marked (ext): e2fsck -n, then
						   -y if only the cut-off resize shows */
	bool min_after_repair;			/* fs_min is only known after that repair */
	bool online;				/* ext, mounted: grows through the kernel */
	/* FS_LUKS: the open mapping on the LV, its size, and its content's own plan. */
	struct luks_info luks;
	uint64_t map_old, map_new;		/* 512-byte sectors */
	struct devfs_plan inner;
};

/*
 * The LV tag (lvs -o tags) that says a resize2fs of ours may have been cut
 * off in this LV: set in the LV's metadata before it runs, removed once the
 * filesystem fills the LV. Only with it does e2fsck -y repair what an
 * interrupted resize2fs leaves (see e2fsckrepair.c).
 */
#define RESIZE_MARK "shrinkbox_resize2fs"


/* Reads the filesystem on d and plans; refuses XFS, btrfs and the unknown, with the reason. */
int fsresize_plan(const struct vgh *h, unsigned lv, uint64_t new_le, const struct lvdev *d,
		  struct fsresize_plan *p);
/*
 * The same plan for a step that runs after others in one command: ahead
 * says that PV pv will have pv_extra more extents (free, at its end) by then.
 */
struct fsresize_ahead {
	unsigned pv;
	uint64_t pv_extra;
};
int fsresize_plan_ahead(const struct vgh *h, unsigned lv, uint64_t new_le,
			const struct lvdev *d, const struct fsresize_ahead *ahead,
			struct fsresize_plan *p);
/*
 * The fewest extents LV lv can shrink to, its content kept: resize2fs's own
 * minimum (-P, read-only) for ext2/3/4, the smallest swap area mkswap makes
 * for swap; refuses what fsresize_plan refuses. 0 for an LV carrying
 * RESIZE_MARK: its minimum is known only after the repair.
 */
int fsresize_min_le(const struct vgh *h, unsigned lv, const struct lvdev *d, uint64_t *min_le,
		    enum fs_kind *kind);
int fsresize_apply(struct vgh *h, const struct fsresize_plan *p, struct lvdev *d,
		   const struct fsresize_opts *o, struct commit_result *res);

#endif
