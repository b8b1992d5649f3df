/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Progress of a long copy: on a terminal a bar with bytes, rate and ETA,
 * redrawn in place; elsewhere (a console in the initramfs, a log) one plain
 * line every few seconds.
 */
#ifndef SB_PROGRESS_H
#define SB_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	const char *what;
	uint64_t total, done;
	double start, last;
	bool tty;
};

void progress_start(struct progress *p, const char *what, uint64_t total);
void progress_add(struct progress *p, uint64_t bytes);
void progress_end(struct progress *p);

#endif
