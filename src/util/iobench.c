// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "io.h"
#include "iobench.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int iobench_open(const char *path, int flags, bool *direct, uint64_t *size)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	*direct = true;
	fd = open(path, flags | O_DIRECT | O_CLOEXEC);
	/* tmpfs and some FUSE filesystems under an image file refuse O_DIRECT with EINVAL. */
	if (fd < 0 && errno == EINVAL) {
		*direct = false;
		fd = open(path, flags | O_CLOEXEC);
	}
	if (fd < 0)
		return err_set(-errno, "%s: cannot open: %m", path);
	if (fstat(fd, &st) < 0)
		return err_set(-errno, "%s: cannot stat: %m", path);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0)
			return err_set(-errno, "%s: cannot get the device size: %m", path);
	} else if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else {
		return err_set(-ENOTBLK, "%s: neither a block device nor an image file", path);
	}
	return TAKE_FD(fd);
}

static int check_range(const char *name, uint64_t off, uint64_t len)
{
	if (!len || off % IOBENCH_ALIGN || len % IOBENCH_ALIGN)
		return err_set(-EINVAL, "%s: range %" PRIu64 "+%" PRIu64 " is not a non-empty "
			       "multiple of %u B", name, off, len, IOBENCH_ALIGN);
	return 0;
}

static int chunk_buffer(void **buf)
{
	/* Page alignment satisfies O_DIRECT on every logical block size up to 4096. */
	int r = posix_memalign(buf, IOBENCH_ALIGN, IOBENCH_CHUNK);

	if (r)
		return err_set(-r, "cannot allocate a %u B I/O buffer", IOBENCH_CHUNK);
	return 0;
}

int iobench_read(int fd, const char *name, bool direct, uint64_t off, uint64_t len,
		 struct iobench_result *res)
{
	_cleanup_free_ void *buf = NULL;
	uint64_t done = 0;
	double t0;
	int r;

	memset(res, 0, sizeof(*res));
	r = check_range(name, off, len);
	if (r < 0)
		return r;
	r = chunk_buffer(&buf);
	if (r < 0)
		return r;
	/* Buffered: what an earlier read left in the cache would be measured instead of the disk. */
	if (!direct)
		posix_fadvise(fd, (off_t)off, (off_t)len, POSIX_FADV_DONTNEED);
	t0 = now();
	while (done < len) {
		size_t n = len - done < IOBENCH_CHUNK ? (size_t)(len - done) : IOBENCH_CHUNK, got;

		r = pread_all(fd, buf, n, off + done, &got);
		if (r == -ENODATA)
			return err_set(r, "%s: ends at byte %" PRIu64 ", before the %" PRIu64
				       " B to read", name, off + done + got, off + len);
		if (r < 0)
			return err_set(r, "%s: read error at byte %" PRIu64 ": %s", name,
				       off + done + got, strerror(-r));
		done += n;
	}
	res->seconds = now() - t0;
	res->bytes = done;
	res->direct = direct;
	return 0;
}

/* Non-zero, incompressible-looking bytes: zeros could be skipped by thin or compressing storage. */
static void fill_pattern(uint8_t *buf, size_t len)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, 8);
	}
}

int iobench_write(int fd, const char *name, bool direct, uint64_t off, uint64_t len,
		  struct iobench_result *res)
{
	_cleanup_free_ void *buf = NULL;
	uint64_t done = 0;
	double t0;
	int r;

	memset(res, 0, sizeof(*res));
	r = check_range(name, off, len);
	if (r < 0)
		return r;
	r = chunk_buffer(&buf);
	if (r < 0)
		return r;
	fill_pattern(buf, IOBENCH_CHUNK);
	t0 = now();
	while (done < len) {
		size_t n = len - done < IOBENCH_CHUNK ? (size_t)(len - done) : IOBENCH_CHUNK, put;

		r = pwrite_all(fd, buf, n, off + done, &put);
		if (r == -ENOSPC)
			return err_set(r, "%s: no room at byte %" PRIu64, name, off + done + put);
		if (r < 0)
			return err_set(r, "%s: write error at byte %" PRIu64 ": %s", name,
				       off + done + put, strerror(-r));
		done += n;
	}
	/* O_DIRECT bypasses the page cache, not the device's write cache: flush both ways. */
	if (fdatasync(fd) < 0)
		return err_set(-errno, "%s: flush failed: %m", name);
	res->seconds = now() - t0;
	res->bytes = done;
	res->direct = direct;
	return 0;
}

double iobench_mibs(const struct iobench_result *res)
{
	if (res->seconds <= 0)
		return 0;
	return (double)res->bytes / (1024.0 * 1024.0) / res->seconds;
}
