/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filesystem tools' side of a resize, wherever the filesystem lives (an LV,
 * a partition, an open LUKS mapping): its superblock read back, resize2fs's own
 * minimum (-P) and resize2fs itself, exec'd without a shell.
 */
#ifndef SB_RESIZE2FS_H
#define SB_RESIZE2FS_H

#include <stdint.h>

#include "fsopts.h"
#include "../layer/fs.h"

/* What is on dev now (libblkid and the size from the superblock or swap header). */
int fs_read(const char *dev, struct fs_info *fi);

/*
 * resize2fs -f -P dev: the smallest size in bytes resize2fs itself would shrink to;
 * who (VG/LV, or NULL for dev) names it for the answer kept for the command (fsmemo.h).
 */
int resize2fs_min(const char *dev, const char *who, uint64_t block_size, uint64_t *bytes);

/*
 * resize2fs dev to bytes (a multiple of 512), or with bytes 0 to fill dev
 * (what says what is filled, for the message). -ERANGE with the minimum in
 * bytes as the message when resize2fs finds the size below its minimum.
 */
int resize2fs_run(const char *dev, uint64_t bytes, uint64_t block_size, const char *what,
		  const struct fsresize_opts *o);

#endif
