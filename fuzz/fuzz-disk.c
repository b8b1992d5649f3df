// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: a PV image as read from disk: label, metadata area
 * headers, ring-buffer text (with wrap), VG assembly. Invariants: no crash,
 * and a label that decodes encodes back to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lvm/label.h"
#include "lvm/pv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	uint8_t head[LABEL_SCAN_SIZE] = { 0 }, sec[LABEL_SIZE];
	struct pv_label l, l2;
	struct pv_disk pd, *pds = &pd;
	struct vg *vg = NULL;
	struct region r;

	if (size > 1 << 20)
		return 0;
	memcpy(head, data, size < sizeof(head) ? size : sizeof(head));
	if (pvlabel_decode(head, &l) == 0) {
		if (pvlabel_encode(&l, sec) < 0 || pvlabel_decode(head, &l2) < 0 ||
		    memcmp(&l, &l2, sizeof(l)))
			abort();
	}
	if (fd < 0)
		fd = memfd_create("fuzz-pv", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	r = (struct region){ .fd = fd, .off = 0, .size = size, .name = "fuzz" };
	if (pv_disk_read(&r, &pd) == 0) {
		if (vg_assemble(&pds, 1, &vg) == 0)
			vg_free(vg);
		pv_disk_clear(&pd);
	}
	return 0;
}
