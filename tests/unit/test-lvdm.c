// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The retries of a table reload after a move commit (lvdm_reload_steps,
 * src/layer/lvdm.c) against scripted device-mapper steps: every call is
 * logged, each step fails the number of times the case says. A transient
 * failure is retried from the load and ends live on the new table; a lasting
 * one ends suspended (held), never resumed on the old table; when even the
 * suspend fails the outcome is stale. The pauses between tries are counted.
 */
#include <errno.h>

#include "test.h"
#include "layer/lvdm.h"

struct script {
	int load_fails, suspend_fails, resume_fails;	/* -1: always */
	char log[256];
	unsigned pauses;
	bool suspended;
};

static int step(struct script *s, int *fails, char c)
{
	size_t n = strlen(s->log);

	if (n + 1 < sizeof(s->log)) {
		s->log[n] = c;
		s->log[n + 1] = '\0';
	}
	if (*fails) {
		if (*fails > 0)
			(*fails)--;
		return -EIO;
	}
	return 0;
}

static int f_load(void *arg, const char *name, const char *table)
{
	struct script *s = arg;

	(void)name;
	(void)table;
	return step(s, &s->load_fails, 'L');
}

static int f_suspend(void *arg, const char *name)
{
	struct script *s = arg;
	int r;

	(void)name;
	r = step(s, &s->suspend_fails, 'S');
	if (r == 0)
		s->suspended = true;
	return r;
}

static int f_resume(void *arg, const char *name)
{
	struct script *s = arg;
	int r;

	(void)name;
	r = step(s, &s->resume_fails, 'R');
	if (r == 0)
		s->suspended = false;
	return r;
}

static void f_pause(void *arg, unsigned ms)
{
	struct script *s = arg;

	if (ms == LVDM_RELOAD_PAUSE_MS)
		s->pauses++;
	strcat(s->log, ".");
}

static int run_script(struct script *s, enum lvdm_outcome *out, const char **st, int *hold)
{
	struct lvdm_ops ops = {
		.load = f_load, .suspend = f_suspend, .resume = f_resume, .pause = f_pause, .arg = s,
	};

	*st = NULL;
	return lvdm_reload_steps(&ops, "vg-lv", "0 8 linear 7:0 2048\n", out, st, hold);
}

TEST(lvdm_reload_first_try)
{
	struct script s = { 0 };
	enum lvdm_outcome out = LVDM_STALE;
	const char *st;
	int hold = 1;

	CHECK_INT(run_script(&s, &out, &st, &hold), 0);
	CHECK_INT(out, LVDM_RELOADED);
	CHECK_STR(s.log, "LSR");
	CHECK_INT(s.pauses, 0);
	CHECK(!s.suspended);
}

TEST(lvdm_reload_transient_failures_retried_from_the_load)
{
	struct script s = { .load_fails = 1, .resume_fails = 1 };
	enum lvdm_outcome out = LVDM_STALE;
	const char *st;
	int hold;

	CHECK_INT(run_script(&s, &out, &st, &hold), 0);
	CHECK_INT(out, LVDM_RELOADED);
	/* load fails; load, suspend, resume fails; load, suspend (no-op), resume. */
	CHECK_STR(s.log, "L.LSR.LSR");
	CHECK_INT(s.pauses, 2);
	CHECK(!s.suspended);
}

TEST(lvdm_reload_lasting_load_failure_holds_the_lv)
{
	struct script s = { .load_fails = -1 };
	enum lvdm_outcome out = LVDM_RELOADED;
	const char *st;
	int hold = 1;

	CHECK_INT(run_script(&s, &out, &st, &hold), -EIO);
	CHECK_INT(out, LVDM_HELD);
	CHECK_STR(st, "load");
	CHECK_INT(hold, 0);
	/* Three tries, then one suspend that holds; never a resume on the old table. */
	CHECK_STR(s.log, "L.L.LS");
	CHECK_INT(s.pauses, LVDM_RELOAD_TRIES - 1);
	CHECK(s.suspended);
}

TEST(lvdm_reload_lasting_resume_failure_stays_held)
{
	struct script s = { .resume_fails = -1 };
	enum lvdm_outcome out = LVDM_RELOADED;
	const char *st;
	int hold = 1;

	CHECK_INT(run_script(&s, &out, &st, &hold), -EIO);
	CHECK_INT(out, LVDM_HELD);
	CHECK_STR(st, "resume");
	CHECK_STR(s.log, "LSR.LSR.LSRS");
	CHECK(s.suspended);
}

TEST(lvdm_reload_suspend_failing_too_is_stale)
{
	struct script s = { .load_fails = -1, .suspend_fails = -1 };
	enum lvdm_outcome out = LVDM_RELOADED;
	const char *st;
	int hold = 0;

	CHECK_INT(run_script(&s, &out, &st, &hold), -EIO);
	CHECK_INT(out, LVDM_STALE);
	CHECK_STR(st, "load");
	CHECK_INT(hold, -EIO);
	/* The hold at once after the last try, then as often as the reload, as far apart. */
	CHECK_STR(s.log, "L.L.LS.S.S");
	CHECK_INT(s.pauses, 2 * (LVDM_RELOAD_TRIES - 1));
	CHECK(!s.suspended);
}

TEST(lvdm_reload_hold_after_a_transient_suspend_failure)
{
	/* The three reload tries each fail at the suspend; the fourth suspend holds. */
	struct script s = { .suspend_fails = 3 };
	enum lvdm_outcome out = LVDM_RELOADED;
	const char *st;
	int hold = 1;

	CHECK_INT(run_script(&s, &out, &st, &hold), -EIO);
	CHECK_INT(out, LVDM_HELD);
	CHECK_STR(st, "suspend");
	CHECK_STR(s.log, "LS.LS.LSS");
	CHECK(s.suspended);
}
