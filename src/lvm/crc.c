// SPDX-License-Identifier: GPL-2.0-or-later
#include "crc.h"

static uint32_t crc_table[256];

static void crc_init_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t crc_lvm(uint32_t init, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = init;

	if (!crc_table[1])
		crc_init_table();
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}
