/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LUKS1/LUKS2 headers and active dm-crypt mappings through libcryptsetup (ondisk.md 8). */
#ifndef SB_LUKS_H
#define SB_LUKS_H

#include <stdbool.h>
#include <stdint.h>

struct luks_info {
	int version;			/* 1 or 2 */
	char uuid[40];
	char cipher[96];		/* "aes-xts-plain64" */
	unsigned key_bits;
	uint64_t data_offset;		/* 512-byte sectors */
	unsigned sector_size;		/* bytes: 512 for LUKS1, often 4096 for LUKS2 */
	bool size_fixed;		/* LUKS2 segment with a numeric "size" */
	uint64_t fixed_size;		/* bytes, when size_fixed */
	bool requirements;		/* LUKS2 requirements set (e.g. unfinished reencrypt) */
	unsigned keyslots;		/* active keyslots */

	bool active;			/* an open mapping of this device was found */
	char active_name[128];
	char active_path[256];		/* /dev/mapper/<name> */
	uint64_t active_offset;		/* sectors, from the table */
	uint64_t active_size;		/* sectors */
};

/* True when the first bytes carry a LUKS magic (either header copy's). */
bool luks_magic(const uint8_t *buf, size_t len);

/*
 * Loads the header of path (a block device or a whole image file).
 * -ENOENT: not LUKS; -EBADMSG: a LUKS magic but a header libcryptsetup rejects.
 */
int luks_read(const char *path, struct luks_info *li);

/* Fills the active_* fields from mapping "name" (crypt_init_by_name). */
int luks_read_active(const char *name, struct luks_info *li);

/* Routes libcryptsetup's messages to our debug log instead of stderr. */
void luks_quiet(void);

#endif
