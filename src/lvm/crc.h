/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SB_LVM_CRC_H
#define SB_LVM_CRC_H

#include <stddef.h>
#include <stdint.h>

/*
 * LVM2's calc_crc (docs/ondisk.md §3): reflected CRC-32, polynomial 0xEDB88320,
 * no inversion on the way in or out. Chain it over pieces by passing the
 * previous result as init (a wrapped metadata text is two pieces).
 */
#define CRC_LVM_INIT 0xf597a6cfu

uint32_t crc_lvm(uint32_t init, const void *buf, size_t len);

/* The raw_locn checksum of a metadata text of size bytes (NUL included). */
static inline uint32_t crc_lvm_text(const void *text, size_t size)
{
	return crc_lvm(CRC_LVM_INIT, text, size);
}

#endif
