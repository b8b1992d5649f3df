// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sysfs.h"
#include "../util/cleanup.h"
#include "../util/strfmt.h"

static void sys_path(dev_t dev, const char *rel, char *out, size_t len)
{
	snprintf(out, len, "/sys/dev/block/%u:%u/%s", major(dev), minor(dev), rel);
}

int sysfs_read_attr(const char *path, char *out, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, out, len - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int blk_partition_of(dev_t dev, char disk[DEV_PATH_MAX], unsigned *partno)
{
	char p[PATH_MAX], buf[32], real[PATH_MAX], *slash;
	int r;

	sys_path(dev, "partition", p, sizeof(p));
	r = sysfs_read_attr(p, buf, sizeof(buf));
	if (r < 0)
		return -ENOENT;
	*partno = (unsigned)strtoul(buf, NULL, 10);
	sys_path(dev, "", p, sizeof(p));
	if (!realpath(p, real))
		return -errno;
	/* .../block/<disk>/<part>: the parent directory names the disk. */
	slash = strrchr(real, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	slash = strrchr(real, '/');
	if (!slash)
		return -ENOENT;
	return str_fmt(disk, DEV_PATH_MAX, "/dev/%s", slash + 1);
}

int blk_partition_path(dev_t disk, unsigned partno, char out[DEV_PATH_MAX])
{
	char p[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *e;

	sys_path(disk, "", p, sizeof(p));
	d = opendir(p);
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		char ap[PATH_MAX], buf[32];

		if (e->d_name[0] == '.')
			continue;
		if (str_fmt(ap, sizeof(ap), "%s/%s/partition", p, e->d_name) < 0)
			continue;
		if (sysfs_read_attr(ap, buf, sizeof(buf)) == 0 && strtoul(buf, NULL, 10) == partno) {
			if (str_fmt(out, DEV_PATH_MAX, "/dev/%s", e->d_name) < 0)
				return -ENAMETOOLONG;
			return access(out, F_OK) == 0 ? 0 : -ENOENT;
		}
	}
	return -ENOENT;
}

int blk_dm_info(dev_t dev, char name[128], char uuid[160])
{
	char p[PATH_MAX];

	sys_path(dev, "dm/name", p, sizeof(p));
	if (sysfs_read_attr(p, name, 128) < 0)
		return -ENOENT;
	sys_path(dev, "dm/uuid", p, sizeof(p));
	if (sysfs_read_attr(p, uuid, 160) < 0)
		uuid[0] = '\0';
	return 0;
}

static int dev_of_name(const char *dir, const char *name, dev_t *dev)
{
	char p[PATH_MAX], buf[32];
	unsigned ma, mi;

	if (str_fmt(p, sizeof(p), "%s/%s/dev", dir, name) < 0)
		return -ENAMETOOLONG;
	if (sysfs_read_attr(p, buf, sizeof(buf)) < 0 || sscanf(buf, "%u:%u", &ma, &mi) != 2)
		return -ENOENT;
	*dev = makedev(ma, mi);
	return 0;
}

int blk_crypt_holder(dev_t dev, char name[128])
{
	char p[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *e;

	sys_path(dev, "holders", p, sizeof(p));
	d = opendir(p);
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		char uuid[160];
		dev_t h;

		if (e->d_name[0] == '.' || dev_of_name(p, e->d_name, &h) < 0)
			continue;
		if (blk_dm_info(h, name, uuid) == 0 && !strncmp(uuid, "CRYPT-LUKS", 10))
			return 0;
	}
	return -ENOENT;
}

int blk_dm_slave(dev_t dev, char out[DEV_PATH_MAX])
{
	char p[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *e;
	int n = 0;

	sys_path(dev, "slaves", p, sizeof(p));
	d = opendir(p);
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n++)
			return -EMLINK;
		if (str_fmt(out, DEV_PATH_MAX, "/dev/%s", e->d_name) < 0)
			return -ENAMETOOLONG;
	}
	return n ? 0 : -ENOENT;
}

int blk_holders(dev_t dev, char *out, size_t len)
{
	char p[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *e;
	size_t o = 0;

	out[0] = '\0';
	sys_path(dev, "holders", p, sizeof(p));
	d = opendir(p);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		int n;

		if (e->d_name[0] == '.')
			continue;
		n = snprintf(out + o, len - o, "%s%s", o ? "," : "", e->d_name);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return 0;
}

int blk_dm_path(const char *name, char out[DEV_PATH_MAX])
{
	if (str_fmt(out, DEV_PATH_MAX, "/dev/mapper/%s", name) < 0)
		return -ENAMETOOLONG;
	return access(out, F_OK) == 0 ? 0 : -ENOENT;
}

int blk_mount_point(dev_t dev, char *dir, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	while (f && fgets(line, sizeof(line), f)) {
		char mp[PATH_MAX], src[PATH_MAX], *sep;
		unsigned ma, mi;
		struct stat st;
		bool hit;

		/*
		 * ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - TYPE SOURCE SUPER: a
		 * btrfs shows an anonymous MAJ:MIN (one per filesystem, for all its
		 * devices), so its SOURCE, the device it was mounted from, is compared too.
		 */
		if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &ma, &mi, mp) != 3)
			continue;
		hit = makedev(ma, mi) == dev;
		sep = strstr(line, " - ");
		if (!hit && sep && sscanf(sep, " - %*s %4095s", src) == 1 && src[0] == '/' &&
		    stat(src, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == dev)
			hit = true;
		if (!hit)
			continue;
		/* Octal escapes (\040 for a space) are not undone: such a path is not given. */
		if (dir && strchr(mp, '\\'))
			continue;
		if (dir)
			snprintf(dir, len, "%s", mp);
		return 0;
	}
	return -ENOENT;
}

bool blk_mounted(dev_t dev)
{
	return blk_mount_point(dev, NULL, 0) == 0;
}

static bool same_file(const char *path, const struct stat *b)
{
	struct stat a;

	return stat(path, &a) == 0 && a.st_dev == b->st_dev && a.st_ino == b->st_ino;
}

/*
 * Walks down from dev: the device itself, the disk of a partition, the
 * devices a dm or md device is built on (its "slaves"), the backing file of a
 * loop device; true when base (a block device number, or a regular file) is
 * among them. Depth-limited: stacks are a handful of layers.
 */
static bool stacked_on(dev_t dev, const struct stat *base, unsigned depth)
{
	char p[PATH_MAX], name[DEV_PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *e;
	unsigned partno;
	dev_t next;

	if (depth > 16)
		return false;
	if (S_ISBLK(base->st_mode) && dev == base->st_rdev)
		return true;
	if (S_ISREG(base->st_mode)) {
		char file[PATH_MAX];

		sys_path(dev, "loop/backing_file", p, sizeof(p));
		if (sysfs_read_attr(p, file, sizeof(file)) == 0 && same_file(file, base))
			return true;
	}
	if (blk_partition_of(dev, name, &partno) == 0 &&
	    dev_of_name("/sys/class/block", strrchr(name, '/') + 1, &next) == 0 &&
	    stacked_on(next, base, depth + 1))
		return true;
	sys_path(dev, "slaves", p, sizeof(p));
	d = opendir(p);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && dev_of_name("/sys/class/block", e->d_name, &next) == 0 &&
		    stacked_on(next, base, depth + 1))
			return true;
	return false;
}

bool blk_related(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return !strcmp(a, b);
	if (!S_ISBLK(sa.st_mode) && !S_ISBLK(sb.st_mode))
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	return (S_ISBLK(sa.st_mode) && stacked_on(sa.st_rdev, &sb, 0)) ||
	       (S_ISBLK(sb.st_mode) && stacked_on(sb.st_rdev, &sa, 0));
}

bool blk_suspended(const char *path)
{
	char p[PATH_MAX], buf[8];
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	sys_path(st.st_rdev, "dm/suspended", p, sizeof(p));
	return sysfs_read_attr(p, buf, sizeof(buf)) == 0 && buf[0] == '1';
}
