// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "err.h"
#include "io.h"

struct slot {
	void *buf;
	size_t len;
	bool full;
};

struct ring {
	const struct copy_job *job;
	struct slot slot[COPY_DEPTH_MAX];
	unsigned depth;
	pthread_mutex_t lock;
	pthread_cond_t filled, emptied;
	bool stop;			/* the writer gave up: the reader must too */
	int rerr;			/* the reader's -errno, or 0 */
	uint64_t rerr_at;		/* the byte of the source it failed at */
};

unsigned copy_depth(size_t chunk)
{
	size_t d = chunk ? COPY_RING_BYTES / chunk : COPY_DEPTH_MAX;

	if (d < 2)
		return 2;
	return d > COPY_DEPTH_MAX ? COPY_DEPTH_MAX : (unsigned)d;
}

/*
 * The reader: chunk k goes into slot k % depth once the writer has emptied it.
 * It sets no error message (that is per thread); the writer reports rerr.
 */
static void *reader(void *arg)
{
	struct ring *g = arg;
	const struct copy_job *j = g->job;

	for (uint64_t off = 0, k = 0; off < j->len; k++) {
		struct slot *s = &g->slot[k % g->depth];
		size_t n = j->len - off < j->chunk ? (size_t)(j->len - off) : j->chunk, got;
		bool stop;
		int r;

		pthread_mutex_lock(&g->lock);
		while (s->full && !g->stop)
			pthread_cond_wait(&g->emptied, &g->lock);
		stop = g->stop;
		pthread_mutex_unlock(&g->lock);
		if (stop)
			break;
		r = pread_all(j->src.fd, s->buf, n, j->from + off, &got);
		pthread_mutex_lock(&g->lock);
		if (r < 0) {
			g->rerr = r;
			g->rerr_at = j->from + off + got;
		} else {
			s->len = n;
			s->full = true;
		}
		pthread_cond_signal(&g->filled);
		pthread_mutex_unlock(&g->lock);
		if (r < 0)
			break;
		off += n;
	}
	return NULL;
}

static int write_all(struct ring *g)
{
	const struct copy_job *j = g->job;

	for (uint64_t off = 0, k = 0; off < j->len; k++) {
		struct slot *s = &g->slot[k % g->depth];
		size_t put;
		int r;

		pthread_mutex_lock(&g->lock);
		while (!s->full && !g->rerr)
			pthread_cond_wait(&g->filled, &g->lock);
		/* Chunks before a read error are still written: the failed one is not. */
		r = s->full ? 0 : g->rerr;
		pthread_mutex_unlock(&g->lock);
		if (r == -ENODATA)
			return err_set(r, "%s: ends at byte %" PRIu64 ", inside the range to copy",
				       j->src.name, g->rerr_at);
		if (r < 0)
			return err_set(r, "%s: read error at byte %" PRIu64 ": %s", j->src.name,
				       g->rerr_at, strerror(-r));
		r = pwrite_all(j->dst.fd, s->buf, s->len, j->to + off, &put);
		if (r < 0)
			return err_set(r, "%s: write error at byte %" PRIu64 ": %s", j->dst.name,
				       j->to + off + put, strerror(-r));
		off += s->len;
		if (j->written)
			j->written(j->arg, s->len);
		pthread_mutex_lock(&g->lock);
		s->full = false;
		pthread_cond_signal(&g->emptied);
		pthread_mutex_unlock(&g->lock);
	}
	return 0;
}

int copy_range(const struct copy_job *j)
{
	struct ring g = { .job = j, .depth = copy_depth(j->chunk) };
	pthread_t t;
	int r;

	if (!j->chunk || j->chunk % COPY_ALIGN)
		return err_set(-EINVAL, "chunk size %zu is not a multiple of %u bytes", j->chunk,
			       COPY_ALIGN);
	if (j->src.fd == j->dst.fd && j->from < j->to + j->len && j->to < j->from + j->len)
		return err_set(-EINVAL, "internal error: overlapping copy %" PRIu64 " -> %" PRIu64
			       " (%" PRIu64 " bytes)", j->from, j->to, j->len);
	if (!j->len)
		return 0;
	for (unsigned i = 0; i < g.depth; i++) {
		if (posix_memalign(&g.slot[i].buf, COPY_ALIGN, j->chunk)) {
			r = err_set(-ENOMEM, "cannot allocate %u copy buffers of %zu bytes",
				    g.depth, j->chunk);
			goto out;
		}
	}
	pthread_mutex_init(&g.lock, NULL);
	pthread_cond_init(&g.filled, NULL);
	pthread_cond_init(&g.emptied, NULL);
	r = -pthread_create(&t, NULL, reader, &g);
	if (r < 0) {
		r = err_set(r, "cannot start the copy thread: %s", strerror(-r));
		goto out_sync;
	}
	r = write_all(&g);
	pthread_mutex_lock(&g.lock);
	g.stop = true;
	pthread_cond_broadcast(&g.emptied);
	pthread_mutex_unlock(&g.lock);
	pthread_join(t, NULL);
out_sync:
	pthread_cond_destroy(&g.filled);
	pthread_cond_destroy(&g.emptied);
	pthread_mutex_destroy(&g.lock);
out:
	for (unsigned i = 0; i < g.depth; i++)
		free(g.slot[i].buf);
	return r;
}
