// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "test.h"
#include "util/err.h"
#include "util/units.h"

static uint64_t parse_ok(const char *s, uint64_t ext)
{
	uint64_t v = 0;

	err_clear();
	if (size_parse(s, ext, &v) < 0)
		test_fail(__FILE__, __LINE__, "size_parse(\"%s\") failed: %s", s, err_msg(-EINVAL));
	return v;
}

static int parse_err(const char *s, uint64_t ext)
{
	uint64_t v = 0;

	err_clear();
	return size_parse(s, ext, &v);
}

TEST(units_exact)
{
	CHECK_U64(parse_ok("123B", 0), 123);
	CHECK_U64(parse_ok("0B", 0), 0);
	CHECK_U64(parse_ok("2048s", 0), 1048576);
	CHECK_U64(parse_ok("1KiB", 0), 1024);
	CHECK_U64(parse_ok("60GiB", 0), 64424509440ull);
	CHECK_U64(parse_ok("60GB", 0), 60000000000ull);
	CHECK_U64(parse_ok("60gib", 0), 64424509440ull);
	CHECK_U64(parse_ok("60gb", 0), 60000000000ull);
	CHECK_U64(parse_ok("1TiB", 0), 1ull << 40);
	CHECK_U64(parse_ok("1TB", 0), 1000000000000ull);
	CHECK_U64(parse_ok("3MB", 0), 3000000);
	CHECK_U64(parse_ok("3MiB", 0), 3 << 20);
	CHECK_U64(parse_ok("15360e", 4194304), 15360ull * 4194304);
	CHECK_U64(parse_ok("1.5GiB", 0), 1610612736ull);
	CHECK_U64(parse_ok("0.5KiB", 0), 512);
	CHECK_U64(parse_ok("2.5s", 0), 1280);
	CHECK_U64(parse_ok("18446744073709551615B", 0), UINT64_MAX);
	CHECK_U64(parse_ok("15EiB", 0), 15ull << 60);
}

TEST(units_ambiguous_refused_with_both_readings)
{
	CHECK_INT(parse_err("60G", 0), -EINVAL);
	CHECK_MSG("60G: ambiguous; 60GiB = 64424509440 B, 60GB = 60000000000 B");
	CHECK_INT(parse_err("60g", 0), -EINVAL);
	CHECK_MSG("60GiB = 64424509440 B");
	CHECK_INT(parse_err("1M", 0), -EINVAL);
	CHECK_MSG("1MiB = 1048576 B, 1MB = 1000000 B");
	CHECK_INT(parse_err("2k", 0), -EINVAL);
	CHECK_MSG("ambiguous");
	CHECK_INT(parse_err("1.5T", 0), -EINVAL);
	CHECK_MSG("1.5TiB = 1649267441664 B, 1.5TB = 1500000000000 B");
	CHECK_INT(parse_err("20E", 0), -EINVAL);	/* exa: ambiguous, and 20 EiB is too large */
	CHECK_MSG("too large");
}

TEST(units_bad_input)
{
	CHECK_INT(parse_err("", 0), -EINVAL);
	CHECK_MSG("empty");
	CHECK_INT(parse_err(NULL, 0), -EINVAL);
	CHECK_INT(parse_err("-5GiB", 0), -EINVAL);
	CHECK_MSG("negative");
	CHECK_INT(parse_err("123", 0), -EINVAL);
	CHECK_MSG("no unit");
	CHECK_INT(parse_err("GiB", 0), -EINVAL);
	CHECK_INT(parse_err("12XB", 0), -EINVAL);
	CHECK_MSG("unknown unit");
	CHECK_INT(parse_err("12 GiB", 0), -EINVAL);
	CHECK_INT(parse_err("0x10B", 0), -EINVAL);
	CHECK_INT(parse_err("1.GiB", 0), -EINVAL);
	CHECK_INT(parse_err("+5GiB", 0), -EINVAL);
	CHECK_INT(parse_err("10e", 0), -EINVAL);	/* no VG in context */
	CHECK_MSG("extents need a volume group");
	CHECK_INT(parse_err("0.1KiB", 0), -EINVAL);	/* 102.4 bytes */
	CHECK_MSG("not a whole number of bytes");
	CHECK_INT(parse_err("18446744073709551616B", 0), -ERANGE);
	CHECK_INT(parse_err("16EiB", 0), -ERANGE);
	CHECK_INT(parse_err("99999999999999999999999GiB", 0), -ERANGE);
	CHECK_INT(parse_err("4398046511104e", 4194304), -ERANGE);
	CHECK_INT(parse_err("1.1234567890123456789GiB", 0), -ERANGE);
}

TEST(units_count)
{
	uint64_t v;

	CHECK_INT(count_parse("15360", &v), 0);
	CHECK_U64(v, 15360);
	CHECK_INT(count_parse("15360e", &v), -EINVAL);
	CHECK_INT(count_parse("-1", &v), -EINVAL);
	CHECK_INT(count_parse("1.0", &v), -EINVAL);
	CHECK_INT(count_parse("", &v), -EINVAL);
	CHECK_INT(count_parse("99999999999999999999", &v), -ERANGE);
}

TEST(units_format)
{
	char b[SIZE_FMT_LEN];

	CHECK_STR(size_fmt(b, 0), "0 B");
	CHECK_STR(size_fmt(b, 512), "512 B");
	CHECK_STR(size_fmt(b, 1023), "1023 B");
	CHECK_STR(size_fmt(b, 1024), "1024 B (1.00 KiB)");
	CHECK_STR(size_fmt(b, 64424509440ull), "64424509440 B (60.00 GiB)");
	CHECK_STR(size_fmt(b, 60000000000ull), "60000000000 B (55.88 GiB)");
	CHECK_STR(size_fmt(b, 1610612736ull), "1610612736 B (1.50 GiB)");
	CHECK_STR(size_fmt_human(b, 1048575), "1024.00 KiB");
	/* As typed: 1100 MiB is exact in the unit below, not in two decimals of GiB. */
	CHECK_STR(size_fmt(b, 1153433600ull), "1153433600 B (1100 MiB)");
	CHECK_STR(size_fmt_human(b, 1024000), "1000.00 KiB");
	CHECK_STR(size_fmt_human(b, 1000ull << 20), "1000.00 MiB");
	CHECK_STR(size_fmt_human(b, 1500ull << 20), "1500 MiB");
	CHECK_STR(size_fmt_human(b, 1536ull << 20), "1.50 GiB");
	CHECK_STR(size_fmt_human(b, 1025), "1.00 KiB");
	CHECK_STR(size_fmt_human(b, UINT64_MAX), "16.00 EiB");
}

TEST(units_round_trip)
{
	/* Every formatted exact figure parses back to itself. */
	static const uint64_t vals[] = { 0, 1, 511, 512, 4096, 1048576, 64424509440ull,
					 123456789012345ull, UINT64_MAX };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char b[SIZE_FMT_LEN];

		snprintf(b, sizeof(b), "%" PRIu64 "B", vals[i]);
		CHECK_U64(parse_ok(b, 0), vals[i]);
	}
}
