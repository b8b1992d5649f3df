/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running e2fsck and resize2fs: fork + execv with an argv we build, never a
 * shell. The program is looked up in the sbin and bin directories; its output
 * is captured so that messages such as "New size smaller than minimum (N)"
 * can be read.
 */
#ifndef SB_EXEC_H
#define SB_EXEC_H

#include <stddef.h>

/*
 * Runs argv[0] (a bare name) with argv; *status is its exit code (or 128 +
 * signal). out (may be NULL) receives up to len - 1 bytes of its combined
 * stdout and stderr. -ENOENT when the program is not installed.
 */
int run_program(char *const argv[], int *status, char *out, size_t len);

#endif
