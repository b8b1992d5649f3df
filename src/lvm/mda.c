// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "mda.h"
#include "../util/endian.h"
#include "../util/err.h"

/* mda_header layout (docs/ondisk.md §4.2) */
#define MH_MAGIC 4
#define MH_VERSION 20
#define MH_START 24
#define MH_SIZE 32
#define MH_RAW_LOCNS 40
#define RAW_LOCN_SIZE 24

int mda_header_decode(const uint8_t buf[MDA_HEADER_SIZE], const struct disk_locn *where,
		      struct mda_header *h)
{
	uint32_t crc;

	memset(h, 0, sizeof(*h));
	h->checksum = get_le32(buf);
	crc = crc_lvm(CRC_LVM_INIT, buf + MH_MAGIC, MDA_HEADER_SIZE - MH_MAGIC);
	if (crc != h->checksum)
		return err_set(-EBADMSG,
			       "metadata area at byte %" PRIu64 ": header checksum 0x%08" PRIx32
			       " does not match the computed 0x%08" PRIx32,
			       where->offset, h->checksum, crc);
	if (memcmp(buf + MH_MAGIC, FMTT_MAGIC, 16))
		return err_set(-EBADMSG, "metadata area at byte %" PRIu64 ": wrong magic",
			       where->offset);
	h->version = get_le32(buf + MH_VERSION);
	if (h->version != FMTT_VERSION)
		return err_set(-EOPNOTSUPP,
			       "metadata area at byte %" PRIu64 ": header version %" PRIu32
			       " is not %u", where->offset, h->version, FMTT_VERSION);
	h->start = get_le64(buf + MH_START);
	h->size = get_le64(buf + MH_SIZE);
	if (h->start != where->offset)
		return err_set(-EBADMSG,
			       "metadata area at byte %" PRIu64 ": header says it starts at byte %"
			       PRIu64, where->offset, h->start);
	if (h->size != where->size)
		return err_set(-EBADMSG,
			       "metadata area at byte %" PRIu64 ": header size %" PRIu64
			       " disagrees with the label's %" PRIu64,
			       where->offset, h->size, where->size);
	if (h->size <= MDA_HEADER_SIZE)
		return err_set(-EBADMSG, "metadata area at byte %" PRIu64 ": size %" PRIu64
			       " leaves no room for text", where->offset, h->size);
	/* The list ends at the first entry with offset 0; only slots 0 and 1 have meaning. */
	for (unsigned i = 0; i < MDA_SLOTS; i++) {
		const uint8_t *p = buf + MH_RAW_LOCNS + i * RAW_LOCN_SIZE;
		struct raw_locn *rl = &h->slot[i];

		rl->offset = get_le64(p);
		if (!rl->offset) {
			/* Keep the flags of an empty slot 0: metadataignore lives there. */
			rl->flags = get_le32(p + 20);
			break;
		}
		rl->size = get_le64(p + 8);
		rl->checksum = get_le32(p + 16);
		rl->flags = get_le32(p + 20);
	}
	return 0;
}

void mda_header_encode(const struct mda_header *h, uint8_t buf[MDA_HEADER_SIZE])
{
	memset(buf, 0, MDA_HEADER_SIZE);
	memcpy(buf + MH_MAGIC, FMTT_MAGIC, 16);
	put_le32(buf + MH_VERSION, FMTT_VERSION);
	put_le64(buf + MH_START, h->start);
	put_le64(buf + MH_SIZE, h->size);
	for (unsigned i = 0; i < MDA_SLOTS; i++) {
		uint8_t *p = buf + MH_RAW_LOCNS + i * RAW_LOCN_SIZE;
		const struct raw_locn *rl = &h->slot[i];

		if (!rl->offset && i > 0)
			break;
		put_le64(p, rl->offset);
		put_le64(p + 8, rl->size);
		put_le32(p + 16, rl->checksum);
		put_le32(p + 20, rl->flags);
		if (!rl->offset)
			break;
	}
	put_le32(buf, crc_lvm(CRC_LVM_INIT, buf + MH_MAGIC, MDA_HEADER_SIZE - MH_MAGIC));
}

int mda_read_text(const struct region *dev, const struct mda_header *h, unsigned slot,
		  char **text, size_t *len)
{
	const struct raw_locn *rl = &h->slot[slot];
	uint64_t first, wrap;
	uint32_t crc;
	char *buf;
	int r;

	if (raw_locn_empty(rl))
		return -ENOENT;
	if (rl->offset < MDA_HEADER_SIZE || rl->offset >= h->size)
		return err_set(-EBADMSG, "metadata area at byte %" PRIu64 ": text offset %" PRIu64
			       " is outside the area", h->start, rl->offset);
	if (!rl->size || rl->size > h->size - MDA_HEADER_SIZE)
		return err_set(-EBADMSG, "metadata area at byte %" PRIu64 ": text size %" PRIu64
			       " does not fit the area", h->start, rl->size);
	first = rl->size;
	wrap = 0;
	if (rl->offset + rl->size > h->size) {
		first = h->size - rl->offset;
		wrap = rl->size - first;
	}
	buf = malloc(rl->size + 1);
	if (!buf)
		return -ENOMEM;
	r = region_read(dev, h->start + rl->offset, buf, first);
	if (r == 0 && wrap)
		r = region_read(dev, h->start + MDA_HEADER_SIZE, buf + first, wrap);
	if (r < 0) {
		free(buf);
		return r;
	}
	crc = crc_lvm(CRC_LVM_INIT, buf, rl->size);
	if (crc != rl->checksum) {
		free(buf);
		return err_set(-EBADMSG,
			       "metadata area at byte %" PRIu64 ": text checksum 0x%08" PRIx32
			       " does not match the computed 0x%08" PRIx32,
			       h->start, rl->checksum, crc);
	}
	if (buf[rl->size - 1] != '\0') {
		free(buf);
		return err_set(-EBADMSG, "metadata area at byte %" PRIu64
			       ": text is not NUL-terminated", h->start);
	}
	buf[rl->size] = '\0';
	*text = buf;
	*len = strlen(buf);
	return 0;
}
