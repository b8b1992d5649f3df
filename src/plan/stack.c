// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack.h"
#include "../layer/loop.h"
#include "../layer/lvdm.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/strfmt.h"
#include "../util/units.h"

#define MAX_DEPTH 4

/* The first problem found in a layer is the one reported: later ones follow from it. */
static void set_error(struct stack *st, struct volume *v, int r)
{
	if (v->error[0])
		return;
	st->n_errors++;
	snprintf(v->error, sizeof(v->error), "%s", err_msg(r));
}

static int track_fd(struct stack *st, int fd)
{
	if (st->n_fds == ARRAY_SIZE(st->fds)) {
		close(fd);
		return -EMFILE;
	}
	st->fds[st->n_fds++] = fd;
	return fd;
}

static struct volume *vol_new(const char *path, const char *name, struct region reg)
{
	struct volume *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	snprintf(v->path, sizeof(v->path), "%s", path ? path : "");
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->reg = reg;
	v->reg.name = v->name;
	v->pv_index = -1;
	return v;
}

/* Opens a device read-only for the probe; the stack owns the fd. */
static int open_tracked(struct stack *st, const char *path, struct region *reg)
{
	uint64_t size;
	bool blk;
	int fd = dev_open(path, O_RDONLY, &size, &blk);

	if (fd < 0)
		return fd;
	fd = track_fd(st, fd);
	if (fd < 0)
		return fd;
	*reg = (struct region){ .fd = fd, .off = 0, .size = size };
	return 0;
}

static void probe_vol(struct stack *st, struct volume *v, unsigned depth);

static void probe_ptable(struct stack *st, struct volume *v, unsigned depth)
{
	struct stat sb;
	int r;

	r = part_table_read(v->path, &v->pt);
	if (r < 0) {
		set_error(st, v, r == -ENOENT ? err_set(r, "partition table signature found but "
							 "libfdisk cannot read it") : r);
		return;
	}
	v->kind = VOL_PTABLE;
	v->parts = calloc(v->pt.n ? v->pt.n : 1, sizeof(*v->parts));
	if (!v->parts)
		return;
	if (stat(v->path, &sb) < 0)
		return;
	for (size_t i = 0; i < v->pt.n; i++) {
		const struct part_entry *e = &v->pt.parts[i];
		char node[DEV_PATH_MAX] = "", name[DEV_PATH_MAX + 16];
		struct region reg;
		struct volume *c;

		if (e->container || (v->focus && e->partno != v->focus))
			continue;
		reg = region_sub(&v->reg, e->start * v->pt.sector_size,
				 e->size * v->pt.sector_size);
		/*
		 * On a real disk read the partition through its own node, so an open
		 * LUKS mapping above it can be found; in an image file read the bytes.
		 */
		if (S_ISBLK(sb.st_mode) && blk_partition_path(sb.st_rdev, e->partno, node) == 0) {
			if (open_tracked(st, node, &reg) < 0)
				node[0] = '\0';
			snprintf(name, sizeof(name), "%s", node);
		} else {
			snprintf(name, sizeof(name), "%s (partition %u)", v->path, e->partno);
		}
		if (!node[0])
			snprintf(name, sizeof(name), "%s (partition %u)", v->path, e->partno);
		c = vol_new(node, name, reg);
		if (!c)
			return;
		v->parts[i] = c;
		probe_vol(st, c, depth + 1);
	}
}

static void probe_luks(struct stack *st, struct volume *v, unsigned depth)
{
	char path[DEV_PATH_MAX], holder[128];
	_cleanup_close_ int loopfd = -1;
	struct stat sb;
	int r;

	v->kind = VOL_LUKS;
	snprintf(path, sizeof(path), "%s", v->path);
	if (!path[0]) {
		/* A partition inside an image file: libcryptsetup needs a device path. */
		loopfd = loop_attach_ro(v->reg.fd, v->reg.off, v->reg.size, path);
		if (loopfd < 0) {
			set_error(st, v, err_wrap(loopfd, "LUKS header inside an image file needs a "
						  "read-only loop device (run as root): "));
			return;
		}
	}
	r = luks_read(path, &v->luks);
	if (r < 0) {
		err_clear();
		set_error(st, v, err_set(r, "LUKS header is damaged or not understood (%s)",
					 strerror(-r == EBADMSG ? EINVAL : -r)));
		return;
	}
	if (v->luks.data_offset * SECTOR_SIZE > v->reg.size) {
		set_error(st, v, err_set(-EBADMSG, "LUKS data offset %" PRIu64 " sectors lies "
					 "beyond the device's %" PRIu64 " bytes (truncated?)",
					 v->luks.data_offset, v->reg.size));
		return;
	}
	if (!v->path[0] || stat(v->path, &sb) < 0 || !S_ISBLK(sb.st_mode) ||
	    blk_crypt_holder(sb.st_rdev, holder) < 0) {
		snprintf(v->note, sizeof(v->note), "closed: unlock it to see the layers inside");
		return;
	}
	r = luks_read_active(holder, &v->luks);
	if (r < 0) {
		set_error(st, v, r);
		return;
	}
	{
		struct region reg;

		r = open_tracked(st, v->luks.active_path, &reg);
		if (r < 0) {
			set_error(st, v, r);
			return;
		}
		v->inner = vol_new(v->luks.active_path, v->luks.active_path, reg);
		if (v->inner)
			probe_vol(st, v->inner, depth + 1);
	}
}

/* Finds other PVs of the VG among the block devices the kernel lists. */
static void find_other_pvs(struct stack *st, struct volume *v)
{
	_cleanup_(closedirp) DIR *d = opendir("/sys/class/block");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[DEV_PATH_MAX];
		uint8_t buf[LABEL_SCAN_SIZE];
		struct pv_label l;
		struct region reg;
		uint64_t size;
		bool blk;
		int fd, i;

		if (e->d_name[0] == '.')
			continue;
		if (str_fmt(path, sizeof(path), "/dev/%s", e->d_name) < 0)
			continue;
		fd = dev_open(path, O_RDONLY, &size, &blk);
		if (fd < 0)
			continue;
		reg = (struct region){ .fd = fd, .size = size, .name = path };
		err_clear();
		if (region_read(&reg, 0, buf, sizeof(buf)) == 0 && pvlabel_decode(buf, &l) == 0 &&
		    (i = vg_find_pv(v->vg, l.uuid)) >= 0 && !v->pvs[i].path[0]) {
			snprintf(v->pvs[i].path, sizeof(v->pvs[i].path), "%s", path);
			v->pvs[i].dev_bytes = size;
		}
		close(fd);
	}
	(void)st;
}

static void probe_lvs(struct volume *v)
{
	struct vg *vg = v->vg;

	for (unsigned i = 0; i < vg->n_lvs; i++) {
		const struct vg_lv *lv = &vg->lvs[i];
		struct lv_view *lvv = &v->lvs[i];
		const struct vg_seg *s0 = &lv->segs[0];
		char path[DEV_PATH_MAX];
		struct region reg;
		uint64_t size;
		bool blk;
		int fd, r;

		lv_dm_name(vg->name, lv->name, lvv->dm_name);
		if (!(lv->status & LV_VISIBLE))
			continue;
		err_clear();
		if (blk_dm_path(lvv->dm_name, path) == 0) {
			lvv->active = true;
			fd = dev_open(path, O_RDONLY, &size, &blk);
			if (fd < 0) {
				snprintf(lvv->note, sizeof(lvv->note), "%s", err_msg(fd));
				continue;
			}
			reg = (struct region){ .fd = fd, .size = size, .name = path };
			r = fs_probe_fast(&reg, &lvv->fs);
			close(fd);
		} else if (s0->linear && s0->stripe_count == 1 && s0->areas[0].pv == v->pv_index) {
			/* Inactive: read the LV's first segment straight from this PV. */
			const struct vg_pv *pv = &vg->pvs[v->pv_index];
			uint64_t ext = vg->extent_size * SECTOR_SIZE;

			reg = region_sub(&v->reg, pv->pe_start * SECTOR_SIZE + s0->areas[0].pe * ext,
					 s0->extent_count * ext);
			r = fs_probe_fast(&reg, &lvv->fs);
			snprintf(lvv->note, sizeof(lvv->note), "inactive; read through the PV");
		} else {
			snprintf(lvv->note, sizeof(lvv->note),
				 "inactive, and its first extent is not a linear run on this PV");
			continue;
		}
		lvv->probed = r == 0;
		if (r < 0)
			snprintf(lvv->note, sizeof(lvv->note), "%s", err_msg(r));
	}
}

static void probe_pv(struct stack *st, struct volume *v)
{
	struct pv_disk *one = &v->pv;
	int r;

	v->kind = VOL_PV;
	err_clear();
	r = pv_disk_read(&v->reg, &v->pv);
	if (r < 0) {
		set_error(st, v, r);
		return;
	}
	for (unsigned i = 0; i < v->pv.n_mdas; i++)
		if (v->pv.mda_err[i][0]) {
			set_error(st, v, err_set(-EBADMSG, "%s", v->pv.mda_err[i]));
			break;
		}
	if (pv_disk_is_orphan(&v->pv)) {
		snprintf(v->note, sizeof(v->note), "a PV in no volume group");
		return;
	}
	err_clear();
	r = vg_assemble(&one, 1, &v->vg);
	if (r < 0) {
		set_error(st, v, r);
		return;
	}
	v->pv_index = vg_find_pv(v->vg, v->pv.label.uuid);
	v->pvs = calloc(v->vg->n_pvs, sizeof(*v->pvs));
	v->lvs = calloc(v->vg->n_lvs ? v->vg->n_lvs : 1, sizeof(*v->lvs));
	if (!v->pvs || !v->lvs)
		return;
	if (v->pv_index < 0) {
		set_error(st, v, err_set(-EBADMSG, "the VG metadata on this PV does not list it"));
		return;
	}
	str_fmt(v->pvs[v->pv_index].path, sizeof(v->pvs[0].path), "%s", v->name);
	v->pvs[v->pv_index].dev_bytes = v->reg.size;
	if (v->vg->n_pvs > 1)
		find_other_pvs(st, v);

	/* lvm2 does not check that extents fit the device (docs/ondisk.md §6.2); we do. */
	for (unsigned i = 0; i < v->vg->n_pvs; i++) {
		const struct vg_pv *pv = &v->vg->pvs[i];
		uint64_t end = (pv->pe_start + pv->pe_count * v->vg->extent_size) * SECTOR_SIZE;

		if (v->pvs[i].path[0] && end > v->pvs[i].dev_bytes) {
			set_error(st, v, err_set(-EBADMSG, "PV %s: extents end at byte %" PRIu64
						 " but the device has only %" PRIu64 " bytes",
						 v->pvs[i].path, end, v->pvs[i].dev_bytes));
		}
	}
	probe_lvs(v);
}

static void probe_vol(struct stack *st, struct volume *v, unsigned depth)
{
	uint8_t head[6];
	int r;

	if (depth > MAX_DEPTH)
		return;
	err_clear();
	r = fs_probe(&v->reg, &v->probe);
	if (r < 0) {
		set_error(st, v, r);
		return;
	}
	if (v->probe.pttype[0] && v->path[0] && depth == 0) {
		probe_ptable(st, v, depth);
		return;
	}
	if (!strcmp(v->probe.type, "crypto_LUKS") ||
	    (region_read(&v->reg, 0, head, sizeof(head)) == 0 && luks_magic(head, sizeof(head)))) {
		probe_luks(st, v, depth);
		return;
	}
	if (!strcmp(v->probe.type, "LVM2_member")) {
		probe_pv(st, v);
		return;
	}
	{
		/* blkid skips a PV whose label it dislikes; so look for LABELONE ourselves. */
		uint8_t buf[LABEL_SCAN_SIZE];

		if (!v->probe.type[0] && region_read(&v->reg, 0, buf, sizeof(buf)) == 0)
			for (unsigned s = 0; s < LABEL_SCAN_SECTORS; s++)
				if (!memcmp(buf + s * LABEL_SIZE, LABEL_ID, 8)) {
					probe_pv(st, v);
					return;
				}
	}
	if (v->probe.type[0])
		v->kind = VOL_FS;
	else
		v->kind = VOL_EMPTY;
}

static int probe_from(const char *device, const char *start, unsigned focus, struct stack **out);

int stack_probe_part(const char *disk, unsigned partno, struct stack **out)
{
	return probe_from(disk, disk, partno, out);
}

int stack_probe(const char *device, struct stack **out)
{
	char start[DEV_PATH_MAX], disk[DEV_PATH_MAX], dmname[128], dmuuid[160];
	struct stat sb;
	unsigned focus = 0, partno;

	if (stat(device, &sb) < 0)
		return err_set(-errno, "%s: %m", device);
	snprintf(start, sizeof(start), "%s", device);
	/* An open LUKS mapping: start from the device under it. */
	if (S_ISBLK(sb.st_mode) && blk_dm_info(sb.st_rdev, dmname, dmuuid) == 0 &&
	    !strncmp(dmuuid, "CRYPT-LUKS", 10) && blk_dm_slave(sb.st_rdev, start) == 0 &&
	    stat(start, &sb) < 0)
		return err_set(-errno, "%s: %m", start);
	/* A partition: read the whole disk's table, descend into this partition only. */
	if (S_ISBLK(sb.st_mode) && blk_partition_of(sb.st_rdev, disk, &partno) == 0 &&
	    access(disk, R_OK) == 0) {
		snprintf(start, sizeof(start), "%s", disk);
		focus = partno;
	}

	return probe_from(device, start, focus, out);
}

static int probe_from(const char *device, const char *start, unsigned focus, struct stack **out)
{
	struct stack *st;
	struct region reg;
	int r;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	snprintf(st->device, sizeof(st->device), "%s", device);
	r = open_tracked(st, start, &reg);
	if (r < 0) {
		stack_free(st);
		return r;
	}
	st->root = vol_new(start, start, reg);
	if (!st->root) {
		stack_free(st);
		return -ENOMEM;
	}
	st->root->focus = focus;
	probe_vol(st, st->root, 0);
	*out = st;
	return 0;
}

static void vol_free(struct volume *v)
{
	if (!v)
		return;
	if (v->parts)
		for (size_t i = 0; i < v->pt.n; i++)
			vol_free(v->parts[i]);
	free(v->parts);
	part_table_clear(&v->pt);
	vol_free(v->inner);
	pv_disk_clear(&v->pv);
	vg_free(v->vg);
	free(v->pvs);
	free(v->lvs);
	free(v);
}

void stack_free(struct stack *st)
{
	if (!st)
		return;
	vol_free(st->root);
	for (unsigned i = 0; i < st->n_fds; i++)
		close(st->fds[i]);
	free(st);
}
