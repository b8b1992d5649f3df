// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lvdev.h"
#include "stack.h"
#include "../layer/loop.h"
#include "../layer/lvdm.h"
#include "../layer/swap.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/strfmt.h"
#include "../util/units.h"

static int pv_devs(const struct vgh *h, dev_t **out)
{
	dev_t *d = calloc(h->vg->n_pvs ? h->vg->n_pvs : 1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	for (unsigned i = 0; i < h->n_devs; i++) {
		struct stat st;

		if (stat(h->devs[i].path, &st) == 0 && S_ISBLK(st.st_mode))
			d[h->devs[i].pv] = st.st_rdev;
	}
	*out = d;
	return 0;
}

static int open_loop(const struct vgh *h, unsigned lv, struct lvdev *d)
{
	const struct vg_lv *l = &h->vg->lvs[lv];
	const struct vg_seg *s = &l->segs[0];
	uint64_t ext = h->vg->extent_size * SECTOR_SIZE;
	_cleanup_close_ int fd = -1;
	const struct vg_dev *pd = NULL;

	if (l->n_segs != 1 || !s->linear || s->stripe_count != 1 || s->areas[0].pv < 0)
		return err_set(-ENODEV, "LV %s spans several segments and this kernel has no "
			       "device-mapper to assemble them", l->name);
	for (unsigned i = 0; i < h->n_devs; i++)
		if (h->devs[i].pv == s->areas[0].pv)
			pd = &h->devs[i];
	if (!pd)
		return -ENODEV;
	fd = open(pd->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return err_set(-errno, "%s: %m", pd->path);
	d->loopfd = loop_attach_rw(fd, h->vg->pvs[s->areas[0].pv].pe_start * SECTOR_SIZE +
					       s->areas[0].pe * ext,
				   s->extent_count * ext, d->path);
	if (d->loopfd < 0)
		return d->loopfd;
	d->kind = LVDEV_LOOP;
	return 0;
}

/*
 * A node of our own for a temporary device, not /dev/mapper/NAME: with udev
 * running, the remove event of an earlier temporary device of the same name
 * (the plan's look, then the step's) can delete /dev/mapper/NAME under the
 * e2fsck or resize2fs of the next one (seen in the VM: "No such file or
 * directory while opening /dev/mapper/vg-root"). udev never touches a node it
 * did not make. It lives on /dev (devtmpfs): /run is mounted nodev in an
 * initramfs. Where it cannot be made or opened, /dev/mapper/NAME it is.
 */
#define PRIVATE_NODE_DIR "/dev/.shrinkbox"

static int private_node(struct lvdev *d)
{
	char path[DEV_PATH_MAX];
	struct lvdm_info info;
	int r = lvdm_info(d->dm_name, &info), fd;

	if (r == 0 && !info.exists)
		r = -ENODEV;
	if (r < 0)
		return err_set(r, "device-mapper: %s vanished after it was created", d->dm_name);
	r = str_fmt(d->path, sizeof(d->path), "/dev/mapper/%s", d->dm_name);
	if (r < 0 || str_fmt(path, sizeof(path), PRIVATE_NODE_DIR "/%s", d->dm_name) < 0)
		return r < 0 ? r : 0;
	mkdir(PRIVATE_NODE_DIR, 0700);
	unlink(path);
	if (mknod(path, S_IFBLK | 0600, info.dev) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		unlink(path);
		return 0;
	}
	close(fd);
	memcpy(d->path, path, sizeof(path));
	d->own_node = true;
	return 0;
}

bool lvdev_plan_live;

static int open_lv(const struct vgh *h, unsigned lv, struct lvdev *d, bool mounted_ok)
{
	const struct vg_lv *l = &h->vg->lvs[lv];
	struct lvdm_info info;
	struct stat st;
	int r;

	memset(d, 0, sizeof(*d));
	d->loopfd = -1;
	snprintf(d->name, sizeof(d->name), "%s/%s", h->name, l->name);
	lv_dm_name(h->name, l->name, d->dm_name);
	if (lvdm_active(d->dm_name)) {
		/*
		 * Active, but with no /dev/mapper node (lvm2 run without udev rules, as
		 * in an initramfs, left one it resized that way: seen in the VM after
		 * "lvm lvextend"): used through a node of our own.
		 */
		if (blk_dm_path(d->dm_name, d->path) < 0) {
			r = private_node(d);
			if (r == 0 && !d->own_node)
				r = err_set(-ENOENT, "LV %s/%s is active but has no device node, "
					    "and none could be made in " PRIVATE_NODE_DIR, h->name,
					    l->name);
			if (r < 0)
				return r;
		}
		d->kind = LVDEV_ACTIVE;
		if (stat(d->path, &st) < 0)
			return err_set(-errno, "%s: %m", d->path);
		/* LUKS inside the LV, open: the mapping is its content's way in. */
		if (blk_crypt_holder(st.st_rdev, d->crypt) < 0)
			d->crypt[0] = '\0';
		if (lvdev_plan_live || d->crypt[0])
			return 0;
		if (blk_mounted(st.st_rdev) && mounted_ok) {
			d->mounted = true;
			return 0;
		}
		if (blk_mounted(st.st_rdev))
			return err_set(E_REFUSED, "LV %s/%s is mounted (%s): unmount it first; "
				       "shrinkbox resizes filesystems offline", h->name, l->name,
				       d->path);
		if (swap_in_use(d->path))
			return err_set(E_REFUSED, "LV %s/%s is in use as swap: swapoff %s first",
				       h->name, l->name, d->path);
		if (lvdm_info(d->dm_name, &info) == 0 && lvdm_open_count(d->dm_name) > 0)
			return err_set(E_REFUSED, "LV %s/%s is open (%s, %d holder(s))", h->name,
				       l->name, d->path, lvdm_open_count(d->dm_name));
		return 0;
	}
	if (lvdm_available()) {
		dev_t *devs = NULL;
		char uuid[4 + 2 * LVM_UUID_LEN + 1], *table = NULL;

		r = pv_devs(h, &devs);
		if (r == 0)
			r = lvdm_table(h->vg, lv, devs, &table);
		snprintf(uuid, sizeof(uuid), "LVM-%s%s", h->vg->id, l->id);
		if (r == 0)
			r = lvdm_create(d->dm_name, uuid, table);
		free(devs);
		free(table);
		if (r == 0) {
			d->kind = LVDEV_TEMP_DM;
			r = private_node(d);
			if (r < 0)
				lvdev_close(d);
		}
		return r;
	}
	return open_loop(h, lv, d);
}

int lvdev_open(const struct vgh *h, unsigned lv, struct lvdev *d)
{
	return open_lv(h, lv, d, false);
}

int lvdev_open_mounted(const struct vgh *h, unsigned lv, struct lvdev *d)
{
	return open_lv(h, lv, d, true);
}

int lvdev_refresh(const struct vgh *h, unsigned lv, struct lvdev *d)
{
	uint64_t ext = h->vg->extent_size * SECTOR_SIZE;
	dev_t *devs = NULL;
	char *table = NULL;
	int r;

	if (d->kind == LVDEV_LOOP) {
		/* The LV kept its start: the loop device just takes the new length. */
		struct loop_info64 li;

		if (ioctl(d->loopfd, LOOP_GET_STATUS64, &li) < 0)
			return err_set(-errno, "%s: %m", d->path);
		li.lo_sizelimit = h->vg->lvs[lv].le_count * ext;
		if (ioctl(d->loopfd, LOOP_SET_STATUS64, &li) < 0 ||
		    ioctl(d->loopfd, LOOP_SET_CAPACITY, 0) < 0)
			return err_set(-errno, "%s: cannot resize the loop device: %m", d->path);
		return 0;
	}
	r = pv_devs(h, &devs);
	if (r == 0)
		r = lvdm_table(h->vg, lv, devs, &table);
	if (r == 0)
		r = lvdm_reload(d->dm_name, table);
	free(devs);
	free(table);
	return r;
}

void lvdev_close(struct lvdev *d)
{
	if (d->own_node)
		unlink(d->path);
	d->own_node = false;
	if (d->kind == LVDEV_TEMP_DM)
		lvdm_remove(d->dm_name);
	if (d->loopfd >= 0)
		close(d->loopfd);	/* autoclear detaches it */
	d->loopfd = -1;
}
