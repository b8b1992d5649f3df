// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "commit.h"
#include "pv.h"
#include "pvcreate.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/teststop.h"
#include "../util/strfmt.h"
#include "../util/units.h"

/* The alphabet of lvm2's uuids; id_create draws only from its first 62 characters. */
static const char uuid_chars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#";
#define UUID_RANDOM_CHARS 62u

/*
 * Metadata area 1 (docs/ondisk.md §4.1): it starts after the label scan area, on a
 * page when that leaves room for a minimal area, and grows so that it ends on
 * the data alignment; pe_start follows it. A request larger than the device
 * is cut to end two alignments before the device end, as lvm2 does.
 */
static int layout_mda1(struct pvcreate_layout *l, uint64_t want)
{
	uint64_t a = l->alignment, limit = l->pv_bytes, start = LABEL_SCAN_SIZE, size = want, adj;

	if (limit - start >= PVC_MDA_SIZE_MIN && start % PVC_PAGE_SIZE)
		start += PVC_PAGE_SIZE - start % PVC_PAGE_SIZE;
	adj = size <= limit - start ? (start + size) % a : 0;
	if (adj && a - adj <= limit - start - size)
		size += a - adj;
	if (size > limit - start) {
		if (limit - start > 2 * a) {
			size = limit - start - 2 * a;
			adj = (start + size) % a;
			if (adj)
				size += a - adj;
		} else {
			size = limit - start;
		}
	}
	if (size < PVC_MDA_SIZE_MIN)
		return err_set(E_REFUSED, "%" PRIu64 " B leaves %" PRIu64 " B for metadata area 1, "
			       "less than the %u B lvm2 requires", l->pv_bytes, size,
			       PVC_MDA_SIZE_MIN);
	l->mda[0] = (struct disk_locn){ .offset = start, .size = size };
	l->pe_start = start + size;
	return 0;
}

/*
 * Metadata area 2: it ends at the device end and starts no lower than
 * pe_start; its start moves down to the data alignment when that still stays
 * above pe_start (and the area grows by as much).
 */
static int layout_mda2(struct pvcreate_layout *l, uint64_t want)
{
	uint64_t disk = l->pv_bytes, limit = l->pe_start, size = want, start, adj;

	if (limit >= disk)
		return err_set(E_REFUSED, "%" PRIu64 " B leaves no room for metadata area 2 after "
			       "byte %" PRIu64, disk, limit);
	if (size > disk)
		size = disk - limit;
	start = disk - size;
	if (start < limit) {
		start = limit;
		size = disk - limit;
	} else {
		adj = start % l->alignment;
		if (adj && size + adj < disk && start - adj >= limit) {
			start -= adj;
			size += adj;
		}
	}
	if (size < PVC_MDA_SIZE_MIN)
		return err_set(E_REFUSED, "%" PRIu64 " B leaves %" PRIu64 " B for metadata area 2, "
			       "less than the %u B lvm2 requires", disk, size, PVC_MDA_SIZE_MIN);
	l->mda[1] = (struct disk_locn){ .offset = start, .size = size };
	return 0;
}

int pvcreate_layout(uint64_t dev_bytes, const struct pvcreate_opts *o, struct pvcreate_layout *l)
{
	unsigned copies = o && o->mda_copies ? o->mda_copies : 1;
	uint64_t want = o && o->mda_size ? o->mda_size : PVC_DEFAULT_MDA_SIZE;
	uint64_t end;
	int r;

	memset(l, 0, sizeof(*l));
	l->dev_bytes = dev_bytes;
	l->pv_bytes = round_down(dev_bytes, SECTOR_SIZE);
	l->alignment = o && o->data_alignment ? o->data_alignment : PVC_DEFAULT_ALIGNMENT;
	if (copies > PV_MAX_MDAS)
		return err_set(-EINVAL, "%u metadata areas: a PV has 1 or 2", copies);
	if (want % SECTOR_SIZE)
		return err_set(-EINVAL, "metadata area size %" PRIu64 " B is not a whole number of "
			       "512-byte sectors", want);
	if (l->alignment % SECTOR_SIZE)
		return err_set(-EINVAL, "data alignment %" PRIu64 " B is not a whole number of "
			       "512-byte sectors", l->alignment);
	if (l->pv_bytes < PVC_MIN_DEV_SIZE)
		return err_set(E_REFUSED, "%" PRIu64 " B is too small for a PV: lvm2 ignores "
			       "devices below %u B (pv_min_size)", l->pv_bytes, PVC_MIN_DEV_SIZE);
	if (l->pv_bytes < l->alignment)
		return err_set(E_REFUSED, "the data alignment %" PRIu64 " B exceeds the device's %"
			       PRIu64 " B", l->alignment, l->pv_bytes);
	l->n_mdas = copies;
	r = layout_mda1(l, want);
	if (r == 0 && copies == 2)
		r = layout_mda2(l, want);
	if (r < 0)
		return r;
	end = copies == 2 ? l->mda[1].offset : l->pv_bytes;
	if (end <= l->pe_start)
		return err_set(E_REFUSED, "%" PRIu64 " B is too small: the metadata area%s "
			       "leave%s no room for extents after pe_start %" PRIu64 " B",
			       l->pv_bytes, copies == 2 ? "s" : "", copies == 2 ? "" : "s",
			       l->pe_start);
	l->data_bytes = end - l->pe_start;
	return 0;
}

uint64_t pvcreate_pe_count(const struct pvcreate_layout *l, uint64_t extent_bytes)
{
	if (!extent_bytes || extent_bytes % SECTOR_SIZE)
		return 0;
	return l->data_bytes / extent_bytes;
}

void pvcreate_label(const struct pvcreate_layout *l, const char uuid[LVM_UUID_LEN + 1],
		    struct pv_label *out)
{
	memset(out, 0, sizeof(*out));
	out->sector = PVC_LABEL_SECTOR;
	memcpy(out->uuid, uuid, LVM_UUID_LEN);
	out->device_size = l->pv_bytes;
	out->data_offset = l->pe_start;
	out->n_mdas = l->n_mdas;
	for (unsigned i = 0; i < l->n_mdas; i++)
		out->mda[i] = l->mda[i];
	out->ext_version = PV_EXT_VERSION;
	out->ext_flags = 0;
}

int pv_uuid_generate(char uuid[LVM_UUID_LEN + 1])
{
	_cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	unsigned n = 0;

	if (fd < 0)
		return err_set(-errno, "cannot open /dev/urandom: %m");
	while (n < LVM_UUID_LEN) {
		uint8_t buf[64];
		ssize_t got = read(fd, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return err_set(got < 0 ? -errno : -EIO, "cannot read /dev/urandom: %m");
		/* Bytes of 248 and above would favour the first 8 characters: drawn again. */
		for (ssize_t i = 0; i < got && n < LVM_UUID_LEN; i++)
			if (buf[i] < 256 - 256 % UUID_RANDOM_CHARS)
				uuid[n++] = uuid_chars[buf[i] % UUID_RANDOM_CHARS];
	}
	uuid[LVM_UUID_LEN] = '\0';
	return 0;
}

int pv_uuid_parse(const char *s, char uuid[LVM_UUID_LEN + 1])
{
	unsigned n = 0;

	for (const char *p = s; *p; p++) {
		if (*p == '-')
			continue;
		if (n == LVM_UUID_LEN)
			return err_set(-EINVAL, "uuid \"%s\" has more than %d characters "
				       "besides dashes", s, LVM_UUID_LEN);
		uuid[n++] = *p;
	}
	uuid[n] = '\0';
	if (n != LVM_UUID_LEN)
		return err_set(-EINVAL, "uuid \"%s\" has %u characters besides dashes, not %d",
			       s, n, LVM_UUID_LEN);
	if (lvm_uuid_check(uuid, LVM_UUID_LEN) < 0)
		return err_set(-EINVAL, "uuid \"%s\" has characters outside [0-9a-zA-Z!#]", s);
	return 0;
}

static bool locn_eq(const struct disk_locn *a, const struct disk_locn *b)
{
	return a->offset == b->offset && a->size == b->size;
}

/* Why the label found differs from the one l would give, or NULL when it does not. */
static const char *label_differs(const struct pv_label *f, const struct pvcreate_layout *l,
				 const char *uuid)
{
	if (f->sector != PVC_LABEL_SECTOR)
		return "its label is not in sector 1";
	if (f->device_size != l->pv_bytes)
		return "its label's device size differs";
	if (f->data_offset != l->pe_start)
		return "its pe_start differs";
	if (f->n_mdas != l->n_mdas)
		return "its number of metadata areas differs";
	for (unsigned i = 0; i < l->n_mdas; i++)
		if (!locn_eq(&f->mda[i], &l->mda[i]))
			return "its metadata areas lie elsewhere";
	if (f->ext_version != PV_EXT_VERSION || f->n_bas)
		return "its label has another extension version or a bootloader area";
	if (uuid && strncmp(f->uuid, uuid, LVM_UUID_LEN))
		return "its uuid differs";
	return NULL;
}

int pvcreate_probe(const struct region *r, const struct pvcreate_layout *l, const char *uuid,
		   struct pv_label *found, char *why, size_t len)
{
	struct pv_disk pd;
	const char *diff;
	int ret, state;

	if (why && len)
		why[0] = '\0';
	err_clear();
	ret = pv_disk_read(r, &pd);
	if (ret == -ENOENT)
		return PVC_NO_LABEL;
	if (ret == -EBADMSG || ret == -EOPNOTSUPP || ret == -ENODATA) {
		if (why)
			snprintf(why, len, "%s", err_msg(ret));
		pv_disk_clear(&pd);
		return PVC_DAMAGED;
	}
	if (ret < 0)
		return ret;
	if (found)
		*found = pd.label;
	state = PVC_SAME;
	diff = NULL;
	for (unsigned i = 0; i < pd.n_mdas; i++)
		if (pd.text[i])
			diff = "a metadata area holds VG metadata";
	if (pd.label.ext_flags & PV_EXT_USED)
		diff = "its label marks it as used by a VG";
	if (diff) {
		state = PVC_IN_VG;
		goto out;
	}
	for (unsigned i = 0; i < pd.n_mdas && !diff; i++) {
		const struct mda_header *h = &pd.mh[i];

		if (pd.mda_err[i][0]) {
			diff = pd.mda_err[i];
			state = PVC_DAMAGED;
		} else if (!raw_locn_empty(&h->slot[0]) || h->slot[0].flags ||
			   !raw_locn_empty(&h->slot[1])) {
			diff = "a metadata area is not empty";
			state = PVC_OTHER_ORPHAN;
		}
	}
	if (!diff) {
		diff = label_differs(&pd.label, l, uuid);
		if (diff)
			state = PVC_OTHER_ORPHAN;
	}
out:
	if (diff && why)
		snprintf(why, len, "%s", diff);
	pv_disk_clear(&pd);
	return state;
}

int pvcreate_write(int fd, const char *name, const struct pvcreate_layout *l,
		   const char uuid[LVM_UUID_LEN + 1], bool *wrote)
{
	struct vg_dev d = { .fd = fd, .size = l->dev_bytes, .pv = -1 };
	uint8_t sec[LABEL_SIZE];
	struct pv_label lab;
	int r;

	*wrote = false;
	snprintf(d.path, sizeof(d.path), "%s", name);
	pvcreate_label(l, uuid, &lab);
	/* Everything that can be checked without the device is checked before a byte is written. */
	if (pvlabel_encode(&lab, sec) < 0)
		return err_set(-EINVAL, "%s: cannot encode a label for uuid \"%.32s\"", name, uuid);
	if (l->pv_bytes > l->dev_bytes || !l->n_mdas || l->pe_start > l->pv_bytes)
		return err_set(-EINVAL, "%s: the layout does not fit the device", name);
	for (unsigned i = 0; i < l->n_mdas; i++)
		if (l->mda[i].offset < PVC_ZERO_START || l->mda[i].size > l->pv_bytes ||
		    l->mda[i].offset > l->pv_bytes - l->mda[i].size)
			return err_set(-EINVAL, "%s: metadata area %u does not fit the device",
				       name, i + 1);

	*wrote = true;
	/* 1. Sectors 0-3 (lvm2's pvcreate zeroes them too): any old label goes first. */
	r = vg_dev_zero(&d, 0, PVC_ZERO_START);
	/* 2. Each metadata area zeroed, then its empty header; flushed. */
	for (unsigned i = 0; i < l->n_mdas && r == 0; i++) {
		r = vg_dev_zero(&d, l->mda[i].offset, l->mda[i].size);
		if (r == 0)
			r = vg_dev_init_mda(&d, &l->mda[i]);
	}
	/* 3. The label last: until it is on the disk, lvm2 sees no PV here. */
	if (r == 0)
		r = vg_dev_write_label(&d, &lab);
	return r;
}

int pvcreate_fd(int fd, const char *name, uint64_t dev_bytes, const struct pvcreate_opts *o,
		char uuid[LVM_UUID_LEN + 1], struct pvcreate_layout *l, bool *wrote)
{
	int r;

	*wrote = false;
	r = pvcreate_layout(dev_bytes, o, l);
	if (r < 0)
		return err_wrap(r, "%s: ", name);
	if (!uuid[0]) {
		r = pv_uuid_generate(uuid);
		if (r < 0)
			return r;
	}
	return pvcreate_write(fd, name, l, uuid, wrote);
}

#define PVC_LOCK_DIR "/run/lock/lvm"
#define PVC_LOCK_WAIT_TENTHS 300

int pv_global_lock(int *fd_out)
{
	const char *dir = test_lock_dir();
	char path[DEV_PATH_MAX + 16];
	int fd;

	if (!dir)
		dir = PVC_LOCK_DIR;
	mkdir("/run/lock", 0755);
	mkdir(dir, 0700);
	if (str_fmt(path, sizeof(path), "%s/P_global", dir) < 0)
		return err_set(-ENAMETOOLONG, "lock directory %s: name too long", dir);
	fd = open(path, O_CREAT | O_APPEND | O_RDWR | O_CLOEXEC, 0777);
	if (fd < 0)
		return err_set(-errno, "cannot open lvm2's global lock %s: %m", path);
	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK || i >= PVC_LOCK_WAIT_TENTHS) {
			close(fd);
			return err_set(E_REFUSED, "lvm2's global lock %s is held by another "
				       "program; is an lvm command running?", path);
		}
		usleep(100000);
	}
	*fd_out = fd;
	return 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* 1 when path holds a PV label with uuid (and is not self); 0 otherwise. */
static int has_uuid(const char *path, const char *uuid, const struct stat *self)
{
	uint8_t buf[LABEL_SCAN_SIZE];
	struct pv_label lab;
	struct region reg;
	struct stat st;
	uint64_t size;
	bool blk;
	_cleanup_close_ int fd = dev_open(path, O_RDONLY, &size, &blk);

	if (fd < 0 || fstat(fd, &st) < 0 || (self && same_file(&st, self)))
		return 0;
	reg = (struct region){ .fd = fd, .size = size, .name = path };
	if (region_read(&reg, 0, buf, sizeof(buf)) < 0 || pvlabel_decode(buf, &lab) < 0)
		return 0;
	return !strncmp(lab.uuid, uuid, LVM_UUID_LEN);
}

int pv_uuid_find(const char *uuid, const char *const *devices, const struct stat *self,
		 char *path, size_t len)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *e;

	if (devices) {
		for (; *devices; devices++)
			if (has_uuid(*devices, uuid, self)) {
				snprintf(path, len, "%s", *devices);
				return 1;
			}
		return 0;
	}
	d = opendir("/sys/class/block");
	if (!d)
		return err_set(-errno, "cannot list block devices: %m");
	while ((e = readdir(d))) {
		char p[DEV_PATH_MAX];

		if (e->d_name[0] == '.' || str_fmt(p, sizeof(p), "/dev/%s", e->d_name) < 0)
			continue;
		if (has_uuid(p, uuid, self)) {
			snprintf(path, len, "%s", p);
			return 1;
		}
	}
	return 0;
}
