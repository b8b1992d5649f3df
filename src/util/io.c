// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "io.h"
#include "strfmt.h"

int dev_open(const char *path, int flags, uint64_t *size, bool *is_blk)
{
	struct stat st;
	int fd;

	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return err_set(-errno, "%s: cannot open: %m", path);
	if (fstat(fd, &st) < 0) {
		int r = -errno;

		close(fd);
		return err_set(r, "%s: cannot stat: %m", path);
	}
	*is_blk = S_ISBLK(st.st_mode);
	if (*is_blk) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0) {
			int r = -errno;

			close(fd);
			return err_set(r, "%s: cannot get the device size: %m", path);
		}
	} else if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else {
		close(fd);
		return err_set(-ENOTBLK, "%s: neither a block device nor an image file", path);
	}
	return fd;
}

int pread_all(int fd, void *buf, size_t len, uint64_t off, size_t *done)
{
	size_t d = 0;
	int r = 0;

	while (d < len) {
		ssize_t n = pread(fd, (char *)buf + d, len - d, (off_t)(off + d));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -ENODATA;
			break;
		}
		d += (size_t)n;
	}
	if (done)
		*done = d;
	return r;
}

int pwrite_all(int fd, const void *buf, size_t len, uint64_t off, size_t *done)
{
	size_t d = 0;
	int r = 0;

	while (d < len) {
		ssize_t n = pwrite(fd, (const char *)buf + d, len - d, (off_t)(off + d));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -ENOSPC;
			break;
		}
		d += (size_t)n;
	}
	if (done)
		*done = d;
	return r;
}

/*
 * O_DIRECT wants offset, length and buffer aligned to the logical block size:
 * read the aligned span around the bytes (4096 covers 512 and 4K sectors) into
 * a bounce buffer. The span never passes the device's end, which is itself a
 * whole number of sectors.
 */
#define DIRECT_ALIGN 4096

static int direct_read(const struct region *r, uint64_t off, void *buf, size_t len)
{
	uint64_t abs = r->off + off, start = abs / DIRECT_ALIGN * DIRECT_ALIGN;
	uint64_t end = (abs + len + DIRECT_ALIGN - 1) / DIRECT_ALIGN * DIRECT_ALIGN, limit;
	_cleanup_free_ void *bounce = NULL;
	size_t done;
	int e;

	limit = (r->off + r->size + 511) / 512 * 512;
	if (end > limit)
		end = limit;
	if (end - start > SIZE_MAX || posix_memalign(&bounce, DIRECT_ALIGN, (size_t)(end - start)))
		return -ENOMEM;
	e = pread_all(r->fd, bounce, (size_t)(end - start), start, &done);
	if (e == 0 || (e == -ENODATA && start + done >= abs + len)) {
		memcpy(buf, (char *)bounce + (abs - start), len);
		return 0;
	}
	return err_set(e < 0 ? e : -EIO, "%s: read error at byte %" PRIu64 " (O_DIRECT): %s",
		       r->name, off, strerror(e < 0 ? -e : EIO));
}

int region_read(const struct region *r, uint64_t off, void *buf, size_t len)
{
	size_t done;
	int e;

	if (off > r->size || len > r->size - off)
		return err_set(-ENODATA,
			       "%s: truncated: needs bytes %" PRIu64 "..%" PRIu64 " but has only %" PRIu64,
			       r->name, off, off + len, r->size);
	if (r->direct)
		return direct_read(r, off, buf, len);
	e = pread_all(r->fd, buf, len, r->off + off, &done);
	if (e == -ENODATA)
		return err_set(e, "%s: truncated at byte %" PRIu64, r->name, off + done);
	if (e < 0)
		return err_set(e, "%s: read error at byte %" PRIu64 ": %s", r->name, off + done,
			       strerror(-e));
	return 0;
}

struct region region_sub(const struct region *r, uint64_t off, uint64_t len)
{
	struct region s = *r;

	if (off > r->size)
		off = r->size;
	if (len > r->size - off)
		len = r->size - off;
	s.off = r->off + off;
	s.size = len;
	return s;
}

/* mkdir -p: the backup directory may be new, on a fresh /run or a USB stick. */
int mkdir_parents(const char *dir, mode_t mode)
{
	char path[PATH_MAX];

	if (str_fmt(path, sizeof(path), "%s", dir) < 0)
		return -ENAMETOOLONG;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
