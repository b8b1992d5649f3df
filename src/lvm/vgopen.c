// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A VG opened for change: its PVs found by label among the devices, lvm2's VG
 * lock, the checks that the VG is ours to change; PVs added and taken out
 * (migrate's vgextend and vgreduce).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edit.h"
#include "vgopen.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/strfmt.h"
#include "../util/teststop.h"
#include "../util/units.h"

#define LOCK_DIR_DEFAULT "/run/lock/lvm"
#define LOCK_WAIT_SECONDS 30

static int lock_vg(const char *name, int *fd_out)
{
	const char *dir = test_lock_dir();
	char path[DEV_PATH_MAX + 64];
	int fd;

	if (!dir)
		dir = LOCK_DIR_DEFAULT;
	mkdir("/run/lock", 0755);
	mkdir(dir, 0700);
	if (str_fmt(path, sizeof(path), "%s/V_%s", dir, name) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_CREAT | O_APPEND | O_RDWR | O_CLOEXEC, 0777);
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		return err_set(-errno, "cannot open the VG lock %s: Permission denied: run as root",
			       path);
	if (fd < 0)
		return err_set(-errno, "cannot open the VG lock %s: %m", path);
	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK || i >= LOCK_WAIT_SECONDS * 10) {
			close(fd);
			return err_set(E_REFUSED, "VG %s is locked by another program (%s); is an "
				       "lvm command running?", name, path);
		}
		usleep(100000);
	}
	*fd_out = fd;
	return 0;
}

static bool same_device(const char *a, const char *b)
{
	struct stat x, y;

	if (!strcmp(a, b))
		return true;
	if (stat(a, &x) < 0 || stat(b, &y) < 0)
		return false;
	if (S_ISBLK(x.st_mode) && S_ISBLK(y.st_mode))
		return x.st_rdev == y.st_rdev;
	return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* Calls fn for every block device the kernel lists, or for the given list. */
static int for_each_device(const char *const *devices, int (*fn)(const char *path, void *ctx),
			   void *ctx)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *e;
	int r;

	if (devices) {
		for (const char *const *p = devices; *p; p++) {
			bool again = false;

			/* A device named twice (--devices A,A) is one device, not a duplicate PV. */
			for (const char *const *q = devices; q < p && !again; q++)
				again = same_device(*p, *q);
			if (again)
				continue;
			r = fn(*p, ctx);
			if (r < 0)
				return r;
		}
		return 0;
	}
	d = opendir("/sys/class/block");
	if (!d)
		return err_set(-errno, "cannot list block devices: %m");
	while ((e = readdir(d))) {
		char path[DEV_PATH_MAX];

		if (e->d_name[0] == '.' || str_fmt(path, sizeof(path), "/dev/%s", e->d_name) < 0)
			continue;
		r = fn(path, ctx);
		if (r < 0)
			return r;
	}
	return 0;
}

struct scan {
	struct vg_dev *devs;
	unsigned n, cap;
	unsigned denied;	/* devices that could not be opened: EACCES (not root) */
};

/* Collects every device with a readable LVM label. */
static int scan_one(const char *path, void *ctx)
{
	struct scan *s = ctx;
	struct vg_dev d = { .fd = -1, .pv = -1 };
	struct region reg;
	bool blk;
	int fd;

	/* A suspended LV (a move whose reload failed holds it so) would block the scan. */
	if (blk_suspended(path))
		return 0;
	fd = dev_open(path, O_RDONLY, &d.size, &blk);
	/* As root, EPERM is a policy's (a sandbox, a locked-down device), not ours to explain. */
	if ((fd == -EACCES || fd == -EPERM) && geteuid() != 0)
		s->denied++;
	if (fd < 0)
		return 0;
	reg = (struct region){ .fd = fd, .size = d.size, .name = path };
	err_clear();
	if (pv_disk_read(&reg, &d.pd) < 0) {
		close(fd);
		return 0;
	}
	d.fd = fd;
	snprintf(d.path, sizeof(d.path), "%s", path);
	d.pd.reg.name = NULL;	/* points at path on our stack; fixed up below */
	if (s->n == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 8;
		struct vg_dev *n = realloc(s->devs, cap * sizeof(*n));

		if (!n) {
			pv_disk_clear(&d.pd);
			close(fd);
			return -ENOMEM;
		}
		s->devs = n;
		s->cap = cap;
	}
	s->devs[s->n++] = d;
	return 0;
}

bool text_names_vg(const char *text, const char *name)
{
	size_t n = strlen(name);

	return text && !strncmp(text, name, n) && (text[n] == ' ' || text[n] == '{');
}

int vg_name_of_pv(const char *device, char name[128])
{
	struct scan s = { 0 };
	const char *list[] = { device, NULL };
	struct pv_disk *pd;
	struct vg *vg = NULL;
	int r;

	r = for_each_device(list, scan_one, &s);
	if (r == 0 && !s.n && s.denied)
		return err_set(-EACCES, "%s: Permission denied: run as root", device);
	if (r < 0 || !s.n)
		return err_set(r < 0 ? r : -ENOENT, "%s: no LVM2 label (%s)", device,
			       r < 0 ? strerror(-r) : "not a PV");
	pd = &s.devs[0].pd;
	s.devs[0].pd.reg.name = device;
	r = vg_assemble(&pd, 1, &vg);
	if (r == 0)
		snprintf(name, 128, "%s", vg->name);
	else if (r == -ENOENT)
		r = err_set(-ENOENT, "%s: a PV with no metadata of its own; name the VG instead",
			    device);
	vg_free(vg);
	pv_disk_clear(&s.devs[0].pd);
	close(s.devs[0].fd);
	free(s.devs);
	return r;
}

int vgh_find_dev(const struct vgh *h, const char *path)
{
	struct stat a, b;

	for (unsigned i = 0; i < h->n_devs; i++) {
		if (!strcmp(h->devs[i].path, path))
			return (int)i;
		if (stat(path, &a) == 0 && stat(h->devs[i].path, &b) == 0 &&
		    S_ISBLK(a.st_mode) && a.st_rdev == b.st_rdev)
			return (int)i;
	}
	return -1;
}

void vgh_close(struct vgh *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->n_devs; i++) {
		pv_disk_clear(&h->devs[i].pd);
		if (h->devs[i].fd >= 0)
			close(h->devs[i].fd);
	}
	free(h->devs);
	vg_free(h->vg);
	free(h->text);
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	free(h);
}

/* Checks what must hold before any write: every PV present once, healthy, inside its device. */
static int vgh_check(struct vgh *h)
{
	const struct vg *vg = h->vg;

	if (vg->refuse)
		return err_set(E_REFUSED, "%s", vg->refuse);
	for (unsigned p = 0; p < vg->n_pvs; p++) {
		const struct vg_pv *pv = &vg->pvs[p];
		const struct vg_dev *d = NULL;
		char dash[LVM_UUID_LEN + 7];
		uint64_t end;

		for (unsigned i = 0; i < h->n_devs; i++)
			if (h->devs[i].pv == (int)p)
				d = &h->devs[i];
		uuid_add_dashes(pv->id, dash);
		if (!d)
			return err_set(E_REFUSED, "PV %s of VG %s (last seen as %s) is missing",
				       dash, vg->name, pv->device ? pv->device : "?");
		for (unsigned m = 0; m < d->pd.n_mdas; m++)
			if (d->pd.mda_err[m][0])
				return err_set(E_REFUSED, "%s: %s; repair it with \"vgck "
					       "--updatemetadata %s\" first", d->path,
					       d->pd.mda_err[m], vg->name);
		end = (pv->pe_start + pv->pe_count * vg->extent_size) * SECTOR_SIZE;
		if (end > d->size)
			return err_set(E_REFUSED, "%s: the extents end at byte %" PRIu64 " but the "
				       "device has %" PRIu64 " bytes", d->path, end, d->size);
		/*
		 * An mda over free extents is the state an interrupted pvresize leaves
		 * (docs/ondisk.md §7.2); only one over allocated extents is damage.
		 */
		for (unsigned m = 0; m < d->pd.label.n_mdas; m++) {
			const struct disk_locn *l = &d->pd.label.mda[m];
			uint64_t ext = vg->extent_size * SECTOR_SIZE, first, last;
			char who[256];

			if (l->offset + l->size <= pv->pe_start * SECTOR_SIZE || l->offset >= end)
				continue;
			first = l->offset > pv->pe_start * SECTOR_SIZE ?
					(l->offset - pv->pe_start * SECTOR_SIZE) / ext : 0;
			last = (l->offset + l->size - 1 - pv->pe_start * SECTOR_SIZE) / ext;
			if (vg_pv_allocated_beyond(vg, p, first, who, sizeof(who)) >
			    vg_pv_allocated_beyond(vg, p, last + 1, NULL, 0))
				return err_set(E_REFUSED, "%s: metadata area %u overlaps allocated "
					       "extents (%s)", d->path, m + 1, who);
		}
	}
	return 0;
}

int vgh_open(const char *vgname, const char *const *devices, bool writable, struct vgh **out)
{
	struct scan s = { 0 };
	_cleanup_free_ struct pv_disk **mine = NULL;
	struct vgh *h;
	unsigned n_mine = 0;
	int r;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->lock_fd = -1;
	h->writable = writable;
	snprintf(h->name, sizeof(h->name), "%s", vgname);
	if (!lvm_name_valid(vgname)) {
		vgh_close(h);
		return err_set(-EINVAL, "\"%s\" is not a valid VG name", vgname);
	}
	if (writable) {
		r = lock_vg(vgname, &h->lock_fd);
		if (r < 0)
			goto fail;
	}
	r = for_each_device(devices, scan_one, &s);
	if (r < 0)
		goto fail;
	for (unsigned i = 0; i < s.n; i++)
		s.devs[i].pd.reg.name = s.devs[i].path;
	mine = calloc(s.n ? s.n : 1, sizeof(*mine));
	if (!mine) {
		r = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < s.n; i++)
		for (unsigned m = 0; m < s.devs[i].pd.n_mdas; m++)
			if (text_names_vg(s.devs[i].pd.text[m], vgname)) {
				mine[n_mine++] = &s.devs[i].pd;
				break;
			}
	err_clear();
	r = vg_assemble(mine, n_mine, &h->vg);
	if (r == -ENOENT && s.denied)
		r = err_set(-EACCES, "volume group \"%s\" not found: %u block devices could not be "
			    "read (Permission denied): run as root", vgname, s.denied);
	else if (r == -ENOENT)
		r = err_set(-ENOENT, "volume group \"%s\" not found", vgname);
	if (r < 0)
		goto fail;

	/* Keep the devices that are PVs of this VG, matched by UUID (the "device" key is a hint). */
	h->devs = calloc(h->vg->n_pvs ? h->vg->n_pvs : 1, sizeof(*h->devs));
	if (!h->devs) {
		r = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < s.n; i++) {
		int p = vg_find_pv(h->vg, s.devs[i].pd.label.uuid);

		if (p < 0)
			continue;
		for (unsigned j = 0; j < h->n_devs; j++)
			if (h->devs[j].pv == p) {
				r = err_set(E_REFUSED, "PV %s appears on both %s and %s (duplicate "
					    "device or a copied disk?)", s.devs[i].pd.label.uuid,
					    h->devs[j].path, s.devs[i].path);
				goto fail;
			}
		h->devs[h->n_devs] = s.devs[i];
		h->devs[h->n_devs].pv = p;
		s.devs[i].fd = -1;
		memset(&s.devs[i].pd, 0, sizeof(s.devs[i].pd));
		h->n_devs++;
	}
	for (unsigned i = 0; i < h->n_devs; i++) {
		struct vg_dev *d = &h->devs[i];

		d->pd.reg.name = d->path;
		/* The text we read is the backup; any copy at the top seqno will do. */
		for (unsigned m = 0; !h->text && m < d->pd.n_mdas; m++)
			if (d->pd.text[m] && text_names_vg(d->pd.text[m], vgname)) {
				struct vg *v = NULL;

				if (vg_from_text(d->pd.text[m], d->pd.text_len[m], &v) == 0 &&
				    v->seqno == h->vg->seqno) {
					h->text = strdup(d->pd.text[m]);
					h->text_len = d->pd.text_len[m];
				}
				vg_free(v);
			}
		if (writable) {
			int fd = open(d->path, O_RDWR | O_CLOEXEC);

			if (fd < 0) {
				r = err_set(-errno, "%s: cannot open for writing: %m", d->path);
				goto fail;
			}
			close(d->fd);
			d->fd = fd;
			d->pd.reg.fd = fd;
		}
	}
	r = vgh_check(h);
	if (r < 0)
		goto fail;
	for (unsigned i = 0; i < s.n; i++) {
		pv_disk_clear(&s.devs[i].pd);
		if (s.devs[i].fd >= 0)
			close(s.devs[i].fd);
	}
	free(s.devs);
	*out = h;
	return 0;
fail:
	for (unsigned i = 0; i < s.n; i++) {
		pv_disk_clear(&s.devs[i].pd);
		if (s.devs[i].fd >= 0)
			close(s.devs[i].fd);
	}
	free(s.devs);
	vgh_close(h);
	return r;
}

/* ---------------------------------------------------------------- PVs in and out */

int vgh_add_dev(struct vgh *h, const char *path)
{
	struct vg_dev d = { .fd = -1, .pv = -1 }, *n;
	struct region reg;
	bool blk;
	int r;

	if (!h->writable)
		return -EINVAL;
	if (vgh_find_dev(h, path) >= 0)
		return err_set(-EEXIST, "%s is already a PV of VG %s", path, h->name);
	d.fd = dev_open(path, O_RDWR, &d.size, &blk);
	if (d.fd < 0)
		return err_set(d.fd, "%s: cannot open for writing: %s", path, strerror(-d.fd));
	snprintf(d.path, sizeof(d.path), "%s", path);
	reg = (struct region){ .fd = d.fd, .size = d.size, .name = d.path };
	err_clear();
	r = pv_disk_read(&reg, &d.pd);
	if (r < 0) {
		close(d.fd);
		return err_wrap(r, "%s: ", path);
	}
	n = realloc(h->devs, (h->n_devs + 1) * sizeof(*n));
	if (!n) {
		pv_disk_clear(&d.pd);
		close(d.fd);
		return -ENOMEM;
	}
	h->devs = n;
	h->devs[h->n_devs] = d;
	h->devs[h->n_devs].pd.reg.name = h->devs[h->n_devs].path;
	h->devs[h->n_devs].pv = vg_find_pv(h->vg, d.pd.label.uuid);
	h->n_devs++;
	return (int)h->n_devs - 1;
}

void vgh_reindex(struct vgh *h)
{
	for (unsigned i = 0; i < h->n_devs; i++) {
		h->devs[i].pd.reg.name = h->devs[i].path;
		h->devs[i].pv = vg_find_pv(h->vg, h->devs[i].pd.label.uuid);
	}
}

int vgh_drop_dev(struct vgh *h, unsigned i, struct vg_dev *out)
{
	if (i >= h->n_devs)
		return -EINVAL;
	*out = h->devs[i];
	memmove(&h->devs[i], &h->devs[i + 1], (h->n_devs - i - 1) * sizeof(*h->devs));
	h->n_devs--;
	out->pd.reg.name = out->path;
	out->pv = -1;
	vgh_reindex(h);
	return 0;
}
