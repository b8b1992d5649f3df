/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SB_LOOP_H
#define SB_LOOP_H

#include <stdint.h>

#include "sysfs.h"

/*
 * Exposes bytes [off, off+size) of fd as a read-only loop device that the
 * kernel detaches by itself when the returned fd is closed (autoclear). Used
 * to hand a partition inside an image file to libcryptsetup, which wants a
 * path. Returns the loop fd (keep it open while the path is used) or -errno.
 */
int loop_attach_ro(int fd, uint64_t off, uint64_t size, char path[DEV_PATH_MAX]);
/* The same, writable: an LV's extents as a device where the kernel has no device-mapper. */
int loop_attach_rw(int fd, uint64_t off, uint64_t size, char path[DEV_PATH_MAX]);

#endif
