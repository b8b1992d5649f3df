// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "teststop.h"

/*
 * The only object the build flag changes (Makefile: teststop-hooks.o and
 * teststop-plain.o), so that switching between the two builds relinks and
 * recompiles nothing else.
 */
#ifdef SHRINKBOX_TEST_HOOKS

void test_stop(const char *phase)
{
	const char *s = getenv("SHRINKBOX_TEST_STOP_AFTER");

	if (s && !strcmp(s, phase)) {
		/* What was printed so far is what a user would have seen on the console. */
		fflush(stdout);
		_exit(137);
	}
}

bool test_inject(const char *what)
{
	const char *s = getenv("SHRINKBOX_TEST_FAIL");
	size_t n = strlen(what);

	/* A comma-separated list of whole words. */
	while (s && *s) {
		size_t k = strcspn(s, ",");

		if (k == n && !strncmp(s, what, n))
			return true;
		s += k + (s[k] == ',');
	}
	return false;
}

const char *test_lock_dir(void)
{
	return getenv("SHRINKBOX_LOCK_DIR");
}

const char *test_writelog(void)
{
	return getenv("SHRINKBOX_TEST_WRITELOG");
}

bool test_strict(void)
{
	return true;
}

#else

void test_stop(const char *phase)
{
	(void)phase;
}

bool test_inject(const char *what)
{
	(void)what;
	return false;
}

const char *test_lock_dir(void)
{
	return NULL;
}

const char *test_writelog(void)
{
	return NULL;
}

bool test_strict(void)
{
	return false;
}

#endif
