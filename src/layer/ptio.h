/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the partition-table writer (ptwrite.c, ptgpt.c): the device and the scratch copy
 * libfdisk wrote, GPT headers as the kernel judges them, and the writer every write and
 * flush goes through. Not for other callers: pt_write() (ptwrite.h) is the interface.
 */
#ifndef SB_LAYER_PTIO_H
#define SB_LAYER_PTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ptwrite.h"

#define GPT_HDR_MIN	92		/* sizeof(gpt_header), block/partitions/efi.h */
#define GPT_ENTRY_SIZE	128		/* sizeof(gpt_entry); the kernel takes no other */
#define GPT_ARRAY_MAX	(4u << 20)	/* bytes; 16 KiB is usual, the kernel's cap is kmalloc's */
#define GPT_HOME	2		/* LBA of the primary entry array (UEFI 2.x 5.3.1) */

struct dev {
	int fd;
	const char *name;
	unsigned ss;			/* logical sector size, bytes */
	uint64_t sectors;
};
/* n sectors at lba of d, or -ENODATA past its end. */
int ptw_read(const struct dev *d, uint64_t lba, uint64_t n, void *buf);
bool ptw_is_zero(const uint8_t *p, size_t len);

struct gpt {
	bool ok;			/* the kernel would accept this header and its entries */
	uint64_t lba, alt, first, last, ents_lba, es;	/* es: sectors of the entry array */
	uint32_t nents;
	uint8_t *hdr;			/* one sector */
	uint8_t *ents;			/* es sectors */
};
/* The GPT header at lba (and its entries) of d; g->ok: the kernel would accept both. */
int ptw_gpt_read(const struct dev *d, uint64_t lba, struct gpt *g);
void ptw_gpt_free(struct gpt *g);

struct writer {
	const struct dev *d;
	bool check;			/* pt_write_check: every decision, no write */
	FILE *log;			/* SHRINKBOX_TEST_WRITELOG */
	bool dirty;
	struct pt_write_stats st;
};
/* n sectors at lba (logged under SHRINKBOX_TEST_WRITELOG; none with w->check). */
int ptw_write(struct writer *w, uint64_t lba, const uint8_t *buf, uint64_t n);
/* A cache flush, when anything was written since the last one. */
int ptw_flush(struct writer *w);
/* Writes the sectors of [lba, lba+n) whose bytes on the disk differ from buf. */
int ptw_update(struct writer *w, uint64_t lba, const uint8_t *buf, uint64_t n);

/*
 * The GPT phases (ptgpt.c; docs/ptwrite.md): d the disk, s the scratch copy libfdisk wrote,
 * pc and bc the disk's primary and backup.
 */
int ptw_gpt_commit(struct writer *w, const struct dev *d, const struct dev *s,
		   const struct gpt *pc, const struct gpt *bc);

#endif
