/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The LVM2 physical volume label: one 512-byte sector among sectors 0-3
 * holding label_header + pv_header + pv_header_extension (docs/ondisk.md §2).
 */
#ifndef SB_LVM_LABEL_H
#define SB_LVM_LABEL_H

#include <stdint.h>

#define LABEL_SIZE 512u
#define LABEL_SCAN_SECTORS 4u
#define LABEL_SCAN_SIZE (LABEL_SIZE * LABEL_SCAN_SECTORS)
#define LABEL_ID "LABELONE"
#define LABEL_TYPE "LVM2 001"
#define PV_MAX_MDAS 2		/* FMT_TEXT_MAX_MDAS_PER_PV */
#define PV_MAX_BAS 1
#define PV_EXT_VERSION 2
#define PV_EXT_USED 0x1u
#define LVM_UUID_LEN 32

struct disk_locn {
	uint64_t offset;	/* bytes from the start of the device */
	uint64_t size;		/* bytes */
};

struct pv_label {
	uint64_t sector;		/* sector_xl: where the label is */
	char uuid[LVM_UUID_LEN + 1];	/* no dashes */
	uint64_t device_size;		/* bytes, as of the last label write */
	uint64_t data_offset;		/* the one data area: pe_start in bytes */
	unsigned n_mdas;
	struct disk_locn mda[PV_MAX_MDAS];
	uint32_t ext_version;
	uint32_t ext_flags;
	unsigned n_bas;
	struct disk_locn ba[PV_MAX_BAS];
};

/*
 * Finds and decodes the label in the first LABEL_SCAN_SIZE bytes of a device,
 * the way lvm2's scan does: first sector with LABELONE, a matching sector_xl,
 * a good CRC and type "LVM2 001" wins. -ENOENT: no label at all; -EBADMSG: a
 * label that fails its checks; -EOPNOTSUPP: a valid label we do not
 * understand (extension version or flags).
 */
int pvlabel_decode(const uint8_t buf[LABEL_SCAN_SIZE], struct pv_label *l);

/* Encodes l into one 512-byte sector, CRC last, as lvm2's label_write does. */
int pvlabel_encode(const struct pv_label *l, uint8_t sector[LABEL_SIZE]);

/* Checks a 32-character id against lvm2's alphabet [0-9a-zA-Z!#]. */
int lvm_uuid_check(const char *id, size_t len);
/* "abcdef..." (32) -> "abcdef-ghij-...-uvwxyz" (38, groups 6-4-4-4-4-4-6). */
void uuid_add_dashes(const char in[LVM_UUID_LEN + 1], char out[LVM_UUID_LEN + 7]);

#endif
