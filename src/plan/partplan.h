/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan of a partition resize (the partresize applet): which partition, its
 * new size on the table's grain, what its content needs, whether the table is
 * written and the kernel told. Made from one probe of the disk; nothing here
 * writes. The apply step is part_set_size() and part_kernel_resize()
 * (layer/part.h).
 */
#ifndef SB_PARTPLAN_H
#define SB_PARTPLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "need.h"
#include "stack.h"
#include "../layer/part.h"
#include "../util/io.h"

enum part_mode { PART_SIZE, PART_END, PART_MAX };

struct part_request {
	enum part_mode mode;
	uint64_t bytes;			/* PART_SIZE: at least this many bytes */
	uint64_t end;			/* PART_END: the new last sector, inclusive */
	const char *end_arg;		/* PART_END: as given, for the message */
	int partno;			/* --partition, 0 when not given */
	bool no_align;			/* do not keep the end on the table's grain */
	bool force_unknown;		/* shrink over content nothing names */
};

struct part_plan {
	char disk[DEV_PATH_MAX];
	char node[DEV_PATH_MAX];	/* the partition's device node, "" in an image file */
	unsigned partno;
	struct stack *st;		/* the probe (owned); the pointers below are into it */
	const struct part_table *pt;
	const struct part_entry *e;
	const struct volume *content;	/* NULL when the probe read none */
	uint64_t ss;			/* the table's sector size */
	uint64_t limit;			/* the first sector the partition may not use */
	uint64_t new_size;		/* sectors */
	uint64_t ksize;			/* the kernel's size, 512-byte sectors; 0: no node */
	struct need need;		/* the content's, when content */
	bool write;			/* the table is written (a new size, or a repair) */
	bool noop;			/* nothing to do: "No changes." */
};

/*
 * Which disk and partition DEVICE names: the partition itself, or a disk or
 * image file with rq->partno. 0; -EINVAL or -ENOENT for a DEVICE or --partition
 * that names none (a usage error); other -errno. Sets p->disk, node, partno.
 */
int part_plan_resolve(const char *dev, const struct part_request *rq, struct part_plan *p);

/*
 * The plan, after part_plan_resolve() (and the caller's lock on the disk):
 * 0 with *p complete; -EINVAL for a request that cannot be met whatever the
 * disk holds (an --end before the start); E_REFUSED for what the disk forbids
 * (overlap, past the last usable sector, below the content's need, content
 * that cannot be shrunk); other -errno when the disk cannot be read. Every
 * failure has its message (err_msg). Nothing is written; libfdisk's own checks
 * of the write are part_check_size()'s.
 */
int part_plan_make(struct part_plan *p, const struct part_request *rq);

void part_plan_free(struct part_plan *p);

/* The kernel's idea of a partition's size in 512-byte sectors; 0 if node is "" or unknown. */
uint64_t part_node_sectors(const char *node);

#endif
