// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One step of a whole-stack command (common.h: applet_step), run in this
 * process: the single-layer applet's own main, with the arguments a user would
 * type, so each step prints its own plan and result and stays exactly what can
 * be run by hand. Running it here rather than as /proc/self/exe saves a
 * process start and a passphrase hand-off through a pipe per step; what a
 * separate process gave for free is made explicit below:
 *  - the option variables: every applet keeps its options in file statics
 *    (popt writes there), which a step must find at their initial values and
 *    the command must find unchanged after it: all of them are saved, set to
 *    the values they had before the first parse, and put back;
 *  - the log prefix and level, and stdout (a --json command keeps stdout for
 *    its document: a step's text goes to stderr);
 *  - the key: the volume key the command's check took from a keyslot once
 *    (applet_check_key) is what the step's cryptresize loads into the kernel
 *    keyring, so neither a passphrase hand-off nor a second PBKDF run is needed.
 * A power cut or a test stop inside a step ends the whole command, as a real
 * power cut would; the same command run again finishes the job (every step is
 * resumable on its own). A test build also checks that a step leaves no block
 * device open: a device held open by one step could make the next one's
 * exclusive open or partition re-read fail.
 */
#include <dirent.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "../applets.h"
#include "../plan/lvdev.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/teststop.h"
#include "../util/timing.h"

/* One option variable: where popt writes it, and a value of its type. */
struct opt_slot {
	void *arg;
	int type;
	union {
		int i;
		long l;
		char *s;
		char **v;
	} v;
};

/* The values saved by applet_opts_push. */
struct opt_state {
	unsigned n;
	struct opt_slot slot[];
};

#define OPT_SLOTS_MAX 512
static struct opt_slot initial[OPT_SLOTS_MAX];
static unsigned n_slots;
static bool snapped;

static void slot_get(struct opt_slot *s)
{
	switch (s->type) {
	case POPT_ARG_NONE:
	case POPT_ARG_INT:
	case POPT_ARG_VAL:
		s->v.i = *(int *)s->arg;
		break;
	case POPT_ARG_LONG:
		s->v.l = *(long *)s->arg;
		break;
	case POPT_ARG_STRING:
		s->v.s = *(char **)s->arg;
		break;
	case POPT_ARG_ARGV:
		s->v.v = *(char ***)s->arg;
		break;
	}
}

static void slot_put(const struct opt_slot *s)
{
	switch (s->type) {
	case POPT_ARG_NONE:
	case POPT_ARG_INT:
	case POPT_ARG_VAL:
		*(int *)s->arg = s->v.i;
		break;
	case POPT_ARG_LONG:
		*(long *)s->arg = s->v.l;
		break;
	case POPT_ARG_STRING:
		*(char **)s->arg = s->v.s;
		break;
	case POPT_ARG_ARGV:
		*(char ***)s->arg = s->v.v;
		break;
	}
}

/* Tables include mutate_table and key_table again and again: each variable once. */
static bool slot_known(const void *arg)
{
	for (unsigned i = 0; i < n_slots; i++)
		if (initial[i].arg == arg)
			return true;
	return false;
}

/* Every variable of table t and the tables it includes; false if one has a type not above. */
static bool slots_add(const struct poptOption *t)
{
	for (; t->longName || t->shortName || t->argInfo || t->arg; t++) {
		int type = (int)(t->argInfo & POPT_ARG_MASK);

		if (type == POPT_ARG_INCLUDE_TABLE) {
			if (!slots_add(t->arg))
				return false;
			continue;
		}
		if (!t->arg || slot_known(t->arg))
			continue;
		if (type != POPT_ARG_NONE && type != POPT_ARG_INT && type != POPT_ARG_VAL &&
		    type != POPT_ARG_LONG && type != POPT_ARG_STRING && type != POPT_ARG_ARGV)
			return false;
		if (n_slots == OPT_SLOTS_MAX)
			return false;
		initial[n_slots].arg = t->arg;
		initial[n_slots].type = type;
		slot_get(&initial[n_slots++]);
	}
	return true;
}

bool applet_opts_snapshot(void)
{
	bool ok = true;

	if (snapped)
		return true;
	snapped = true;
	ok = slots_add(common_table);
	for (unsigned i = 0; ok && i < n_applets; i++)
		ok = slots_add(applets[i].help->opts);
	if (!ok)
		n_slots = 0;
	return ok;
}

/*
 * Open file descriptors on block devices, for the test build's check that a step closes
 * the devices it opened (libdevmapper's control node and libcryptsetup's random source
 * stay open for the process by design: character devices, not counted).
 */
static int blk_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	struct stat st;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISBLK(st.st_mode))
			n++;
	closedir(d);
	return n;
}

struct opt_state *applet_opts_push(void)
{
	struct opt_state *st;

	if (!snapped || !n_slots)
		return NULL;
	st = malloc(sizeof(*st) + sizeof(st->slot[0]) * n_slots);
	if (!st)
		return NULL;
	st->n = n_slots;
	for (unsigned i = 0; i < n_slots; i++) {
		st->slot[i] = initial[i];
		slot_get(&st->slot[i]);
	}
	for (unsigned i = 0; i < n_slots; i++)
		slot_put(&initial[i]);
	return st;
}

void applet_opts_pop(struct opt_state *st)
{
	for (unsigned i = 0; i < st->n; i++)
		slot_put(&st->slot[i]);
	free(st);
	lvdev_plan_live = mutate.plan_live;
}

/* The step's main in this process: the option variables, log and stdout set for it and restored. */
static int run_here(const struct applet *a, int argc, char **argv)
{
	bool json = mutate.json, handoff;
	struct opt_state *st;
	int lvl, out = -1, fds = blk_fd_count(), rc = EXIT_FAILED;
	const char *prog;

	fflush(stdout);
	fflush(stderr);
	/* Steps nest (lvshrink runs cryptresize): each level keeps its own copy. */
	st = applet_opts_push();
	if (!st) {
		log_error("internal error: the option variables of the steps are not known");
		return EXIT_FAILED;
	}
	if (json) {
		out = dup(STDOUT_FILENO);
		if (out < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			goto restore;
	}
	log_get(&prog, &lvl);
	log_setup(a->name, LOG_INFO);
	handoff = applet_key_handoff(true);
	err_clear();
	rc = a->main(argc, argv);
	applet_key_handoff(handoff);
	log_setup(prog, lvl);
	fflush(stdout);
	if (out >= 0)
		dup2(out, STDOUT_FILENO);
restore:
	if (out >= 0)
		close(out);
	applet_opts_pop(st);
	if (test_strict() && fds >= 0 && blk_fd_count() > fds) {
		log_error("internal error: step %s left %d block device(s) open", a->name,
			  blk_fd_count() - fds);
		if (rc == 0)
			rc = EXIT_PARTIAL;
	}
	return rc;
}

int applet_step(const char *applet, const char *a1, const char *a2, const char *a3,
		const char *a4, const char *keyfile)
{
	const struct applet *a = applet_find(applet);
	char *argv[16], what[48];
	uint64_t t0;
	int n = 0, rc;

	if (!a) {
		log_error("internal error: no applet \"%s\"", applet);
		return EXIT_FAILED;
	}
	argv[n++] = (char *)applet;
	if (a1)
		argv[n++] = (char *)a1;
	if (a2)
		argv[n++] = (char *)a2;
	if (a3)
		argv[n++] = (char *)a3;
	if (a4)
		argv[n++] = (char *)a4;
	argv[n++] = "--yes";
	/* The LV steps pass it on to the cryptresize of a LUKS mapping inside the LV. */
	if (keyfile && (!strcmp(applet, "cryptresize") || !strcmp(applet, "lvshrink") ||
			!strcmp(applet, "lvgrow"))) {
		argv[n++] = "--key-file";
		argv[n++] = (char *)keyfile;
	}
	if (mutate.backup_dir) {
		argv[n++] = "--backup-dir";
		argv[n++] = (char *)mutate.backup_dir;
	}
	if (mutate.devices) {
		argv[n++] = "--devices";
		argv[n++] = (char *)mutate.devices;
	}
	argv[n] = NULL;
	fprintf(mutate.json ? stderr : stdout, "==> shrinkbox %s%s%s%s%s%s%s%s%s\n", applet,
		a1 ? " " : "", a1 ? a1 : "", a2 ? " " : "", a2 ? a2 : "", a3 ? " " : "",
		a3 ? a3 : "", a4 ? " " : "", a4 ? a4 : "");
	t0 = timing_now();
	rc = run_here(a, n, argv);
	snprintf(what, sizeof(what), "step:%s", applet);
	timing_note(what, timing_now() - t0);
	if (rc != 0)
		log_error("step \"%s\" failed (exit %d)", applet, rc);
	return rc;
}
