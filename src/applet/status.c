// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * status DEVICE [--json]
 *
 * Shows every layer that can be seen from DEVICE (a whole disk, a partition,
 * an image file, an open LUKS mapping or a PV): the partition table, the LUKS
 * header and its open mapping, the PV, its VG and LVs with their segments in
 * PE ranges, the filesystems' own sizes, and a to-scale map of each PV's
 * extents. Sizes are exact (bytes, 512-byte sectors, extents). Read-only.
 *
 * Exit: 0 everything read cleanly; 1 a layer could not be read or is damaged
 * (the report says which, and so does one line on stderr per problem);
 * 2 usage.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "jsonout.h"
#include "status.h"
#include "../applets.h"
#include "../plan/stack.h"
#include "../util/err.h"
#include "../util/log.h"


static int opt_json;

static const struct poptOption status_opts[] = {
	{ "json", 'j', POPT_ARG_NONE, &opt_json, 0, "print the report as JSON", NULL },
	POPT_TABLEEND
};

const struct applet_help status_help = {
	.synopsis = "DEVICE [--json]",
	.description = "Shows every layer that can be seen from DEVICE (a whole disk, a "
		       "partition, an image file, an open LUKS mapping or a PV): the partition "
		       "table with each partition's start, end and size and what follows it; "
		       "the LUKS header (version, cipher, key size, data offset, sector size, "
		       "segment size) and its open mapping; the PV, its VG and LVs with their "
		       "segments as PE ranges; the filesystems' own sizes from their "
		       "superblocks; and a to-scale map of each PV's extents. Sizes are exact: "
		       "bytes, 512-byte sectors, extents. Read-only.\n\nExit status 1 when a "
		       "layer could not be read or is damaged: the report says which, and so "
		       "does one line on stderr per problem.",
	.opts = status_opts,
	.examples = {
		{ "status /dev/sda",
		  "every layer of the disk /dev/sda and of what its partitions hold" },
		{ "status /dev/mapper/cryptroot --json",
		  "the PV inside an open LUKS mapping, its VG, LVs and extent map, as one JSON "
		  "document" },
	},
};

static void report_errors(const struct volume *v, unsigned *n)
{
	if (!v)
		return;
	if (v->error[0]) {
		log_error("%s: %s", v->name, v->error);
		(*n)++;
	}
	if (v->parts)
		for (size_t i = 0; i < v->pt.n; i++)
			report_errors(v->parts[i], n);
	report_errors(v->inner, n);
}

int status_main(int argc, char **argv)
{
	poptContext ctx;
	const char *dev;
	struct stack *st = NULL;
	unsigned n_err = 0;
	int r;

	if (applet_parse("status", argc, argv, status_opts, "DEVICE", &ctx))
		return EXIT_USAGE;
	r = applet_args(ctx, "status", 1, 1, &dev);
	if (r < 0) {
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	luks_quiet();
	err_clear();
	r = stack_probe(dev, &st);
	if (r < 0) {
		log_error("%s", err_msg(r));
		poptFreeContext(ctx);
		return EXIT_FAILED;
	}
	if (opt_json) {
		struct json_object *o = json_object_new_object();

		/* 1: every key holding a size or a position names its unit (_bytes, _sectors). */
		J_ADD(o, "schema_version", J_U64(1));
		J_ADD(o, "device", J_STR(dev));
		J_ADD(o, "volume", status_json(st->root));
		json_print(o);
	} else {
		status_text(st->root, 0);
	}
	fflush(stdout);
	report_errors(st->root, &n_err);
	if (st->root->kind == VOL_EMPTY && !n_err) {
		log_error("%s: no partition table, LUKS header, LVM label or filesystem found", dev);
		n_err++;
	}
	stack_free(st);
	poptFreeContext(ctx);
	return n_err ? EXIT_FAILED : EXIT_DONE;
}
