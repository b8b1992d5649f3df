// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack.h"
#include "vgactivate.h"
#include "../layer/lvdm.h"
#include "../lvm/commit.h"
#include "../util/err.h"
#include "../util/exec.h"
#include "../util/log.h"

/*
 * /dev/VG/LV as lvm2 makes it when udev does not (lib/activate/fs.c _mk_dir,
 * _mk_link: a symlink to /dev/mapper/<dm name>, the VG directory made first;
 * _rm_link, _rm_dir on deactivation). lvm2 leaves the links to udev's
 * 11-dm-lvm.rules when udev runs, and falls back to making them itself when
 * they are missing afterwards (dev_manager.c _check_udev_fallback,
 * activation/verify_udev_operations). We do the latter always: libdevmapper is
 * told not to sync with udev (lvdm.c), and a udev that is gone can leave its
 * control socket behind (seen after "udevadm control --exit"), so the only
 * reliable test is whether the link is there once udev has settled.
 */
#define DEV_DIR "/dev"

/* libudev's test for a running udev (udev_queue_get_udev_is_active): its control socket. */
static void udev_settle(void)
{
	char *argv[] = { "udevadm", "settle", "--timeout=10", NULL };
	int status;

	if (access("/run/udev/control", F_OK) == 0)
		(void)run_program(argv, &status, NULL, 0);
}

/* True when path resolves to the block device dev. */
static bool resolves_to(const char *path, dev_t dev)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == dev;
}

static int link_lvs(const struct vg *vg)
{
	char dir[256], path[512], target[300], name[256];
	bool settled = false;
	struct stat st;

	snprintf(dir, sizeof(dir), DEV_DIR "/%s", vg->name);
	for (unsigned i = 0; i < vg->n_lvs; i++) {
		const struct vg_lv *lv = &vg->lvs[i];
		struct lvdm_info info;

		if (!(lv->status & LV_VISIBLE))
			continue;
		lv_dm_name(vg->name, lv->name, name);
		if (lvdm_info(name, &info) < 0 || !info.exists)
			continue;
		if (!settled) {
			udev_settle();
			settled = true;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, lv->name);
		if (resolves_to(path, info.dev))
			continue;	/* udev's link (../dm-N) or one made before */
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return err_set(-errno, "cannot create %s: %m", dir);
		if (lstat(path, &st) == 0) {
			/* lvm2 replaces a stale link or node, and leaves anything else alone. */
			if (!S_ISLNK(st.st_mode) && !S_ISBLK(st.st_mode))
				return err_set(-EEXIST, "%s exists and is not a link: not replaced",
					       path);
			if (unlink(path) < 0 && errno != ENOENT)
				return err_set(-errno, "cannot remove the stale %s: %m", path);
		}
		snprintf(target, sizeof(target), DEV_DIR "/mapper/%s", name);
		if (symlink(target, path) < 0 && !(errno == EEXIST && resolves_to(path, info.dev)))
			return err_set(-errno, "cannot link %s -> %s: %m", path, target);
		log_debug("linked %s -> %s", path, target);
	}
	return 0;
}

/* After deactivation: the links of the VG's LVs that no longer lead to a device, then the dir. */
static int unlink_lvs(const struct vg *vg)
{
	char dir[256], path[512];
	struct stat st;

	udev_settle();
	snprintf(dir, sizeof(dir), DEV_DIR "/%s", vg->name);
	for (unsigned i = 0; i < vg->n_lvs; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, vg->lvs[i].name);
		if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode) || stat(path, &st) == 0)
			continue;
		if (unlink(path) < 0 && errno != ENOENT)
			return err_set(-errno, "cannot remove %s: %m", path);
	}
	/* lvm2's _rm_dir: only when empty; a non-empty directory is someone else's business. */
	if (rmdir(dir) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
		return err_set(-errno, "cannot remove %s: %m", dir);
	return 0;
}

static int open_vg(const char *pv_path, char vgname[128], struct vgh **h, dev_t **pv_dev)
{
	int r = vg_name_of_pv(pv_path, vgname);

	if (r < 0)
		return r;
	r = vgh_open(vgname, NULL, false, h);
	/* A VG we would not change can still be activated and deactivated. */
	if (r == E_REFUSED)
		return err_wrap(r, "VG %s: ", vgname);
	if (r < 0)
		return r;
	*pv_dev = calloc((*h)->vg->n_pvs ? (*h)->vg->n_pvs : 1, sizeof(**pv_dev));
	if (!*pv_dev)
		return -ENOMEM;
	for (unsigned i = 0; i < (*h)->n_devs; i++) {
		struct stat st;

		if (stat((*h)->devs[i].path, &st) == 0 && S_ISBLK(st.st_mode))
			(*pv_dev)[(*h)->devs[i].pv] = st.st_rdev;
	}
	return 0;
}

int vg_activate_on(const char *pv_path, char vgname[128], unsigned *n_activated)
{
	struct vgh *h = NULL;
	dev_t *pv_dev = NULL;
	int r = open_vg(pv_path, vgname, &h, &pv_dev);

	*n_activated = 0;
	if (r == 0)
		r = lvdm_activate_vg(h->vg, pv_dev, n_activated);
	if (r == 0)
		r = link_lvs(h->vg);
	free(pv_dev);
	vgh_close(h);
	return r;
}

int vg_deactivate_on(const char *pv_path, char vgname[128])
{
	struct vgh *h = NULL;
	dev_t *pv_dev = NULL;
	char busy[256];
	int r = open_vg(pv_path, vgname, &h, &pv_dev);

	if (r == 0)
		r = lvdm_deactivate_vg(h->vg, busy, sizeof(busy));
	if (r == 0)
		r = unlink_lvs(h->vg);
	free(pv_dev);
	vgh_close(h);
	return r;
}
