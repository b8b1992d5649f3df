/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A byte range copied from one open device to another (or within one), with
 * reading and writing overlapped: a reader thread fills a small ring of
 * buffers while the caller's thread writes them out in order. Through
 * dm-crypt the read decrypts and the write encrypts, so on two CPUs the two
 * halves run side by side instead of one after the other (bench/defrag-vm.sh).
 * The caller flushes and commits; this only moves bytes.
 */
#ifndef SB_COPY_H
#define SB_COPY_H

#include <stddef.h>
#include <stdint.h>

#define COPY_ALIGN 4096u		/* buffer alignment: O_DIRECT on any block size */
#define COPY_RING_BYTES (64u << 20)	/* most memory the ring may take */
#define COPY_DEPTH_MAX 4u

struct copy_end {
	int fd;
	const char *name;		/* for messages */
};

struct copy_job {
	struct copy_end src, dst;
	uint64_t from, to, len;		/* bytes; the ranges must not overlap */
	size_t chunk;			/* bytes per read and write, a multiple of COPY_ALIGN */
	/* Called on the caller's thread after each chunk is written; may be NULL. */
	void (*written)(void *arg, uint64_t bytes);
	void *arg;
};

/* Buffers in the ring for a chunk size: 2 (one read, one write in flight) up to COPY_DEPTH_MAX. */
unsigned copy_depth(size_t chunk);

/* Copies the range. 0, or -errno with a message naming the device and the byte. */
int copy_range(const struct copy_job *j);

#endif
