/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the time of a command goes, for bench/shrink-vm.sh: with SHRINKBOX_TIMING=FILE in
 * the environment, each external tool run (e2fsck, resize2fs, ...) and each extent copy
 * appends one line "WHAT NANOSECONDS" to FILE, and so do each step of a whole-stack command
 * (step:APPLET, run in the same process) and shrink's planning stages (shrink:probe, the
 * stack read; shrink:targets, the sizes and the LV choice; shrink:check, what every step
 * needs), cryptresize's (cryptresize:plan, :backup, :resize) and each LUKS key slot opened
 * (luks:keyslot, one PBKDF run). Without it, nothing is written.
 */
#ifndef SB_TIMING_H
#define SB_TIMING_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t timing_now(void);
/* Appends "what ns" to $SHRINKBOX_TIMING, if set; errors are ignored (a bench aid). */
void timing_note(const char *what, uint64_t ns);
/* timing_note(what, now - *t0), then *t0 = now: one stage of a sequence. */
void timing_lap(const char *what, uint64_t *t0);

#endif
