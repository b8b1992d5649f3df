// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "io.h"

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

int region_read(const struct region *r, uint64_t off, void *buf, size_t len)
{
	size_t done;
	int e;

	if (off > r->size || len > r->size - off)
		return err_set(-ENODATA,
			       "%s: truncated: needs bytes %" PRIu64 "..%" PRIu64 " but has only %" PRIu64,
			       r->name, off, off + len, r->size);
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
