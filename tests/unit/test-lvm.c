// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The LVM2 reader against fixtures that real lvm2 wrote (tests/data, made by
 * make-fixtures.sh): label, mda header, ring-buffer text, the text tree and
 * the typed VG model, and every corruption lvm2 itself would reject.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#include "applets.h"
#include "lvm/cfg.h"
#include "lvm/crc.h"
#include "lvm/label.h"
#include "lvm/mda.h"
#include "lvm/pv.h"
#include "lvm/vg.h"
#include "util/endian.h"
#include "util/err.h"

/* A memfd holding buf: a region our readers can pread from. */
static struct region mem_region(const void *buf, size_t len)
{
	int fd = memfd_create("pv", MFD_CLOEXEC);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	return (struct region){ .fd = fd, .off = 0, .size = len, .name = "memfd" };
}

/* Replaces the first occurrence of from with to; the test fails if from is absent. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *out;

	if (!p) {
		test_fail(__FILE__, __LINE__, "fixture lacks \"%s\"", from);
		return strdup(s);
	}
	out = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	memcpy(out, s, (size_t)(p - s));
	strcpy(out + (p - s), to);
	strcat(out, p + strlen(from));
	return out;
}

/* The fixture's expectations, as lvm2 reported them. */
struct expect {
	uint64_t seqno, extent_size, pe_count, pe_start;
	char pv[64];
	unsigned n_segs;
	struct { char lv[64]; uint64_t le, len, pe; } seg[32];
};

static void expect_read(const char *name, struct expect *e)
{
	char *txt = fixture_read(name, NULL), *line, *save;

	memset(e, 0, sizeof(*e));
	for (line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "seqno %" SCNu64, &e->seqno) == 1 ||
		    sscanf(line, "extent_size %" SCNu64, &e->extent_size) == 1 ||
		    sscanf(line, "pe_count %" SCNu64, &e->pe_count) == 1 ||
		    sscanf(line, "pe_start %" SCNu64, &e->pe_start) == 1 ||
		    sscanf(line, "pv %63s", e->pv) == 1)
			continue;
		if (e->n_segs < 32 && sscanf(line, "seg %63s %" SCNu64 " %" SCNu64 " %" SCNu64,
					     e->seg[e->n_segs].lv, &e->seg[e->n_segs].le,
					     &e->seg[e->n_segs].len, &e->seg[e->n_segs].pe) == 4)
			e->n_segs++;
	}
	free(txt);
}

/* Reads a fixture PV image and assembles its VG; checks it against NAME.expect. */
static void check_pv_fixture(const char *img, const char *exp)
{
	struct expect e;
	size_t len;
	char *buf = fixture_read(img, &len);
	struct region r = mem_region(buf, len);
	struct pv_disk pd, *pds = &pd;
	struct vg *vg = NULL;

	expect_read(exp, &e);
	CHECK_INT(pv_disk_read(&r, &pd), 0);
	CHECK_STR(pd.label.uuid, e.pv);
	CHECK_U64(pd.label.data_offset, e.pe_start * 512);
	CHECK_INT(vg_assemble(&pds, 1, &vg), 0);
	if (vg) {
		CHECK_U64(vg->seqno, e.seqno);
		CHECK_U64(vg->extent_size, e.extent_size);
		CHECK_U64(vg->n_pvs, 1);
		CHECK_U64(vg->pvs[0].pe_count, e.pe_count);
		CHECK_U64(vg->pvs[0].pe_start, e.pe_start);
		CHECK_STR(vg->pvs[0].id, e.pv);
		CHECK(vg->refuse == NULL);
		for (unsigned i = 0; i < e.n_segs; i++) {
			int l = vg_find_lv(vg, e.seg[i].lv);
			bool found = false;

			CHECK(l >= 0);
			if (l < 0)
				continue;
			for (unsigned s = 0; s < vg->lvs[l].n_segs; s++) {
				const struct vg_seg *sg = &vg->lvs[l].segs[s];

				found |= sg->start_extent == e.seg[i].le &&
					 sg->extent_count == e.seg[i].len &&
					 sg->areas[0].pv == 0 && sg->areas[0].pe == e.seg[i].pe;
			}
			if (!found)
				test_fail(__FILE__, __LINE__, "%s: LV %s has no segment LE %" PRIu64
					  "+%" PRIu64 " at PE %" PRIu64, img, e.seg[i].lv,
					  e.seg[i].le, e.seg[i].len, e.seg[i].pe);
		}
		vg_free(vg);
	}
	pv_disk_clear(&pd);
	close(r.fd);
	free(buf);
}

TEST(fixture_frag_matches_lvm2)
{
	check_pv_fixture("frag.img", "frag.expect");
}

TEST(fixture_wrapped_ring_matches_lvm2)
{
	size_t len;
	char *buf = fixture_read("wrap.img", &len);
	struct pv_label l;
	struct mda_header h;

	/* The fixture must really wrap, or this test proves nothing. */
	CHECK_INT(pvlabel_decode((uint8_t *)buf, &l), 0);
	CHECK_INT(mda_header_decode((uint8_t *)buf + l.mda[0].offset, &l.mda[0], &h), 0);
	CHECK(h.slot[0].offset + h.slot[0].size > h.size);
	free(buf);
	check_pv_fixture("wrap.img", "wrap.expect");
}

TEST(label_round_trip_is_byte_exact)
{
	char *buf = fixture_read("frag.img", NULL);
	uint8_t sec[LABEL_SIZE];
	struct pv_label l;

	CHECK_INT(pvlabel_decode((uint8_t *)buf, &l), 0);
	CHECK_U64(l.sector, 1);
	CHECK_U64(l.n_mdas, 1);
	CHECK_U64(l.mda[0].offset, 4096);
	CHECK_U64(l.mda[0].size, 61440);
	CHECK_U64(l.ext_version, 2);
	CHECK_U64(l.ext_flags, PV_EXT_USED);
	CHECK_INT(pvlabel_encode(&l, sec), 0);
	CHECK(!memcmp(sec, buf + 512, LABEL_SIZE));
	free(buf);
}

TEST(label_corruptions)
{
	char *orig = fixture_read("frag.img", NULL);
	uint8_t buf[LABEL_SCAN_SIZE], sec[LABEL_SIZE];
	struct pv_label l;

	memcpy(buf, orig, sizeof(buf));
	buf[512 + 100] ^= 1;	/* inside the CRC'd range */
	err_clear();
	CHECK_INT(pvlabel_decode(buf, &l), -EBADMSG);
	CHECK_MSG("checksum");

	memcpy(buf, orig, sizeof(buf));
	buf[512 + 8] = 2;	/* sector_xl says 2, found in 1 */
	err_clear();
	CHECK_INT(pvlabel_decode(buf, &l), -EBADMSG);
	CHECK_MSG("claims to be at sector 2");

	memset(buf, 0, sizeof(buf));
	CHECK_INT(pvlabel_decode(buf, &l), -ENOENT);

	/* A label in sector 3 is found (pvcreate --labelsector 3). */
	memcpy(buf, orig, sizeof(buf));
	CHECK_INT(pvlabel_decode(buf, &l), 0);
	memset(buf + 512, 0, 512);
	l.sector = 3;
	CHECK_INT(pvlabel_encode(&l, sec), 0);
	memcpy(buf + 3 * 512, sec, 512);
	CHECK_INT(pvlabel_decode(buf, &l), 0);
	CHECK_U64(l.sector, 3);

	/* Unknown extension flags are refused, not ignored. */
	memcpy(buf, orig, sizeof(buf));
	CHECK_INT(pvlabel_decode(buf, &l), 0);
	l.ext_flags = 0x4;
	CHECK_INT(pvlabel_encode(&l, sec), 0);
	memcpy(buf + 512, sec, 512);
	err_clear();
	CHECK_INT(pvlabel_decode(buf, &l), -EOPNOTSUPP);
	CHECK_MSG("unknown flags");
	free(orig);
}

static void mda_resign(uint8_t *hdr)
{
	put_le32(hdr, crc_lvm(CRC_LVM_INIT, hdr + 4, MDA_HEADER_SIZE - 4));
}

TEST(mda_header_corruptions)
{
	char *orig = fixture_read("frag.img", NULL);
	struct disk_locn where = { 4096, 61440 };
	uint8_t h[MDA_HEADER_SIZE], enc[MDA_HEADER_SIZE];
	struct mda_header mh;

	memcpy(h, orig + 4096, sizeof(h));
	CHECK_INT(mda_header_decode(h, &where, &mh), 0);
	mda_header_encode(&mh, enc);
	CHECK(!memcmp(enc, h, sizeof(h)));

	h[100] ^= 0x40;
	err_clear();
	CHECK_INT(mda_header_decode(h, &where, &mh), -EBADMSG);
	CHECK_MSG("header checksum");

	memcpy(h, orig + 4096, sizeof(h));
	put_le64(h + 32, 4486007441326080ull);	/* the size lvm2 2.03.16 would accept */
	mda_resign(h);
	err_clear();
	CHECK_INT(mda_header_decode(h, &where, &mh), -EBADMSG);
	CHECK_MSG("disagrees with the label");

	memcpy(h, orig + 4096, sizeof(h));
	put_le64(h + 24, 8192);
	mda_resign(h);
	err_clear();
	CHECK_INT(mda_header_decode(h, &where, &mh), -EBADMSG);
	CHECK_MSG("starts at byte 8192");

	memcpy(h, orig + 4096, sizeof(h));
	h[5] = 'X';
	mda_resign(h);
	CHECK_INT(mda_header_decode(h, &where, &mh), -EBADMSG);

	memcpy(h, orig + 4096, sizeof(h));
	put_le32(h + 20, 2);
	mda_resign(h);
	CHECK_INT(mda_header_decode(h, &where, &mh), -EOPNOTSUPP);
	free(orig);
}

TEST(mda_text_checksum_and_bounds)
{
	size_t len;
	char *buf = fixture_read("frag.img", &len);
	struct disk_locn where = { 4096, 61440 };
	struct mda_header mh;
	struct region r;
	char *text;
	size_t tl;

	CHECK_INT(mda_header_decode((uint8_t *)buf + 4096, &where, &mh), 0);
	/* Flip one byte of the committed text: the checksum must catch it. */
	buf[4096 + mh.slot[0].offset + 10] ^= 1;
	r = mem_region(buf, len);
	err_clear();
	CHECK_INT(mda_read_text(&r, &mh, 0, &text, &tl), -EBADMSG);
	CHECK_MSG("text checksum");
	close(r.fd);

	mh.slot[0].size = 61440;	/* larger than the ring */
	r = mem_region(buf, len);
	CHECK_INT(mda_read_text(&r, &mh, 0, &text, &tl), -EBADMSG);
	mh.slot[0].offset = 100;	/* inside the header */
	CHECK_INT(mda_read_text(&r, &mh, 0, &text, &tl), -EBADMSG);
	memset(&mh.slot[0], 0, sizeof(mh.slot[0]));
	CHECK_INT(mda_read_text(&r, &mh, 0, &text, &tl), -ENOENT);
	close(r.fd);

	/* A truncated image: the text lies beyond the end. */
	CHECK_INT(mda_header_decode((uint8_t *)buf + 4096, &where, &mh), 0);
	r = mem_region(buf, 4096 + 1024);
	err_clear();
	CHECK_INT(mda_read_text(&r, &mh, 0, &text, &tl), -ENODATA);
	CHECK_MSG("truncated");
	close(r.fd);
	free(buf);
}

TEST(pv_image_reads_text_lvm2_dumped)
{
	size_t len, tlen;
	char *buf = fixture_read("frag.img", &len), *want = fixture_read("frag.txt", &tlen);
	struct region r = mem_region(buf, len);
	struct pv_disk pd;

	CHECK_INT(pv_disk_read(&r, &pd), 0);
	CHECK(pd.text[0] != NULL);
	if (pd.text[0]) {
		CHECK_U64(pd.text_len[0], tlen);
		CHECK(!strcmp(pd.text[0], want));
	}
	pv_disk_clear(&pd);
	close(r.fd);
	free(buf);
	free(want);
}

static void round_trip(const char *text)
{
	struct cfg_node *a = NULL, *b = NULL, *c = NULL;
	char *raw, *file, *raw2;

	err_clear();
	CHECK_INT(cfg_parse(text, strlen(text), &a), 0);
	if (!a)
		return;
	raw = cfg_print(a, CFG_STYLE_RAW, NULL);
	file = cfg_print(a, CFG_STYLE_FILE, NULL);
	CHECK_INT(cfg_parse(raw, strlen(raw), &b), 0);
	CHECK_INT(cfg_parse(file, strlen(file), &c), 0);
	CHECK(b && cfg_equal(a, b));
	CHECK(c && cfg_equal(a, c));
	raw2 = b ? cfg_print(b, CFG_STYLE_RAW, NULL) : NULL;
	CHECK(raw2 && !strcmp(raw, raw2));
	free(raw);
	free(raw2);
	free(file);
	cfg_free(a);
	cfg_free(b);
	cfg_free(c);
}

TEST(cfg_round_trip_fixtures)
{
	static const char *const names[] = { "frag.txt", "pvmove.txt" };

	for (size_t i = 0; i < 2; i++) {
		char *t = fixture_read(names[i], NULL);

		round_trip(t);
		free(t);
	}
	round_trip("a = \"quote \\\" and backslash \\\\\"\nb = 'single \\ raw'\nc = [1, -2, \"x\"]\n"
		   "d = []\ne = 1.5\n\"odd name\" {\nf = [ \"a\" \"b\" ]\n}\n");
}

TEST(cfg_keeps_unknown_keys_in_order)
{
	const char *t = "vg {\nzeta = 1\nalpha = \"x\"\nfuture_key = [\"y\", 2]\n}\n";
	struct cfg_node *root;
	char *out;

	CHECK_INT(cfg_parse(t, strlen(t), &root), 0);
	out = cfg_print(root, CFG_STYLE_RAW, NULL);
	CHECK_STR(out, "vg {\nzeta = 1\nalpha = \"x\"\nfuture_key = [\"y\", 2]\n}\n");
	free(out);
	cfg_free(root);
}

TEST(cfg_refuses_what_lvm2_reads_surprisingly)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "a = 010\n", "leading zero" },
		{ "a = 0x10\n", "malformed number" },
		{ "a = bare\n", "expected a number or a quoted string" },
		{ "a = [[1]]\n", "nested array" },
		{ "a = 1\na = 2\n", "duplicate key" },
		{ "a = \"open\n", "unterminated string" },
		{ "s {\na = 1\n", "missing '}'" },
		{ "}\n", "unexpected '}'" },
		{ "a 1\n", "expected '=' or '{'" },
		{ "a = [1, 2\n", "unterminated array" },
		{ "a = 99999999999999999999\n", "out of range" },
		{ "a =\n", "missing value" },
		{ "\"\" = 1\n", "empty name" },
		{ "a = 1.2.3\n", "malformed number" },
	};
	char deep[200] = "";
	struct cfg_node *root;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		root = NULL;
		if (cfg_parse(bad[i].text, strlen(bad[i].text), &root) != -EINVAL) {
			test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i].text);
			cfg_free(root);
			continue;
		}
		CHECK_MSG(bad[i].msg);
		CHECK_MSG("line ");
	}
	for (int i = 0; i < 40; i++)
		strcat(deep, "a{");
	CHECK_INT(cfg_parse(deep, strlen(deep), &root), -EINVAL);
	CHECK_MSG("nested too deeply");
	/* Text after a NUL is not metadata (lvm2 stops there too). */
	CHECK_INT(cfg_parse("a = 1\n\0garbage {", 16, &root), 0);
	cfg_free(root);
}

static void vg_bad(const char *from, const char *to, int want, const char *msg)
{
	char *t = fixture_read("frag.txt", NULL), *m = replace(t, from, to);
	struct vg *vg = NULL;

	err_clear();
	CHECK_INT(vg_from_text(m, strlen(m), &vg), want);
	if (want == 0 && vg) {
		if (!vg->refuse || !strstr(vg->refuse, msg))
			test_fail(__FILE__, __LINE__, "%s -> %s: refuse is \"%s\", wanted \"%s\"",
				  from, to, vg->refuse ? vg->refuse : "(null)", msg);
	} else if (want) {
		if (!strstr(err_msg(want), msg))
			test_fail(__FILE__, __LINE__, "%s -> %s: message \"%s\" lacks \"%s\"", from,
				  to, err_msg(want), msg);
	}
	vg_free(vg);
	free(m);
	free(t);
}

TEST(vg_rejects_what_lvm2_rejects)
{
	/* lv-swap sits on PEs 5-6; move it onto lvroot's PE 4. */
	vg_bad("\"pv0\", 5", "\"pv0\", 4", -EBADMSG, "used twice");
	vg_bad("pe_count = 15", "pe_count = 6", -EBADMSG, "which has only 6");
	vg_bad("\"VISIBLE\"", "\"VISIBLX\"", -EBADMSG, "unknown status word \"VISIBLX\"");
	vg_bad("segment_count = 2", "segment_count = 3", -EBADMSG, "segment_count is 3");
	vg_bad("start_extent = 5", "start_extent = 6", -EBADMSG, "should begin at LE 5");
	vg_bad("contents = \"Text Format Volume Group\"", "contents = \"x\"", -EBADMSG,
	       "not LVM2 metadata");
	vg_bad("version = 1", "version = 2", -EBADMSG, "version is not 1");
	vg_bad("seqno = 6", "seqno = 4294967296", -EBADMSG, "out of range");
	vg_bad("stripe_count = 1", "stripe_count = 2", -EBADMSG, "do not divide");
	vg_bad("extent_size = 2048", "extent_size = 0", -EBADMSG, "extent_size");
	vg_bad("pe_start = 128", "pe_start = -1", -EBADMSG, "pe_start");
}

TEST(vg_refuses_to_change_what_it_does_not_handle)
{
	char *t = fixture_read("pvmove.txt", NULL);
	struct vg *vg = NULL;

	vg_bad("type = \"striped\"", "type = \"thin-pool\"", 0, "\"thin-pool\"");
	vg_bad("type = \"striped\"", "type = \"raid1\"", 0, "\"raid1\"");
	vg_bad("flags = []\nextent_size", "flags = [\"NEW_FLAG\"]\nextent_size", 0,
	       "\"NEW_FLAG\", which shrinkbox does not know");
	vg_bad("max_lv = 0", "max_lv = 0\nlock_type = \"sanlock\"", 0, "lock_type");
	vg_bad("max_lv = 0", "max_lv = 0\nsystem_id = \"otherhost\"", 0, "system_id");
	vg_bad("\"ALLOCATABLE\"", "\"ALLOCATABLE\", \"MISSING\"", 0, "MISSING");

	/* A real interrupted pvmove, as lvm2 left it. */
	CHECK_INT(vg_from_text(t, strlen(t), &vg), 0);
	CHECK(vg && vg->refuse && strstr(vg->refuse, "pvmove --abort"));
	vg_free(vg);
	free(t);
}

TEST(vg_copies_that_disagree_at_one_seqno)
{
	size_t len;
	char *a = fixture_read("frag.img", &len), *b = malloc(len);
	struct disk_locn where = { 4096, 61440 };
	struct region ra, rb;
	struct pv_disk pa, pb, *both[2] = { &pa, &pb };
	struct mda_header mh;
	struct vg *vg = NULL;
	uint64_t off;

	/* The second copy: same seqno, one character of the description changed. */
	memcpy(b, a, len);
	CHECK_INT(mda_header_decode((uint8_t *)b + 4096, &where, &mh), 0);
	off = 4096 + mh.slot[0].offset;
	{
		char *d = strstr(b + off, "Write from");

		CHECK(d != NULL);
		if (d)
			d[0] = 'w';
	}
	mh.slot[0].checksum = crc_lvm(CRC_LVM_INIT, b + off, mh.slot[0].size);
	mda_header_encode(&mh, (uint8_t *)b + 4096);
	ra = mem_region(a, len);
	rb = mem_region(b, len);
	CHECK_INT(pv_disk_read(&ra, &pa), 0);
	CHECK_INT(pv_disk_read(&rb, &pb), 0);
	err_clear();
	CHECK_INT(vg_assemble(both, 2, &vg), -EBADMSG);
	CHECK_MSG("disagree at seqno 6");
	/* The same copy twice is fine. */
	both[1] = &pa;
	CHECK_INT(vg_assemble(both, 2, &vg), 0);
	vg_free(vg);
	pv_disk_clear(&pa);
	pv_disk_clear(&pb);
	close(ra.fd);
	close(rb.fd);
	free(a);
	free(b);
}

TEST(vg_pv_map_has_every_extent_once)
{
	char *t = fixture_read("frag.txt", NULL);
	struct vg *vg = NULL;
	struct pv_seg *map = NULL;
	size_t n;
	uint64_t pe = 0;

	CHECK_INT(vg_from_text(t, strlen(t), &vg), 0);
	CHECK_INT(vg_pv_map(vg, 0, &map, &n), 0);
	/* lvroot 0-4, lv-swap 5-6, lvroot 7, free 8-14 */
	CHECK_U64(n, 4);
	for (size_t i = 0; i < n; i++) {
		CHECK_U64(map[i].pe, pe);
		pe += map[i].len;
	}
	CHECK_U64(pe, 15);
	CHECK_INT(map[3].lv, -1);
	CHECK_U64(vg_pv_used(vg, 0), 8);
	free(map);
	vg_free(vg);
	free(t);
}

TEST(names_and_uuids)
{
	char dash[LVM_UUID_LEN + 7];

	CHECK(lvm_name_valid("lv-swap_1.x+"));
	CHECK(!lvm_name_valid("-lead"));
	CHECK(!lvm_name_valid(".."));
	CHECK(!lvm_name_valid("a b"));
	CHECK(!lvm_name_valid(""));
	uuid_add_dashes("9sfOwlBUlAfQDZGWNK4ad9PZa6jlbyLI", dash);
	CHECK_STR(dash, "9sfOwl-BUlA-fQDZ-GWNK-4ad9-PZa6-jlbyLI");
	CHECK_INT(lvm_uuid_check("ab#!09", 6), 0);
	CHECK_INT(lvm_uuid_check("ab-", 3), -EINVAL);
}

TEST(applets_sorted_and_unique)
{
	for (unsigned i = 1; i < n_applets; i++)
		CHECK(strcmp(applets[i - 1].name, applets[i].name) < 0);
	CHECK(applet_find("status") != NULL);
	CHECK(applet_find("nope") == NULL);
}
