// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "teststop.h"

void test_stop(const char *phase)
{
	const char *s = getenv("SHRINKBOX_TEST_STOP_AFTER");

	if (s && !strcmp(s, phase)) {
		/* What was printed so far is what a user would have seen on the console. */
		fflush(stdout);
		_exit(137);
	}
}
