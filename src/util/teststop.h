/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test hooks, compiled in only with -DSHRINKBOX_TEST_HOOKS (make TEST_HOOKS=1,
 * as tests/loop/run.sh and tests/vm/run.sh build). A default build, the one
 * make install and make static produce, has both functions empty and reads no
 * variable: at boot the kernel command line's words without a dot become
 * init's environment, and none of them may stop or fail a real run.
 *
 * SHRINKBOX_TEST_STOP_AFTER=PHASE ends the process dead (exit 137, no cleanup,
 * as SIGKILL would) when it reaches the named phase: the host's power cut.
 * Phases: text, precommit, commit1 (lvm/commit.c), copy1 (plan/move.c),
 * fs-shrunk (plan/fsresize.c), devfs-resized (plan/devfs.c), pv-label (lvm/pvresize.c),
 * part-resized (applet/partresize.c), pt-backup, pt-staged, pt-home (layer/ptgpt.c),
 * pt-container (layer/ptwrite.c), mig-pvcreate, mig-extend, mig-reduce (applet/migrate.c).
 *
 * SHRINKBOX_TEST_FAIL=WHAT[,WHAT...] makes test_inject(WHAT) true: the caller
 * fails that operation as if the kernel had refused it. WHATs: reload (the
 * table load of a move's reload, layer/lvdm.c), suspend (its suspend, also
 * when it holds the LV).
 */
#ifndef SB_UTIL_TESTSTOP_H
#define SB_UTIL_TESTSTOP_H

#include <stdbool.h>

void test_stop(const char *phase);
bool test_inject(const char *what);
/*
 * SHRINKBOX_LOCK_DIR: the directory of the VG and global flock files, so that a
 * loop test's lvm2 (locking_dir in its private lvm.conf) and we exclude each
 * other; NULL in a default build, which uses lvm2's default /run/lock/lvm.
 */
const char *test_lock_dir(void);

/* SHRINKBOX_TEST_WRITELOG: where the table writer logs its writes (layer/ptwrite.h); NULL in a
   default build. */
const char *test_writelog(void);

/* True in a test build: internal checks that cost a little (the block devices a step left open,
   applet/step.c) fail the run instead of being skipped. */
bool test_strict(void);

#endif
