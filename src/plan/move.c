// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "move.h"
#include "../layer/fs.h"
#include "../layer/lvdm.h"
#include "../lvm/edit.h"
#include "stack.h"
#include "../util/cleanup.h"
#include "../util/copy.h"
#include "../util/timing.h"
#include "../util/err.h"
#include "../util/io.h"
#include "../util/strfmt.h"
#include "../util/teststop.h"
#include "../util/units.h"

struct side {
	int fd;
	bool direct;
	uint64_t base;		/* pe_start in bytes */
	const char *path;
};

/* O_DIRECT keeps the page cache out of a copy that is read once; fall back where unsupported. */
static int open_data(const char *path, struct side *s)
{
	s->path = path;
	s->direct = true;
	s->fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (s->fd < 0 && errno == EINVAL) {
		s->direct = false;
		s->fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (s->fd < 0)
		return err_set(-errno, "%s: cannot open for the copy: %m", path);
	return 0;
}

static void written(void *arg, uint64_t bytes)
{
	progress_add(arg, bytes);
}

static int copy_one(const struct side *src, const struct side *dst, uint64_t from, uint64_t to,
		    uint64_t len, void *buf, void *vbuf, const struct mover_opts *o)
{
	struct copy_job j = {
		.src = { src->fd, src->path }, .dst = { dst->fd, dst->path },
		.from = from, .to = to, .len = len, .chunk = o->chunk,
		.written = o->progress ? written : NULL, .arg = o->progress,
	};
	uint64_t t0 = timing_now();
	int r = copy_range(&j);

	if (r < 0)
		return r;
	/* The copy is on the disk before any metadata points at it. */
	if (fdatasync(dst->fd) < 0)
		return err_set(-errno, "%s: flush failed: %m", dst->path);
	timing_note("copy", timing_now() - t0);	/* the copy and its flush */
	if (!o->verify)
		return 0;
	/*
	 * Without O_DIRECT the reads below would be served from the pages the
	 * copy just filled, proving nothing: drop them (clean after the flush) so
	 * both sides are read from their devices.
	 */
	if (!dst->direct)
		(void)posix_fadvise(dst->fd, (off_t)to, (off_t)len, POSIX_FADV_DONTNEED);
	if (!src->direct)
		(void)posix_fadvise(src->fd, (off_t)from, (off_t)len, POSIX_FADV_DONTNEED);
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < o->chunk ? (size_t)(len - done) : o->chunk;
		const struct side *bad = src;

		r = pread_all(src->fd, buf, n, from + done, NULL);
		if (r == 0) {
			bad = dst;
			r = pread_all(dst->fd, vbuf, n, to + done, NULL);
		}
		if (r < 0)
			return err_set(r, "verify: %s: read error near byte %" PRIu64 ": %s",
				       bad->path, (bad == src ? from : to) + done, strerror(-r));
		if (memcmp(buf, vbuf, n))
			return err_set(-EIO, "verify: the copy at byte %" PRIu64 " of %s differs from "
				       "its source; nothing was committed", to + done, dst->path);
		done += n;
	}
	return 0;
}

/*
 * How to put a held or stale LV on its committed table: lvm2 reads the table
 * from the metadata (lvchange --refresh), or dmsetup loads this one; a reboot
 * activates the LV from the committed metadata as well. Fits err_set()'s
 * buffer: the dmsetup form only when the table is short.
 */
static void fix_words(const struct vgh *h, unsigned lv, const char *name, const char *table,
		      char *out, size_t len)
{
	const char *lvn = h->vg->lvs[lv].name;
	char lines[192];
	size_t o = 0;
	bool fits = true;

	for (const char *t = table; *t && fits;) {
		size_t k = strcspn(t, "\n");
		int n = snprintf(lines + o, sizeof(lines) - o, " '%.*s'", (int)k, t);

		fits = n > 0 && (size_t)n < sizeof(lines) - o;
		o += fits ? (size_t)n : 0;
		t += k + (t[k] == '\n');
	}
	if (!fits || str_fmt(out, len, "lvchange --refresh %s/%s, or printf '%%s\\n'%s | dmsetup "
			     "reload %s && dmsetup resume %s", h->name, lvn, lines, name, name) < 0)
		str_fmt(out, len, "lvchange --refresh %s/%s", h->name, lvn);
}

/*
 * An active LV (unused: the applet checked) follows its extents to their new
 * place: its table is reloaded right after the commit that moved them. Nothing
 * writes to it meanwhile, so both tables see the same data. From that commit
 * on the old table maps free extents: a reload that fails leaves the LV
 * suspended (lvdm_reload_hold), never live on it, and says what puts it right.
 */
static int reload_if_active(const struct vgh *h, unsigned lv)
{
	char name[256], fix[320], *table = NULL;
	const char *lvn = h->vg->lvs[lv].name, *step = "load";
	enum lvdm_outcome out;
	struct lvdm_info info;
	dev_t *devs;
	int r, hold;

	lv_dm_name(h->name, lvn, name);
	if (!lvdm_available())
		return 0;
	r = lvdm_info(name, &info);
	if (r < 0)
		return err_set(E_DM_STALE, "LV %s/%s: after the commit, device-mapper cannot say "
			       "whether it is active (%s); if it is, its table maps the extents it "
			       "left, free now: do not use it before lvchange --refresh %s/%s or a "
			       "reboot", h->name, lvn, strerror(-r), h->name, lvn);
	if (!info.exists)
		return 0;
	devs = calloc(h->vg->n_pvs ? h->vg->n_pvs : 1, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	for (unsigned i = 0; i < h->n_devs; i++) {
		struct stat st;

		if (stat(h->devs[i].path, &st) == 0 && S_ISBLK(st.st_mode))
			devs[h->devs[i].pv] = st.st_rdev;
	}
	r = lvdm_table(h->vg, lv, devs, &table);
	free(devs);
	if (r == 0) {
		r = lvdm_reload_hold(name, table, &out, &step, &hold);
		if (r == 0) {
			free(table);
			return 0;
		}
	} else {
		/* No table to load (a PV gone): hold the LV all the same. */
		step = "table";
		hold = lvdm_hold(name);
		out = hold ? LVDM_STALE : LVDM_HELD;
	}
	fix_words(h, lv, name, table ? table : "", fix, sizeof(fix));
	free(table);
	if (out == LVDM_STALE)
		return err_set(E_DM_STALE, "LV %s/%s: after the commit its table could not be "
			       "reloaded (%s: %s) nor the LV suspended (%s): it is live on the old "
			       "table, whose extents are free now. Do not use it; run %s, or reboot",
			       h->name, lvn, step, strerror(-r), strerror(-hold), fix);
	return err_set(E_DM_STALE, "LV %s/%s: after the commit its table could not be reloaded "
		       "(%d tries, %s: %s); it is left suspended, so nothing reaches the extents "
		       "it left, free now. Run %s, or reboot; then the same command again",
		       h->name, lvn, LVDM_RELOAD_TRIES, step, strerror(-r), fix);
}

static int dev_of_pv(const struct vgh *h, unsigned pv)
{
	for (unsigned i = 0; i < h->n_devs; i++)
		if (h->devs[i].pv == (int)pv)
			return (int)i;
	return -1;
}

uint64_t move_copy_bytes(const struct move *m, uint64_t ext_bytes, uint64_t keep)
{
	uint64_t first = m->le * ext_bytes, n;

	if (keep == MOVE_KEEP_ALL || keep >= first + m->len * ext_bytes)
		return m->len * ext_bytes;
	if (keep <= first)
		return 0;
	/* Whole O_DIRECT blocks; never past the move's own extents. */
	n = (keep - first + COPY_ALIGN - 1) / COPY_ALIGN * COPY_ALIGN;
	return n < m->len * ext_bytes ? n : m->len * ext_bytes;
}

uint64_t move_swap_keep(const struct vgh *h, unsigned lv)
{
	const struct vg_lv *l = &h->vg->lvs[lv];
	uint64_t ext = h->vg->extent_size * SECTOR_SIZE;
	const struct vg_seg *s = l->n_segs ? &l->segs[0] : NULL;
	struct fs_info fi;
	struct region rg;
	int d;

	/* The header page is at most 64 KiB (the page sizes libblkid tries). */
	if (!s || s->start_extent || !s->linear || s->n_areas != 1 || s->areas[0].pv < 0 ||
	    s->extent_count * ext < 65536)
		return MOVE_KEEP_ALL;
	d = dev_of_pv(h, (unsigned)s->areas[0].pv);
	if (d < 0)
		return MOVE_KEEP_ALL;
	rg = (struct region){
		.fd = h->devs[d].fd,
		.off = h->vg->pvs[s->areas[0].pv].pe_start * SECTOR_SIZE + s->areas[0].pe * ext,
		.size = s->extent_count * ext,
		.name = l->name,
	};
	if (fs_probe(&rg, &fi) < 0 || strcmp(fi.type, "swap") || !fi.size_known)
		return MOVE_KEEP_ALL;
	return fi.block_size;
}

int moves_apply(struct vgh *h, const struct defrag_plan *p, const struct mover_opts *o,
		struct commit_result *res)
{
	struct side src = { .fd = -1 }, dst = { .fd = -1 };
	uint64_t ext = h->vg->extent_size * SECTOR_SIZE;
	void *buf = NULL, *vbuf = NULL;
	int ds = dev_of_pv(h, p->pv), dd = dev_of_pv(h, p->to_pv), r;

	if (ds < 0 || dd < 0)
		return err_set(-ENODEV, "internal error: a PV of the plan is not open");
	if (o->chunk % COPY_ALIGN || !o->chunk)
		return err_set(-EINVAL, "chunk size must be a multiple of %u bytes", COPY_ALIGN);
	r = open_data(h->devs[ds].path, &src);
	if (r == 0)
		r = ds == dd ? (dst = src, 0) : open_data(h->devs[dd].path, &dst);
	if (r < 0)
		goto out;
	src.base = h->vg->pvs[p->pv].pe_start * SECTOR_SIZE;
	dst.base = h->vg->pvs[p->to_pv].pe_start * SECTOR_SIZE;
	if (o->verify && (posix_memalign(&buf, COPY_ALIGN, o->chunk) ||
			  posix_memalign(&vbuf, COPY_ALIGN, o->chunk))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct move *m = &p->moves[i];

		uint64_t len = move_copy_bytes(m, ext, o->keep ? o->keep[m->lv] : MOVE_KEEP_ALL);

		res->wrote = true;
		r = len ? copy_one(&src, &dst, src.base + m->from_pe * ext,
				   dst.base + m->to_pe * ext, len, buf, vbuf, o) : 0;
		if (r < 0)
			goto out;
		if (i == 0)
			test_stop("copy1");
		r = vg_lv_remap(&h->vg, m->lv, m->le, m->len, m->to_pv, m->to_pe);
		if (r == 0)
			r = vgh_commit(h, o->commit, res);
		if (r == 0)
			r = reload_if_active(h, m->lv);
		if (r < 0)
			goto out;
		res->wrote = true;
	}
	r = 0;
out:
	free(buf);
	free(vbuf);
	if (dst.fd >= 0 && dst.fd != src.fd)
		close(dst.fd);
	if (src.fd >= 0)
		close(src.fd);
	return r;
}
