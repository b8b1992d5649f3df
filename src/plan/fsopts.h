/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every filesystem resize step shares: the kinds of content, and how a step reports. */
#ifndef SB_FSOPTS_H
#define SB_FSOPTS_H

#include <stdint.h>

/*
 * ext2/3/4 and swap offline; XFS (grow only) and btrfs through a mount
 * (mountfs.h); LUKS: an LV whose content is an open LUKS mapping, the content
 * inside it resized as devfs.h does.
 */
enum fs_kind { FS_EXT, FS_SWAP, FS_XFS, FS_BTRFS, FS_LUKS };

struct commit_opts;

struct fsresize_opts {
	const struct commit_opts *commit;
	void (*say)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
	/*
	 * Resizes open LUKS mapping name to sectors (0: to fill its device), the
	 * key loaded again where the kernel keyring holds it: the applet's
	 * cryptresize step. 0, or -errno.
	 */
	int (*crypt_resize)(const char *name, uint64_t sectors);
};

#endif
