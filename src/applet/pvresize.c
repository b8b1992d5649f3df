// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pvresize PV [--size S] [--dry-run] [--yes] [--backup-dir DIR] [--devices LIST]
 *
 * Sets the size of a PV in its VG's metadata: shrinks it to S (refusing, with
 * the LVs and PE ranges in the way, if allocated extents would fall beyond the
 * new end), or grows it to fill its device when --size is absent. A second
 * metadata area at the PV's end moves with the end, in an order that never
 * leaves the PV without committed metadata. The device itself is not changed:
 * cryptresize and partresize do that.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "jsonout.h"
#include "../applets.h"
#include "../lvm/pvresize.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/units.h"

static const char *opt_size;
static int opt_json;

static const struct poptOption pvresize_opts[] = {
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0,
	  "new PV size with a unit (e.g. 20GiB, 41943040s, 5119e); default: the whole device",
	  "SIZE" },
	{ "json", 'j', POPT_ARG_NONE, &opt_json, 0,
	  "print the plan as JSON on stdout (messages go to stderr)", NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help pvresize_help = {
	.synopsis = "PV [--size SIZE] [--json]",
	.description = "Sets the size of a PV in its VG's metadata: shrinks it to SIZE, "
		       "refusing and naming the LVs and PE ranges in the way if allocated "
		       "extents would fall beyond the new end, or grows it to fill its device "
		       "when --size is absent. A second metadata area at the PV's end moves "
		       "with the end, in an order that never leaves the PV without committed "
		       "metadata. The device itself is not changed: cryptresize and partresize "
		       "do that.",
	.opts = pvresize_opts,
	.examples = {
		{ "pvresize /dev/mapper/cryptroot --size 180GiB --dry-run",
		  "the plan to shrink the PV to 180 GiB, or the LVs whose extents are in the "
		  "way" },
		{ "pvresize /dev/mapper/cryptroot --yes",
		  "grow the PV to fill its device, after cryptresize grew the mapping" },
	},
};

static void print_plan(const struct vgh *h, const struct pvresize_plan *p, const char *pv)
{
	const struct vg_dev *d = &h->devs[p->dev];
	uint64_t ext = h->vg->extent_size * SECTOR_SIZE;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];

	printf("Plan for PV %s in VG %s (metadata seqno %" PRIu64 " -> %" PRIu64 "):\n", pv,
	       h->name, h->vg->seqno, h->vg->seqno + 1);
	printf("  device:      %s\n", size_fmt(a, p->dev_bytes));
	printf("  PV size:     %" PRIu64 " s = %s  ->  %" PRIu64 " s = %s\n",
	       p->old_bytes / SECTOR_SIZE, size_fmt(a, p->old_bytes), p->new_bytes / SECTOR_SIZE,
	       size_fmt(b, p->new_bytes));
	printf("  extents:     %" PRIu64 "  ->  %" PRIu64 "  (extent %s)\n", p->old_pe_count,
	       p->new_pe_count, size_fmt(a, ext));
	printf("  extents end: byte %" PRIu64 "  ->  byte %" PRIu64 "\n",
	       (h->vg->pvs[d->pv].pe_start * SECTOR_SIZE) + p->old_pe_count * ext,
	       (h->vg->pvs[d->pv].pe_start * SECTOR_SIZE) + p->new_pe_count * ext);
	if (p->move_mda2)
		printf("  metadata area 2: bytes %" PRIu64 "-%" PRIu64 "  ->  %" PRIu64 "-%" PRIu64
		       " (moved first; metadata area 1 keeps the committed copy meanwhile)\n",
		       p->old_mda2.offset, p->old_mda2.offset + p->old_mda2.size - 1,
		       p->new_mda2.offset, p->new_mda2.offset + p->new_mda2.size - 1);
	if (p->label_update)
		printf("  label device size: %" PRIu64 " B  ->  %" PRIu64 " B\n",
		       d->pd.label.device_size, p->new_bytes);
}

static void print_plan_json(const struct vgh *h, const struct pvresize_plan *p, const char *pv,
			    bool changes)
{
	const struct vg_dev *d = &h->devs[p->dev];
	uint64_t ext = h->vg->extent_size * SECTOR_SIZE, pe0 = h->vg->pvs[d->pv].pe_start;
	struct json_object *o = json_object_new_object();

	J_ADD(o, "schema_version", J_U64(1));
	J_ADD(o, "applet", J_STR("pvresize"));
	J_ADD(o, "pv", J_STR(pv));
	J_ADD(o, "vg", J_STR(h->name));
	J_ADD(o, "changes", J_BOOL(changes));
	J_ADD(o, "seqno_before", J_U64(h->vg->seqno));
	J_ADD(o, "seqno_after", J_U64(changes ? h->vg->seqno + 1 : h->vg->seqno));
	J_ADD(o, "device_bytes", J_U64(p->dev_bytes));
	J_ADD(o, "pv_bytes_before", J_U64(p->old_bytes));
	J_ADD(o, "pv_bytes_after", J_U64(p->new_bytes));
	J_ADD(o, "extent_bytes", J_U64(ext));
	J_ADD(o, "extents_before", J_U64(p->old_pe_count));
	J_ADD(o, "extents_after", J_U64(p->new_pe_count));
	J_ADD(o, "extents_end_byte_before", J_U64(pe0 * SECTOR_SIZE + p->old_pe_count * ext));
	J_ADD(o, "extents_end_byte_after", J_U64(pe0 * SECTOR_SIZE + p->new_pe_count * ext));
	if (p->move_mda2) {
		J_ADD(o, "mda2_offset_bytes_before", J_U64(p->old_mda2.offset));
		J_ADD(o, "mda2_offset_bytes_after", J_U64(p->new_mda2.offset));
		J_ADD(o, "mda2_size_bytes", J_U64(p->new_mda2.size));
	}
	J_ADD(o, "label_update", J_BOOL(p->label_update));
	json_print(o);
}

/* --size, the plan (or "No changes."), shown; consent. */
static int pvr_plan(struct vgh *h, int dev, const char *pv, struct pvresize_plan *plan)
{
	uint64_t size = 0;
	int r;

	if (opt_size) {
		r = size_parse(opt_size, h->vg->extent_size * SECTOR_SIZE, &size);
		if (r < 0 || !size) {
			log_error("--size %s", r < 0 ? err_msg(r) : "must be more than 0 B");
			return EXIT_USAGE;
		}
	}
	err_clear();
	r = pvresize_plan(h, (unsigned)dev, size, plan);
	/* -EINVAL: --size is not whole 512-byte sectors: the argument, not the stack. */
	if (r < 0)
		return applet_plan_fail(r);
	if (pvresize_is_noop(plan)) {
		if (opt_json)
			print_plan_json(h, plan, pv, false);
		else
			printf("No changes.\n");
		return EXIT_DONE;
	}
	if (opt_json) {
		print_plan_json(h, plan, pv, true);
		mutate.json = 1;
	} else {
		print_plan(h, plan, pv);
	}
	r = applet_consent();
	if (r <= 0)
		return r == 0 ? EXIT_DONE : EXIT_REFUSED;
	return APPLET_NEXT;
}

static int pvr_apply(struct vgh *h, const char *pv, const char *vgname,
		     const struct pvresize_plan *plan)
{
	struct commit_result res = { 0 };
	struct commit_opts co;
	char desc[256];
	int r;

	snprintf(desc, sizeof(desc), "Write from shrinkbox pvresize %s.", pv);
	co = (struct commit_opts){
		.description = desc,
		.backup_dir = mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR,
	};
	err_clear();
	r = pvresize_apply(h, plan, &co, &res);
	if (r < 0)
		return applet_fail(r, &res, vgname);
	fprintf(opt_json ? stderr : stdout, "Done: PV %s is %" PRIu64 " extents; VG %s metadata "
		"seqno %" PRIu64 ".\nPrevious metadata: %s\n", pv, plan->new_pe_count, vgname,
		res.seqno, res.backup);
	return EXIT_DONE;
}

int pvresize_main(int argc, char **argv)
{
	struct pvresize_plan plan;
	char vgname[128];
	const char *pv;
	struct vgh *h = NULL;
	poptContext ctx;
	int rc, dev;

	if (applet_parse("pvresize", argc, argv, pvresize_opts, "PV", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "pvresize", 1, 1, &pv) < 0) {
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	rc = applet_open_pv(pv, vgname, &h, &dev);
	if (rc == 0)
		rc = pvr_plan(h, dev, pv, &plan);
	if (rc == APPLET_NEXT)
		rc = pvr_apply(h, pv, vgname, &plan);
	vgh_close(h);
	poptFreeContext(ctx);
	return rc;
}
