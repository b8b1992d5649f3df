// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "jsonout.h"
#include "stackfs.h"
#include "steps.h"
#include "../layer/part.h"
#include "../plan/devfs.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/units.h"

struct fsstep {
	char dev[DEV_PATH_MAX];		/* where the filesystem is: the mapping or the partition */
	struct devfs_plan p;
	struct targets t;
	bool part, map;			/* the partition (or its table), the mapping change */
};

static int content_dev(const struct stack_view *sv, char out[DEV_PATH_MAX])
{
	if (sv->luks)
		return snprintf(out, DEV_PATH_MAX, "/dev/mapper/%s", sv->luks->luks.active_name) <
			       DEV_PATH_MAX ? 0 : err_set(-ENAMETOOLONG, "mapping name too long");
	if (!sv->part->path[0])
		return err_set(E_REFUSED, "partition %u of %s has no device node: attach the image "
			       "with losetup -P and name the partition's device", sv->entry->partno,
			       sv->disk);
	snprintf(out, DEV_PATH_MAX, "%s", sv->part->path);
	return 0;
}

/* Every step's own checks, before anything is written: the table, the key, the tokens. */
static int check(const struct stack_view *sv, struct fsstep *s, const char *keyfile)
{
	int r = 0;

	s->part = s->t.part_size != sv->l.part_size || sv->table_repair;
	s->map = sv->luks && s->t.map_size != sv->luks->luks.active_size;
	if (s->part)
		r = part_check_size(sv->disk, sv->entry->partno, s->t.part_size);
	if (r == 0 && sv->luks && (s->map || s->part))
		r = applet_check_key(sv->luks->luks.active_name, keyfile);
	if (r == 0 && sv->luks)
		r = applet_check_luks_tokens(sv->part->name, &sv->luks->luks, s->part);
	return r;
}

static void print_json(const char *applet, const char *dev, const struct stack_view *sv,
		       const struct fsstep *s, const struct steps *l, bool changes)
{
	struct json_object *o = applet_layers_json(applet, dev, sv, &s->t, changes);

	J_ADD(o, "content", J_STR(s->p.kind == FS_SWAP ? "swap" : s->p.fs.type));
	J_ADD(o, "content_device", J_STR(s->dev));
	J_ADD(o, "content_bytes_before", J_U64(s->p.fs.size));
	J_ADD(o, "content_bytes_after", J_U64(s->p.target));
	J_ADD(o, "content_mounted", J_BOOL(s->p.mounted));
	if ((s->p.kind == FS_EXT || s->p.kind == FS_BTRFS) && s->p.target < s->p.fs.size)
		J_ADD(o, "content_minimum_bytes", J_U64(s->p.fs_min));
	J_ADD(o, "steps", steps_json(l));
	json_print(o);
}

static void print(const char *dev, const struct stack_view *sv, const struct fsstep *s)
{
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];

	applet_print_layers(dev, sv, &s->t);
	printf("  %-14s %-44s %s%s\n", s->p.kind == FS_SWAP ? "swap area" : s->p.fs.type,
	       size_fmt(a, s->p.fs.size), size_fmt(b, s->p.target),
	       s->p.mounted ? " (mounted: grows online)" : "");
	if ((s->p.kind == FS_EXT || s->p.kind == FS_BTRFS) && s->p.target < s->p.fs.size)
		printf("  %-14s %s minimum is %s\n", "", s->p.kind == FS_EXT ? "resize2fs's" :
		       "btrfs's", size_fmt(a, s->p.fs_min));
}

static int fail(int r)
{
	log_error("%s", err_msg(r));
	return r == -EINVAL ? EXIT_USAGE : r == E_REFUSED ? EXIT_REFUSED : EXIT_FAILED;
}

/*
 * After the plan (r its result): every step's checks, the plan shown, the
 * consent. -1 to go on to the steps, else the exit code.
 */
static int present(const char *applet, const char *dev, const struct stack_view *sv,
		   struct fsstep *s, const struct steps *l, const char *keyfile, int r)
{
	bool changes;

	if (r == 0)
		r = check(sv, s, keyfile);
	if (r < 0)
		return fail(r);
	changes = s->p.changes || s->part || s->map;
	if (mutate.json) {
		print_json(applet, dev, sv, s, l, changes);
	} else {
		print(dev, sv, s);
		if (changes)
			steps_print(l, stdout);
	}
	if (!changes) {
		if (!mutate.json)
			printf("No changes.\n");
		return EXIT_DONE;
	}
	r = applet_consent();
	return r > 0 ? -1 : r == 0 ? EXIT_DONE : EXIT_REFUSED;
}

static int finished(const struct stack_view *sv, const struct fsstep *s, int rc)
{
	char a[SIZE_FMT_LEN];

	if (rc)
		return rc;
	fprintf(mutate.json ? stderr : stdout, "Done: partition %u of %s is %s.\n",
		sv->entry->partno, sv->disk, size_fmt(a, s->t.part_size * sv->l.table_sector));
	return EXIT_DONE;
}

int stackfs_shrink(const char *dev, const struct stack_view *sv, uint64_t want,
		   const char *keyfile)
{
	struct fsstep s;
	struct steps l = { 0 };
	char fs_sz[32], map_sz[32], part_sz[32];
	const char *part = sv->part->path[0] ? sv->part->path : dev;
	const char *map = sv->luks ? sv->luks->luks.active_name : NULL;
	uint64_t ss = sv->l.table_sector;
	int r;

	memset(&s, 0, sizeof(s));
	err_clear();
	r = content_dev(sv, s.dev);
	if (r == 0)
		r = shrink_targets(&sv->l, want, &s.t);
	/* The filesystem gets what the mapping or partition will hold, in whole blocks. */
	if (r == 0)
		r = devfs_plan(s.dev, s.t.pv_bytes, 0, &s.p);
	/* Inside out; then the mapping and the filesystem fill the partition's real end. */
	snprintf(fs_sz, sizeof(fs_sz), "%" PRIu64 "B", s.p.target);
	snprintf(map_sz, sizeof(map_sz), "%" PRIu64 "s", s.t.map_size);
	snprintf(part_sz, sizeof(part_sz), "%" PRIu64 "B", s.t.part_size * ss);
	steps_add(&l, "fsresize", s.dev, "--size", fs_sz, NULL);
	if (map)
		steps_add(&l, "cryptresize", map, "--size", map_sz, NULL);
	steps_add(&l, "partresize", part, "--size", part_sz, NULL);
	if (map)
		steps_add(&l, "cryptresize", map, NULL, NULL, NULL);
	steps_add(&l, "fsresize", s.dev, NULL, NULL, NULL);
	r = present("shrink", dev, sv, &s, &l, keyfile, r);
	if (r >= 0)
		return r;
	return finished(sv, &s, steps_run(&l, keyfile));
}

int stackfs_grow(const char *dev, const struct stack_view *sv, uint64_t new_part,
		 const char *keyfile)
{
	struct fsstep s;
	struct steps l = { 0 };
	char end[32];
	const char *part = sv->part->path[0] ? sv->part->path : dev;
	int r;

	memset(&s, 0, sizeof(s));
	err_clear();
	r = content_dev(sv, s.dev);
	if (r == 0)
		r = fill_targets(&sv->l, new_part, &s.t);
	/* Planned against the size the mapping or partition will have when the step runs. */
	if (r == 0)
		r = devfs_plan(s.dev, 0, s.t.pv_bytes, &s.p);
	if (r == 0 && s.p.target < s.p.fs.size)
		r = err_set(E_REFUSED, "the %s on %s (%" PRIu64 " B) is larger than the room the "
			    "grown stack gives it (%" PRIu64 " B): see status", s.p.fs.type, s.dev,
			    s.p.fs.size, s.p.target);
	/* Outside in. The exact last sector: --max may end off the grain, where --size rounds. */
	snprintf(end, sizeof(end), "%" PRIu64, sv->entry->start + s.t.part_size - 1);
	if (s.t.part_size != sv->l.part_size || sv->table_repair)
		steps_add(&l, "partresize", part, "--end", end, NULL);
	if (sv->luks)
		steps_add(&l, "cryptresize", sv->luks->luks.active_name, NULL, NULL, NULL);
	steps_add(&l, "fsresize", s.dev, NULL, NULL, NULL);
	r = present("grow", dev, sv, &s, &l, keyfile, r);
	if (r >= 0)
		return r;
	return finished(sv, &s, steps_run(&l, keyfile));
}
