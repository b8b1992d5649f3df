// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The overlapped copy (src/util/copy.c) on a temporary file: every byte lands
 * where it should for chunk sizes that do and do not divide the length, with
 * the ring at its smallest and largest depth; progress adds up to the length;
 * overlapping ranges and unaligned chunks are refused; a source that ends
 * inside the range fails with the byte, and nothing past the failed chunk is
 * written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "util/copy.h"
#include "util/err.h"
#include "util/io.h"

#define CHUNK 4096u

static int tmp_file(size_t len, uint8_t **pattern)
{
	char path[] = "/tmp/sb-copy-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *p = malloc(len);
	uint64_t x = 88172645463325252ull;

	unlink(path);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
	if (fd < 0 || pwrite_all(fd, p, len, 0, NULL) < 0)
		abort();
	*pattern = p;
	return fd;
}

static void add(void *arg, uint64_t n)
{
	*(uint64_t *)arg += n;
}

TEST(copy_every_byte_at_every_depth)
{
	const size_t total = 64 * CHUNK;
	const size_t chunks[] = { CHUNK, 3 * CHUNK, 7 * CHUNK, 64 * CHUNK, 128 * CHUNK };

	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		uint8_t *p, *got = malloc(total);
		int fd = tmp_file(total, &p);
		uint64_t seen = 0;
		/* 20 chunks from the front to the back half, a length no chunk divides. */
		struct copy_job j = {
			.src = { fd, "src" }, .dst = { fd, "dst" },
			.from = 0, .to = 40 * CHUNK, .len = 20 * CHUNK + 0, .chunk = chunks[c],
			.written = add, .arg = &seen,
		};

		CHECK_INT(copy_range(&j), 0);
		CHECK_U64(seen, j.len);
		CHECK_INT(pread_all(fd, got, total, 0, NULL), 0);
		/* Source and gap untouched, the copy, the tail untouched. */
		CHECK(!memcmp(got, p, 40 * CHUNK));
		CHECK(!memcmp(got + 40 * CHUNK, p, 20 * CHUNK));
		CHECK(!memcmp(got + 60 * CHUNK, p + 60 * CHUNK, 4 * CHUNK));
		close(fd);
		free(p);
		free(got);
	}
}

TEST(copy_depth_bounds)
{
	CHECK_INT(copy_depth(4096), COPY_DEPTH_MAX);
	CHECK_INT(copy_depth(4u << 20), COPY_DEPTH_MAX);
	CHECK_INT(copy_depth(32u << 20), 2);
	CHECK_INT(copy_depth(256u << 20), 2);
	/* The ring never takes more than COPY_RING_BYTES unless two chunks already do. */
	for (size_t c = 4096; c <= (64u << 20); c *= 2)
		CHECK(copy_depth(c) * c <= COPY_RING_BYTES || copy_depth(c) == 2);
}

TEST(copy_refuses_overlap_and_unaligned_chunks)
{
	uint8_t *p, *got = malloc(16 * CHUNK);
	int fd = tmp_file(16 * CHUNK, &p);
	struct copy_job j = {
		.src = { fd, "dev" }, .dst = { fd, "dev" },
		.from = 0, .to = 4 * CHUNK, .len = 8 * CHUNK, .chunk = CHUNK,
	};

	err_clear();
	CHECK_INT(copy_range(&j), -EINVAL);
	CHECK_MSG("overlapping");
	j.to = 8 * CHUNK;
	j.chunk = CHUNK + 512;
	CHECK_INT(copy_range(&j), -EINVAL);
	CHECK_MSG("multiple of 4096");
	CHECK_INT(pread_all(fd, got, 16 * CHUNK, 0, NULL), 0);
	CHECK(!memcmp(got, p, 16 * CHUNK));
	close(fd);
	free(p);
	free(got);
}

TEST(copy_short_source_fails_and_stops)
{
	uint8_t *p, *q, *got = malloc(32 * CHUNK);
	int src = tmp_file(10 * CHUNK + 100, &p);	/* ends inside the 3rd chunk of 4 */
	int dst = tmp_file(32 * CHUNK, &q);
	struct copy_job j = {
		.src = { src, "short-src" }, .dst = { dst, "dst" },
		.from = 2 * CHUNK, .to = 0, .len = 16 * CHUNK, .chunk = 4 * CHUNK,
	};

	err_clear();
	CHECK_INT(copy_range(&j), -ENODATA);
	CHECK_MSG("short-src: ends at byte 41060");
	CHECK_INT(pread_all(dst, got, 32 * CHUNK, 0, NULL), 0);
	CHECK(!memcmp(got, p + 2 * CHUNK, 8 * CHUNK));		/* the chunks before it */
	CHECK(!memcmp(got + 8 * CHUNK, q + 8 * CHUNK, 24 * CHUNK));	/* nothing after */
	close(src);
	close(dst);
	free(p);
	free(q);
	free(got);
}
