/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SB_SELFEXEC_H
#define SB_SELFEXEC_H

/*
 * Runs one of our own applets in a process of its own: /proc/self/exe APPLET
 * ARGS, with our stdin, stdout and stderr (schedule's dry run of the command it
 * schedules, with the applet's state fresh and nothing of it left in ours).
 * Returns the applet's exit code, 128 + the signal that ended it, or -errno.
 */
int run_self(char *const argv[]);

#endif
