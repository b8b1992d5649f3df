// SPDX-License-Identifier: GPL-2.0-or-later
/* Whole-stack shrink arithmetic, checked by hand against the headers' numbers. */
#include <errno.h>

#include "test.h"
#include "plan/stacksize.h"
#include "util/err.h"

/* The seed layout: partition 3 at sector 1054720, LUKS1 (2 MiB header), PV with 4 MiB extents. */
static const struct layers seed = {
	.part_start = 1054720, .part_size = 12582912, .table_sector = 512, .grain = 1048576,
	.luks = true, .luks_offset = 4096, .crypt_sector = 512,
	.pe_start = 2048, .extent = 8192, .mda2 = 0, .used = 1280,
};

TEST(stacksize_seed_exact)
{
	struct targets t;

	/* 4 GiB partition: 8388608 s; mapping = 8388608 - 4096; PV the same; extents below. */
	CHECK_INT(shrink_targets(&seed, 4ull << 30, &t), 0);
	CHECK_U64(t.part_size, 8388608);
	CHECK_U64(t.map_size, 8388608 - 4096);
	CHECK_U64(t.pv_bytes, (8388608ull - 4096) * 512);
	CHECK_U64(t.pe_count, ((8388608ull - 4096) * 512 - 1048576) / 4194304);
	CHECK_U64(t.pe_count, 1023);	/* 4291821568 / 4194304 = 1023.25 */
	CHECK_U64(t.free_needed, 1280 - 1023);
}

TEST(stacksize_unaligned_request_rounds_down_to_grain)
{
	struct targets t;

	/* 4 GB (10^9): the end goes to the grain at or below start + 4000000000 B. */
	CHECK_INT(shrink_targets(&seed, 4000000000ull, &t), 0);
	CHECK_U64((seed.part_start * 512 + t.part_size * 512) % 1048576, 0);
	CHECK(t.part_size * 512 <= 4000000000ull);
	CHECK(t.part_size * 512 > 4000000000ull - 1048576);
}

TEST(stacksize_luks2_4k_sectors_and_mda2)
{
	struct layers l = seed;
	struct targets t;

	l.luks_offset = 32768;			/* LUKS2: 16 MiB */
	l.crypt_sector = 4096;
	l.mda2 = 1048576;
	l.part_start = 2049;			/* an unaligned start (old tools) */
	CHECK_INT(shrink_targets(&l, 1ull << 30, &t), 0);
	CHECK_U64((l.part_start * 512 + t.part_size * 512) % 1048576, 0);
	CHECK_U64((t.map_size * 512) % 4096, 0);
	CHECK(t.map_size * 512 + 32768ull * 512 <= t.part_size * 512);
	CHECK(t.map_size * 512 + 32768ull * 512 + 4096 > t.part_size * 512);
	CHECK_U64(t.pe_count, (t.pv_bytes - 1048576 - 1048576) / 4194304);
}

TEST(stacksize_too_small)
{
	struct targets t;

	err_clear();
	CHECK_INT(shrink_targets(&seed, 1048576, &t), -EINVAL);
	CHECK_MSG("LUKS header");
	CHECK_INT(shrink_targets(&seed, 4ull << 20, &t), -EINVAL);
	CHECK_MSG("one extent");
	CHECK_INT(shrink_targets(&seed, 100, &t), -EINVAL);
}

TEST(stacksize_plain_pv_partition)
{
	struct layers l = seed;
	struct targets t;

	l.luks = false;
	CHECK_INT(shrink_targets(&l, 2ull << 30, &t), 0);
	CHECK_U64(t.map_size, 0);
	CHECK_U64(t.pv_bytes, 2ull << 30);
	CHECK_U64(t.pe_count, ((2ull << 30) - 1048576) / 4194304);
}
