// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dm-crypt mapping resize plan. crypt_resize() changes only the active
 * table's length (the LUKS2 segment is "dynamic": its size is the device's);
 * a segment with a fixed size, set requirements (an unfinished reencryption)
 * or dm-integrity under it would need the metadata rewritten, which shrinkbox
 * does not do.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cryptplan.h"
#include "stack.h"
#include "../layer/sysfs.h"
#include "../util/err.h"
#include "../util/units.h"

/* What the mapping's content needs, read from its PV label or filesystem. */
static int mapping_need(const char *path, struct need *n)
{
	struct stack *st = NULL;
	int r = stack_probe_part(path, 0, &st);

	if (r < 0)
		return r;
	content_need(st->root, n);
	stack_free(st);
	return 0;
}

/* The mapping, the device under it and its LUKS header: 0, or why not. */
static int read_mapping(const char *name, struct crypt_plan *p)
{
	bool blk;
	int r, fd;

	luks_quiet();
	r = crypt_init_by_name(&p->cd, name);
	if (r < 0 || !crypt_get_type(p->cd) || strncmp(crypt_get_type(p->cd), "LUKS", 4))
		return err_set(-ENODEV, "%s: not an active LUKS mapping%s%s", name,
			       r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
	r = crypt_get_active_device(p->cd, name, &p->cad);
	if (r < 0)
		return err_set(-EIO, "%s: cannot read the mapping: %s", name, strerror(-r));
	p->under = crypt_get_device_name(p->cd);
	fd = p->under ? dev_open(p->under, O_RDONLY, &p->dev_bytes, &blk) : -ENOENT;
	if (fd < 0) {
		/*
		 * libcryptsetup names a dm device under it /dev/block/MAJ:MIN, a link udev
		 * makes: right after lvm2 reloaded that LV (lvextend) udev may be rewriting it
		 * (seen in the VM). The kernel's name for it, from the mapping's slaves in
		 * sysfs, is a devtmpfs node that is always there.
		 */
		struct stat st;

		if (stat(p->path, &st) == 0 && S_ISBLK(st.st_mode) &&
		    blk_dm_slave(st.st_rdev, p->under_kname) == 0) {
			p->under = p->under_kname;
			fd = dev_open(p->under, O_RDONLY, &p->dev_bytes, &blk);
		}
	}
	if (fd < 0)
		return err_set(-EIO, "%s: cannot open the device under it (%s): %s", name,
			       p->under ? p->under : "none named", strerror(-fd));
	close(fd);
	r = luks_read(p->under, &p->li);
	if (r < 0)	/* a header that does not read is the disk's, never the command line's */
		return r == -EINVAL ? -EIO : r;
	if (p->li.requirements || p->li.size_fixed)
		return err_set(E_REFUSED, "%s: %s; shrinkbox does not rewrite LUKS2 metadata",
			       p->under, p->li.requirements ?
			       "LUKS2 requirements are set (an unfinished reencryption?)" :
			       "the LUKS2 data segment has a fixed size");
	if (p->li.integrity[0])
		return err_set(E_REFUSED, "%s: LUKS2 with dm-integrity (%s) under dm-crypt: its "
			       "integrity tags cover the device's size, which crypt_resize cannot "
			       "change; shrinkbox does not resize it", p->under, p->li.integrity);
	return 0;
}

int crypt_plan_make(const char *name, uint64_t bytes, struct crypt_plan *p)
{
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	int r;

	memset(p, 0, sizeof(*p));
	if (!strncmp(name, "/dev/mapper/", 12))
		name += 12;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->path, sizeof(p->path), "/dev/mapper/%s", name);
	r = read_mapping(p->name, p);
	if (r < 0)
		return r;
	p->ss = (uint64_t)crypt_get_sector_size(p->cd) / SECTOR_SIZE;
	if (!p->ss)
		p->ss = 1;
	if (p->dev_bytes / SECTOR_SIZE < p->cad.offset)
		return err_set(-EIO, "%s: the device is smaller than the data offset", p->under);
	p->max = round_down(p->dev_bytes / SECTOR_SIZE - p->cad.offset, p->ss);
	p->target = p->max;
	if (bytes) {
		/* Never smaller than asked: whole 512-byte sectors, then whole crypt sectors. */
		p->target = div_round_up(div_round_up(bytes, SECTOR_SIZE), p->ss) * p->ss;
		if (p->target > p->max)
			return err_set(E_REFUSED, "%s: %s does not fit: the device %s leaves %s after "
				       "the data offset", p->name,
				       size_fmt(a, p->target * SECTOR_SIZE), p->under,
				       size_fmt(b, p->max * SECTOR_SIZE));
	}
	err_clear();
	r = mapping_need(p->path, &p->need);
	if (r < 0 || (p->target < p->cad.size && !p->need.known)) {
		char why[512];

		/* err_msg() is the buffer err_set() writes: copied first. */
		snprintf(why, sizeof(why), "%s", r < 0 ? err_msg(r) : p->need.what);
		return err_set(E_REFUSED, "%s: will not shrink: %s", p->path, why);
	}
	if (p->need.known && p->target * SECTOR_SIZE < p->need.bytes)
		return err_set(E_REFUSED, "%s: cannot become %s: its content needs %s (%s); shrink "
			       "that first", p->path, size_fmt(a, p->target * SECTOR_SIZE),
			       size_fmt(b, p->need.bytes), p->need.what);
	p->noop = p->target == p->cad.size;
	return 0;
}

void crypt_plan_free(struct crypt_plan *p)
{
	crypt_free(p->cd);
	p->cd = NULL;
}
