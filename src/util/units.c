// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "units.h"

typedef unsigned __int128 u128;

enum unit_kind { U_BYTES, U_SECTORS, U_EXTENTS, U_IEC, U_SI };

struct unit {
	const char *name;
	enum unit_kind kind;
	unsigned power;		/* for IEC/SI: 1 = K, 2 = M, ... */
	bool icase;
};

static const struct unit units[] = {
	{ "B", U_BYTES, 0, false },
	{ "s", U_SECTORS, 0, false },
	{ "e", U_EXTENTS, 0, false },
	{ "KiB", U_IEC, 1, true }, { "MiB", U_IEC, 2, true }, { "GiB", U_IEC, 3, true },
	{ "TiB", U_IEC, 4, true }, { "PiB", U_IEC, 5, true }, { "EiB", U_IEC, 6, true },
	{ "KB", U_SI, 1, true }, { "MB", U_SI, 2, true }, { "GB", U_SI, 3, true },
	{ "TB", U_SI, 4, true }, { "PB", U_SI, 5, true }, { "EB", U_SI, 6, true },
};

static const char prefixes[] = "KMGTPE";

static u128 upow(unsigned base, unsigned n)
{
	u128 r = 1;

	while (n--)
		r *= base;
	return r;
}

/*
 * value = (ip + frac / 10^fdigits) * mult, exactly. Returns false when the
 * result is not a whole number of bytes or does not fit in 64 bits.
 */
static int scale(uint64_t ip, uint64_t frac, unsigned fdigits, u128 mult, uint64_t *out)
{
	u128 den = upow(10, fdigits);
	u128 whole = (u128)ip * mult;
	u128 part = (u128)frac * mult;

	if (mult && whole / mult != ip)
		return -ERANGE;
	if (part % den)
		return -EDOM;
	whole += part / den;
	if (whole > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)whole;
	return 0;
}

static int parse_number(const char *s, uint64_t *ip, uint64_t *frac, unsigned *fdigits,
			const char **end)
{
	const char *p = s;

	*ip = 0;
	*frac = 0;
	*fdigits = 0;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (__builtin_mul_overflow(*ip, 10, ip) || __builtin_add_overflow(*ip, *p - '0', ip))
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (*fdigits >= 18)
				return -ERANGE;	/* 10^19 would not fit; nobody needs it */
			*frac = *frac * 10 + (uint64_t)(*p - '0');
			(*fdigits)++;
		}
	}
	*end = p;
	return 0;
}

int size_parse(const char *s, uint64_t extent_bytes, uint64_t *bytes)
{
	uint64_t ip, frac, b_iec, b_si;
	const struct unit *u = NULL;
	unsigned fdigits;
	const char *suffix;
	u128 mult;
	int r;

	if (!s || !*s)
		return err_set(-EINVAL, "empty size");
	if (*s == '-')
		return err_set(-EINVAL, "%s: negative size", s);
	r = parse_number(s, &ip, &frac, &fdigits, &suffix);
	if (r == -ERANGE)
		return err_set(-ERANGE, "%s: number too large", s);
	if (r < 0)
		return err_set(-EINVAL, "%s: not a size (expected digits and a unit, e.g. 20GiB)", s);
	if (!*suffix)
		return err_set(-EINVAL,
			       "%s: no unit; write %sB (bytes), %ss (512-byte sectors), %sGiB (2^30) or %sGB (10^9)",
			       s, s, s, s, s);

	/* A lone K/M/G/T/P/E (either case) is the classic trap: refuse and show both readings. */
	if (suffix[1] == '\0' && strchr(prefixes, suffix[0] & ~0x20) && suffix[0] != 'e') {
		unsigned power = (unsigned)(strchr(prefixes, suffix[0] & ~0x20) - prefixes) + 1;
		int ri = scale(ip, frac, fdigits, upow(1024, power), &b_iec);
		int rs = scale(ip, frac, fdigits, upow(1000, power), &b_si);
		char iec[48], si[48];
		size_t n = (size_t)(suffix - s);

		if (ri == 0)
			snprintf(iec, sizeof(iec), "%" PRIu64 " B", b_iec);
		else
			snprintf(iec, sizeof(iec), "%s", ri == -ERANGE ? "too large" : "not whole bytes");
		if (rs == 0)
			snprintf(si, sizeof(si), "%" PRIu64 " B", b_si);
		else
			snprintf(si, sizeof(si), "%s", rs == -ERANGE ? "too large" : "not whole bytes");
		return err_set(-EINVAL, "%s: ambiguous; %.*s%ciB = %s, %.*s%cB = %s", s, (int)n, s,
			       suffix[0] & ~0x20, iec, (int)n, s, suffix[0] & ~0x20, si);
	}

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].icase ? !strcasecmp(suffix, units[i].name) :
				     !strcmp(suffix, units[i].name)) {
			u = &units[i];
			break;
		}
	}
	if (!u)
		return err_set(-EINVAL,
			       "%s: unknown unit \"%s\" (use B, s, KiB/MiB/GiB/TiB, KB/MB/GB/TB or e)",
			       s, suffix);

	switch (u->kind) {
	case U_BYTES:
		mult = 1;
		break;
	case U_SECTORS:
		mult = SECTOR_SIZE;
		break;
	case U_EXTENTS:
		if (!extent_bytes)
			return err_set(-EINVAL, "%s: extents need a volume group to give their size", s);
		mult = extent_bytes;
		break;
	case U_IEC:
		mult = upow(1024, u->power);
		break;
	default:
		mult = upow(1000, u->power);
		break;
	}
	r = scale(ip, frac, fdigits, mult, bytes);
	if (r == -ERANGE)
		return err_set(-ERANGE, "%s: too large for 64 bits", s);
	if (r == -EDOM)
		return err_set(-EINVAL, "%s: not a whole number of bytes", s);
	return 0;
}

int count_parse(const char *s, uint64_t *out)
{
	uint64_t ip, frac;
	unsigned fd;
	const char *end;
	int r;

	if (!s || !*s)
		return err_set(-EINVAL, "empty number");
	r = parse_number(s, &ip, &frac, &fd, &end);
	if (r == -ERANGE)
		return err_set(-ERANGE, "%s: number too large", s);
	if (r < 0 || *end || fd)
		return err_set(-EINVAL, "%s: not a whole decimal number", s);
	*out = ip;
	return 0;
}

char *size_fmt_human(char buf[SIZE_FMT_LEN], uint64_t bytes)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned i = 0;
	u128 div = 1, hundredths;

	while (i < 6 && bytes >= div * 1024) {
		div *= 1024;
		i++;
	}
	if (i == 0) {
		snprintf(buf, SIZE_FMT_LEN, "%" PRIu64 " B", bytes);
		return buf;
	}
	/*
	 * A figure the user typed comes back as typed: 1100 MiB is not shown as
	 * "1.07 GiB". When two decimals of the largest unit are not exact but a
	 * whole number of the unit below is (and short), that is what is shown.
	 */
	if (i >= 2 && ((u128)bytes * 100) % div && bytes % (div / 1024) == 0 &&
	    bytes / (div / 1024) < 100000) {
		snprintf(buf, SIZE_FMT_LEN, "%" PRIu64 " %s", (uint64_t)(bytes / (div / 1024)),
			 names[i - 1]);
		return buf;
	}
	hundredths = ((u128)bytes * 100 + div / 2) / div;
	snprintf(buf, SIZE_FMT_LEN, "%" PRIu64 ".%02u %s", (uint64_t)(hundredths / 100),
		 (unsigned)(hundredths % 100), names[i]);
	return buf;
}

char *size_fmt(char buf[SIZE_FMT_LEN], uint64_t bytes)
{
	char h[SIZE_FMT_LEN];

	if (bytes < 1024)
		snprintf(buf, SIZE_FMT_LEN, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, SIZE_FMT_LEN, "%" PRIu64 " B (%s)", bytes, size_fmt_human(h, bytes));
	return buf;
}
