/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test hook for power cuts on the host: SHRINKBOX_TEST_STOP_AFTER=PHASE
 * ends the process dead (exit 137, no cleanup, as SIGKILL would) when it
 * reaches the named phase. Phases: text, precommit, commit1 (lvm/commit.c),
 * copy1 (plan/move.c), fs-shrunk (plan/fsresize.c), mig-pvcreate, mig-extend,
 * mig-reduce (applet/migrate.c). Unset, it costs one getenv.
 */
#ifndef SB_UTIL_TESTSTOP_H
#define SB_UTIL_TESTSTOP_H

void test_stop(const char *phase);

#endif
