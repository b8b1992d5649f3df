// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mountfs.h"
#include "../layer/sysfs.h"
#include "../util/err.h"
#include "../util/exec.h"

bool mountfs_kind(const char *type)
{
	return !strcmp(type, "xfs") || !strcmp(type, "btrfs");
}

/* Where dev is mounted (any mount of it: a btrfs subvolume's does as well as the top's). */
static int mounted_at(const char *dev, char dir[PATH_MAX])
{
	struct stat st;

	if (stat(dev, &st) < 0)
		return err_set(-errno, "%s: %m", dev);
	return S_ISBLK(st.st_mode) ? blk_mount_point(st.st_rdev, dir, PATH_MAX) : -ENOENT;
}

struct mnt {
	char dir[PATH_MAX];
	bool ours;
};

/*
 * Where the tool can reach dev's filesystem: its mount, or one of ours. A
 * btrfs whose device node is not the one mounted (another device of the same
 * filesystem) is not found as mounted, and its mount here fails cleanly.
 */
static int mnt_get(const char *dev, const char *type, bool ro, struct mnt *m)
{
	static bool unshared;
	const char *opts = ro && !strcmp(type, "btrfs") ? "rescue=nologreplay" : NULL;

	memset(m, 0, sizeof(*m));
	if (mounted_at(dev, m->dir) == 0)
		return 0;
	/* Our own namespace: nothing else sees the mount, and it ends with this process. */
	if (!unshared) {
		if (unshare(CLONE_NEWNS) < 0)
			return err_set(-errno, "cannot make a private mount namespace: %m");
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			return err_set(-errno, "cannot make the mounts private: %m");
		unshared = true;
	}
	(void)mkdir("/run/shrinkbox", 0700);
	snprintf(m->dir, sizeof(m->dir), "/run/shrinkbox/mnt.XXXXXX");
	if (!mkdtemp(m->dir))
		return err_set(-errno, "cannot make a mount point under /run/shrinkbox: %m");
	if (mount(dev, m->dir, type, MS_NOSUID | MS_NODEV | MS_NOEXEC | (ro ? MS_RDONLY : 0),
		  opts) < 0) {
		int e = errno;

		rmdir(m->dir);
		return err_set(-e, "cannot mount %s (%s) on a private mount point: %s", dev, type,
			       strerror(e));
	}
	m->ours = true;
	return 0;
}

static int mnt_put(struct mnt *m)
{
	if (!m->ours)
		return 0;
	m->ours = false;
	if (umount2(m->dir, 0) < 0)
		return err_set(-errno, "cannot unmount %s: %m", m->dir);
	rmdir(m->dir);
	return 0;
}

int mountfs_min(const char *dev, const struct fs_info *fi, uint64_t *bytes)
{
	char *argv[] = { "btrfs", "inspect-internal", "min-dev-size", NULL, NULL };
	char out[1024];
	struct mnt m;
	int st, r, r2;

	if (strcmp(fi->type, "btrfs"))
		return err_set(-EINVAL, "%s: %s has no minimum to read", dev, fi->type);
	r = mnt_get(dev, "btrfs", true, &m);
	if (r < 0)
		return r;
	argv[3] = m.dir;
	r = run_program(argv, &st, out, sizeof(out));
	r2 = mnt_put(&m);
	if (r < 0)
		return r;
	if (st != 0 || out[0] < '0' || out[0] > '9')
		return err_set(-EIO, "btrfs inspect-internal min-dev-size of %s failed (exit %d): "
			       "%.300s", dev, st, out);
	*bytes = strtoull(out, NULL, 10);
	if (*bytes < BTRFS_MIN_DEV_BYTES)
		*bytes = BTRFS_MIN_DEV_BYTES;
	return r2;
}

/*
 * The size a mounted filesystem has now, as the kernel reports it through its
 * tool: its superblock on the device may be written only later (XFS logs the
 * change and writes the superblock at a checkpoint), so it is not read there.
 */
static int mounted_size(const char *dir, const struct fs_info *fi, uint64_t *bytes)
{
	char *geom[] = { "xfs_growfs", "-n", (char *)dir, NULL };
	char *show[] = { "btrfs", "filesystem", "show", "--raw", (char *)dir, NULL };
	bool xfs = !strcmp(fi->type, "xfs");
	char out[4096], *p;
	unsigned long long a, b;
	int st, r;

	r = run_program(xfs ? geom : show, &st, out, sizeof(out));
	if (r < 0)
		return r;
	if (xfs) {
		/* "data     =                       bsize=4096   blocks=176640, imaxpct=25" */
		p = strstr(out, "\ndata ");
		if (st == 0 && p && (p = strstr(p, "bsize=")) && sscanf(p, "bsize=%llu blocks=%llu",
									&a, &b) == 2) {
			*bytes = a * b;
			return 0;
		}
	} else {
		/* "devid    1 size 628076544 used 92274688 path /dev/..." */
		for (p = strstr(out, "devid"); st == 0 && p; p = strstr(p + 1, "devid"))
			if (sscanf(p, "devid %llu size %llu", &a, &b) == 2 && a == fi->fs_devid) {
				*bytes = b;
				return 0;
			}
	}
	return err_set(-EIO, "cannot read the size of the filesystem mounted at %s: %.200s", dir,
		       out);
}

int mountfs_resize(const char *dev, const struct fs_info *fi, uint64_t bytes,
		   const struct fsresize_opts *o, bool *online)
{
	char size[48], out[2048];
	char *grow[] = { "xfs_growfs", "-D", size, NULL, NULL };
	char *resize[] = { "btrfs", "filesystem", "resize", size, NULL, NULL };
	char *check[] = { "btrfs", "check", "--readonly", (char *)dev, NULL };
	bool xfs = !strcmp(fi->type, "xfs"), ours;
	struct mnt m;
	int st, r, r2;

	if (xfs)
		snprintf(size, sizeof(size), "%" PRIu64, bytes / fi->block_size);
	else	/* This device, by the devid of its own superblock's device item. */
		snprintf(size, sizeof(size), "%" PRIu64 ":%" PRIu64, fi->fs_devid, bytes);
	r = mnt_get(dev, fi->type, false, &m);
	if (r < 0)
		return r;
	ours = m.ours;
	*online = !ours;
	grow[3] = resize[4] = m.dir;
	o->say("%s %s %s%s", xfs ? "xfs_growfs -D" : "btrfs filesystem resize", size,
	       m.ours ? "on a private mount of " : "online, at ", m.ours ? dev : m.dir);
	r = run_program(xfs ? grow : resize, &st, out, sizeof(out));
	if (r == 0 && st == 0 && !ours) {
		uint64_t now = 0;

		/* Online: the kernel's figure is the check; the device's copy may lag. */
		r = mounted_size(m.dir, fi, &now);
		if (r == 0 && now != bytes)
			r = err_set(-EIO, "%s: the %s mounted at %s covers %" PRIu64 " B after the "
				    "resize, not the %" PRIu64 " B intended", dev, fi->type, m.dir, now,
				    bytes);
		return r;
	}
	r2 = mnt_put(&m);
	if (r < 0)
		return r;
	if (st != 0)
		return err_set(-EIO, "%s failed (exit %d): %.400s", xfs ? "xfs_growfs" :
			       "btrfs filesystem resize", st, out);
	if (r2 < 0)
		return r2;
	/* Only what this command mounted is unmounted now, and can be checked. */
	if (xfs || !ours)
		return 0;
	o->say("btrfs check --readonly %s", dev);
	r = run_program(check, &st, out, sizeof(out));
	if (r < 0)
		return r;
	if (st != 0)
		return err_set(-EIO, "btrfs check --readonly %s after the resize reports problems "
			       "(exit %d): %.400s", dev, st, out);
	return 0;
}
