// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SHRINKBOX_TIMING (timing.h).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

uint64_t timing_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void timing_note(const char *what, uint64_t ns)
{
	const char *path = getenv("SHRINKBOX_TIMING");
	char line[96];
	int fd, n;

	if (!path || !*path)
		return;
	/* One write of O_APPEND: lines from the steps' processes never interleave. */
	n = snprintf(line, sizeof(line), "%.60s %" PRIu64 "\n", what, ns);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (n > 0 && write(fd, line, (size_t)n) < 0) {
		/* a bench aid: nothing to do about it */
	}
	close(fd);
}

void timing_lap(const char *what, uint64_t *t0)
{
	uint64_t now = timing_now();

	timing_note(what, now - *t0);
	*t0 = now;
}
