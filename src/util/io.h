/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A region is a byte range of an open device or image file: a whole disk, a
 * partition inside an image, the extents of an inactive LV. Readers of every
 * layer take a region, so the same code reads a PV from /dev/sda3, from
 * partition 3 of disk.img, or through /dev/mapper/cr.
 */
#ifndef SB_IO_H
#define SB_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdbool.h>

/* The longest device path kept (a /dev node or an image file name). */
#define DEV_PATH_MAX 256

struct region {
	int fd;
	uint64_t off;		/* bytes from the start of fd */
	uint64_t size;		/* bytes */
	const char *name;	/* for messages */
	bool direct;		/* fd is O_DIRECT: reads go through an aligned bounce buffer */
};

/*
 * Opens path read-only and sizes it (BLKGETSIZE64 for block devices, st_size
 * for files). Returns an fd >= 0 or -errno; *size and *is_blk are set.
 */
int dev_open(const char *path, int flags, uint64_t *size, bool *is_blk);

/*
 * Reads len bytes at off within the region. A range that runs past the end of
 * the region is -ENODATA with a "truncated" message: a short image is bad
 * input, not an I/O error.
 */
int region_read(const struct region *r, uint64_t off, void *buf, size_t len);

/*
 * pread/pwrite until len bytes are done, retrying EINTR and short transfers.
 * Returns 0 or -errno: -ENODATA when the file ends first (read), -ENOSPC when
 * the device takes no more (write). *done (may be NULL) says how far it got.
 * No message: the caller names the device, and these also run on the copy
 * thread (src/util/copy.c).
 */
int pread_all(int fd, void *buf, size_t len, uint64_t off, size_t *done);
int pwrite_all(int fd, const void *buf, size_t len, uint64_t off, size_t *done);

/* mkdir -p DIR (the last component with mode): 0 or -errno. */
int mkdir_parents(const char *dir, mode_t mode);

/* The sub-region [off, off+len) of r, clamped to r. */
struct region region_sub(const struct region *r, uint64_t off, uint64_t len);

#endif
