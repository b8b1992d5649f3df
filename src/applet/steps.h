/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The steps of a whole-stack command (shrink, grow): each one of our own applets with its
 * arguments, planned in full before the first runs, shown in the plan (text and JSON), then
 * run in order, each as the single-layer applet a user could run by hand (applet_step).
 */
#ifndef SB_APPLET_STEPS_H
#define SB_APPLET_STEPS_H

#include <json-c/json.h>

#define STEPS_MAX	24	/* MAX_LV_TARGETS LVs and the layers around them */
#define STEP_ARGS	4
#define STEP_ARG_MAX	320	/* VG/LV (255 + 1 + 63), a device path, a size */

struct step {
	const char *applet;
	unsigned n;			/* arguments */
	char arg[STEP_ARGS][STEP_ARG_MAX];
};

struct steps {
	unsigned n;
	struct step s[STEPS_MAX];
};

/* Appends applet with the arguments up to the first NULL (at most STEP_ARGS); false if full. */
bool steps_add(struct steps *l, const char *applet, const char *a1, const char *a2,
	       const char *a3, const char *a4);
/* "  steps:" and one numbered line each, on f. */
void steps_print(const struct steps *l, FILE *f);
/* [{"applet": ..., "args": [...]}, ...] */
struct json_object *steps_json(const struct steps *l);
/*
 * Runs them in order (keyfile for the steps that take one). 0, or the exit code of the first
 * that failed, turned into EXIT_PARTIAL when an earlier step had written; says so.
 */
int steps_run(const struct steps *l, const char *keyfile);

#endif
