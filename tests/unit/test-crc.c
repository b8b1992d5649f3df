// SPDX-License-Identifier: GPL-2.0-or-later
#include "test.h"
#include "lvm/crc.h"

/* Test vectors from ondisk.md 3.3, computed with lvm2's own code. */
TEST(crc_vectors)
{
	uint8_t zero[512] = { 0 };

	CHECK_U64(crc_lvm(CRC_LVM_INIT, "123456789", 9), 0x4991cf02);
	CHECK_U64(crc_lvm(CRC_LVM_INIT, zero, sizeof(zero)), 0x6790aecb);
	CHECK_U64(crc_lvm(CRC_LVM_INIT, "", 0), 0xf597a6cf);
}

TEST(crc_chains_over_pieces)
{
	CHECK_U64(crc_lvm(crc_lvm(CRC_LVM_INIT, "1234", 4), "56789", 5), 0x4991cf02);
}
