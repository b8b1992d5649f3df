/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SB_SELFEXEC_H
#define SB_SELFEXEC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Runs one of our own applets as a step of a larger plan (shrink, grow):
 * /proc/self/exe APPLET ARGS, with our stdout and stderr, so each step prints
 * its own plan and result and stays exactly the single-layer applet a user
 * could run by hand. Returns the step's exit code, or -errno.
 */
int run_self(char *const argv[]);
/* Set: the step's stdout goes to our stderr (a --json run keeps stdout for its document). */
extern bool run_self_stdout_to_stderr;
/* The same, with in (len bytes, then a newline) as the step's standard input, through a pipe. */
int run_self_input(char *const argv[], const char *in, size_t len);

#endif
