// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "benchdev.h"
#include "../layer/luks.h"
#include "../layer/swap.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/strfmt.h"
#include "../util/units.h"

/*
 * dm-crypt mappings as libcryptsetup names them in the dm uuid. Others with a
 * CRYPT- prefix (VERITY, INTEGRITY) are not encryption and map offsets
 * differently: they are measured as plain devices.
 */
static bool crypt_uuid(const char *uuid)
{
	return !strncmp(uuid, "CRYPT-LUKS", 10) || !strncmp(uuid, "CRYPT-PLAIN", 11);
}

static int fill_mapping(struct bench_target *t, const char *name)
{
	struct luks_info li = { 0 };
	int r;

	r = luks_read_active(name, &li);
	if (r < 0)
		return r;
	t->mapped = true;
	snprintf(t->map_name, sizeof(t->map_name), "%s", name);
	r = str_fmt(t->map_path, sizeof(t->map_path), "/dev/mapper/%s", name);
	if (r < 0)
		return err_set(r, "mapping %s: name too long", name);
	t->map_off = li.active_offset * SECTOR_SIZE;
	t->map_size = li.active_size * SECTOR_SIZE;
	return 0;
}

int bench_target_find(const char *path, struct bench_target *t)
{
	char name[128], uuid[160];
	struct stat st;
	int r;

	memset(t, 0, sizeof(*t));
	if (stat(path, &st) < 0)
		return err_set(-errno, "%s: %m", path);
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return err_set(-ENOTBLK, "%s: neither a block device nor an image file", path);
	r = str_fmt(t->clear, sizeof(t->clear), "%s", path);
	if (r < 0)
		return err_set(r, "%s: path too long", path);
	/* An image file has no holders; a LUKS image is measured as the bytes it holds. */
	if (!S_ISBLK(st.st_mode))
		return 0;
	if (blk_dm_info(st.st_rdev, name, uuid) == 0 && crypt_uuid(uuid)) {
		r = blk_dm_slave(st.st_rdev, t->clear);
		if (r < 0)
			return err_set(r, "%s: dm-crypt mapping %s: cannot find the one device under "
				       "it in sysfs", path, name);
		t->path_is_mapping = true;
		return fill_mapping(t, name);
	}
	if (blk_crypt_holder(st.st_rdev, name) == 0)
		return fill_mapping(t, name);
	return 0;
}

/* The block device dev: mounted, swap or held? what names it in messages. */
static int dev_unused(dev_t dev, const char *devpath, const char *what)
{
	char holders[256];

	if (blk_mounted(dev))
		return err_set(E_REFUSED, "%s is mounted", what);
	if (devpath && swap_in_use(devpath))
		return err_set(E_REFUSED, "%s is in use as swap", what);
	blk_holders(dev, holders, sizeof(holders));
	if (holders[0])
		return err_set(E_REFUSED, "%s is held by %s (a dm-crypt mapping, LVM or md on it)",
			       what, holders);
	return 0;
}

/* Partitions of a whole disk: each must be unused too. */
static int partitions_unused(dev_t disk, const char *path)
{
	char dir[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", major(disk), minor(disk));
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char p[PATH_MAX], buf[32], node[DEV_PATH_MAX], what[DEV_PATH_MAX + 64];
		unsigned ma, mi;
		int r;

		if (e->d_name[0] == '.' ||
		    str_fmt(p, sizeof(p), "%s/%s/partition", dir, e->d_name) < 0 ||
		    access(p, F_OK) < 0)
			continue;
		if (str_fmt(p, sizeof(p), "%s/%s/dev", dir, e->d_name) < 0 ||
		    sysfs_read_attr(p, buf, sizeof(buf)) < 0 || sscanf(buf, "%u:%u", &ma, &mi) != 2)
			continue;
		if (str_fmt(node, sizeof(node), "/dev/%s", e->d_name) < 0)
			continue;
		snprintf(what, sizeof(what), "%s (partition of %s)", node, path);
		r = dev_unused(makedev(ma, mi), access(node, F_OK) == 0 ? node : NULL, what);
		if (r < 0)
			return r;
	}
	return 0;
}

/* An image file: a loop device over it, or swapon on it, is a user. */
static int file_unused(const struct stat *want, const char *path)
{
	_cleanup_(closedirp) DIR *d = opendir("/sys/block");
	_cleanup_fclose_ FILE *f = NULL;
	struct dirent *e;
	struct stat st;
	char line[512];

	while (d && (e = readdir(d))) {
		char p[PATH_MAX], back[PATH_MAX];

		if (strncmp(e->d_name, "loop", 4) ||
		    str_fmt(p, sizeof(p), "/sys/block/%s/loop/backing_file", e->d_name) < 0 ||
		    sysfs_read_attr(p, back, sizeof(back)) < 0)
			continue;
		if (stat(back, &st) == 0 && st.st_dev == want->st_dev && st.st_ino == want->st_ino)
			return err_set(E_REFUSED, "%s is attached to /dev/%s", path, e->d_name);
	}
	f = fopen("/proc/swaps", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char sp[400];

		if (sscanf(line, "%399s", sp) == 1 && stat(sp, &st) == 0 &&
		    st.st_dev == want->st_dev && st.st_ino == want->st_ino)
			return err_set(E_REFUSED, "%s is in use as a swap file", path);
	}
	return 0;
}

int bench_check_unused(const char *path)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return err_set(-errno, "%s: %m", path);
	if (S_ISREG(st.st_mode))
		return file_unused(&st, path);
	if (!S_ISBLK(st.st_mode))
		return err_set(-ENOTBLK, "%s: neither a block device nor an image file", path);
	r = dev_unused(st.st_rdev, path, path);
	if (r < 0)
		return r;
	return partitions_unused(st.st_rdev, path);
}
