// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2fsckrepair.h"
#include "fsresize.h"
#include "mountfs.h"
#include "resize2fs.h"
#include "../layer/swap.h"
#include "../lvm/edit.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/exec.h"
#include "../util/teststop.h"
#include "../util/units.h"

/*
 * Where a grow's new extents will come from, checked before anything writes:
 * vg_lv_resize() takes the free run right after the LV's last segment first,
 * then the lowest free runs of the allocatable PVs (lvm/edit.c, lv_grow). A
 * loop device (no device-mapper: a rescue system without dm_mod) can only
 * cover one run of a PV, so there the whole growth must be that first run;
 * anything else would make resize2fs fill the LV through its neighbour's
 * extents.
 */
static int grow_room(const struct vgh *h, unsigned lv, uint64_t need, bool one_run,
		     const struct fsresize_ahead *ahead)
{
	const struct vg *vg = h->vg;
	const struct vg_lv *l = &vg->lvs[lv];
	const struct vg_seg *last = &l->segs[l->n_segs - 1];
	uint64_t have = 0, after = 0, last_end = last->areas[0].pe + last->area_len;
	bool runs_to_end = false;
	int r;

	for (unsigned pv = 0; pv < vg->n_pvs; pv++) {
		_cleanup_free_ struct pv_seg *map = NULL;
		size_t n;

		if (!(vg->pvs[pv].status & PV_ALLOCATABLE))
			continue;
		r = vg_pv_map(vg, pv, &map, &n);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			if (map[i].lv >= 0)
				continue;
			have += map[i].len;
			if (last->linear && last->stripe_count == 1 &&
			    last->areas[0].pv == (int)pv && map[i].pe == last_end) {
				after = map[i].len;
				runs_to_end = map[i].pe + map[i].len == vg->pvs[pv].pe_count;
			}
		}
	}
	/* A PV that grows first (grow: the partition, the mapping, then the PV) adds free
	   extents at its end. */
	if (ahead && ahead->pv < vg->n_pvs && (vg->pvs[ahead->pv].status & PV_ALLOCATABLE)) {
		have += ahead->pv_extra;
		if (last->linear && last->stripe_count == 1 &&
		    last->areas[0].pv == (int)ahead->pv &&
		    (runs_to_end || last_end == vg->pvs[ahead->pv].pe_count))
			after += ahead->pv_extra;
	}
	if (have < need)
		return err_set(E_REFUSED, "LV %s/%s needs %" PRIu64 " more extents but VG %s has "
			       "only %" PRIu64 " free (nothing was changed)", vg->name, l->name,
			       need, vg->name, have);
	if (one_run && after < need)
		return err_set(E_REFUSED, "LV %s/%s cannot grow by %" PRIu64 " extents here: only %"
			       PRIu64 " free extents follow it, and without device-mapper "
			       "(/dev/mapper/control) the LV must stay one run of extents; load "
			       "dm_mod, or grow it by at most %" PRIu64 " extents (nothing was "
			       "changed)", vg->name, l->name, need, after, after);
	return 0;
}

/*
 * LUKS inside the LV, open: the mapping fills the LV (after the LUKS data
 * offset, in whole crypt sectors) and its content fills the mapping. A shrink
 * makes the content smaller first, then the mapping, then the LV; a grow the
 * LV, the mapping, the content. devfs_plan() checks the content (its kind,
 * resize2fs's or btrfs's minimum, mounted only to grow).
 */
static int plan_luks(const struct lvdev *d, struct fsresize_plan *p)
{
	uint64_t lv_new = p->new_le * p->ext, off, cs;
	char map[DEV_PATH_MAX];
	int r;

	r = luks_read(d->path, &p->luks);
	if (r == 0)
		r = luks_read_active(d->crypt, &p->luks);
	if (r < 0)
		return err_wrap(r, "LV %s (LUKS, open as %s): ", d->name, d->crypt);
	if (p->luks.size_fixed || p->luks.requirements || p->luks.integrity[0])
		return err_set(E_REFUSED, "LV %s: its LUKS2 header has a fixed-size segment, "
			       "requirements or dm-integrity; shrinkbox does not resize it", d->name);
	off = p->luks.active_offset * SECTOR_SIZE;
	cs = p->luks.sector_size ? p->luks.sector_size : SECTOR_SIZE;
	if (lv_new <= off + cs)
		return err_set(E_REFUSED, "LV %s: %" PRIu64 " B would not even hold its LUKS header "
			       "(%" PRIu64 " B)", d->name, lv_new, off);
	p->map_old = p->luks.active_size;
	p->map_new = round_down(lv_new - off, cs) / SECTOR_SIZE;
	snprintf(map, sizeof(map), "/dev/mapper/%s", d->crypt);
	if (p->map_new < p->map_old)
		r = devfs_plan(map, p->map_new * SECTOR_SIZE, 0, &p->inner);
	else
		r = devfs_plan(map, 0, p->map_new * SECTOR_SIZE, &p->inner);
	if (r < 0)
		return err_wrap(r, "LV %s (LUKS): ", d->name);
	p->fs = p->inner.fs;
	p->fs_final = p->inner.target;
	p->fs_min = p->inner.fs_min;
	p->lv_changes = p->new_le != p->old_le;
	p->fs_changes = p->inner.changes || p->map_new != p->map_old;
	p->online = p->inner.mounted;
	return 0;
}

int fsresize_plan(const struct vgh *h, unsigned lv, uint64_t new_le, const struct lvdev *d,
		  struct fsresize_plan *p)
{
	return fsresize_plan_ahead(h, lv, new_le, d, NULL, p);
}

int fsresize_plan_ahead(const struct vgh *h, unsigned lv, uint64_t new_le,
			const struct lvdev *d, const struct fsresize_ahead *ahead,
			struct fsresize_plan *p)
{
	const char *t;
	int r;

	memset(p, 0, sizeof(*p));
	p->lv = lv;
	p->old_le = h->vg->lvs[lv].le_count;
	p->new_le = new_le;
	p->ext = h->vg->extent_size * SECTOR_SIZE;
	r = fs_read(d->path, &p->fs);
	if (r < 0)
		return r;
	t = p->fs.type;
	if (!strncmp(t, "ext", 3) && p->fs.size_known) {
		p->kind = FS_EXT;
	} else if (!strcmp(t, "swap") && p->fs.size_known) {
		p->kind = FS_SWAP;
	} else if (!strcmp(t, "xfs") && p->fs.size_known) {
		if (new_le < p->old_le)
			return err_set(E_REFUSED, "LV %s holds XFS, which cannot shrink (xfs_growfs "
				       "only grows): copy its files to a new, smaller LV instead "
				       "(xfsdump and xfsrestore, or mkfs and cp -a); nothing was "
				       "changed", d->name);
		p->kind = FS_XFS;
	} else if (!strcmp(t, "btrfs") && p->fs.size_known) {
		if (p->fs.fs_devices != 1)
			return err_set(E_REFUSED, "LV %s is one of %" PRIu64 " devices of a btrfs "
				       "filesystem; shrinkbox resizes a btrfs on one device only",
				       d->name, p->fs.fs_devices);
		p->kind = FS_BTRFS;
	} else if (!strcmp(t, "crypto_LUKS")) {
		if (!d->crypt[0])
			return err_set(E_REFUSED, "LV %s holds LUKS, closed: what is inside cannot be "
				       "read; unlock it first (shrinkbox unlock /dev/%s NAME)", d->name,
				       d->name);
		p->kind = FS_LUKS;
	} else if (!strcmp(t, "swsuspend")) {
		return err_set(E_REFUSED, "LV %s holds a hibernation image; resume from it or "
			       "discard it first", d->name);
	} else {
		return err_set(E_REFUSED, "LV %s holds %s%s; shrinkbox resizes ext2/3/4, swap, XFS "
			       "(grow) and btrfs only", d->name,
			       *t ? t : "no filesystem shrinkbox can recognise",
			       *t ? " of unknown size" : "");
	}
	if (new_le > p->old_le) {
		r = grow_room(h, lv, new_le - p->old_le, d->kind == LVDEV_LOOP, ahead);
		if (r < 0)
			return r;
	}
	if (p->kind == FS_LUKS)
		return plan_luks(d, p);
	/* The final size: the whole LV, to the last whole block (or page). */
	p->fs_final = round_down(new_le * p->ext, p->fs.block_size);
	p->lv_changes = new_le != p->old_le;
	p->fs_changes = p->fs.size != p->fs_final;
	p->marked = p->kind == FS_EXT && vg_lv_has_tag(h->vg, lv, RESIZE_MARK);
	/*
	 * The mark alone decides: resize2fs sets the errors flag in the same
	 * superblock write as its other changes, so a cut before that write's
	 * flush leaves a half-rewritten resize inode under a clean flag.
	 */
	p->repair = p->marked;
	/*
	 * A mounted ext2/3/4 grows online: the kernel's resize (resize2fs
	 * through EXT4_IOC_RESIZE_FS) is journaled, so no cut leaves work for
	 * e2fsck, and no mark is set. Shrinking it, or repairing a marked one,
	 * needs it unmounted.
	 */
	if (d->mounted) {
		if (p->kind == FS_SWAP || new_le < p->old_le || p->marked)
			return err_set(E_REFUSED, "LV %s is mounted (%s): %s", d->name, d->path,
				       p->marked ? "it carries the tag " RESIZE_MARK " (a resize2fs "
				       "was cut off): unmount it so that it is repaired first" :
				       "a mounted filesystem only grows; unmount it to shrink it");
		p->online = true;
	}
	if (p->fs.size > p->old_le * p->ext)
		return err_set(E_REFUSED, "LV %s: the filesystem (%" PRIu64 " B) is larger than the "
			       "LV (%" PRIu64 " B); it is damaged or was never resized: repair it "
			       "first", d->name, p->fs.size, p->old_le * p->ext);
	if (p->kind == FS_BTRFS && p->fs_final < p->fs.size) {
		uint64_t ext;
		char a[SIZE_FMT_LEN];

		r = mountfs_min(d->path, &p->fs, &p->fs_min);
		if (r < 0)
			return r;
		ext = div_round_up(p->fs_min, p->ext);
		if (p->fs_final < p->fs_min)
			return err_set(E_REFUSED, "LV %s cannot shrink to %" PRIu64 " B: its btrfs "
				       "needs at least %" PRIu64 " B (btrfs inspect-internal "
				       "min-dev-size, and the kernel's floor of 256 MiB); the smallest "
				       "LV size that works is %" PRIu64 " extents = %s (nothing was "
				       "changed)", d->name, p->fs_final, p->fs_min, ext,
				       size_fmt(a, ext * p->ext));
	}
	/*
	 * Offline and unmarked, e2fsck -f -p runs first (apply); giving up, it
	 * marks the superblock. What it would refuse is refused here, read-only,
	 * and so in the dry run too.
	 */
	if (p->kind == FS_EXT && !p->online && !p->repair && (p->lv_changes || p->fs_changes)) {
		r = fs_e2fsck_n_check(d->path, d->name);
		if (r < 0)
			return r;
	}
	if (p->kind == FS_EXT && new_le * p->ext < p->fs.size) {
		r = resize2fs_min(d->path, d->name, p->fs.block_size, &p->fs_min);
		/*
		 * A resize2fs cut off mid-way leaves free-block counts that resize2fs
		 * -P reads as they are: its figure means nothing until e2fsck has
		 * repaired them, so it is computed again after the repair (apply).
		 */
		if (p->repair && (r < 0 || new_le * p->ext < p->fs_min)) {
			p->min_after_repair = true;
			r = 0;
			err_clear();
		}
		if (r < 0)
			return r;
		if (!p->min_after_repair && new_le * p->ext < p->fs_min) {
			uint64_t ext = div_round_up(p->fs_min, p->ext);
			char a[SIZE_FMT_LEN];

			return err_set(E_REFUSED, "LV %s cannot shrink to %" PRIu64 " B: resize2fs "
				       "needs at least %" PRIu64 " B; the smallest LV size that works "
				       "is %" PRIu64 " extents = %s (nothing was changed)", d->name,
				       new_le * p->ext, p->fs_min, ext, size_fmt(a, ext * p->ext));
		}
	}
	return 0;
}

int fsresize_min_le(const struct vgh *h, unsigned lv, const struct lvdev *d, uint64_t *min_le,
		    enum fs_kind *kind)
{
	struct fsresize_plan p;
	uint64_t min;
	int r;

	r = fsresize_plan(h, lv, h->vg->lvs[lv].le_count, d, &p);
	if (r < 0)
		return r;
	if (p.kind == FS_LUKS)
		return err_set(E_REFUSED, "LV %s holds LUKS (open as %s): shrink does not choose it; "
			       "name it with --lv VG/LV=SIZE", d->name, d->crypt);
	*kind = p.kind;
	/* Cut off mid-way: resize2fs -P means nothing until the repair (fsresize_apply). */
	if (p.marked) {
		*min_le = 0;
		return 0;
	}
	if (p.kind == FS_SWAP) {
		min = (uint64_t)SWAP_MIN_PAGES * p.fs.block_size;
	} else if (p.kind == FS_XFS) {
		return err_set(E_REFUSED, "LV %s holds XFS, which cannot shrink", d->name);
	} else if (p.kind == FS_BTRFS) {
		r = mountfs_min(d->path, &p.fs, &min);
		if (r < 0)
			return r;
	} else {
		r = resize2fs_min(d->path, d->name, p.fs.block_size, &min);
		if (r < 0)
			return r;
	}
	*min_le = min ? div_round_up(min, p.ext) : 1;
	return 0;
}

/* Reads the filesystem's size back (into *size when asked) and checks it. */
static int verify_fs(const struct lvdev *d, uint64_t lv_bytes, uint64_t want, const char *when,
		     uint64_t *size)
{
	struct fs_info fi;
	int r = fs_read(d->path, &fi);

	if (r < 0)
		return r;
	if (size)
		*size = fi.size;
	if (!fi.size_known || fi.size > lv_bytes)
		return err_set(-EIO, "LV %s %s: the filesystem covers %" PRIu64 " B, more than the "
			       "LV's %" PRIu64 " B", d->name, when, fi.size, lv_bytes);
	if (want && fi.size != want)
		return err_set(-EIO, "LV %s %s: the filesystem covers %" PRIu64 " B, not the %"
			       PRIu64 " B intended", d->name, when, fi.size, want);
	return 0;
}

/*
 * One metadata commit: the LV's new size (resize), and/or the mark set
 * (mark > 0) or removed (mark < 0), as one atomic step.
 */
static int commit(struct vgh *h, const struct fsresize_plan *p, struct lvdev *d, bool resize,
		  int mark, const struct fsresize_opts *o, struct commit_result *res)
{
	int r = 0;

	/* Both edit the LV's own section of the tree; one rebuild of the view covers them. */
	if (resize)
		r = vg_lv_resize(h->vg, p->lv, p->new_le);
	if (r == 0 && mark)
		r = vg_lv_tag(h->vg, p->lv, RESIZE_MARK, mark > 0);
	if (r == 0)
		r = vg_refresh(&h->vg);
	if (r < 0)
		return r;
	if (resize)
		o->say("LV metadata: %" PRIu64 " -> %" PRIu64 " extents%s", p->old_le, p->new_le,
		       mark > 0 ? ", tag " RESIZE_MARK " set" :
		       mark < 0 ? ", tag " RESIZE_MARK " removed" : "");
	else
		o->say("LV metadata: tag %s %s", RESIZE_MARK, mark > 0 ?
		       "set (resize2fs runs next)" : "removed (the filesystem fills the LV)");
	r = vgh_commit(h, o->commit, res);
	if (r == 0 && resize)
		r = lvdev_refresh(h, p->lv, d);
	return r;
}

/* The mapping resized by the applet's step, then read back. */
static int crypt_step(const struct fsresize_plan *p, uint64_t sectors,
		      const struct fsresize_opts *o)
{
	struct luks_info li;
	int r;

	if (!o->crypt_resize)
		return err_set(-EINVAL, "no way to resize LUKS mapping %s here",
			       p->luks.active_name);
	r = o->crypt_resize(p->luks.active_name, sectors);
	if (r == 0)
		r = luks_read_active(p->luks.active_name, &li);
	if (r == 0 && li.active_size != p->map_new)
		r = err_set(-EIO, "LUKS mapping %s is %" PRIu64 " sectors after its resize, not the %"
			    PRIu64 " planned", p->luks.active_name, li.active_size, p->map_new);
	return r;
}

static int apply_luks(struct vgh *h, const struct fsresize_plan *p, struct lvdev *d,
		      const struct fsresize_opts *o, struct commit_result *res)
{
	struct devfs_plan inner = p->inner;
	bool w = false;
	int r = 0;

	if (p->map_new < p->map_old) {
		if (inner.changes) {
			r = devfs_apply(&inner, o, &w);
			res->wrote |= w;
		}
		if (r == 0) {
			res->wrote = true;
			r = crypt_step(p, p->map_new, o);
		}
		if (r == 0 && p->lv_changes)
			r = commit(h, p, d, true, 0, o, res);
		return r;
	}
	if (p->lv_changes)
		r = commit(h, p, d, true, 0, o, res);
	if (r == 0 && p->map_new != p->map_old) {
		res->wrote = true;
		r = crypt_step(p, 0, o);
	}
	/* The content fills the mapping as it is now (planned again: devfs_plan clears inner). */
	if (r == 0)
		r = devfs_plan(p->inner.dev, 0, 0, &inner);
	if (r == 0 && inner.changes) {
		r = devfs_apply(&inner, o, &w);
		res->wrote |= w;
	}
	return r;
}

int fsresize_apply(struct vgh *h, const struct fsresize_plan *p, struct lvdev *d,
		   const struct fsresize_opts *o, struct commit_result *res)
{
	uint64_t new_bytes = p->new_le * p->ext;
	uint64_t now = p->fs.size;
	bool shrink = p->new_le < p->old_le, marked, fill;
	int r;

	if (p->kind == FS_SWAP) {
		if (shrink) {
			o->say("swap header: %" PRIu64 " -> %" PRIu64 " B", p->fs.size, p->fs_final);
			res->wrote = true;
			r = swap_set_size(d->path, p->fs_final);
			if (r == 0)
				r = commit(h, p, d, true, 0, o, res);
		} else {
			r = p->lv_changes ? commit(h, p, d, true, 0, o, res) : 0;
			if (r == 0 && p->fs_changes) {
				o->say("swap header: %" PRIu64 " -> %" PRIu64 " B", p->fs.size,
				       p->fs_final);
				res->wrote = true;
				r = swap_set_size(d->path, p->fs_final);
			}
		}
		return r ? r : verify_fs(d, new_bytes, p->fs_final, "after the resize", NULL);
	}

	if (p->kind == FS_LUKS)
		return apply_luks(h, p, d, o, res);
	/* Through a mount, in transactions: smaller first, then the LV; or the LV, then larger. */
	if (p->kind == FS_XFS || p->kind == FS_BTRFS) {
		bool online = false;

		r = 0;
		if (p->fs.size > p->fs_final) {
			res->wrote = true;
			r = mountfs_resize(d->path, &p->fs, p->fs_final, o, &online);
			if (r == 0)
				r = verify_fs(d, p->old_le * p->ext, p->fs_final, "after shrinking "
					      "the filesystem", &now);
			if (r == 0)
				test_stop("fs-shrunk");
		}
		if (r == 0 && p->lv_changes)
			r = commit(h, p, d, true, 0, o, res);
		if (r == 0 && now < p->fs_final) {
			res->wrote = true;
			r = mountfs_resize(d->path, &p->fs, p->fs_final, o, &online);
		}
		/* Online, the kernel's figure was the check (the device's copy may lag). */
		return r || online ? r : verify_fs(d, new_bytes, p->fs_final, "at the end", NULL);
	}
	if (p->online) {
		r = p->lv_changes ? commit(h, p, d, true, 0, o, res) : 0;
		if (r == 0 && p->fs_changes) {
			res->wrote = true;
			r = resize2fs_run(d->path, 0, p->fs.block_size, "the LV, online", o);
		}
		return r ? r : verify_fs(d, new_bytes, p->fs_final, "at the end", NULL);
	}
	r = fs_e2fsck(d->path, d->name, p->repair, o);
	if (r < 0)
		return r;
	if (p->min_after_repair) {
		uint64_t min;

		r = resize2fs_min(d->path, d->name, p->fs.block_size, &min);
		if (r < 0)
			return r;
		if (new_bytes < min) {
			uint64_t ext = div_round_up(min, p->ext);
			char a[SIZE_FMT_LEN];

			return err_set(E_REFUSED, "LV %s cannot shrink to %" PRIu64 " B: after the "
				       "repair of the interrupted resize2fs, resize2fs needs at least %"
				       PRIu64 " B; the smallest LV size that works is %" PRIu64
				       " extents = %s (only the repair was made)", d->name, new_bytes, min, ext,
				       size_fmt(a, ext * p->ext));
		}
	}
	marked = p->marked;
	if (shrink && p->fs.size > new_bytes) {
		if (!marked) {
			r = commit(h, p, d, false, 1, o, res);
			if (r < 0)
				return r;
			marked = true;
		}
		r = resize2fs_run(d->path, new_bytes, p->fs.block_size, NULL, o);
		if (r == -ERANGE) {
			uint64_t min = strtoull(err_msg(r), NULL, 10);
			uint64_t ext = div_round_up(min, p->ext);
			char a[SIZE_FMT_LEN];

			return err_set(E_REFUSED, "LV %s cannot shrink to %" PRIu64 " B: resize2fs "
				       "needs at least %" PRIu64 " B; the smallest LV size that works "
				       "is %" PRIu64 " extents = %s (nothing was changed)", d->name,
				       new_bytes,
				       min, ext, size_fmt(a, ext * p->ext));
		}
		if (r < 0)
			return r;
		res->wrote = true;
		r = verify_fs(d, new_bytes, 0, "after shrinking the filesystem", &now);
		if (r < 0)
			return r;
		test_stop("fs-shrunk");
	}
	/* e2fsck does not change the size: unless resize2fs shrank it, it is as planned. */
	fill = now != p->fs_final;
	/* The mark goes on before the filling resize2fs, or off when none is needed. */
	if (p->lv_changes || marked != fill) {
		r = commit(h, p, d, p->lv_changes, fill == marked ? 0 : fill ? 1 : -1, o, res);
		if (r < 0)
			return r;
		marked = fill;
	}
	if (fill) {
		r = resize2fs_run(d->path, 0, p->fs.block_size, "the LV", o);
		if (r < 0)
			return r;
		res->wrote = true;
	}
	r = verify_fs(d, new_bytes, p->fs_final, "at the end", NULL);
	if (r == 0 && marked)
		r = commit(h, p, d, false, -1, o, res);
	return r;
}
