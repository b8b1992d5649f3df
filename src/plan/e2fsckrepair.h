/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * e2fsck before a resize2fs, and the repair of one that was cut off: what a
 * filesystem marked RESIZE_MARK (src/plan/fsresize.h) may have e2fsck -y
 * change, and the two writes of shrinkbox's own that finish such a resize2fs
 * (src/layer/extsb.h, src/layer/extgdt.h).
 */
#ifndef SB_E2FSCKREPAIR_H
#define SB_E2FSCKREPAIR_H

#include <stdbool.h>
#include <stddef.h>

#include "fsopts.h"

/*
 * What e2fsck -f -n printed on a filesystem whose LV carries RESIZE_MARK: 1 if
 * every line is what an interrupted resize2fs leaves and the resize inode, a
 * bitmap checksum or the fallback to the backup descriptors is among it
 * (e2fsck -f -y may repair it), 0 if every line is benign without them, 2 if
 * e2fsck stopped inside inode 7, -1 with the first other line copied to bad.
 */
int e2fsck_n_verdict(const char *out, char *bad, size_t bad_len);

/*
 * e2fsck -f -p of dev (LV lv; for a filesystem on no LV, lv is its path: for
 * messages), after the repair of a cut-off resize2fs when repair is set. 0,
 * or E_REFUSED with what to do (prefixed "only the repair ... was made" when
 * the repair wrote), or -errno.
 */
int fs_e2fsck(const char *dev, const char *lv, bool repair, const struct fsresize_opts *o);

/*
 * For a filesystem no tag marks (one on no LV, or an LV without
 * RESIZE_MARK; lv is then its VG/LV, else NULL), before anything writes, in
 * the dry run too: e2fsck -f -n, read-only. 0 when it is clean or all it reports is what
 * e2fsck -p fixes unattended (e2fsck_n_verdict() 0), or when the journal
 * needs recovery (-n cannot replay it; -p does); else E_REFUSED naming the
 * first line. e2fsck -p itself, giving up, first marks the superblock as
 * having errors: a write a refusal may not make.
 */
int fs_e2fsck_n_check(const char *dev, const char *lv);

#endif
