/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A partition table's backup before it is written: the text `sfdisk -d`
 * prints (libfdisk's script format, fdisk_script_write_file), which
 * `sfdisk DISK < FILE` writes back.
 */
#ifndef SB_PTBACKUP_H
#define SB_PTBACKUP_H

#include <stddef.h>

/* The table of disk (a device or image file) into dir, flushed; the file's name in out. */
int pt_backup(const char *disk, const char *dir, char *out, size_t out_len);

#endif
