// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A whole-stack command's steps (steps.h): planned before the first runs, shown, then run.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "jsonout.h"
#include "steps.h"
#include "../applets.h"
#include "../util/log.h"

/* shrink: one lvshrink per LV, then defrag, pvresize, cryptresize, partresize and two fills. */
_Static_assert(STEPS_MAX >= MAX_LV_TARGETS + 6, "room for every step of a shrink");

bool steps_add(struct steps *l, const char *applet, const char *a1, const char *a2,
	       const char *a3, const char *a4)
{
	const char *a[STEP_ARGS] = { a1, a2, a3, a4 };
	struct step *s;

	if (l->n >= STEPS_MAX)
		return false;
	s = &l->s[l->n++];
	s->applet = applet;
	for (s->n = 0; s->n < STEP_ARGS && a[s->n]; s->n++)
		snprintf(s->arg[s->n], STEP_ARG_MAX, "%s", a[s->n]);
	return true;
}

void steps_print(const struct steps *l, FILE *f)
{
	fprintf(f, "  steps (each a shrinkbox applet; run the same command again to finish any):\n");
	for (unsigned i = 0; i < l->n; i++) {
		fprintf(f, "    %u. shrinkbox %s", i + 1, l->s[i].applet);
		for (unsigned k = 0; k < l->s[i].n; k++)
			fprintf(f, " %s", l->s[i].arg[k]);
		fputc('\n', f);
	}
}

struct json_object *steps_json(const struct steps *l)
{
	struct json_object *arr = json_object_new_array();

	for (unsigned i = 0; i < l->n; i++) {
		struct json_object *o = json_object_new_object(), *args = json_object_new_array();

		for (unsigned k = 0; k < l->s[i].n; k++)
			json_object_array_add(args, J_STR(l->s[i].arg[k]));
		J_ADD(o, "applet", J_STR(l->s[i].applet));
		J_ADD(o, "args", args);
		json_object_array_add(arr, o);
	}
	return arr;
}

int steps_run(const struct steps *l, const char *keyfile)
{
	unsigned done = 0;
	int rc = 0;

	for (unsigned i = 0; i < l->n && rc == 0; i++) {
		const struct step *s = &l->s[i];

		rc = applet_step(s->applet, s->n > 0 ? s->arg[0] : NULL, s->n > 1 ? s->arg[1] : NULL,
				 s->n > 2 ? s->arg[2] : NULL, s->n > 3 ? s->arg[3] : NULL, keyfile);
		done += rc == 0;
	}
	if (rc == 0)
		return 0;
	log_error("the stack is consistent after every step; run the same command again to "
		  "continue once the cause is fixed");
	/* Nothing changed if the first step refused or failed cleanly; else "partial". */
	return done || rc >= EXIT_PARTIAL ? EXIT_PARTIAL : rc;
}
