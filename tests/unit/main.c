// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdlib.h>

#include "test.h"

static struct test *tests, **tail = &tests;
static unsigned failures_in_test;
static const char *data_dir = "tests/data";

void test_register(struct test *t)
{
	*tail = t;
	tail = &t->next;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	failures_in_test++;
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *fixture(const char *name)
{
	static char path[4][512];
	static unsigned k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", data_dir, name);
	return path[k];
}

char *fixture_read(const char *name, size_t *len)
{
	FILE *f = fopen(fixture(name), "rb");
	char *buf;
	long n;

	if (!f) {
		fprintf(stderr, "missing fixture %s\n", fixture(name));
		abort();
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;
	const char *only = argc > 2 ? argv[2] : NULL;

	if (argc > 1)
		data_dir = argv[1];
	for (struct test *t = tests; t; t = t->next) {
		if (only && strcmp(only, t->name))
			continue;
		failures_in_test = 0;
		t->fn();
		if (failures_in_test) {
			printf("FAIL %s\n", t->name);
			failed++;
		} else {
			printf("PASS %s\n", t->name);
			passed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
