/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The commit of new metadata to every metadata area of every PV, in lvm2's order
 * (docs/ondisk.md §4.5): the same text written into every ring first, then every
 * precommit slot, then every commit slot, with a flush after each phase. The commit
 * point of each mda is the single-sector write of its header.
 */
#ifndef SB_LVM_COMMIT_H
#define SB_LVM_COMMIT_H

#include "vgopen.h"

struct commit_opts {
	const char *description;	/* "Write from shrinkbox pvresize ..." */
	const char *backup_dir;		/* NULL: no backup file */
};

struct commit_result {
	uint64_t seqno;
	char backup[DEV_PATH_MAX + 128];	/* the previous metadata, for vgcfgrestore -f */
	bool wrote;				/* anything reached a disk */
};

/* Saves the committed text as a file vgcfgrestore -f accepts; its path in res->backup. */
int vgh_backup(struct vgh *h, const char *dir, struct commit_result *res);

/*
 * Commits h->vg->root (edited in place by the caller) as seqno + 1. Validates
 * the text by re-parsing it before the first write and reads every copy back
 * after the last. On success h->vg is the new model. res must start zeroed;
 * a backup already named in res->backup is not written again.
 */
int vgh_commit(struct vgh *h, const struct commit_opts *o, struct commit_result *res);

/* The text h->vg would be committed as (seqno + 1), for --dry-run and "vgcfg show". */
char *vgh_render(struct vgh *h, const char *description, size_t *len);

#endif
