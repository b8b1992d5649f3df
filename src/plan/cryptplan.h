/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan of a dm-crypt mapping resize (the cryptresize applet): the mapping's
 * new size in whole crypt sectors, never past the device under it nor below
 * what its content (a PV, a filesystem) needs, and never of a LUKS2 volume
 * whose metadata would have to change. Made from the active table, the LUKS
 * header and the content's own header; nothing here writes.
 */
#ifndef SB_CRYPTPLAN_H
#define SB_CRYPTPLAN_H

#include <libcryptsetup.h>
#include <stdbool.h>
#include <stdint.h>

#include "need.h"
#include "../layer/luks.h"
#include "../util/io.h"

struct crypt_plan {
	char name[128];			/* the mapping, without /dev/mapper/ */
	char path[160];			/* /dev/mapper/NAME */
	const char *under;		/* the device under it (owned by cd, or under_kname) */
	char under_kname[DEV_PATH_MAX];	/* /dev/dm-N, when libcryptsetup's path does not open */
	struct crypt_device *cd;	/* owned */
	struct crypt_active_device cad;	/* the mapping as it is */
	struct luks_info li;
	struct need need;
	uint64_t dev_bytes;		/* the device under it */
	uint64_t ss;			/* the crypt sector in 512-byte sectors */
	uint64_t max;			/* the largest mapping the device leaves, sectors */
	uint64_t target;		/* the new size, 512-byte sectors */
	bool noop;
};

/*
 * The plan for NAME (or /dev/mapper/NAME) to become bytes (rounded up to whole
 * crypt sectors; 0: fill the device, rounded down). 0; -ENODEV when NAME is no
 * active LUKS mapping; E_REFUSED for what the volume forbids (LUKS2 metadata
 * that would change, dm-integrity, too big, below the content's need, content
 * not understood); other -errno. Every failure has its message (err_msg).
 */
int crypt_plan_make(const char *name, uint64_t bytes, struct crypt_plan *p);

void crypt_plan_free(struct crypt_plan *p);

#endif
