/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal unit test harness: TEST(name) { ... } registers a test; CHECK*()
 * record failures with file:line and go on. The runner prints one line per
 * test and a closing "N passed, N failed". Built with ASan and UBSan.
 */
#ifndef SB_TEST_H
#define SB_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct test {
	const char *name;
	void (*fn)(void);
	struct test *next;
};

void test_register(struct test *t);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Path of a fixture in tests/data (the runner's argument). */
const char *fixture(const char *name);
/* Reads a whole fixture into a malloc'd buffer (NUL-terminated); aborts if missing. */
char *fixture_read(const char *name, size_t *len);

#define TEST(n)                                                          \
	static void test_##n(void);                                      \
	static struct test test_desc_##n = { #n, test_##n, NULL };       \
	__attribute__((constructor)) static void test_reg_##n(void)      \
	{                                                                \
		test_register(&test_desc_##n);                           \
	}                                                                \
	static void test_##n(void)

#define CHECK(c)                                                         \
	do {                                                             \
		if (!(c))                                                \
			test_fail(__FILE__, __LINE__, "%s", #c);         \
	} while (0)

#define CHECK_U64(a, b)                                                              \
	do {                                                                         \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);                     \
		if (_a != _b)                                                        \
			test_fail(__FILE__, __LINE__, "%s == %" PRIu64 ", expected %" PRIu64, \
				  #a, _a, _b);                                       \
	} while (0)

#define CHECK_INT(a, b)                                                              \
	do {                                                                         \
		long long _a = (long long)(a), _b = (long long)(b);                  \
		if (_a != _b)                                                        \
			test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, _a, _b); \
	} while (0)

#define CHECK_STR(a, b)                                                              \
	do {                                                                         \
		const char *_a = (a), *_b = (b);                                     \
		if (!_a || !_b || strcmp(_a, _b))                                     \
			test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, \
				  _a ? _a : "(null)", _b ? _b : "(null)");           \
	} while (0)

/* The message recorded with err_set() contains needle. */
#define CHECK_MSG(needle)                                                            \
	do {                                                                         \
		const char *_m = err_msg(-EINVAL);                                   \
		if (!strstr(_m, needle))                                             \
			test_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", _m, needle); \
	} while (0)

#endif
