// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: size parsing. Invariant: a parsed size, printed as exact
 * bytes ("<n>B"), parses back to itself.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[128], again[40], fmt[SIZE_FMT_LEN];
	uint64_t ext = 0, v, w;

	if (size < 1 || size > 100)
		return 0;
	ext = (uint64_t)data[0] << 20;	/* 0 or a few MiB: with and without a VG in context */
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (size_parse(s, ext, &v) < 0)
		return 0;
	snprintf(again, sizeof(again), "%" PRIu64 "B", v);
	if (size_parse(again, 0, &w) < 0 || w != v)
		abort();
	size_fmt(fmt, v);
	return 0;
}
