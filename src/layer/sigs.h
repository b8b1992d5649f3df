/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every signature libblkid knows on a device — filesystems, LUKS, RAID and
 * LVM members, partition tables — listed and erased the way wipefs does it:
 * probe, note the magic, hide it, probe again, so that a second signature
 * behind the first (a LUKS2 secondary header, a backup GPT) is found too.
 */
#ifndef SB_SIGS_H
#define SB_SIGS_H

#include <stddef.h>
#include <stdint.h>

#define DEV_SIGS_MAX 16

struct dev_sig {
	char type[32];		/* blkid TYPE, or PTTYPE for a partition table */
	char usage[24];		/* blkid USAGE, or "partition table" */
	uint64_t offset;	/* bytes: where the magic is */
	size_t len;		/* bytes of magic */
};

/*
 * Lists up to max signatures on fd (bad checksums included, as wipefs does).
 * Returns 0 with *n set, or -errno.
 */
int dev_sigs_list(int fd, const char *name, struct dev_sig *sigs, unsigned max, unsigned *n);

/*
 * Erases the magic of every signature on fd (wipefs -a) and flushes; the ones
 * erased go to wiped (up to max, *n counts them all). -errno when a wipe
 * fails: what was erased before stays erased.
 */
int dev_sigs_wipe(int fd, const char *name, struct dev_sig *wiped, unsigned max, unsigned *n);

/* "ext4 at byte 1080, LVM2_member at byte 536" into buf. */
char *dev_sigs_fmt(const struct dev_sig *sigs, unsigned n, char *buf, size_t len);

#endif
