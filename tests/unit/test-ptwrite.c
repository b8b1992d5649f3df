// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The partition-table write order (src/layer/ptwrite.c, docs/ptwrite.md) on
 * image files: every prefix of the logged writes is a GPT the kernel accepts
 * (the checks of block/partitions/efi.c, written again here) naming the old or
 * the new size; a cut after the commit converges on the next write, byte for
 * byte; no room for the staging copy refuses with nothing written; a dos
 * logical partition is one single-sector write.
 */
#include <errno.h>
#include <libfdisk.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "layer/part.h"
#include "layer/ptwrite.h"
#include "lvm/crc.h"
#include "util/endian.h"
#include "util/err.h"

#define SS 512
#define IMG_BYTES (8u << 20)

struct wr {
	uint64_t off;
	size_t len;
	uint8_t *data;
	bool flush;		/* a flush line, no data */
};

static char *tmp_path(const char *tag)
{
	static char p[4][128];
	static unsigned k;
	int fd;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "/tmp/sb-ptwrite-%s.XXXXXX", tag);
	fd = mkstemp(p[k]);
	if (fd >= 0)
		close(fd);
	return p[k];
}

static int mkimg(const char *path, const char *script)
{
	struct fdisk_context *cxt = fdisk_new_context();
	struct fdisk_script *dp = NULL;
	FILE *f = fmemopen((void *)script, strlen(script), "r");
	int r = -ENOMEM;

	if (truncate(path, 0) < 0 || truncate(path, IMG_BYTES) < 0)
		r = -errno;
	else if (cxt && f && (r = fdisk_assign_device(cxt, path, 0)) == 0 &&
		 (dp = fdisk_new_script(cxt)) && (r = fdisk_script_read_file(dp, f)) == 0 &&
		 (r = fdisk_apply_script(cxt, dp)) == 0 && (r = fdisk_write_disklabel(cxt)) == 0)
		r = fdisk_deassign_device(cxt, 0);
	if (f)
		fclose(f);
	fdisk_unref_script(dp);
	fdisk_unref_context(cxt);
	return r;
}

static uint8_t *slurp(const char *path)
{
	uint8_t *b = calloc(1, IMG_BYTES);
	FILE *f = fopen(path, "rb");

	if (!b || !f || fread(b, 1, IMG_BYTES, f) != IMG_BYTES)
		abort();
	fclose(f);
	return b;
}

static void spill(const char *path, const uint8_t *b)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(b, 1, IMG_BYTES, f) != IMG_BYTES)
		abort();
	fclose(f);
}

static size_t read_log(const char *path, struct wr *w, size_t cap)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t n = 0, sz = 0;

	if (!f)
		return 0;
	while (n < cap && getline(&line, &sz, f) > 0) {
		unsigned long long off;
		size_t len;
		int pos;

		memset(&w[n], 0, sizeof(w[n]));
		if (line[0] == 'F') {
			w[n++].flush = true;
			continue;
		}
		if (sscanf(line, "W %llu %zu %n", &off, &len, &pos) != 2)
			continue;
		w[n].off = off;
		w[n].len = len;
		w[n].data = malloc(len);
		for (size_t i = 0; i < len; i++)
			sscanf(line + pos + 2 * i, "%2hhx", &w[n].data[i]);
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

static void free_log(struct wr *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].data);
}

static uint32_t efi_crc(const void *b, size_t len)
{
	return crc_lvm(0xffffffffu, b, len) ^ 0xffffffffu;
}

/*
 * is_pmbr_valid() + is_gpt_valid() of block/partitions/efi.c on the primary:
 * returns the size of partition partno (0 with *ok false when rejected).
 */
static uint64_t kernel_gpt_size(const uint8_t *img, unsigned partno, bool *ok)
{
	const uint8_t *h = img + SS, *e;
	uint8_t hdr[SS];
	uint32_t hsz = get_le32(h + 12), crc;
	uint64_t last = IMG_BYTES / SS - 1, lba;
	bool pmbr = false;

	*ok = false;
	for (int i = 0; i < 4; i++)
		pmbr |= img[446 + 16 * i + 4] == 0xee && get_le32(img + 446 + 16 * i + 8) == 1;
	if (!pmbr || get_le16(img + 510) != 0xaa55 || memcmp(h, "EFI PART", 8) || hsz < 92 ||
	    hsz > SS)
		return 0;
	memcpy(hdr, h, SS);
	crc = get_le32(hdr + 16);
	put_le32(hdr + 16, 0);
	if (efi_crc(hdr, hsz) != crc || get_le64(h + 24) != 1 || get_le64(h + 40) > last ||
	    get_le64(h + 48) > last || get_le32(h + 84) != 128)
		return 0;
	lba = get_le64(h + 72);
	if (lba * SS + get_le32(h + 80) * 128ull > IMG_BYTES ||
	    efi_crc(img + lba * SS, get_le32(h + 80) * 128ull) != get_le32(h + 88))
		return 0;
	*ok = true;
	e = img + lba * SS + (partno - 1) * 128;
	return get_le64(e + 40) - get_le64(e + 32) + 1;
}

static void apply(uint8_t *img, const struct wr *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!w[i].flush)
			memcpy(img + w[i].off, w[i].data, w[i].len);
}

static const char gpt_script[] = "label: gpt\n,2MiB,L\n,2MiB,L\n,,L\n";

/* One logged part_set_size(); base and final images returned (malloc'd). */
static size_t logged_shrink(const char *img, struct wr *w, size_t cap, uint8_t **base,
			    uint8_t **fin, int *rc)
{
	char *log = tmp_path("log");
	size_t n;

	*base = slurp(img);
	setenv("SHRINKBOX_TEST_WRITELOG", log, 1);
	*rc = part_set_size(img, 1, 2048);
	unsetenv("SHRINKBOX_TEST_WRITELOG");
	*fin = slurp(img);
	n = read_log(log, w, cap);
	unlink(log);
	return n;
}

TEST(ptwrite_gpt_every_prefix_is_accepted)
{
	char *img = tmp_path("img");
	struct wr w[64];
	uint8_t *base, *fin, *st;
	size_t n, writes = 0, flushes = 0;
	bool ok, staged = false;
	int rc;

	CHECK_INT(mkimg(img, gpt_script), 0);
	n = logged_shrink(img, w, 64, &base, &fin, &rc);
	CHECK_INT(rc, 0);
	CHECK(kernel_gpt_size(fin, 1, &ok) == 2048 && ok);
	st = malloc(IMG_BYTES);
	for (size_t k = 0; k <= n; k++) {
		uint64_t sz;

		memcpy(st, base, IMG_BYTES);
		apply(st, w, k);
		sz = kernel_gpt_size(st, 1, &ok);
		if (!ok || (sz != 4096 && sz != 2048))
			test_fail(__FILE__, __LINE__, "after %zu of %zu log lines: kernel %s, "
				  "size %" PRIu64, k, n, ok ? "accepts" : "rejects", sz);
		if (k < n && w[k].flush)
			flushes++;
		else if (k < n)
			writes++;
		/* A header write is one sector; the commit points the header at the slot. */
		if (k < n && !w[k].flush && w[k].off == SS) {
			CHECK_U64(w[k].len, SS);
			staged |= get_le64(w[k].data + 72) != 2;
		}
	}
	CHECK(staged);
	CHECK(writes >= 5 && flushes >= 5);
	/* The whole log is the final image; the header is home again, the slot zero. */
	memcpy(st, base, IMG_BYTES);
	apply(st, w, n);
	CHECK(!memcmp(st, fin, IMG_BYTES));
	CHECK_U64(get_le64(fin + SS + 72), 2);
	for (size_t i = 2016 * SS; i < 2048 * SS; i++)
		if (fin[i]) {
			test_fail(__FILE__, __LINE__, "staging slot byte %zu is not zero", i);
			break;
		}
	free(st);
	free(base);
	free(fin);
	free_log(w, n);
	unlink(img);
}

TEST(ptwrite_gpt_cut_after_commit_converges)
{
	char *img = tmp_path("img"), *img2 = tmp_path("img");
	struct wr w[64];
	uint8_t *base, *fin, *st, *again;
	struct part_table pt;
	size_t n, k;
	bool ok;
	int rc;

	CHECK_INT(mkimg(img, gpt_script), 0);
	n = logged_shrink(img, w, 64, &base, &fin, &rc);
	CHECK_INT(rc, 0);
	/* Through the flush after the first header write: the header points at the slot. */
	for (k = 0; k < n && !(!w[k].flush && w[k].off == SS); k++)
		;
	CHECK(k + 1 < n && w[k + 1].flush);
	st = malloc(IMG_BYTES);
	memcpy(st, base, IMG_BYTES);
	apply(st, w, k + 2);
	CHECK(kernel_gpt_size(st, 1, &ok) == 2048 && ok);
	CHECK(get_le64(st + SS + 72) != 2);
	spill(img2, st);
	CHECK_INT(part_table_read(img2, &pt), 0);
	CHECK(pt.needs_write);
	CHECK_U64(part_table_find(&pt, 1) ? part_table_find(&pt, 1)->size : 0, 2048);
	part_table_clear(&pt);
	CHECK_INT(part_set_size(img2, 1, 2048), 0);
	again = slurp(img2);
	CHECK(!memcmp(again, fin, IMG_BYTES));
	CHECK_INT(part_table_read(img2, &pt), 0);
	CHECK(!pt.needs_write);
	part_table_clear(&pt);
	free(again);
	free(st);
	free(base);
	free(fin);
	free_log(w, n);
	unlink(img);
	unlink(img2);
}

TEST(ptwrite_gpt_no_staging_room_refuses_unchanged)
{
	char *img = tmp_path("img");
	uint8_t *before, *after;
	int rc;

	CHECK_INT(mkimg(img, gpt_script), 0);
	before = slurp(img);
	/* Someone else's bytes in both slots: before the first usable LBA and after the array. */
	memset(before + 2016 * SS, 0xa5, 32 * SS);
	memset(before + 34 * SS, 0x5a, 32 * SS);
	spill(img, before);
	err_clear();
	rc = part_set_size(img, 1, 2048);
	CHECK_INT(rc, E_REFUSED);
	CHECK_MSG("no room to stage");
	after = slurp(img);
	CHECK(!memcmp(before, after, IMG_BYTES));
	/* One slot free is enough. */
	memset(before + 34 * SS, 0, 32 * SS);
	spill(img, before);
	CHECK_INT(part_set_size(img, 1, 2048), 0);
	free(after);
	after = slurp(img);
	CHECK(!memcmp(before + 2016 * SS, after + 2016 * SS, 32 * SS));
	CHECK_U64(get_le64(after + SS + 72), 2);
	free(before);
	free(after);
	unlink(img);
}

TEST(ptwrite_dos_logical_is_one_sector)
{
	char *img = tmp_path("img"), *log = tmp_path("log");
	struct part_table pt;
	struct wr w[16];
	size_t n;

	CHECK_INT(mkimg(img, "label: dos\n,1MiB,83\n,,5\n,2MiB,83\n,2MiB,83\n"), 0);
	setenv("SHRINKBOX_TEST_WRITELOG", log, 1);
	CHECK_INT(part_set_size(img, 5, 2048), 0);
	unsetenv("SHRINKBOX_TEST_WRITELOG");
	n = read_log(log, w, 16);
	/* The EBR of partition 5 at the start of the extended partition (sector 4096). */
	CHECK_U64(n, 2);
	CHECK(n == 2 && !w[0].flush && w[1].flush);
	CHECK_U64(n ? w[0].off : 0, 4096 * SS);
	CHECK_U64(n ? w[0].len : 0, SS);
	CHECK_INT(part_table_read(img, &pt), 0);
	CHECK_U64(part_table_find(&pt, 5) ? part_table_find(&pt, 5)->size : 0, 2048);
	part_table_clear(&pt);
	free_log(w, n);
	unlink(img);
	unlink(log);
}
