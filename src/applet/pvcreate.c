// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pvcreate DEVICE [--metadatacopies 1|2] [--metadatasize S] [--dataalignment S]
 *          [--uuid U] [--force] [--dry-run] [--yes] [--devices LIST]
 *
 * Makes DEVICE an orphan LVM2 PV, byte for byte the layout lvm2 2.03.16's
 * pvcreate chooses: the label in sector 1, metadata area 1 from byte 4096 to
 * pe_start (1 MiB by default), with --metadatacopies 2 a second area at the
 * end. Bytes 0-2047 and the metadata areas are zeroed, the empty area headers
 * written and flushed, and the label sector written last, so an interrupted
 * run leaves no PV lvm2 would pick up; running it again finishes it.
 *
 * Refused, with nothing written: a device in use (it is opened with O_EXCL:
 * mounted, swapped on, held by dm-crypt, LVM or md), one smaller than lvm2's
 * 2 MiB minimum or with no room for extents, a PV in a VG (always), and any
 * signature libblkid or our label reader finds (a filesystem, LUKS, a
 * partition table, another PV) unless --force, which erases them first, as
 * wipefs -a does. A device that already is an orphan PV with this layout
 * (and this uuid, when --uuid is given) is left alone: "No changes.". Like
 * lvm2's pvcreate it holds lvm2's global lock (P_global) while it works.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "jsonout.h"
#include "../applets.h"
#include "../layer/sigs.h"
#include "../layer/sysfs.h"
#include "../lvm/pvcreate.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/units.h"

static const char *opt_uuid, *opt_align, *opt_mdasize;
static int opt_copies = 1, opt_force, opt_json;

static const struct poptOption pvcreate_opts[] = {
	{ "metadatacopies", 0, POPT_ARG_INT, &opt_copies, 0,
	  "metadata areas: 1 (at the start) or 2 (also one at the end); default 1", "1|2" },
	{ "pvmetadatacopies", 0, POPT_ARG_INT | POPT_ARGFLAG_DOC_HIDDEN, &opt_copies, 0,
	  "lvm2's name for --metadatacopies", "1|2" },
	{ "metadatasize", 0, POPT_ARG_STRING, &opt_mdasize, 0,
	  "size asked for each metadata area, with a unit; default 1044480B (pe_start 1 MiB)",
	  "SIZE" },
	{ "dataalignment", 0, POPT_ARG_STRING, &opt_align, 0,
	  "align pe_start (the end of metadata area 1) to this, with a unit; default 1MiB",
	  "SIZE" },
	{ "uuid", 'u', POPT_ARG_STRING, &opt_uuid, 0,
	  "the PV uuid (32 characters of [0-9a-zA-Z!#], dashes ignored); default random", "UUID" },
	{ "force", 'f', POPT_ARG_NONE, &opt_force, 0,
	  "erase the signatures found (filesystem, LUKS, partition table, orphan PV) first",
	  NULL },
	{ "json", 'j', POPT_ARG_NONE, &opt_json, 0,
	  "print the plan as one JSON document on stdout (other lines go to stderr)", NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help pvcreate_help = {
	.synopsis = "DEVICE [--metadatacopies 1|2] [--metadatasize SIZE] [--dataalignment "
		    "SIZE] [--uuid UUID] [--force] [--json]",
	.description = "Makes DEVICE an orphan LVM2 PV with the layout lvm2's pvcreate "
		       "chooses: the label in sector 1, metadata area 1 from byte 4096 to "
		       "pe_start (1 MiB by default), with --metadatacopies 2 a second area at "
		       "the end; prints the label, the areas, pe_start and the usable bytes. "
		       "Bytes 0-2047 and the metadata areas are zeroed and the label sector is "
		       "written last, so an interrupted run leaves nothing lvm2 takes for a "
		       "PV; run it again to finish it.\n\nRefused (exit 3, nothing written): "
		       "DEVICE in use (opened with O_EXCL), smaller than 2 MiB or without room "
		       "for extents, a PV in a VG, or holding any signature libblkid finds "
		       "(filesystem, LUKS, partition table, another PV): --force erases those "
		       "first, as wipefs -a does, except a PV in a VG. A device that already "
		       "is this orphan PV gives \"No changes.\". A --uuid already on another "
		       "device is refused. Like lvm2's pvcreate it holds lvm2's global lock "
		       "while it works.",
	.opts = pvcreate_opts,
	.examples = {
		{ "pvcreate /dev/mapper/newcrypt --yes",
		  "make the open LUKS mapping an orphan PV, laid out as lvm2 lays it out" },
		{ "pvcreate /dev/sdb1 --metadatacopies 2 --force --dry-run",
		  "the layout with a second metadata area, and the signatures --force would "
		  "erase" },
	},
};

/* One state of the applet: what it found and what it will write. */
struct pvc {
	const char *dev;
	int fd;
	struct stat st;
	struct pvcreate_opts o;
	struct pvcreate_layout l;
	char uuid[LVM_UUID_LEN + 1];
	bool uuid_given;
	int state;			/* enum pvcreate_state */
	struct pv_label found;
	char why[256];
	struct dev_sig sigs[DEV_SIGS_MAX];
	unsigned n_sigs;
};

static int parse_size_opt(const char *name, const char *arg, uint64_t *out)
{
	int r;

	if (!arg)
		return 0;
	r = size_parse(arg, 0, out);
	if (r < 0) {
		log_error("--%s %s", name, err_msg(r));
		return EXIT_USAGE;
	}
	if (!*out || *out % SECTOR_SIZE) {
		log_error("--%s %s: must be a positive whole number of 512-byte sectors", name,
			  arg);
		return EXIT_USAGE;
	}
	return 0;
}

static int parse_opts(struct pvc *p)
{
	int rc;

	if (opt_copies != 1 && opt_copies != 2) {
		log_error("--metadatacopies %d: a new PV has 1 or 2 metadata areas", opt_copies);
		return EXIT_USAGE;
	}
	p->o.mda_copies = (unsigned)opt_copies;
	rc = parse_size_opt("metadatasize", opt_mdasize, &p->o.mda_size);
	if (rc == 0)
		rc = parse_size_opt("dataalignment", opt_align, &p->o.data_alignment);
	if (rc)
		return rc;
	if (opt_uuid) {
		err_clear();
		if (pv_uuid_parse(opt_uuid, p->uuid) < 0) {
			log_error("--uuid: %s", err_msg(-EINVAL));
			return EXIT_USAGE;
		}
		p->uuid_given = true;
	}
	return 0;
}

/* Only LVM2_member signatures (what a PV of ours looks like to libblkid). */
static bool sigs_only_pv(const struct pvc *p)
{
	for (unsigned i = 0; i < p->n_sigs && i < DEV_SIGS_MAX; i++)
		if (strcmp(p->sigs[i].type, "LVM2_member"))
			return false;
	return true;
}

/* What is on the device, in words, for a refusal or the plan. */
static void describe_found(const struct pvc *p, char *buf, size_t len)
{
	char sigs[512], uuid[LVM_UUID_LEN + 7];
	size_t used;

	dev_sigs_fmt(p->sigs, p->n_sigs < DEV_SIGS_MAX ? p->n_sigs : DEV_SIGS_MAX, sigs,
		     sizeof(sigs));
	used = (size_t)snprintf(buf, len, "%s", p->n_sigs ? sigs : "");
	if (used >= len)
		return;
	if (p->state == PVC_OTHER_ORPHAN || p->state == PVC_SAME) {
		uuid_add_dashes(p->found.uuid, uuid);
		snprintf(buf + used, len - used, "%san orphan PV (uuid %s%s%s)", used ? "; " : "",
			 uuid, p->why[0] ? ": " : "", p->why);
	} else if (p->state == PVC_DAMAGED) {
		snprintf(buf + used, len - used, "%sa damaged LVM2 label (%s)", used ? "; " : "",
			 p->why);
	}
}

static void print_range(const char *what, uint64_t off, uint64_t size)
{
	char a[SIZE_FMT_LEN];

	printf("  %-17s bytes %" PRIu64 "-%" PRIu64 " = %s, sectors %" PRIu64 "-%" PRIu64
	       " = %" PRIu64 " s\n", what, off, off + size - 1, size_fmt(a, size),
	       off / SECTOR_SIZE, (off + size) / SECTOR_SIZE - 1, size / SECTOR_SIZE);
}

static void print_plan(const struct pvc *p, bool wipe)
{
	const struct pvcreate_layout *l = &p->l;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN], uuid[LVM_UUID_LEN + 7], found[1024];

	uuid_add_dashes(p->uuid, uuid);
	printf("Plan for a new PV on %s:\n", p->dev);
	printf("  %-17s %s = %" PRIu64 " s\n", "device:", size_fmt(a, l->dev_bytes),
	       l->dev_bytes / SECTOR_SIZE);
	if (l->pv_bytes != l->dev_bytes)
		printf("  %-17s %s (whole 512-byte sectors)\n", "PV size:",
		       size_fmt(a, l->pv_bytes));
	printf("  %-17s %s (%s)\n", "uuid:", uuid, p->uuid_given ? "given" : "random");
	if (wipe) {
		describe_found(p, found, sizeof(found));
		printf("  %-17s %s (--force)\n", "erased first:", found);
	}
	printf("  %-17s bytes 0-%u = sectors 0-%u (label scan area) and every metadata area\n",
	       "zeroed:", PVC_ZERO_START - 1, PVC_ZERO_START / SECTOR_SIZE - 1);
	printf("  %-17s sector %u = bytes %u-%u, written last\n", "label:", PVC_LABEL_SECTOR,
	       PVC_LABEL_SECTOR * LABEL_SIZE, (PVC_LABEL_SECTOR + 1) * LABEL_SIZE - 1);
	print_range("metadata area 1:", l->mda[0].offset, l->mda[0].size);
	if (l->n_mdas == 2)
		print_range("metadata area 2:", l->mda[1].offset, l->mda[1].size);
	printf("  %-17s %s = %" PRIu64 " s (data alignment %s)\n", "pe_start:",
	       size_fmt(a, l->pe_start), l->pe_start / SECTOR_SIZE, size_fmt(b, l->alignment));
	printf("  %-17s bytes %" PRIu64 "-%" PRIu64 " = %s = %" PRIu64 " s: %" PRIu64
	       " extents of 4 MiB\n", "usable:", l->pe_start, l->pe_start + l->data_bytes - 1,
	       size_fmt(b, l->data_bytes), l->data_bytes / SECTOR_SIZE,
	       pvcreate_pe_count(l, PVC_DEFAULT_EXTENT));
}

/* The plan as JSON (schema 1): what print_plan says, every size with its unit. */
static void print_plan_json(const struct pvc *p, bool wipe, bool changes)
{
	const struct pvcreate_layout *l = &p->l;
	struct json_object *o = json_object_new_object(), *mdas = json_object_new_array();
	char uuid[LVM_UUID_LEN + 7], found[1024];

	uuid_add_dashes(changes ? p->uuid : p->found.uuid, uuid);
	J_ADD(o, "schema_version", J_U64(1));
	J_ADD(o, "applet", J_STR("pvcreate"));
	J_ADD(o, "device", J_STR(p->dev));
	J_ADD(o, "changes", J_BOOL(changes));
	J_ADD(o, "device_bytes", J_U64(l->dev_bytes));
	J_ADD(o, "pv_bytes", J_U64(l->pv_bytes));
	J_ADD(o, "uuid", J_STR(uuid));
	J_ADD(o, "uuid_given", J_BOOL(p->uuid_given));
	if (wipe) {
		describe_found(p, found, sizeof(found));
		J_ADD(o, "erased_first", J_STR(found));
	}
	J_ADD(o, "zeroed_bytes_end", J_U64(PVC_ZERO_START));
	J_ADD(o, "label_sector", J_U64(PVC_LABEL_SECTOR));
	for (unsigned i = 0; i < l->n_mdas; i++) {
		struct json_object *m = json_object_new_object();

		J_ADD(m, "offset_bytes", J_U64(l->mda[i].offset));
		J_ADD(m, "size_bytes", J_U64(l->mda[i].size));
		json_object_array_add(mdas, m);
	}
	J_ADD(o, "metadata_areas", mdas);
	J_ADD(o, "pe_start_bytes", J_U64(l->pe_start));
	J_ADD(o, "data_alignment_bytes", J_U64(l->alignment));
	J_ADD(o, "usable_bytes", J_U64(l->data_bytes));
	J_ADD(o, "extents_of_4mib", J_U64(pvcreate_pe_count(l, PVC_DEFAULT_EXTENT)));
	json_print(o);
}

/* What is there now; 0 or an exit code (printed). */
static int probe(struct pvc *p)
{
	struct region reg = { .fd = p->fd, .size = p->l.dev_bytes, .name = p->dev };
	int r;

	err_clear();
	r = pvcreate_probe(&reg, &p->l, p->uuid_given ? p->uuid : NULL, &p->found, p->why,
			   sizeof(p->why));
	if (r < 0) {
		log_error("%s: %s", p->dev, err_msg(r));
		return EXIT_FAILED;
	}
	p->state = r;
	r = dev_sigs_list(p->fd, p->dev, p->sigs, DEV_SIGS_MAX, &p->n_sigs);
	if (r < 0) {
		log_error("%s", err_msg(r));
		return EXIT_FAILED;
	}
	return 0;
}

/* Refusals that come before the plan; 0 to go on, -1 for "No changes.", else an exit code. */
static int check(struct pvc *p, bool *wipe)
{
	char found[1024], other[DEV_PATH_MAX];
	int r;

	*wipe = false;
	if (p->state == PVC_SAME && sigs_only_pv(p))
		return -1;
	if (p->state == PVC_IN_VG) {
		log_error("%s is a PV in a VG (%s): remove it from its VG first (vgreduce, then "
			  "pvremove); --force does not override this", p->dev, p->why);
		return EXIT_REFUSED;
	}
	if (p->n_sigs || p->state != PVC_NO_LABEL) {
		describe_found(p, found, sizeof(found));
		if (!opt_force) {
			log_error("%s holds %s: refusing to overwrite it (--force erases it first)",
				  p->dev, found);
			return EXIT_REFUSED;
		}
		*wipe = true;
	}
	if (p->uuid_given) {
		err_clear();
		r = pv_uuid_find(p->uuid, applet_device_list(), &p->st, other, sizeof(other));
		if (r < 0) {
			log_error("%s", err_msg(r));
			return EXIT_FAILED;
		}
		if (r) {
			log_error("uuid %s is already the PV on %s: two PVs with one uuid are "
				  "duplicates to lvm2", opt_uuid, other);
			return EXIT_REFUSED;
		}
	}
	return 0;
}

static int apply(struct pvc *p, bool wipe)
{
	struct dev_sig gone[DEV_SIGS_MAX];
	char list[1024], uuid[LVM_UUID_LEN + 7];
	bool wrote = false;
	unsigned n = 0;
	int r;

	if (wipe) {
		err_clear();
		r = dev_sigs_wipe(p->fd, p->dev, gone, DEV_SIGS_MAX, &n);
		if (n)
			fprintf(opt_json ? stderr : stdout, "Erased %s.\n",
				dev_sigs_fmt(gone, n < DEV_SIGS_MAX ? n : DEV_SIGS_MAX, list,
					     sizeof(list)));
		if (r < 0) {
			log_error("%s", err_msg(r));
			if (!n)
				return EXIT_FAILED;
			log_error("%s: some signatures were erased; nothing else was written",
				  p->dev);
			return EXIT_PARTIAL;
		}
		wrote = n > 0;
	}
	err_clear();
	{
		bool w;

		r = pvcreate_write(p->fd, p->dev, &p->l, p->uuid, &w);
		wrote |= w;
	}
	if (r < 0) {
		log_error("%s", err_msg(r));
		if (!wrote)
			return EXIT_FAILED;
		log_error("%s: writing stopped before the PV label (written last), so lvm2 sees no "
			  "PV there; run the same command again", p->dev);
		return EXIT_PARTIAL;
	}
	/* Read back: the device must now be exactly the planned orphan PV. */
	err_clear();
	{
		struct region reg = { .fd = p->fd, .size = p->l.dev_bytes, .name = p->dev };

		r = pvcreate_probe(&reg, &p->l, p->uuid, NULL, p->why, sizeof(p->why));
	}
	if (r != PVC_SAME) {
		log_error("%s: reading the new PV back failed: %s", p->dev,
			  r < 0 ? err_msg(r) : p->why);
		return EXIT_PARTIAL;
	}
	uuid_add_dashes(p->uuid, uuid);
	fprintf(opt_json ? stderr : stdout, "Done: %s is an orphan PV, uuid %s, pe_start %" PRIu64
		" s, %u metadata area%s.\n", p->dev, uuid, p->l.pe_start / SECTOR_SIZE, p->l.n_mdas,
		p->l.n_mdas == 2 ? "s" : "");
	return EXIT_DONE;
}

/* The device, opened exclusively (read-only for --dry-run), and lvm2's layout for its size. */
static int pvc_open(struct pvc *p, int *lock)
{
	uint64_t size;
	bool blk;
	int r;

	/* O_EXCL: a mounted, swapped-on or held (dm-crypt, LVM, md) block device is busy. */
	err_clear();
	p->fd = dev_open(p->dev, (mutate.dry_run ? O_RDONLY : O_RDWR) | O_EXCL, &size, &blk);
	if (p->fd < 0) {
		if (p->fd == -EBUSY) {
			log_error("%s is in use (mounted, swapped on, held by dm-crypt, LVM or md, "
				  "or opened exclusively): refusing to write a PV on it", p->dev);
			return EXIT_REFUSED;
		}
		log_error("%s", err_msg(p->fd));
		return EXIT_FAILED;
	}
	if (fstat(p->fd, &p->st) < 0) {
		log_error("%s: cannot stat: %m", p->dev);
		return EXIT_FAILED;
	}
	/* As lvm2's pvcreate: orphan PVs change under the global lock (not for --dry-run). */
	if (!mutate.dry_run) {
		err_clear();
		r = pv_global_lock(lock);
		if (r < 0) {
			log_error("%s", err_msg(r));
			return r == E_REFUSED ? EXIT_REFUSED : EXIT_FAILED;
		}
	}
	err_clear();
	r = pvcreate_layout(size, &p->o, &p->l);
	if (r < 0) {
		log_error("%s: %s", p->dev, err_msg(r));
		return r == E_REFUSED ? EXIT_REFUSED : EXIT_USAGE;
	}
	return APPLET_NEXT;
}

/* What is on the device, what may be written over (check), the plan shown, consent. */
static int pvc_plan(struct pvc *p, bool *wipe)
{
	int r, rc;

	rc = probe(p);
	if (rc)
		return rc;
	rc = check(p, wipe);
	if (rc == -1) {
		if (opt_json)
			print_plan_json(p, false, false);
		else
			printf("No changes.\n");
		return EXIT_DONE;
	}
	if (rc)
		return rc;
	if (!p->uuid_given && pv_uuid_generate(p->uuid) < 0) {
		log_error("%s", err_msg(-EIO));
		return EXIT_FAILED;
	}
	if (opt_json) {
		print_plan_json(p, *wipe, true);
		mutate.json = 1;
	} else {
		print_plan(p, *wipe);
	}
	r = applet_consent();
	if (r <= 0)
		return r == 0 ? EXIT_DONE : EXIT_REFUSED;
	return APPLET_NEXT;
}

int pvcreate_main(int argc, char **argv)
{
	_cleanup_close_ int lock = -1;
	struct pvc p = { .fd = -1 };
	poptContext ctx;
	bool wipe = false;
	int rc;

	if (applet_parse("pvcreate", argc, argv, pvcreate_opts, "DEVICE", &ctx))
		return EXIT_USAGE;
	rc = applet_args(ctx, "pvcreate", 1, 1, &p.dev) < 0 ? EXIT_USAGE : parse_opts(&p);
	if (rc == 0)
		rc = pvc_open(&p, &lock);
	if (rc == APPLET_NEXT)
		rc = pvc_plan(&p, &wipe);
	if (rc == APPLET_NEXT)
		rc = apply(&p, wipe);
	if (p.fd >= 0)
		close(p.fd);
	poptFreeContext(ctx);
	return rc;
}
