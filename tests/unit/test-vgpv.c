// SPDX-License-Identifier: GPL-2.0-or-later
/* vgextend and vgreduce on the metadata model: vg_add_pv, vg_remove_pv (migrate). */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "../../src/lvm/edit.h"
#include "../../src/lvm/vg.h"
#include "../../src/plan/defrag.h"
#include "../../src/util/err.h"

#define NEW_UUID "abcdefghijklmnopqrstuvwxyz012345"

static struct vg *frag_vg(void)
{
	char *t = fixture_read("frag.txt", NULL);
	struct vg *vg = NULL;

	CHECK_INT(vg_from_text(t, strlen(t), &vg), 0);
	free(t);
	return vg;
}

/* Prints the model, parses the text again, and checks the trees are equal. */
static void check_round_trip(const struct vg *vg)
{
	size_t len;
	char *text = cfg_print(vg->root, CFG_STYLE_RAW, &len);
	struct vg *back = NULL;

	CHECK(text != NULL);
	if (!text)
		return;
	CHECK_INT(vg_from_text(text, len, &back), 0);
	if (back) {
		CHECK(cfg_equal(back->root, vg->root));
		CHECK(back->refuse == NULL);
		vg_free(back);
	}
	free(text);
}

TEST(vgpv_add_as_vgextend_writes_it)
{
	struct vg *vg = frag_vg();
	const struct cfg_node *st;
	const char *s;
	uint64_t v;
	int p;

	if (!vg)
		return;
	CHECK_INT(vg_add_pv(&vg, NEW_UUID, "/dev/mapper/luks-x", 40960, 2048, 19), 0);
	CHECK_INT(vg->n_pvs, 2);
	p = vg_find_pv(vg, NEW_UUID);
	CHECK_INT(p, 1);
	if (p != 1) {
		vg_free(vg);
		return;
	}
	CHECK_STR(vg->pvs[1].handle, "pv1");
	CHECK_STR(vg->pvs[1].device, "/dev/mapper/luks-x");
	CHECK_U64(vg->pvs[1].pe_count, 19);
	CHECK_U64(vg->pvs[1].pe_start, 2048);
	CHECK_U64(vg->pvs[1].dev_size, 40960);
	CHECK(vg->pvs[1].status & PV_ALLOCATABLE);
	CHECK_U64(vg_pv_used(vg, 1), 0);
	/* lvm2's key order: id, device, status, flags, dev_size, pe_start, pe_count */
	st = vg->pvs[1].node->child;
	CHECK_STR(st->key, "id");
	CHECK_STR(st->next->key, "device");
	CHECK_STR(st->next->next->key, "status");
	CHECK_STR(st->next->next->next->key, "flags");
	CHECK_INT(cfg_get_str(vg->pvs[1].node, "id", &s), 0);
	CHECK_STR(s, "abcdef-ghij-klmn-opqr-stuv-wxyz-012345");
	CHECK_INT(cfg_get_u64(vg->pvs[1].node, "pe_count", &v), 0);
	CHECK_U64(v, 19);
	check_round_trip(vg);
	vg_free(vg);
}

TEST(vgpv_add_refuses_duplicates_and_misfits)
{
	struct vg *vg = frag_vg();

	if (!vg)
		return;
	CHECK_INT(vg_add_pv(&vg, "3o4xQSpBCtAnI377SROUIa8TwyFrE842", NULL, 40960, 2048, 19),
		  -EEXIST);
	/* 20 extents of 2048 sectors from 2048 need 43008 sectors */
	CHECK_INT(vg_add_pv(&vg, NEW_UUID, NULL, 40960, 2048, 20), -EINVAL);
	CHECK_INT(vg_add_pv(&vg, "abcdefghijklmnopqrstuvwxyz01234-", NULL, 40960, 2048, 19),
		  -EINVAL);
	CHECK_INT(vg->n_pvs, 1);
	vg_free(vg);
}

TEST(vgpv_remove_refuses_used_and_last)
{
	struct vg *vg = frag_vg();

	if (!vg)
		return;
	CHECK_INT(vg_remove_pv(&vg, 0), E_REFUSED);
	CHECK_MSG("last PV");
	CHECK_INT(vg_add_pv(&vg, NEW_UUID, "/dev/x", 40960, 2048, 19), 0);
	CHECK_INT(vg_remove_pv(&vg, 0), E_REFUSED);
	CHECK_MSG("still holds 8 allocated extents");
	CHECK_INT(vg->n_pvs, 2);
	vg_free(vg);
}

TEST(vgpv_add_then_remove_is_the_original)
{
	struct vg *vg = frag_vg(), *orig = frag_vg();

	if (!vg || !orig) {
		vg_free(vg);
		vg_free(orig);
		return;
	}
	CHECK_INT(vg_add_pv(&vg, NEW_UUID, "/dev/x", 40960, 2048, 19), 0);
	CHECK_INT(vg_remove_pv(&vg, 1), 0);
	CHECK_INT(vg->n_pvs, 1);
	CHECK(cfg_equal(vg->root, orig->root));
	vg_free(vg);
	vg_free(orig);
}

/* The whole migrate on the model: extend, move every extent with the defrag planner, reduce. */
TEST(vgpv_migrate_renumbers_the_stripes)
{
	struct vg *vg = frag_vg();
	struct defrag_plan p = { 0 };
	uint64_t used;

	if (!vg)
		return;
	used = vg_pv_used(vg, 0);
	CHECK_INT(vg_add_pv(&vg, NEW_UUID, "/dev/x", 40960, 2048, 19), 0);
	CHECK_INT(defrag_plan(vg, 0, UINT64_MAX, 1, 0, &p), 0);
	CHECK_U64(p.moved, used);
	for (size_t i = 0; i < p.n; i++)
		CHECK_INT(vg_lv_remap(&vg, p.moves[i].lv, p.moves[i].le, p.moves[i].len,
				      p.moves[i].to_pv, p.moves[i].to_pe), 0);
	defrag_plan_clear(&p);
	CHECK_U64(vg_pv_used(vg, 0), 0);
	CHECK_U64(vg_pv_used(vg, 1), used);
	CHECK_INT(vg_remove_pv(&vg, 0), 0);
	CHECK_INT(vg->n_pvs, 1);
	CHECK_STR(vg->pvs[0].handle, "pv0");
	CHECK_STR(vg->pvs[0].id, NEW_UUID);
	CHECK_U64(vg_pv_used(vg, 0), used);
	for (unsigned l = 0; l < vg->n_lvs; l++)
		for (unsigned s = 0; s < vg->lvs[l].n_segs; s++)
			CHECK_INT(vg->lvs[l].segs[s].areas[0].pv, 0);
	check_round_trip(vg);
	vg_free(vg);
}
