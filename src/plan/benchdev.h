/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What "bench device PATH" measures: PATH alone, or, when dm-crypt is
 * involved, the device under the mapping and the mapping over the same bytes,
 * so the two rates differ only by the encryption. And whether PATH is free to
 * be overwritten by --write.
 */
#ifndef SB_BENCHDEV_H
#define SB_BENCHDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "../layer/sysfs.h"

struct bench_target {
	char clear[DEV_PATH_MAX];	/* PATH, or the device under the mapping PATH names */
	bool mapped;			/* an open dm-crypt mapping sits on clear */
	bool path_is_mapping;		/* PATH named the mapping, not the device under it */
	char map_name[128];
	char map_path[DEV_PATH_MAX];	/* /dev/mapper/<map_name> */
	uint64_t map_off;		/* bytes: where the mapping's first byte lies in clear */
	uint64_t map_size;		/* bytes */
};

/*
 * Finds what to measure from PATH: a dm-crypt mapping (LUKS or plain) and the
 * one device under it; a LUKS device with an open mapping (by its holders in
 * sysfs); else PATH alone (any block device, an image file). 0 or -errno.
 */
int bench_target_find(const char *path, struct bench_target *t);

/*
 * 0 when nothing uses PATH: not mounted, not swap, no holders (dm, LVM, md),
 * no partition of it in use; an image file attached to no loop device and not
 * a swap file. E_REFUSED with the reason in err_msg() otherwise. The caller
 * still opens it with O_EXCL, the kernel's own answer, which this only words.
 */
int bench_check_unused(const char *path);

#endif
