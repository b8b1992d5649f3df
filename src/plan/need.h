/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How many bytes from its start a volume's content needs: the end of the open
 * LUKS mapping, of the PV's extents and metadata areas, of the filesystem or
 * swap area. A container may shrink to this and no further.
 */
#ifndef SB_NEED_H
#define SB_NEED_H

#include <stdbool.h>
#include <stdint.h>

#include "stack.h"

struct need {
	bool known;		/* false: the content is not understood; do not shrink */
	bool unknown;		/* not known because nothing names it (no signature, an
				   unknown kind): only an explicit override may cut into it */
	uint64_t bytes;		/* when known */
	char what[320];		/* what needs it, or why it is not known */
};

void content_need(const struct volume *v, struct need *n);

#endif
