/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Timed sequential I/O over a byte range of a block device or image file, for
 * "bench device". O_DIRECT with page-aligned buffers and large chunks, so the
 * figure is the device's (and dm-crypt's), not the page cache's. Where the
 * filesystem under an image refuses O_DIRECT the range is read buffered after
 * its cached pages are dropped, and the result says so.
 */
#ifndef SB_IOBENCH_H
#define SB_IOBENCH_H

#include <stdbool.h>
#include <stdint.h>

/* Large enough that per-request overhead vanishes, small enough for any initramfs. */
#define IOBENCH_CHUNK (4u << 20)
/*
 * Every offset and length is a multiple of this: O_DIRECT wants the logical
 * block size, which is at most 4096 on the devices we meet.
 */
#define IOBENCH_ALIGN 4096u

struct iobench_result {
	uint64_t bytes;
	double seconds;
	bool direct;		/* O_DIRECT; else buffered with the range dropped from the cache */
};

/*
 * Opens path with flags (O_RDONLY, or O_RDWR with or without O_EXCL) plus
 * O_DIRECT, or without O_DIRECT where the filesystem refuses it (*direct says
 * which), and sizes it (BLKGETSIZE64, or st_size for an image file). Returns
 * the fd or -errno (message in err_msg(); -EBUSY when O_EXCL found it in use).
 */
int iobench_open(const char *path, int flags, bool *direct, uint64_t *size);

/*
 * Reads [off, off + len) in IOBENCH_CHUNK pieces and times it. off and len
 * must be multiples of IOBENCH_ALIGN. 0 or -errno (message in err_msg()).
 */
int iobench_read(int fd, const char *name, bool direct, uint64_t off, uint64_t len,
		 struct iobench_result *res);

/*
 * Overwrites [off, off + len) with a fixed non-zero pattern and times it up
 * to and including the flush to stable storage (fdatasync): a write is done
 * when it is durable. Destroys what was there. 0 or -errno.
 */
int iobench_write(int fd, const char *name, bool direct, uint64_t off, uint64_t len,
		  struct iobench_result *res);

/* MiB/s of a result; 0 when nothing was timed. */
double iobench_mibs(const struct iobench_result *res);

#endif
