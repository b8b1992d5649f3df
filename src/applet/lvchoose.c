// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * shrink without --lv: the LV chosen to give up extents (lvchoose.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvchoose.h"
#include "../lvm/commit.h"
#include "../plan/fsresize.h"
#include "../plan/lvdev.h"
#include "../util/err.h"
#include "../util/units.h"

/* "1100MiB" when the size is whole MiB (extents are), else bytes: what --lv takes back. */
static const char *lv_size_arg(char buf[32], uint64_t bytes)
{
	if (bytes % (1u << 20) == 0)
		snprintf(buf, 32, "%" PRIu64 "MiB", bytes >> 20);
	else
		snprintf(buf, 32, "%" PRIu64 "B", bytes);
	return buf;
}

struct lv_give {
	unsigned lv;
	uint64_t give;		/* extents it can give up, its content kept */
};

static int by_give(const void *a, const void *b)
{
	const struct lv_give *x = a, *y = b;

	return x->give < y->give ? 1 : x->give > y->give ? -1 : (x->lv > y->lv) - (x->lv < y->lv);
}

/*
 * Without --lv: the largest ext2/3/4 LV that can give up `need` extents on its
 * own (resize2fs -P, read-only). When none can, the refusal lists every LV with
 * its smallest size and what it can give, and the --lv options that free
 * enough together when several can.
 */
int shrink_choose_lv(const char *vgname, uint64_t need, struct lv_target *t, char *why,
		     size_t why_len)
{
	struct vgh *h = NULL;
	struct lv_give *c = NULL;
	uint64_t best = 0, ext, sum = 0;
	unsigned n = 0;
	size_t o = 0;
	int r, chosen = -1;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN], arg[32];

#define WHY(...)                                                                          \
	do {                                                                              \
		int k_ = snprintf(why + o, why_len - o, __VA_ARGS__);                     \
		o += k_ > 0 && (size_t)k_ < why_len - o ? (size_t)k_ : 0;                 \
	} while (0)
	r = vgh_open(vgname, applet_device_list(), false, &h);
	if (r < 0)
		return r;
	ext = h->vg->extent_size * SECTOR_SIZE;
	c = calloc(h->vg->n_lvs ? h->vg->n_lvs : 1, sizeof(*c));
	if (!c) {
		vgh_close(h);
		return err_set(-ENOMEM, "out of memory");
	}
	why[0] = '\0';
	for (unsigned i = 0; i < h->vg->n_lvs; i++) {
		const struct vg_lv *lv = &h->vg->lvs[i];
		struct lvdev d = { .loopfd = -1 };
		enum fs_kind kind = FS_EXT;
		uint64_t min_le = 0;

		if (!(lv->status & LV_VISIBLE))
			continue;
		err_clear();
		r = lvdev_open(h, i, &d);
		if (r == 0)
			r = fsresize_min_le(h, i, &d, &min_le, &kind);
		lvdev_close(&d);
		if (r < 0) {
			char pre[300];

			/* The reason names the LV itself when it comes from its content. */
			snprintf(pre, sizeof(pre), "LV %s/%s ", vgname, lv->name);
			if (!strncmp(err_msg(r), pre, strlen(pre)))
				WHY("\n  %s/%s: %s (%s)", vgname, lv->name, err_msg(r) + strlen(pre),
				    size_fmt_human(a, lv->le_count * ext));
			else
				WHY("\n  %s/%s (%s): %s", vgname, lv->name,
				    size_fmt_human(a, lv->le_count * ext), err_msg(r));
			continue;
		}
		if (!min_le) {
			/* A resize2fs was cut off: the repair comes first, then its minimum counts. */
			WHY("\n  %s/%s: %" PRIu64 " extents = %s, tagged %s: its smallest size is "
			    "known after the repair", vgname, lv->name, lv->le_count,
			    size_fmt_human(a, lv->le_count * ext), RESIZE_MARK);
			min_le = 1;
		} else {
			WHY("\n  %s/%s: %" PRIu64 " extents = %s, its %s needs %" PRIu64 " = %s: can "
			    "give %" PRIu64 "%s", vgname, lv->name, lv->le_count,
			    size_fmt_human(a, lv->le_count * ext),
			    kind == FS_EXT ? "filesystem" : kind == FS_SWAP ? "swap area" : "btrfs",
			    min_le, size_fmt_human(b, min_le * ext),
			    lv->le_count > min_le ? lv->le_count - min_le : 0,
			    kind == FS_EXT ? "" : kind == FS_SWAP ?
			    " (swap is never chosen: name it with --lv)" :
			    " (btrfs is never chosen: name it with --lv)");
		}
		if (kind != FS_EXT || lv->le_count <= min_le)
			continue;
		c[n++] = (struct lv_give){ .lv = i, .give = lv->le_count - min_le };
		sum += lv->le_count - min_le;
		if (lv->le_count - min_le >= need && lv->le_count > best) {
			best = lv->le_count;
			chosen = (int)i;
		}
	}
	if (chosen >= 0) {
		snprintf(t->name, sizeof(t->name), "%s/%s", vgname, h->vg->lvs[chosen].name);
		t->lv = (unsigned)chosen;
		t->new_le = h->vg->lvs[chosen].le_count - need;
		snprintf(why, why_len, "the largest ext2/3/4 LV whose filesystem can give up %" PRIu64
			 " extents", need);
		r = 0;
	} else if (sum >= need) {
		uint64_t left = need;

		/* The fewest LVs: those that can give most first, the last one only what is left. */
		qsort(c, n, sizeof(*c), by_give);
		WHY("\nthese together free enough:");
		for (unsigned i = 0; i < n && left; i++) {
			const struct vg_lv *lv = &h->vg->lvs[c[i].lv];
			uint64_t g = c[i].give < left ? c[i].give : left;

			WHY(" --lv %s/%s=%s", vgname, lv->name, lv_size_arg(arg, (lv->le_count - g) * ext));
			left -= g;
		}
		r = err_set(E_REFUSED, "%" PRIu64 " extents must be freed and no LV can give them up "
			    "on its own; name the LVs to shrink with --lv VG/LV=SIZE (nothing was "
			    "changed)", need);
	} else {
		r = err_set(E_REFUSED, "%" PRIu64 " extents must be freed and the ext2/3/4 LVs can "
			    "give up %" PRIu64 " together: choose a larger --size, or make room in the "
			    "VG first (nothing was changed)", need, sum);
	}
#undef WHY
	free(c);
	vgh_close(h);
	return r;
}
