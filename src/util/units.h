/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exact sizes. Every size is a uint64_t count of bytes, or a named count of
 * 512-byte sectors or of extents. Parsing insists on an explicit unit because
 * the tools around us disagree on what a bare "G" means (parted: 10^9,
 * lvm: 2^30, resize2fs: 2^30, pvs --units G: 10^9).
 */
#ifndef SB_UNITS_H
#define SB_UNITS_H

#include <stdint.h>
#include <stdbool.h>

#define SECTOR_SIZE 512u	/* LVM, dm and BLKPG "sectors" are always 512 bytes */

/*
 * Parses "123B", "2048s", "1.5GiB", "60GB", "15360e" into bytes.
 * extent_bytes is the VG's extent size for the "e" unit, 0 where no VG is in
 * context. Returns 0, or -EINVAL/-ERANGE with a message in err_msg().
 */
int size_parse(const char *s, uint64_t extent_bytes, uint64_t *bytes);

/* Parses a plain non-negative decimal count ("15360"); no sign, no unit. */
int count_parse(const char *s, uint64_t *out);

#define SIZE_FMT_LEN 64
/* "64424509440 B (60.00 GiB)"; below 1 KiB just "512 B". Returns buf. */
char *size_fmt(char buf[SIZE_FMT_LEN], uint64_t bytes);
/*
 * "60.00 GiB": the human figure alone, binary units, rounded half up; a whole
 * number of the unit below when that is exact and two decimals are not
 * ("1100 MiB", not "1.07 GiB").
 */
char *size_fmt_human(char buf[SIZE_FMT_LEN], uint64_t bytes);

static inline uint64_t div_round_up(uint64_t n, uint64_t d)
{
	return n / d + (n % d != 0);
}

static inline uint64_t round_down(uint64_t n, uint64_t m)
{
	return n - n % m;
}

/* Overflow-checked helpers: return false on overflow. */
static inline bool mul_u64(uint64_t a, uint64_t b, uint64_t *r)
{
	return !__builtin_mul_overflow(a, b, r);
}

static inline bool add_u64(uint64_t a, uint64_t b, uint64_t *r)
{
	return !__builtin_add_overflow(a, b, r);
}

#endif
