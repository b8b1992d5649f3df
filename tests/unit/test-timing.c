// SPDX-License-Identifier: GPL-2.0-or-later
/* SHRINKBOX_TIMING: one line per tool run, none without the variable (bench/shrink-vm.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "util/exec.h"
#include "util/timing.h"

TEST(timing_lines_only_when_asked)
{
	char path[] = "/tmp/sbtiming.XXXXXX", buf[256] = "", what[64];
	char *argv[] = { "true", NULL };
	unsigned long long ns = 0;
	int fd = mkstemp(path), status = -1, n;
	FILE *f;

	CHECK(fd >= 0);
	close(fd);
	unsetenv("SHRINKBOX_TIMING");
	timing_note("nothing", 1);
	setenv("SHRINKBOX_TIMING", path, 1);
	timing_note("copy", 1234);
	CHECK_INT(run_program(argv, &status, buf, sizeof(buf)), 0);
	CHECK_INT(status, 0);
	unsetenv("SHRINKBOX_TIMING");
	f = fopen(path, "r");
	CHECK(f != NULL);
	CHECK_INT(fscanf(f, "%63s %llu", what, &ns), 2);
	CHECK_STR(what, "copy");
	CHECK_U64(ns, 1234);
	CHECK_INT(fscanf(f, "%63s %llu", what, &ns), 2);
	CHECK_STR(what, "true");
	CHECK(ns > 0);
	n = fscanf(f, "%63s", what);
	CHECK_INT(n, EOF);
	fclose(f);
	unlink(path);
}
