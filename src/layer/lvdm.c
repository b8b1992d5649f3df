// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>
#include <inttypes.h>
#include <libdevmapper.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "lvdm.h"
#include "sysfs.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/teststop.h"
#include "../util/units.h"

/* libdevmapper's own messages go to our debug log; failures come back as -errno. */
static void dm_log_to_debug(int level, const char *file, int line, int dm_errno,
			    const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_debug("libdevmapper(%d): %s", level, buf);
}

/* No udev in the initramfs we run in: libdevmapper makes the /dev/mapper nodes itself. */
static void dm_setup(void)
{
	static bool done;

	if (!done) {
		dm_log_with_errno_init(dm_log_to_debug);
		dm_udev_set_sync_support(0);
		done = true;
	}
}

bool lvdm_available(void)
{
	int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int lvdm_table(const struct vg *vg, unsigned lv, const dev_t *pv_dev, char **table)
{
	const struct vg_lv *l = &vg->lvs[lv];
	size_t cap = 256 * (l->n_segs + 1), o = 0;
	char *t = malloc(cap);

	if (!t)
		return -ENOMEM;
	for (unsigned s = 0; s < l->n_segs; s++) {
		const struct vg_seg *seg = &l->segs[s];
		uint64_t start = seg->start_extent * vg->extent_size;
		uint64_t len = seg->extent_count * vg->extent_size;
		int n;

		if (!seg->linear) {
			free(t);
			return err_set(E_REFUSED, "LV %s has a %s segment", l->name, seg->type);
		}
		for (unsigned a = 0; a < seg->n_areas; a++)
			if (seg->areas[a].pv < 0 || !pv_dev[seg->areas[a].pv]) {
				free(t);
				return err_set(-ENODEV, "LV %s: a PV it uses is not present", l->name);
			}
		if (o + 64 + 48 * seg->n_areas > cap) {
			char *n2;

			cap = 2 * cap + 48 * seg->n_areas;
			n2 = realloc(t, cap);
			if (!n2) {
				free(t);
				return -ENOMEM;
			}
			t = n2;
		}
		if (seg->stripe_count == 1) {
			const struct vg_area *ar = &seg->areas[0];
			dev_t d = pv_dev[ar->pv];

			n = snprintf(t + o, cap - o, "%" PRIu64 " %" PRIu64 " linear %u:%u %" PRIu64 "\n",
				     start, len, major(d), minor(d),
				     vg->pvs[ar->pv].pe_start + ar->pe * vg->extent_size);
		} else {
			n = snprintf(t + o, cap - o, "%" PRIu64 " %" PRIu64 " striped %" PRIu64 " %"
				     PRIu64, start, len, seg->stripe_count, seg->stripe_size);
			for (unsigned a = 0; a < seg->n_areas && n > 0; a++) {
				const struct vg_area *ar = &seg->areas[a];
				dev_t d = pv_dev[ar->pv];

				n += snprintf(t + o + (size_t)n, cap - o - (size_t)n, " %u:%u %" PRIu64,
					      major(d), minor(d),
					      vg->pvs[ar->pv].pe_start + ar->pe * vg->extent_size);
			}
			n += snprintf(t + o + (size_t)n, cap - o - (size_t)n, "\n");
		}
		o += (size_t)n;
	}
	*table = t;
	return 0;
}

static int add_targets(struct dm_task *dmt, const char *table)
{
	const char *line = table;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[4096], type[32];
		uint64_t start, size;
		int off = 0;

		if (len >= sizeof(buf))
			return -E2BIG;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (sscanf(buf, "%" SCNu64 " %" SCNu64 " %31s %n", &start, &size, type, &off) < 3)
			return -EINVAL;
		if (!dm_task_add_target(dmt, start, size, type, buf + off))
			return -ENOMEM;
		line += len + (nl ? 1 : 0);
	}
	return 0;
}

static int run(int type, const char *name, const char *uuid, const char *table,
	       struct dm_info *info)
{
	struct dm_task *dmt;
	int r = 0;

	dm_setup();
	dmt = dm_task_create(type);
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_name(dmt, name) || (uuid && !dm_task_set_uuid(dmt, uuid))) {
		r = -EINVAL;
		goto out;
	}
	if (table) {
		r = add_targets(dmt, table);
		if (r < 0)
			goto out;
	}
	if (type == DM_DEVICE_REMOVE)
		dm_task_retry_remove(dmt);
	if (!dm_task_run(dmt)) {
		r = dm_task_get_errno(dmt) ? -dm_task_get_errno(dmt) : -EIO;
		goto out;
	}
	if (info && !dm_task_get_info(dmt, info))
		r = -EIO;
out:
	dm_task_destroy(dmt);
	dm_task_update_nodes();
	return r;
}

int lvdm_info(const char *name, struct lvdm_info *info)
{
	struct dm_info di;
	int r;

	memset(info, 0, sizeof(*info));
	r = run(DM_DEVICE_INFO, name, NULL, NULL, &di);
	if (r < 0)
		return err_set(r, "device-mapper: cannot query %s: %s", name, strerror(-r));
	info->exists = di.exists;
	info->suspended = di.suspended;
	info->open_count = di.open_count;
	info->dev = makedev(di.major, di.minor);
	return 0;
}

int lvdm_create(const char *name, const char *uuid, const char *table)
{
	int r = run(DM_DEVICE_CREATE, name, uuid, table, NULL);

	return r < 0 ? err_set(r, "device-mapper: cannot create %s: %s", name, strerror(-r)) : 0;
}

int lvdm_reload(const char *name, const char *table)
{
	int r = run(DM_DEVICE_RELOAD, name, NULL, table, NULL);

	if (r == 0)
		r = run(DM_DEVICE_SUSPEND, name, NULL, NULL, NULL);
	if (r == 0)
		r = run(DM_DEVICE_RESUME, name, NULL, NULL, NULL);
	return r < 0 ? err_set(r, "device-mapper: cannot reload %s: %s", name, strerror(-r)) : 0;
}

/*
 * A suspend of a suspended device changes nothing and succeeds
 * (drivers/md/dm-ioctl.c, do_suspend), so a failed resume counts as held.
 */
static int hold(const struct lvdm_ops *ops, const char *name)
{
	int h = 0;

	for (unsigned i = 0; i < LVDM_RELOAD_TRIES; i++) {
		if (i)
			ops->pause(ops->arg, LVDM_RELOAD_PAUSE_MS);
		h = ops->suspend(ops->arg, name);
		if (h == 0)
			break;
	}
	return h;
}

int lvdm_reload_steps(const struct lvdm_ops *ops, const char *name, const char *table,
		      enum lvdm_outcome *outcome, const char **step, int *hold_err)
{
	int r = 0, h;

	*hold_err = 0;
	for (unsigned i = 0; i < LVDM_RELOAD_TRIES; i++) {
		if (i)
			ops->pause(ops->arg, LVDM_RELOAD_PAUSE_MS);
		/*
		 * From the load each time: it replaces whatever a failed step left
		 * in the inactive slot, and a load into a suspended device is what
		 * the next resume swaps in (include/uapi/linux/dm-ioctl.h).
		 */
		*step = "load";
		r = ops->load(ops->arg, name, table);
		if (r == 0) {
			*step = "suspend";
			r = ops->suspend(ops->arg, name);
		}
		if (r == 0) {
			*step = "resume";
			r = ops->resume(ops->arg, name);
		}
		if (r == 0) {
			*outcome = LVDM_RELOADED;
			return 0;
		}
	}
	h = hold(ops, name);
	*hold_err = h;
	*outcome = h ? LVDM_STALE : LVDM_HELD;
	return r;
}

static int dm_load(void *arg, const char *name, const char *table)
{
	(void)arg;
	if (test_inject("reload"))
		return -EIO;
	return run(DM_DEVICE_RELOAD, name, NULL, table, NULL);
}

static int dm_suspend(void *arg, const char *name)
{
	(void)arg;
	if (test_inject("suspend"))
		return -EIO;
	return run(DM_DEVICE_SUSPEND, name, NULL, NULL, NULL);
}

static int dm_resume(void *arg, const char *name)
{
	(void)arg;
	return run(DM_DEVICE_RESUME, name, NULL, NULL, NULL);
}

static void dm_pause(void *arg, unsigned ms)
{
	(void)arg;
	usleep(ms * 1000);
}

static const struct lvdm_ops dm_ops = {
	.load = dm_load, .suspend = dm_suspend, .resume = dm_resume, .pause = dm_pause,
};

int lvdm_reload_hold(const char *name, const char *table, enum lvdm_outcome *outcome,
		     const char **step, int *hold_err)
{
	return lvdm_reload_steps(&dm_ops, name, table, outcome, step, hold_err);
}

int lvdm_hold(const char *name)
{
	return hold(&dm_ops, name);
}

int lvdm_remove(const char *name)
{
	int r = run(DM_DEVICE_REMOVE, name, NULL, NULL, NULL);

	return r < 0 ? err_set(r, "device-mapper: cannot remove %s: %s", name, strerror(-r)) : 0;
}

int lvdm_activate_vg(const struct vg *vg, const dev_t *pv_dev, unsigned *n_activated)
{
	*n_activated = 0;
	for (unsigned i = 0; i < vg->n_lvs; i++) {
		const struct vg_lv *lv = &vg->lvs[i];
		char name[256], uuid[4 + 2 * LVM_UUID_LEN + 1], *table = NULL;
		struct lvdm_info info;
		int r;

		if (!(lv->status & LV_VISIBLE))
			continue;
		lv_dm_name(vg->name, lv->name, name);
		r = lvdm_info(name, &info);
		if (r < 0)
			return r;
		if (info.exists)
			continue;	/* already active: reused, not an error */
		snprintf(uuid, sizeof(uuid), "LVM-%s%s", vg->id, lv->id);
		r = lvdm_table(vg, i, pv_dev, &table);
		if (r == 0)
			r = lvdm_create(name, uuid, table);
		free(table);
		if (r < 0)
			return r;
		(*n_activated)++;
	}
	return 0;
}

int lvdm_open_count(const char *name)
{
	struct lvdm_info info;

	/*
	 * udev probes a device after every change (a umount, a table reload) and
	 * holds it open for a moment: a count that drops within two seconds is not
	 * a user of the device.
	 */
	for (int i = 0; i < 20; i++) {
		if (lvdm_info(name, &info) < 0 || !info.exists || info.open_count == 0)
			return 0;
		usleep(100000);
	}
	return info.open_count;
}

int lvdm_deactivate_vg(const struct vg *vg, char *busy, size_t busy_len)
{
	/* First make sure none is open, so that we never leave half a VG active. */
	for (unsigned i = 0; i < vg->n_lvs; i++) {
		char name[256];
		struct lvdm_info info;
		int r;

		lv_dm_name(vg->name, vg->lvs[i].name, name);
		r = lvdm_info(name, &info);
		if (r < 0)
			return r;
		if (info.exists && (r = lvdm_open_count(name)) > 0) {
			snprintf(busy, busy_len, "%s", name);
			return err_set(-EBUSY, "LV %s/%s is in use (%s is open %d time(s): mounted, "
				       "swapped on or held by another device)", vg->name,
				       vg->lvs[i].name, name, r);
		}
	}
	for (unsigned i = 0; i < vg->n_lvs; i++) {
		char name[256];
		struct lvdm_info info;
		int r;

		lv_dm_name(vg->name, vg->lvs[i].name, name);
		r = lvdm_info(name, &info);
		if (r == 0 && info.exists)
			r = lvdm_remove(name);
		if (r < 0)
			return r;
	}
	return 0;
}

bool lvdm_active(const char *name)
{
	char path[DEV_PATH_MAX];
	struct lvdm_info info;

	if (blk_dm_path(name, path) == 0)
		return true;
	return lvdm_available() && lvdm_info(name, &info) == 0 && info.exists;
}

void lv_dm_name(const char *vg, const char *lv, char out[256])
{
	size_t o = 0;

	for (int part = 0; part < 2; part++) {
		for (const char *p = part ? lv : vg; *p && o < 252; p++) {
			if (*p == '-')
				out[o++] = '-';
			out[o++] = *p;
		}
		if (!part)
			out[o++] = '-';
	}
	out[o] = '\0';
}
