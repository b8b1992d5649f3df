/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A new orphan PV, laid out and written as lvm2 2.03.16's pvcreate does
 * (format-text.c _text_pv_initialise and _text_pv_add_metadata_area,
 * metadata.c set_pe_align and get_default_pvmetadatasize_sectors): the label
 * in sector 1, metadata area 1 from byte 4096 up to the data alignment, an
 * optional metadata area 2 ending at the device end with its start aligned
 * down, pe_start right after metadata area 1.
 *
 * The write order leaves nothing lvm2 would take for a PV until the very last
 * sector: the label scan area (sectors 0-3, which also removes any old label)
 * and every metadata area are zeroed, the empty mda headers written and
 * flushed, and only then the label sector is written and flushed.
 */
#ifndef SB_LVM_PVCREATE_H
#define SB_LVM_PVCREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "label.h"
#include "../util/io.h"

#define PVC_PAGE_SIZE 4096u			/* lvm2 on x86_64: mda1 starts on a page */
#define PVC_DEFAULT_ALIGNMENT (1024u * 1024u)	/* FIRST_PE_AT_ONE_MB_IN_SECTORS */
#define PVC_DEFAULT_MDA_SIZE (2040u * 512u)	/* 1 MiB - one page: pe_start = 1 MiB */
#define PVC_MDA_SIZE_MIN (8u * PVC_PAGE_SIZE)	/* MDA_SIZE_MIN */
#define PVC_MIN_DEV_SIZE (2048u * 1024u)	/* pv_min_size: lvm2 ignores smaller devices */
#define PVC_LABEL_SECTOR 1u
#define PVC_ZERO_START LABEL_SCAN_SIZE		/* bytes 0-2047 zeroed, as lvm2's -Zy */
#define PVC_DEFAULT_EXTENT (4u * 1024u * 1024u)	/* vgcreate's default, for the plan only */

struct pvcreate_opts {
	unsigned mda_copies;		/* 1 or 2; 0 means 1 */
	uint64_t mda_size;		/* bytes asked for per area; 0: PVC_DEFAULT_MDA_SIZE */
	uint64_t data_alignment;	/* bytes; 0: PVC_DEFAULT_ALIGNMENT */
};

struct pvcreate_layout {
	uint64_t dev_bytes;		/* the device as given */
	uint64_t pv_bytes;		/* its whole 512-byte sectors: the label's device_size */
	uint64_t alignment;		/* bytes, as used */
	unsigned n_mdas;
	struct disk_locn mda[PV_MAX_MDAS];	/* bytes; mda[1] ends at pv_bytes */
	uint64_t pe_start;		/* bytes; the label's data area offset */
	uint64_t data_bytes;		/* pe_start to mda[1] or the end: room for extents */
};

/*
 * Computes the layout lvm2's pvcreate would choose for a device of dev_bytes
 * (pure; no I/O). E_REFUSED when the device is too small: below lvm2's
 * pv_min_size of 2 MiB, below the data alignment, no room for a metadata area
 * of at least 32 KiB, or no byte left for extents. -EINVAL for options that
 * are not whole sectors or a copy count other than 1 or 2.
 */
int pvcreate_layout(uint64_t dev_bytes, const struct pvcreate_opts *o, struct pvcreate_layout *l);

/*
 * Extents a VG with extents of extent_bytes gets from this PV, as vgcreate
 * and vgextend compute pe_count: floor(data_bytes / extent_bytes). 0 for a
 * zero or non-sector extent size.
 */
uint64_t pvcreate_pe_count(const struct pvcreate_layout *l, uint64_t extent_bytes);

/* The label pvcreate writes for l: sector 1, extension version 2, flags 0 (orphan). */
void pvcreate_label(const struct pvcreate_layout *l, const char uuid[LVM_UUID_LEN + 1],
		    struct pv_label *out);

/* A random PV uuid from /dev/urandom in lvm2's id_create alphabet [0-9a-zA-Z]. */
int pv_uuid_generate(char uuid[LVM_UUID_LEN + 1]);

/*
 * Reads a uuid as lvm2's --uuid does: dashes anywhere are dropped, then 32
 * characters of [0-9a-zA-Z!#]. -EINVAL (with a message) otherwise.
 */
int pv_uuid_parse(const char *s, char uuid[LVM_UUID_LEN + 1]);

enum pvcreate_state {
	PVC_NO_LABEL,		/* no LABELONE in sectors 0-3 */
	PVC_SAME,		/* an orphan PV with exactly this layout (and uuid if asked) */
	PVC_OTHER_ORPHAN,	/* an orphan PV with another layout or uuid */
	PVC_DAMAGED,		/* a label or metadata area that does not check out */
	PVC_IN_VG,		/* a PV in a VG: flagged used, or metadata in an area */
};

/*
 * What the device holds, measured against the layout l and, unless NULL, the
 * uuid: one of enum pvcreate_state (>= 0), or -errno when it cannot be read.
 * found receives the label when there is a decodable one; why (len bytes, may
 * be NULL) says what differs or is damaged.
 */
int pvcreate_probe(const struct region *r, const struct pvcreate_layout *l, const char *uuid,
		   struct pv_label *found, char *why, size_t len);

/*
 * Writes an orphan PV with layout l and uuid onto fd (a device or image of
 * l->dev_bytes): zeroes bytes 0-2047 and every metadata area, writes the empty
 * mda headers, flushes, then writes the label sector and flushes. name is for
 * messages. Returns 0 or -errno; *wrote tells whether any byte was written.
 */
int pvcreate_write(int fd, const char *name, const struct pvcreate_layout *l,
		   const char uuid[LVM_UUID_LEN + 1], bool *wrote);

/*
 * The PV whose label carries uuid among devices (NULL-terminated list, or
 * NULL: every block device the kernel lists), other than self (the target's
 * fstat; NULL: none): 1 with its path in path, 0 when there is none. Devices
 * that cannot be opened or read are skipped, as lvm2's scan skips them.
 */
int pv_uuid_find(const char *uuid, const char *const *devices, const struct stat *self,
		 char *path, size_t len);

/*
 * lvm2's global lock, flock(LOCK_EX) on P_global in /run/lock/lvm (or
 * $SHRINKBOX_LOCK_DIR), which lvm2's pvcreate, vgcreate and vgextend hold
 * while they read or write orphan PVs. Waits up to 30 s, then E_REFUSED.
 * *fd is the lock; closing it releases it.
 */
int pv_global_lock(int *fd);

/*
 * The whole job for a caller that has the device open (migrate): the layout
 * for dev_bytes and o, a uuid generated into uuid when uuid[0] is '\0', and
 * pvcreate_write. No checks of what the device holds: pvcreate_probe first.
 */
int pvcreate_fd(int fd, const char *name, uint64_t dev_bytes, const struct pvcreate_opts *o,
		char uuid[LVM_UUID_LEN + 1], struct pvcreate_layout *l, bool *wrote);

#endif
