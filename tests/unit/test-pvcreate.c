// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pvcreate: the layout against what lvm2 2.03.16 chose for the same sizes and
 * options (each value below was read back with pvck --dump headers from a PV
 * lvm2 made; tests/loop/t-pvcreate.sh compares whole devices), the refusals,
 * the label and empty mda headers byte-exact against lvm2's checksums, and a
 * write to a memfd read back with our decoders.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#include "lvm/crc.h"
#include "lvm/label.h"
#include "lvm/mda.h"
#include "lvm/pv.h"
#include "lvm/pvcreate.h"
#include "util/endian.h"
#include "util/err.h"

#define KiB 1024ull
#define MiB (1024ull * 1024ull)

static struct pvcreate_layout lay(uint64_t dev, unsigned copies, uint64_t mda, uint64_t align,
				  int want)
{
	struct pvcreate_opts o = { .mda_copies = copies, .mda_size = mda, .data_alignment = align };
	struct pvcreate_layout l;

	err_clear();
	CHECK_INT(pvcreate_layout(dev, &o, &l), want);
	return l;
}

TEST(pvcreate_layout_default)
{
	struct pvcreate_layout l = lay(64 * MiB, 0, 0, 0, 0);

	/* ondisk.md 0: label in sector 1, mda1 4096 + 1044480, pe_start 1 MiB. */
	CHECK_U64(l.pv_bytes, 64 * MiB);
	CHECK_INT(l.n_mdas, 1);
	CHECK_U64(l.mda[0].offset, 4096);
	CHECK_U64(l.mda[0].size, 1044480);
	CHECK_U64(l.pe_start, 1 * MiB);
	CHECK_U64(l.data_bytes, 63 * MiB);
	CHECK_U64(pvcreate_pe_count(&l, 4 * MiB), 15);
	CHECK_U64(pvcreate_pe_count(&l, 1 * MiB), 63);
	CHECK_U64(pvcreate_pe_count(&l, 0), 0);
	CHECK_U64(pvcreate_pe_count(&l, 1000), 0);
	/* Explicit defaults give the same. */
	l = lay(64 * MiB, 1, 1044480, 1 * MiB, 0);
	CHECK_U64(l.pe_start, 1 * MiB);
	CHECK_U64(l.mda[0].size, 1044480);
}

TEST(pvcreate_layout_two_mdas)
{
	struct pvcreate_layout l = lay(64 * MiB, 2, 0, 0, 0);

	/* mda2 = the last MiB: its start aligned down, so it grows by the 4096 mda1 lacks. */
	CHECK_INT(l.n_mdas, 2);
	CHECK_U64(l.mda[0].offset, 4096);
	CHECK_U64(l.mda[0].size, 1044480);
	CHECK_U64(l.mda[1].offset, 63 * MiB);
	CHECK_U64(l.mda[1].size, 1 * MiB);
	CHECK_U64(l.pe_start, 1 * MiB);
	CHECK_U64(l.data_bytes, 62 * MiB);
	CHECK_U64(pvcreate_pe_count(&l, 4 * MiB), 15);	/* the same 15 as with one mda */

	l = lay(3 * MiB, 2, 0, 0, 0);
	CHECK_U64(l.mda[1].offset, 2 * MiB);
	CHECK_U64(l.mda[1].size, 1 * MiB);
	CHECK_U64(l.data_bytes, 1 * MiB);
}

TEST(pvcreate_layout_odd_sizes)
{
	/* 64 MiB + 12 KiB (+ 100 bytes that are no whole sector). */
	struct pvcreate_layout l = lay(67121152 + 100, 2, 0, 0, 0);

	CHECK_U64(l.dev_bytes, 67121152 + 100);
	CHECK_U64(l.pv_bytes, 67121152);
	CHECK_U64(l.pe_start, 1 * MiB);
	CHECK_U64(l.mda[1].offset, 63 * MiB);		/* aligned down to the MiB */
	CHECK_U64(l.mda[1].size, 1060864);		/* to the end: 1 MiB + 12 KiB */
	CHECK_U64(l.data_bytes, 62 * MiB);
	l = lay(67121152, 1, 0, 0, 0);
	CHECK_U64(l.data_bytes, 67121152 - 1 * MiB);
}

TEST(pvcreate_layout_alignment)
{
	/* --dataalignment 4m: mda1 grows to end on 4 MiB. */
	struct pvcreate_layout l = lay(200 * MiB, 1, 0, 4 * MiB, 0);

	CHECK_U64(l.mda[0].offset, 4096);
	CHECK_U64(l.mda[0].size, 4190208);
	CHECK_U64(l.pe_start, 4 * MiB);
	CHECK_U64(l.data_bytes, 196 * MiB);
	/* ... and mda2 (the asked 1020 KiB) starts on 4 MiB: 200 MiB, 3 MiB to the end. */
	l = lay(203 * MiB, 2, 0, 4 * MiB, 0);
	CHECK_U64(l.mda[1].offset, 200 * MiB);
	CHECK_U64(l.mda[1].size, 3 * MiB);
	CHECK_U64(l.data_bytes, 196 * MiB);
	/* --metadatasize 32k --dataalignment 64k: the 61440-byte ring of tests/data. */
	l = lay(32 * MiB, 1, 32 * KiB, 64 * KiB, 0);
	CHECK_U64(l.mda[0].size, 61440);
	CHECK_U64(l.pe_start, 64 * KiB);
	/* 512-byte alignment: the default mda already ends on it. */
	l = lay(16 * MiB, 1, 0, 512, 0);
	CHECK_U64(l.pe_start, 1 * MiB);
	/* --metadatasize 5m, two copies: mda1 ends on the next MiB, mda2 is the asked 5 MiB. */
	l = lay(96 * MiB, 2, 5 * MiB, 0, 0);
	CHECK_U64(l.mda[0].size, 6287360);
	CHECK_U64(l.pe_start, 6 * MiB);
	CHECK_U64(l.mda[1].offset, 91 * MiB);
	CHECK_U64(l.mda[1].size, 5 * MiB);
	/* An area asked larger than the device ends two alignments before its end. */
	l = lay(8 * MiB, 1, 16 * MiB, 0, 0);
	CHECK_U64(l.mda[0].size, 6287360);
	CHECK_U64(l.pe_start, 6 * MiB);
	CHECK_U64(l.data_bytes, 2 * MiB);
}

TEST(pvcreate_layout_too_small_refused)
{
	struct pvcreate_layout l;

	l = lay(2 * MiB, 1, 0, 0, 0);			/* lvm2's minimum: fine */
	CHECK_U64(l.data_bytes, 1 * MiB);
	lay(2 * MiB - 512, 1, 0, 0, E_REFUSED);		/* below pv_min_size */
	CHECK_MSG("too small");
	lay(1 * MiB, 1, 0, 0, E_REFUSED);
	lay(0, 1, 0, 0, E_REFUSED);
	lay(3 * MiB, 1, 0, 4 * MiB, E_REFUSED);		/* alignment beyond the device */
	CHECK_MSG("data alignment");
	/*
	 * lvm2 makes these, with no byte for extents; we refuse. The areas were
	 * laid out as lvm2 did: mda2 at 1 MiB / 6 MiB.
	 */
	l = lay(2 * MiB, 2, 0, 0, E_REFUSED);
	CHECK_MSG("no room for extents");
	CHECK_U64(l.mda[1].offset, 1 * MiB);
	CHECK_U64(l.mda[1].size, 1 * MiB);
	l = lay(8 * MiB, 2, 16 * MiB, 0, E_REFUSED);
	CHECK_U64(l.mda[1].offset, 6 * MiB);
	CHECK_U64(l.mda[1].size, 2 * MiB);
	/* An area below lvm2's 32 KiB minimum. */
	lay(16 * MiB, 1, 4 * KiB, 4 * KiB, E_REFUSED);
	CHECK_MSG("less than the 32768 B");
}

TEST(pvcreate_layout_bad_options)
{
	lay(64 * MiB, 3, 0, 0, -EINVAL);
	CHECK_MSG("1 or 2");
	lay(64 * MiB, 1, 1000, 0, -EINVAL);
	CHECK_MSG("metadata area size");
	lay(64 * MiB, 1, 0, 1000, -EINVAL);
	CHECK_MSG("data alignment");
}

TEST(pvcreate_layout_invariants)
{
	/* Sizes from 2 MiB to 300 MiB in odd steps, 1 and 2 areas: the pieces never overlap. */
	for (uint64_t dev = 2 * MiB; dev < 300 * MiB; dev += 777 * KiB + 512) {
		for (unsigned c = 1; c <= 2; c++) {
			struct pvcreate_opts o = { .mda_copies = c };
			struct pvcreate_layout l;
			int r = pvcreate_layout(dev, &o, &l);

			if (r == E_REFUSED)
				continue;
			CHECK_INT(r, 0);
			CHECK(l.mda[0].offset >= LABEL_SCAN_SIZE);
			CHECK(l.mda[0].offset % PVC_PAGE_SIZE == 0);
			CHECK(l.pe_start % PVC_DEFAULT_ALIGNMENT == 0);
			CHECK_U64(l.mda[0].offset + l.mda[0].size, l.pe_start);
			if (c == 2) {
				CHECK(l.mda[1].offset >= l.pe_start);
				CHECK_U64(l.mda[1].offset + l.mda[1].size, l.pv_bytes);
				CHECK_U64(l.pe_start + l.data_bytes, l.mda[1].offset);
			} else {
				CHECK_U64(l.pe_start + l.data_bytes, l.pv_bytes);
			}
			CHECK(l.data_bytes > 0);
		}
	}
}

/* The checksums lvm2 wrote for a 64 MiB orphan PV of uuid SfioZh... (pvck --dump headers). */
TEST(pvcreate_label_and_mda_header_match_lvm2)
{
	struct pvcreate_layout l = lay(64 * MiB, 1, 0, 0, 0);
	struct mda_header h = { .start = l.mda[0].offset, .size = l.mda[0].size };
	uint8_t sec[LABEL_SIZE], hb[MDA_HEADER_SIZE];
	struct pv_label lab;

	pvcreate_label(&l, "SfioZhGspV2rNqjiYc8uSVlk8zOS6h6I", &lab);
	CHECK_INT(pvlabel_encode(&lab, sec), 0);
	CHECK_U64(get_le32(sec + 16), 0xd7b925e9);
	mda_header_encode(&h, hb);
	CHECK_U64(get_le32(hb), 0xdb8ed616);
	/* ondisk.md 1.5: the same PV once in a VG (flag PV_EXT_USED) had this CRC. */
	pvcreate_label(&l, "9sfOwlBUlAfQDZGWNK4ad9PZa6jlbyLI", &lab);
	lab.ext_flags = PV_EXT_USED;
	CHECK_INT(pvlabel_encode(&lab, sec), 0);
	CHECK_U64(get_le32(sec + 16), 0x3976f539);
}

TEST(pvcreate_label_round_trip)
{
	for (unsigned c = 1; c <= 2; c++) {
		struct pvcreate_layout l = lay(67121152, c, 0, 0, 0);
		uint8_t buf[LABEL_SCAN_SIZE] = { 0 };
		struct pv_label lab, back;

		pvcreate_label(&l, "AbCdEf0123456789GhIjKlMnOpQrStUv", &lab);
		CHECK_INT(pvlabel_encode(&lab, buf + PVC_LABEL_SECTOR * LABEL_SIZE), 0);
		CHECK_INT(pvlabel_decode(buf, &back), 0);
		CHECK_U64(back.sector, 1);
		CHECK_STR(back.uuid, "AbCdEf0123456789GhIjKlMnOpQrStUv");
		CHECK_U64(back.device_size, 67121152);
		CHECK_U64(back.data_offset, 1 * MiB);
		CHECK_INT(back.n_mdas, c);
		for (unsigned i = 0; i < c; i++) {
			struct mda_header h = { .start = l.mda[i].offset, .size = l.mda[i].size };
			struct mda_header hd;
			uint8_t hb[MDA_HEADER_SIZE];

			CHECK_U64(back.mda[i].offset, l.mda[i].offset);
			CHECK_U64(back.mda[i].size, l.mda[i].size);
			mda_header_encode(&h, hb);
			CHECK_INT(mda_header_decode(hb, &back.mda[i], &hd), 0);
			CHECK(raw_locn_empty(&hd.slot[0]) && raw_locn_empty(&hd.slot[1]));
			CHECK_INT(hd.slot[0].flags, 0);
		}
		CHECK_INT(back.ext_version, 2);
		CHECK_INT(back.ext_flags, 0);
		CHECK_INT(back.n_bas, 0);
	}
}

TEST(pvcreate_uuid)
{
	char u[LVM_UUID_LEN + 1], v[LVM_UUID_LEN + 1];

	CHECK_INT(pv_uuid_parse("AbCdEf-0123-4567-89Gh-IjKl-MnOp-QrStUv", u), 0);
	CHECK_STR(u, "AbCdEf0123456789GhIjKlMnOpQrStUv");
	/* Dashes anywhere, as lvm2's id_read_format. */
	CHECK_INT(pv_uuid_parse("A-b-CdEf0123456789GhIjKlMnOpQrSt!#", u), 0);
	CHECK_INT(pv_uuid_parse("AbCdEf0123456789GhIjKlMnOpQrStU", u), -EINVAL);
	CHECK_MSG("has 31 characters");
	CHECK_INT(pv_uuid_parse("AbCdEf0123456789GhIjKlMnOpQrStUvW", u), -EINVAL);
	CHECK_INT(pv_uuid_parse("AbCdEf0123456789GhIjKlMnOpQrSt_v", u), -EINVAL);
	CHECK_MSG("outside");
	CHECK_INT(pv_uuid_generate(u), 0);
	CHECK_INT(pv_uuid_generate(v), 0);
	CHECK_INT((int)strlen(u), LVM_UUID_LEN);
	CHECK(strcmp(u, v) != 0);
	for (unsigned i = 0; i < LVM_UUID_LEN; i++)	/* id_create never draws '!' or '#' */
		CHECK((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'z') ||
		      (u[i] >= 'A' && u[i] <= 'Z'));
}

/* A memfd of size bytes, all 0xab: old content the write must not leave where it matters. */
static int dirty_memfd(uint64_t size)
{
	static uint8_t junk[64 * 1024];
	int fd = memfd_create("pvcreate", MFD_CLOEXEC);

	memset(junk, 0xab, sizeof(junk));
	if (fd < 0)
		abort();
	for (uint64_t off = 0; off < size; off += sizeof(junk))
		if (pwrite(fd, junk, sizeof(junk), (off_t)off) != (ssize_t)sizeof(junk))
			abort();
	return fd;
}

static bool all_zero(int fd, uint64_t off, uint64_t len)
{
	uint8_t b[4096];

	while (len) {
		size_t n = len < sizeof(b) ? (size_t)len : sizeof(b);

		if (pread(fd, b, n, (off_t)off) != (ssize_t)n)
			return false;
		for (size_t i = 0; i < n; i++)
			if (b[i])
				return false;
		off += n;
		len -= n;
	}
	return true;
}

TEST(pvcreate_write_then_read_back)
{
	const uint64_t size = 8 * MiB;
	int fd = dirty_memfd(size);
	struct region reg = { .fd = fd, .size = size, .name = "memfd" };
	struct pvcreate_opts o = { .mda_copies = 2 };
	char uuid[LVM_UUID_LEN + 1] = "";
	struct pvcreate_layout l, other;
	struct pv_label found;
	struct pv_disk pd;
	uint8_t sec[LABEL_SIZE];
	char why[256];
	bool wrote;

	CHECK_INT(pvcreate_probe(&reg, &l, NULL, NULL, why, sizeof(why)), PVC_NO_LABEL);
	CHECK_INT(pvcreate_fd(fd, "memfd", size, &o, uuid, &l, &wrote), 0);
	CHECK(wrote);
	CHECK_INT((int)strlen(uuid), LVM_UUID_LEN);
	/* Sectors 0, 2, 3 and both areas beyond their headers are zero. */
	CHECK(all_zero(fd, 0, 512));
	CHECK(all_zero(fd, 1024, 1024));
	CHECK(all_zero(fd, l.mda[0].offset + MDA_HEADER_SIZE, l.mda[0].size - MDA_HEADER_SIZE));
	CHECK(all_zero(fd, l.mda[1].offset + MDA_HEADER_SIZE, l.mda[1].size - MDA_HEADER_SIZE));
	CHECK(!all_zero(fd, l.pe_start, 512));		/* the extents are not touched */

	CHECK_INT(pvcreate_probe(&reg, &l, uuid, &found, why, sizeof(why)), PVC_SAME);
	CHECK_INT(pvcreate_probe(&reg, &l, NULL, NULL, why, sizeof(why)), PVC_SAME);
	CHECK_STR(found.uuid, uuid);
	CHECK_INT(pv_disk_read(&reg, &pd), 0);
	CHECK(pv_disk_is_orphan(&pd));
	CHECK_INT(pd.n_mdas, 2);
	CHECK(pd.mda_ok[0] && pd.mda_ok[1]);
	pv_disk_clear(&pd);

	/* Another uuid, another layout: an orphan PV, but not this one. */
	CHECK_INT(pvcreate_probe(&reg, &l, "AbCdEf0123456789GhIjKlMnOpQrStUv", NULL, why,
				 sizeof(why)), PVC_OTHER_ORPHAN);
	CHECK(strstr(why, "uuid differs") != NULL);
	other = lay(size, 1, 0, 0, 0);
	CHECK_INT(pvcreate_probe(&reg, &other, NULL, NULL, why, sizeof(why)), PVC_OTHER_ORPHAN);

	/* The label flagged as used by a VG. */
	pvcreate_label(&l, uuid, &found);
	found.ext_flags = PV_EXT_USED;
	CHECK_INT(pvlabel_encode(&found, sec), 0);
	CHECK(pwrite(fd, sec, sizeof(sec), 512) == (ssize_t)sizeof(sec));
	CHECK_INT(pvcreate_probe(&reg, &l, NULL, NULL, why, sizeof(why)), PVC_IN_VG);
	/* A label whose checksum fails. */
	sec[100] ^= 1;
	CHECK(pwrite(fd, sec, sizeof(sec), 512) == (ssize_t)sizeof(sec));
	CHECK_INT(pvcreate_probe(&reg, &l, NULL, NULL, why, sizeof(why)), PVC_DAMAGED);
	CHECK(strstr(why, "checksum") != NULL);

	/* Written again over all that: the same PV again, with the uuid kept. */
	CHECK_INT(pvcreate_write(fd, "memfd", &l, uuid, &wrote), 0);
	CHECK_INT(pvcreate_probe(&reg, &l, uuid, NULL, why, sizeof(why)), PVC_SAME);
	close(fd);
}

TEST(pvcreate_write_refuses_bad_input_before_writing)
{
	const uint64_t size = 4 * MiB;
	int fd = dirty_memfd(size);
	struct pvcreate_layout l = lay(size, 1, 0, 0, 0);
	bool wrote = true;

	err_clear();
	CHECK_INT(pvcreate_write(fd, "memfd", &l, "AbCdEf0123456789GhIjKlMnOpQrSt_v", &wrote),
		  -EINVAL);
	CHECK(!wrote);
	l.mda[0].size = 8 * MiB;
	CHECK_INT(pvcreate_write(fd, "memfd", &l, "AbCdEf0123456789GhIjKlMnOpQrStUv", &wrote),
		  -EINVAL);
	CHECK(!wrote);
	CHECK(!all_zero(fd, 0, 512));
	close(fd);
}
