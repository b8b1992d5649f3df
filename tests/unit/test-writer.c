// SPDX-License-Identifier: GPL-2.0-or-later
/* The writer's pure parts: ring placement (ondisk.md 2.4) and metadata edits. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "lvm/edit.h"
#include "lvm/ring.h"
#include "util/err.h"

static struct mda_header ring(uint64_t size, uint64_t off, uint64_t len)
{
	struct mda_header h = { .start = 4096, .size = size, .version = 1 };

	h.slot[0].offset = off;
	h.slot[0].size = len;
	return h;
}

TEST(ring_follows_lvm2_sequence)
{
	/* Observed with lvm2 on an mda of 61440 bytes (ondisk.md 2.4). */
	struct mda_header h = ring(61440, 0, 0);
	uint64_t off;

	CHECK_INT(mda_next_offset(&h, 900, &off), 0);
	CHECK_U64(off, 512);				/* empty: the start of the buffer */
	h = ring(61440, 512, 1000);
	CHECK_INT(mda_next_offset(&h, 1000, &off), 0);
	CHECK_U64(off, 1536);				/* 512 + 1000, rounded up to 512 */
	h = ring(61440, 1536, 1024);
	CHECK_INT(mda_next_offset(&h, 1000, &off), 0);
	CHECK_U64(off, 2560);				/* exactly at the end: no padding gap */
	/* The wrapped copy lvm2 wrote: 2702 bytes at 59392, 654 of them at 512. */
	h = ring(61440, 57344, 2000);
	CHECK_INT(mda_next_offset(&h, 2702, &off), 0);
	CHECK_U64(off, 59392);
	h = ring(61440, 59392, 2702);
	CHECK_INT(mda_next_offset(&h, 2702, &off), 0);
	CHECK_U64(off, 1536);				/* 512 + 654, rounded up */
}

TEST(ring_wraps_to_start_when_little_is_left)
{
	struct mda_header h = ring(61440, 60000, 1000);	/* ends 439 bytes before S... */
	uint64_t off;

	CHECK_INT(mda_next_offset(&h, 800, &off), 0);
	CHECK_U64(off, 512);				/* ...fewer than 512 left */
	h = ring(61440, 512, 60000);			/* an old copy filling the ring */
	err_clear();
	CHECK_INT(mda_next_offset(&h, 800, &off), -ENOSPC);
	CHECK_MSG("would overwrite the committed copy");
}

TEST(ring_refuses_what_does_not_fit)
{
	struct mda_header h = ring(61440, 512, 1000);
	uint64_t off;

	CHECK_U64(mda_max_text(61440), 29952);		/* (S - 512) / 2 - 512 */
	CHECK_U64(mda_max_text(1044480), 521472);	/* the default mda, ondisk.md 2.4 */
	err_clear();
	CHECK_INT(mda_next_offset(&h, 29953, &off), -ENOSPC);
	CHECK_MSG("does not fit");
	CHECK_INT(mda_next_offset(&h, 29952, &off), 0);
	CHECK_INT(mda_next_offset(&h, 0, &off), -ENOSPC);
	/* Ignored mdas are treated as empty (their stale slot is not respected). */
	h.slot[0].flags = RAW_LOCN_IGNORED;
	CHECK_INT(mda_next_offset(&h, 800, &off), 0);
	CHECK_U64(off, 512);
}

TEST(ring_never_overlaps_the_committed_copy)
{
	/* A big old copy that wraps: any new start must avoid it, for every size that fits. */
	for (uint64_t old_off = 512; old_off < 61440; old_off += 512 * 7) {
		for (uint64_t len = 1; len <= mda_max_text(61440); len += 997) {
			struct mda_header h = ring(61440, old_off, 29000);
			uint64_t off, a0, a1, b0 = old_off, b1 = old_off + 29000;

			if (mda_next_offset(&h, len, &off) < 0)
				continue;
			CHECK(off >= 512 && off < 61440 && off % 512 == 0);
			/* Compare in the unrolled ring (length S - 512, offsets shifted by 512). */
			a0 = off - 512;
			a1 = a0 + len;
			b0 -= 512;
			b1 -= 512;
			for (int k = -1; k <= 1; k++) {
				int64_t s = k * (int64_t)(61440 - 512);

				if ((int64_t)a0 < (int64_t)b1 + s && (int64_t)b0 + s < (int64_t)a1)
					test_fail(__FILE__, __LINE__, "old %lu+29000, new %lu+%lu overlap",
						  (unsigned long)old_off, (unsigned long)off,
						  (unsigned long)len);
			}
		}
	}
}

static struct vg *frag(void)
{
	char *t = fixture_read("frag.txt", NULL);
	struct vg *vg = NULL;

	CHECK_INT(vg_from_text(t, strlen(t), &vg), 0);
	free(t);
	return vg;
}

TEST(edit_lv_grow_contiguous_then_lowest_free)
{
	/* frag: lvroot PE 0-4 + 7, lv-swap 5-6, free 8-14. */
	struct vg *vg = frag();
	int l;

	if (!vg)
		return;
	l = vg_find_lv(vg, "lvroot");
	CHECK_INT(vg_lv_resize(vg, (unsigned)l, 9), 0);
	CHECK_INT(vg_refresh(&vg), 0);
	l = vg_find_lv(vg, "lvroot");
	CHECK_U64(vg->lvs[l].le_count, 9);
	CHECK_U64(vg->lvs[l].n_segs, 2);		/* the PE 7 segment grew in place to 7-10 */
	CHECK_U64(vg->lvs[l].segs[1].extent_count, 4);
	CHECK_U64(vg->lvs[l].segs[1].areas[0].pe, 7);
	CHECK_INT(vg_lv_resize(vg, (unsigned)l, 30), -ENOSPC);
	CHECK_MSG("has only 4 free");
	vg_free(vg);
}

TEST(edit_lv_shrink_cuts_segments)
{
	struct vg *vg = frag();
	char *text;
	int l;

	if (!vg)
		return;
	l = vg_find_lv(vg, "lvroot");
	CHECK_INT(vg_lv_resize(vg, (unsigned)l, 3), 0);
	CHECK_INT(vg_refresh(&vg), 0);
	l = vg_find_lv(vg, "lvroot");
	CHECK_U64(vg->lvs[l].le_count, 3);
	CHECK_U64(vg->lvs[l].n_segs, 1);
	text = cfg_print(vg->root, CFG_STYLE_RAW, NULL);
	CHECK(strstr(text, "segment_count = 1\n") != NULL);
	CHECK(strstr(text, "segment2") == NULL || strstr(text, "lv-swap") < strstr(text, "segment2"));
	free(text);
	CHECK_U64(vg_pv_used(vg, 0), 5);
	CHECK_INT(vg_lv_resize(vg, (unsigned)l, 0), -EINVAL);
	vg_free(vg);
}

TEST(edit_pv_allocated_beyond_names_the_lvs)
{
	struct vg *vg = frag();
	char msg[256];

	if (!vg)
		return;
	CHECK_U64(vg_pv_allocated_beyond(vg, 0, 6, msg, sizeof(msg)), 2);
	CHECK_STR(msg, "lv-swap PE 6-6, lvroot PE 7-7");
	CHECK_U64(vg_pv_allocated_beyond(vg, 0, 8, msg, sizeof(msg)), 0);
	CHECK_INT(vg_set_pv_size(vg, 0, 20000, 8), 0);
	CHECK_INT(vg_refresh(&vg), 0);
	CHECK_U64(vg->pvs[0].pe_count, 8);
	CHECK_U64(vg->pvs[0].dev_size, 20000);
	CHECK_INT(vg_set_pv_size(vg, 0, 20000, 7), 0);
	err_clear();
	CHECK_INT(vg_refresh(&vg), -EBADMSG);		/* lvroot's PE 7 would be cut off */
	CHECK_MSG("which has only 7");
	vg_free(vg);
}

TEST(edit_lv_tags_set_and_removed_as_lvm2_prints_them)
{
	struct vg *vg = frag();
	char *orig, *text, *p;
	int l;

	if (!vg)
		return;
	orig = cfg_print(vg->root, CFG_STYLE_RAW, NULL);
	l = vg_find_lv(vg, "lvroot");
	CHECK(!vg_lv_has_tag(vg, (unsigned)l, "a"));
	CHECK_INT(vg_lv_tag(vg, (unsigned)l, "a", true), 0);
	CHECK_INT(vg_lv_tag(vg, (unsigned)l, "a", true), 0);	/* a set: no second copy */
	CHECK_INT(vg_lv_tag(vg, (unsigned)l, "b.c", true), 0);
	CHECK_INT(vg_refresh(&vg), 0);
	l = vg_find_lv(vg, "lvroot");
	CHECK(vg_lv_has_tag(vg, (unsigned)l, "a") && vg_lv_has_tag(vg, (unsigned)l, "b.c"));
	CHECK(!vg_lv_has_tag(vg, (unsigned)vg_find_lv(vg, "lv-swap"), "a"));
	text = cfg_print(vg->root, CFG_STYLE_RAW, NULL);
	/* Right after the LV's flags, as lvm2's export.c writes it. */
	p = text ? strstr(text, "tags = [\"a\", \"b.c\"]\n") : NULL;
	CHECK(p != NULL);
	CHECK(p && p > strstr(text, "lvroot {") && !strncmp(p - 11, "flags = []\n", 11));
	free(text);
	CHECK_INT(vg_lv_tag(vg, (unsigned)l, "a", false), 0);
	CHECK_INT(vg_lv_tag(vg, (unsigned)l, "nothere", false), 0);
	CHECK_INT(vg_lv_tag(vg, (unsigned)l, "b.c", false), 0);	/* the key goes with the last */
	text = cfg_print(vg->root, CFG_STYLE_RAW, NULL);
	CHECK(text && orig && !strcmp(text, orig));
	free(text);
	free(orig);
	vg_free(vg);
}

TEST(edit_lv_tags_refuses_a_tags_key_that_is_no_list)
{
	char *t = fixture_read("frag.txt", NULL), *p, *q;
	struct vg *vg = NULL;
	size_t off;

	/* tags = 5 in lvroot: not lvm2's form; neither read as a tag nor edited. */
	p = strstr(t, "lvroot {");
	q = p ? strstr(p, "flags = []") : NULL;
	if (!q) {
		CHECK(q != NULL);
		free(t);
		return;
	}
	off = (size_t)(q - t);
	p = realloc(t, strlen(t) + 16);
	if (!p) {
		free(t);
		return;
	}
	t = p;
	memmove(t + off + 9, t + off, strlen(t + off) + 1);
	memcpy(t + off, "tags = 5\n", 9);
	CHECK_INT(vg_from_text(t, strlen(t), &vg), 0);
	free(t);
	if (!vg)
		return;
	CHECK(!vg_lv_has_tag(vg, (unsigned)vg_find_lv(vg, "lvroot"), "5"));
	err_clear();
	CHECK_INT(vg_lv_tag(vg, (unsigned)vg_find_lv(vg, "lvroot"), "x", true), -EINVAL);
	CHECK_MSG("not a list of strings");
	vg_free(vg);
}
