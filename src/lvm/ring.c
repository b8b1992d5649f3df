// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>

#include "ring.h"
#include "../util/err.h"

uint64_t mda_max_text(uint64_t mda_size)
{
	if (mda_size < 3 * MDA_HEADER_SIZE)
		return 0;
	return (mda_size - MDA_HEADER_SIZE) / 2 - MDA_HEADER_SIZE;
}

/* Bytes [a, a+n) and [b, b+m) of the ring, either of which may wrap, overlap. */
static int ring_overlap(uint64_t S, uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	/* Unroll each range into at most two linear pieces and compare the pieces. */
	uint64_t pa[2][2], pb[2][2];
	int na = 1, nb = 1;

	pa[0][0] = a;
	pa[0][1] = a + n;
	if (a + n > S) {
		pa[0][1] = S;
		pa[1][0] = MDA_HEADER_SIZE;
		pa[1][1] = MDA_HEADER_SIZE + (a + n - S);
		na = 2;
	}
	pb[0][0] = b;
	pb[0][1] = b + m;
	if (b + m > S) {
		pb[0][1] = S;
		pb[1][0] = MDA_HEADER_SIZE;
		pb[1][1] = MDA_HEADER_SIZE + (b + m - S);
		nb = 2;
	}
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			if (pa[i][0] < pb[j][1] && pb[j][0] < pa[i][1])
				return 1;
	return 0;
}

int mda_next_offset(const struct mda_header *h, uint64_t size, uint64_t *offset)
{
	const struct raw_locn *old = &h->slot[0];
	uint64_t S = h->size, start, old_last;

	if (!size || size > mda_max_text(S))
		return err_set(-ENOSPC, "metadata text of %" PRIu64 " bytes does not fit the "
			       "metadata area at byte %" PRIu64 " (at most %" PRIu64 ")",
			       size, h->start, mda_max_text(S));
	if ((old->flags & RAW_LOCN_IGNORED) || raw_locn_empty(old) || old->offset >= S ||
	    old->offset < MDA_HEADER_SIZE || old->size > S - MDA_HEADER_SIZE) {
		*offset = MDA_HEADER_SIZE;
		return 0;
	}
	if (old->offset + old->size > S)
		old_last = MDA_HEADER_SIZE + (old->offset + old->size - S) - 1;
	else
		old_last = old->offset + old->size - 1;
	if (S - old_last < MDA_ALIGN) {
		start = MDA_HEADER_SIZE;
	} else {
		start = (old_last + 1 + MDA_ALIGN - 1) / MDA_ALIGN * MDA_ALIGN;
		if (start > S - MDA_ALIGN)
			start = MDA_HEADER_SIZE;
	}
	if (ring_overlap(S, start, size, old->offset, old->size))
		return err_set(-ENOSPC, "metadata text of %" PRIu64 " bytes would overwrite the "
			       "committed copy in the area at byte %" PRIu64, size, h->start);
	*offset = start;
	return 0;
}
