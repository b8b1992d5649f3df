// SPDX-License-Identifier: GPL-2.0-or-later
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "units.h"

#define PLAIN_EVERY_SECONDS 5.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(struct progress *p, bool final)
{
	double t = now() - p->start, rate = t > 0 ? (double)p->done / t : 0;
	unsigned pct = p->total ? (unsigned)((p->done * 100) / p->total) : 100;
	double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN], c[SIZE_FMT_LEN];

	size_fmt_human(a, p->done);
	size_fmt_human(b, p->total);
	size_fmt_human(c, (uint64_t)rate);
	if (p->tty) {
		char bar[31];

		for (unsigned i = 0; i < 30; i++)
			bar[i] = i < pct * 30 / 100 ? '#' : '.';
		bar[30] = '\0';
		fprintf(stderr, "\r%s [%s] %3u%% %s / %s  %s/s  ETA %u:%02u ", p->what, bar, pct,
			a, b, c, (unsigned)eta / 60, (unsigned)eta % 60);
		if (final)
			fputc('\n', stderr);
	} else {
		fprintf(stderr, "%s: %u%% %s of %s, %s/s, ETA %u:%02u\n", p->what, pct, a, b, c,
			(unsigned)eta / 60, (unsigned)eta % 60);
	}
}

void progress_start(struct progress *p, const char *what, uint64_t total)
{
	p->what = what;
	p->total = total;
	p->done = 0;
	p->start = p->last = now();
	p->tty = isatty(STDERR_FILENO);
}

void progress_add(struct progress *p, uint64_t bytes)
{
	double t = now();

	p->done += bytes;
	if (t - p->last >= (p->tty ? 0.2 : PLAIN_EVERY_SECONDS)) {
		p->last = t;
		draw(p, false);
	}
}

void progress_end(struct progress *p)
{
	draw(p, true);
}
