// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The answers of e2fsck -f -n and resize2fs -P kept for one command (fsmemo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsmemo.h"
#include "../util/cleanup.h"

/* shrink checks at most MAX_LV_TARGETS filesystems; the oldest answer makes room. */
#define MEMO_N 8

static struct memo {
	struct fsmemo_key k;
	bool used, clean, min_known;
	uint64_t min;
} memo[MEMO_N];
static unsigned memo_next;

int fsmemo_key(const char *dev, const char *who, struct fsmemo_key *k)
{
	_cleanup_close_ int fd = -1;
	bool blk;

	memset(k, 0, sizeof(*k));
	fd = dev_open(dev, O_RDONLY, &k->dev_bytes, &blk);
	if (fd < 0)
		return fd;
	if (pread(fd, k->sb, sizeof(k->sb), 1024) != (ssize_t)sizeof(k->sb))
		return -EIO;
	snprintf(k->who, sizeof(k->who), "%s", who ? who : dev);
	return 0;
}

static struct memo *find(const struct fsmemo_key *k, bool add)
{
	struct memo *m;

	for (unsigned i = 0; i < MEMO_N; i++)
		if (memo[i].used && !memcmp(&memo[i].k, k, sizeof(*k)))
			return &memo[i];
	if (!add)
		return NULL;
	m = &memo[memo_next++ % MEMO_N];
	memset(m, 0, sizeof(*m));
	m->k = *k;
	m->used = true;
	return m;
}

bool fsmemo_clean(const struct fsmemo_key *k)
{
	const struct memo *m = find(k, false);

	return m && m->clean;
}

void fsmemo_note_clean(const struct fsmemo_key *k)
{
	find(k, true)->clean = true;
}

bool fsmemo_min(const struct fsmemo_key *k, uint64_t *bytes)
{
	const struct memo *m = find(k, false);

	if (!m || !m->min_known)
		return false;
	*bytes = m->min;
	return true;
}

void fsmemo_note_min(const struct fsmemo_key *k, uint64_t bytes)
{
	struct memo *m = find(k, true);

	m->min = bytes;
	m->min_known = true;
}

void fsmemo_reset(void)
{
	memset(memo, 0, sizeof(memo));
	memo_next = 0;
}
