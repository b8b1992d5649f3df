// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devfs.h"
#include "e2fsckrepair.h"
#include "lvdev.h"
#include "mountfs.h"
#include "resize2fs.h"
#include "../layer/swap.h"
#include "../layer/sysfs.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/teststop.h"
#include "../util/units.h"

static int dev_size(const char *dev, uint64_t *bytes, dev_t *rdev)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	bool blk;

	fd = dev_open(dev, O_RDONLY, bytes, &blk);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return err_set(-errno, "%s: %m", dev);
	*rdev = blk ? st.st_rdev : 0;
	return 0;
}

int devfs_plan(const char *dev, uint64_t bytes, uint64_t dev_bytes, struct devfs_plan *p)
{
	const char *t;
	uint64_t now;
	dev_t rdev;
	int r;

	memset(p, 0, sizeof(*p));
	snprintf(p->dev, sizeof(p->dev), "%s", dev);
	r = dev_size(dev, &now, &rdev);
	if (r == 0)
		r = fs_read(dev, &p->fs);
	if (r < 0)
		return r;
	p->dev_bytes = dev_bytes ? dev_bytes : now;
	t = p->fs.type;
	if (!strncmp(t, "ext", 3) && p->fs.size_known && p->fs.block_size)
		p->kind = FS_EXT;
	else if (!strcmp(t, "swap") && p->fs.size_known && p->fs.block_size)
		p->kind = FS_SWAP;
	else if (!strcmp(t, "xfs") && p->fs.size_known)
		p->kind = FS_XFS;
	else if (!strcmp(t, "btrfs") && p->fs.size_known && p->fs.fs_devices == 1)
		p->kind = FS_BTRFS;
	else if (!strcmp(t, "btrfs") && p->fs.size_known)
		return err_set(E_REFUSED, "%s is one of %" PRIu64 " devices of a btrfs filesystem; "
			       "shrinkbox resizes a btrfs on one device only", dev,
			       p->fs.fs_devices);
	else if (!strcmp(t, "swsuspend"))
		return err_set(E_REFUSED, "%s holds a hibernation image; resume from it or discard "
			       "it first", dev);
	else
		return err_set(E_REFUSED, "%s holds %s; shrinkbox resizes ext2/3/4, swap, XFS "
			       "(grow) and btrfs there", dev,
			       *t ? t : "no filesystem shrinkbox can recognise");
	if (p->fs.size > now)
		return err_set(E_REFUSED, "%s: the %s (%" PRIu64 " B) is larger than its device (%"
			       PRIu64 " B); it is damaged or was never resized: repair it first",
			       dev, t, p->fs.size, now);
	if (bytes > p->dev_bytes)
		return err_set(E_REFUSED, "%s: %" PRIu64 " B is more than the device (%" PRIu64
			       " B)", dev, bytes, p->dev_bytes);
	p->target = round_down(bytes ? bytes : p->dev_bytes, p->fs.block_size);
	p->changes = p->target != p->fs.size;
	if (rdev && p->kind == FS_SWAP && swap_in_use(dev) && !lvdev_plan_live)
		return p->changes ? err_set(E_REFUSED, "%s is in use as swap: swapoff %s first", dev,
					    dev) : 0;
	/* schedule's plan on the running system: as the next boot finds it, before it mounts. */
	p->mounted = rdev && blk_mounted(rdev) && !lvdev_plan_live;
	if (p->mounted && p->target < p->fs.size)
		return err_set(E_REFUSED, "%s is mounted: a mounted filesystem only grows; unmount "
			       "it (or run from the initramfs: shrinkbox schedule) to shrink it", dev);
	if (p->kind == FS_XFS && p->target < p->fs.size)
		return err_set(E_REFUSED, "%s holds XFS, which cannot shrink (xfs_growfs only grows): "
			       "copy its files to a new, smaller filesystem instead (xfsdump and "
			       "xfsrestore, or mkfs and cp -a); nothing was changed", dev);
	if (p->kind == FS_BTRFS && p->target < p->fs.size) {
		r = mountfs_min(dev, &p->fs, &p->fs_min);
		if (r < 0)
			return r;
		if (p->target < p->fs_min)
			return err_set(E_REFUSED, "%s cannot shrink to %" PRIu64 " B: its btrfs needs "
				       "at least %" PRIu64 " B (btrfs inspect-internal min-dev-size, and "
				       "the kernel's floor of 256 MiB); nothing was changed", dev,
				       p->target, p->fs_min);
	}
	/* Offline, e2fsck -p runs first: what it would refuse is refused here, read-only. */
	if (p->kind == FS_EXT && p->changes && !p->mounted) {
		r = fs_e2fsck_n_check(dev, NULL);
		if (r < 0)
			return r;
	}
	if (p->kind == FS_EXT && p->target < p->fs.size) {
		r = resize2fs_min(dev, NULL, p->fs.block_size, &p->fs_min);
		if (r < 0)
			return r;
		if (p->target < p->fs_min)
			return err_set(E_REFUSED, "%s cannot shrink to %" PRIu64 " B: resize2fs needs "
				       "at least %" PRIu64 " B (nothing was changed)", dev, p->target,
				       p->fs_min);
	}
	return 0;
}

int devfs_apply(const struct devfs_plan *p, const struct fsresize_opts *o, bool *wrote)
{
	struct fs_info fi;
	uint64_t now;
	dev_t rdev;
	int r;

	r = dev_size(p->dev, &now, &rdev);
	if (r < 0)
		return r;
	/* The step before (partresize, cryptresize) must have made the room this one fills. */
	if (p->target > now)
		return err_set(-EIO, "%s is %" PRIu64 " B, less than the %" PRIu64 " B planned for "
			       "its %s", p->dev, now, p->target, p->fs.type);
	*wrote = true;
	if (p->kind == FS_SWAP) {
		o->say("swap header: %" PRIu64 " -> %" PRIu64 " B", p->fs.size, p->target);
		r = swap_set_size(p->dev, p->target);
	} else if (p->kind == FS_XFS || p->kind == FS_BTRFS) {
		bool online = false;

		r = mountfs_resize(p->dev, &p->fs, p->target, o, &online);
		if (r == 0 && online)
			return 0;	/* checked against the kernel's figure */
	} else if (p->mounted) {
		/* Online: the kernel grows it; e2fsck cannot run on a mounted filesystem. */
		r = resize2fs_run(p->dev, p->target == round_down(now, p->fs.block_size) ? 0 :
				  p->target, p->fs.block_size, "the device, online", o);
	} else {
		r = fs_e2fsck(p->dev, p->dev, false, o);
		/* e2fsck -p only refuses before it writes; resize2fs below its minimum too. */
		*wrote = r == 0;
		if (r == 0)
			r = resize2fs_run(p->dev, p->target, p->fs.block_size, NULL, o);
		if (r == -ERANGE) {
			*wrote = false;
			r = err_set(E_REFUSED, "%s cannot shrink to %" PRIu64 " B: resize2fs needs at "
				    "least %s B (nothing was changed)", p->dev, p->target, err_msg(r));
		}
	}
	/* An online resize the kernel refused changed nothing: the size tells. */
	if (r < 0 && p->mounted && fs_read(p->dev, &fi) == 0 && fi.size == p->fs.size)
		*wrote = false;
	if (r < 0)
		return r;
	test_stop("devfs-resized");
	r = fs_read(p->dev, &fi);
	if (r < 0)
		return r;
	if (!fi.size_known || fi.size != p->target)
		return err_set(-EIO, "%s: the %s covers %" PRIu64 " B after the resize, not the %"
			       PRIu64 " B intended", p->dev, p->fs.type, fi.size, p->target);
	return 0;
}
