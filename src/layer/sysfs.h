/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the kernel says about block devices, read from /sys/dev/block/M:m:
 * whether a device is a partition and of which disk, whether it is a
 * device-mapper device and which, who holds it. No libdevmapper needed for
 * reading; all of this works in a bare initramfs.
 */
#ifndef SB_SYSFS_H
#define SB_SYSFS_H

#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../util/io.h"	/* DEV_PATH_MAX */

/* Partition number and whole-disk path of a partition; -ENOENT if not a partition. */
int blk_partition_of(dev_t dev, char disk[DEV_PATH_MAX], unsigned *partno);
/* Path of partition partno of disk; -ENOENT if the kernel has no such node. */
int blk_partition_path(dev_t disk, unsigned partno, char out[DEV_PATH_MAX]);
/* dm name and uuid of a dm device; -ENOENT if not dm. */
int blk_dm_info(dev_t dev, char name[128], char uuid[160]);
/* The dm-crypt (CRYPT-LUKS*) mapping holding dev, by dm name; -ENOENT if none. */
int blk_crypt_holder(dev_t dev, char name[128]);
/* The single device under a dm device (its "slaves"); -ENOENT/-EMLINK otherwise. */
int blk_dm_slave(dev_t dev, char out[DEV_PATH_MAX]);
/* Names of the devices holding dev (comma separated), "" if none. */
int blk_holders(dev_t dev, char *out, size_t len);
/* /dev/mapper/<name> if dm device "name" exists; -ENOENT otherwise. */
int blk_dm_path(const char *name, char out[DEV_PATH_MAX]);
/* Reads a small sysfs (or proc) attribute, newline stripped: 0 or -errno. */
int sysfs_read_attr(const char *path, char *out, size_t len);
/*
 * True when one of the two paths is built on the other: the same device or
 * file, a partition of it, a dm/md device over it (at any depth), or a loop
 * device over that file. Writing to one then writes to the other.
 */
bool blk_related(const char *a, const char *b);
/* True when path is a suspended device-mapper device: a read of it would wait. */
bool blk_suspended(const char *path);
/* True when a filesystem on dev is mounted (in this mount namespace). */
bool blk_mounted(dev_t dev);
/*
 * Where dev is mounted (/proc/self/mountinfo: its device number, or for a
 * btrfs the device it was mounted from): 0 with the mount point in dir, or
 * -ENOENT.
 */
int blk_mount_point(dev_t dev, char *dir, size_t len);

#endif
