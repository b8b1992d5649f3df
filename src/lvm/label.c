// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crc.h"
#include "label.h"
#include "../util/endian.h"
#include "../util/err.h"

/* label_header: id[8] sector_xl[8] crc_xl[4] offset_xl[4] type[8] (docs/ondisk.md §2.2) */
#define LH_SECTOR 8
#define LH_CRC 16
#define LH_OFFSET 20
#define LH_TYPE 24
#define LH_SIZE 32
#define DISK_LOCN_SIZE 16

int lvm_uuid_check(const char *id, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = id[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '!' || c == '#'))
			return -EINVAL;
	}
	return 0;
}

void uuid_add_dashes(const char in[LVM_UUID_LEN + 1], char out[LVM_UUID_LEN + 7])
{
	static const int groups[] = { 6, 4, 4, 4, 4, 4, 6 };
	char *o = out;

	for (unsigned g = 0, i = 0; g < 7; g++) {
		if (g)
			*o++ = '-';
		memcpy(o, in + i, (size_t)groups[g]);
		o += groups[g];
		i += (unsigned)groups[g];
	}
	*o = '\0';
}

/*
 * Reads a disk_locn list ending at the first entry whose offset is 0 (the
 * size of the terminator is not looked at, as in lvm2's _text_read).
 */
static int read_locn_list(const uint8_t *sec, unsigned *pos, struct disk_locn *out, unsigned max,
			  unsigned *n, const char *what)
{
	*n = 0;
	for (;;) {
		uint64_t off, size;

		if (*pos + DISK_LOCN_SIZE > LABEL_SIZE)
			return err_set(-EBADMSG, "pv_header: %s list runs past the label sector", what);
		off = get_le64(sec + *pos);
		size = get_le64(sec + *pos + 8);
		*pos += DISK_LOCN_SIZE;
		if (!off)
			return 0;
		if (*n == max)
			return err_set(-EBADMSG, "pv_header: more than %u %s", max, what);
		out[*n].offset = off;
		out[*n].size = size;
		(*n)++;
	}
}

static int decode_one(const uint8_t *sec, unsigned sector, struct pv_label *l)
{
	uint32_t crc, stored, off_xl;
	struct disk_locn da[1];
	unsigned pos, n;
	int r;

	if (get_le64(sec + LH_SECTOR) != sector)
		return err_set(-EBADMSG, "label at sector %u claims to be at sector %" PRIu64,
			       sector, get_le64(sec + LH_SECTOR));
	stored = get_le32(sec + LH_CRC);
	crc = crc_lvm(CRC_LVM_INIT, sec + LH_OFFSET, LABEL_SIZE - LH_OFFSET);
	if (crc != stored)
		return err_set(-EBADMSG,
			       "label at sector %u: checksum 0x%08" PRIx32
			       " does not match the computed 0x%08" PRIx32,
			       sector, stored, crc);
	if (memcmp(sec + LH_TYPE, LABEL_TYPE, 8))
		return err_set(-EBADMSG, "label at sector %u: type is not \"" LABEL_TYPE "\"",
			       sector);
	off_xl = get_le32(sec + LH_OFFSET);
	if (off_xl < LH_SIZE || off_xl > LABEL_SIZE - 72)
		return err_set(-EBADMSG, "label at sector %u: pv_header offset %" PRIu32
			       " is outside the sector", sector, off_xl);

	memset(l, 0, sizeof(*l));
	l->sector = sector;
	pos = off_xl;
	if (lvm_uuid_check((const char *)sec + pos, LVM_UUID_LEN) < 0)
		return err_set(-EBADMSG, "pv_header: PV uuid has characters outside [0-9a-zA-Z!#]");
	memcpy(l->uuid, sec + pos, LVM_UUID_LEN);
	pos += LVM_UUID_LEN;
	l->device_size = get_le64(sec + pos);
	pos += 8;

	r = read_locn_list(sec, &pos, da, 1, &n, "data areas");
	if (r < 0)
		return r;
	if (n != 1)
		return err_set(-EBADMSG, "pv_header: %u data areas, lvm2 requires exactly one", n);
	l->data_offset = da[0].offset;
	r = read_locn_list(sec, &pos, l->mda, PV_MAX_MDAS, &l->n_mdas, "metadata areas");
	if (r < 0)
		return r;

	/* pv_header_extension: version, flags, then bootloader areas (version >= 1). */
	if (pos + 8 > LABEL_SIZE)
		return err_set(-EBADMSG, "pv_header: extension runs past the label sector");
	l->ext_version = get_le32(sec + pos);
	l->ext_flags = get_le32(sec + pos + 4);
	pos += 8;
	if (l->ext_version > PV_EXT_VERSION)
		return err_set(-EOPNOTSUPP, "pv_header extension version %" PRIu32
			       " is newer than the %d this program knows", l->ext_version,
			       PV_EXT_VERSION);
	if (l->ext_flags & ~PV_EXT_USED)
		return err_set(-EOPNOTSUPP, "pv_header extension has unknown flags 0x%" PRIx32,
			       l->ext_flags & ~PV_EXT_USED);
	if (l->ext_version >= 1) {
		r = read_locn_list(sec, &pos, l->ba, PV_MAX_BAS, &l->n_bas, "bootloader areas");
		if (r < 0)
			return r;
	}
	return 0;
}

int pvlabel_decode(const uint8_t buf[LABEL_SCAN_SIZE], struct pv_label *l)
{
	int first_err = 0;
	char msg[512] = "";

	for (unsigned s = 0; s < LABEL_SCAN_SECTORS; s++) {
		const uint8_t *sec = buf + s * LABEL_SIZE;
		int r;

		if (memcmp(sec, LABEL_ID, 8))
			continue;
		err_clear();
		r = decode_one(sec, s, l);
		if (r == 0)
			return 0;
		if (!first_err) {
			first_err = r;
			snprintf(msg, sizeof(msg), "%s", err_msg(r));
		}
	}
	if (first_err)
		return err_set(first_err, "%s", msg);
	return err_set(-ENOENT, "no LVM2 label in sectors 0-3");
}

int pvlabel_encode(const struct pv_label *l, uint8_t sec[LABEL_SIZE])
{
	unsigned pos = LH_SIZE;

	if (l->sector >= LABEL_SCAN_SECTORS || l->n_mdas > PV_MAX_MDAS || l->n_bas > PV_MAX_BAS ||
	    !l->data_offset || lvm_uuid_check(l->uuid, LVM_UUID_LEN) < 0)
		return -EINVAL;
	memset(sec, 0, LABEL_SIZE);
	memcpy(sec, LABEL_ID, 8);
	put_le64(sec + LH_SECTOR, l->sector);
	put_le32(sec + LH_OFFSET, LH_SIZE);
	memcpy(sec + LH_TYPE, LABEL_TYPE, 8);
	memcpy(sec + pos, l->uuid, LVM_UUID_LEN);
	pos += LVM_UUID_LEN;
	put_le64(sec + pos, l->device_size);
	pos += 8;
	put_le64(sec + pos, l->data_offset);	/* data area size is written as 0 */
	pos += 2 * DISK_LOCN_SIZE;		/* + terminator */
	for (unsigned i = 0; i < l->n_mdas; i++, pos += DISK_LOCN_SIZE) {
		put_le64(sec + pos, l->mda[i].offset);
		put_le64(sec + pos + 8, l->mda[i].size);
	}
	pos += DISK_LOCN_SIZE;
	put_le32(sec + pos, l->ext_version);
	put_le32(sec + pos + 4, l->ext_flags);
	pos += 8;
	for (unsigned i = 0; i < l->n_bas; i++, pos += DISK_LOCN_SIZE) {
		put_le64(sec + pos, l->ba[i].offset);
		put_le64(sec + pos + 8, l->ba[i].size);
	}
	put_le32(sec + LH_CRC, crc_lvm(CRC_LVM_INIT, sec + LH_OFFSET, LABEL_SIZE - LH_OFFSET));
	return 0;
}
