/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filesystems that resize only while mounted: XFS (xfs_growfs; it never
 * shrinks) and btrfs (btrfs filesystem resize, both ways). Where the device is
 * not mounted it is mounted for the tool on a temporary directory, in a mount
 * namespace of this process's own, so that nothing else sees it and a process
 * killed mid-way leaves no mount behind (the namespace dies with it); where it
 * is mounted, the tool works on that mount, online. Both tools work in
 * transactions: a cut leaves the old size or the new one, never work for a
 * repair.
 */
#ifndef SB_MOUNTFS_H
#define SB_MOUNTFS_H

#include <stdbool.h>
#include <stdint.h>

#include "fsopts.h"
#include "../layer/fs.h"

/*
 * The kernel's floor for a btrfs device resize (fs/btrfs/ioctl.c,
 * btrfs_ioctl_resize(): a new size below 256 MiB is -EINVAL).
 */
#define BTRFS_MIN_DEV_BYTES (256ull << 20)

/* True for the kinds this file resizes. */
bool mountfs_kind(const char *type);

/*
 * btrfs: the smallest size this device can shrink to, read-only (mounted
 * ro,rescue=nologreplay when it is not mounted): btrfs inspect-internal
 * min-dev-size, and never below BTRFS_MIN_DEV_BYTES.
 */
int mountfs_min(const char *dev, const struct fs_info *fi, uint64_t *bytes);

/*
 * Resizes the filesystem on dev to exactly bytes (a multiple of its block or
 * sector size): xfs_growfs -D, btrfs filesystem resize devid:bytes; then, for
 * a btrfs this command mounted, btrfs check --readonly once it is unmounted.
 * On a filesystem mounted before (online) the result is checked against the
 * size the kernel reports, and *online is set: the copy on the device may be
 * written later, so the caller does not read it back.
 */
int mountfs_resize(const char *dev, const struct fs_info *fi, uint64_t bytes,
		   const struct fsresize_opts *o, bool *online);

#endif
