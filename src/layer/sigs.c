// SPDX-License-Identifier: GPL-2.0-or-later
#include <blkid.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sigs.h"
#include "../util/err.h"

/* A probe loop that never ends (a wipe that does not stick) stops here. */
#define SIGS_PROBES_MAX 64

static blkid_probe new_probe(int fd, const char *name)
{
	blkid_probe pr = blkid_new_probe();

	if (!pr)
		return NULL;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		blkid_free_probe(pr);
		err_set(-EIO, "%s: libblkid cannot probe it", name);
		return NULL;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_USAGE | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
	return pr;
}

/* The signature the probe stopped at: a superblock or a partition table. */
static void describe(blkid_probe pr, struct dev_sig *s)
{
	const char *v;
	size_t len;

	memset(s, 0, sizeof(*s));
	if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0) {
		snprintf(s->type, sizeof(s->type), "%s", v);
		if (blkid_probe_lookup_value(pr, "USAGE", &v, NULL) == 0)
			snprintf(s->usage, sizeof(s->usage), "%s", v);
		if (blkid_probe_lookup_value(pr, "SBMAGIC_OFFSET", &v, NULL) == 0)
			s->offset = strtoull(v, NULL, 10);
		if (blkid_probe_lookup_value(pr, "SBMAGIC", NULL, &len) == 0)
			s->len = len;
	} else if (blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) == 0) {
		snprintf(s->type, sizeof(s->type), "%s", v);
		snprintf(s->usage, sizeof(s->usage), "partition table");
		if (blkid_probe_lookup_value(pr, "PTMAGIC_OFFSET", &v, NULL) == 0)
			s->offset = strtoull(v, NULL, 10);
		if (blkid_probe_lookup_value(pr, "PTMAGIC", NULL, &len) == 0)
			s->len = len;
	} else {
		snprintf(s->type, sizeof(s->type), "unknown");
	}
}

int dev_sigs_list(int fd, const char *name, struct dev_sig *sigs, unsigned max, unsigned *n)
{
	blkid_probe pr;
	unsigned k = 0;

	*n = 0;
	err_clear();
	pr = new_probe(fd, name);
	if (!pr)
		return err_set(-ENOMEM, "%s: libblkid cannot probe it", name);
	while (k < SIGS_PROBES_MAX && blkid_do_probe(pr) == 0) {
		struct dev_sig s;

		describe(pr, &s);
		if (*n < max)
			sigs[*n] = s;
		(*n)++;
		k++;
		/* Hide this magic and look again at the same chain for another one. */
		if (!s.len)
			continue;
		blkid_probe_hide_range(pr, s.offset, s.len);
		blkid_probe_step_back(pr);
	}
	blkid_free_probe(pr);
	return 0;
}

int dev_sigs_wipe(int fd, const char *name, struct dev_sig *wiped, unsigned max, unsigned *n)
{
	blkid_probe pr;
	unsigned k = 0;
	int r = 0;

	*n = 0;
	err_clear();
	pr = new_probe(fd, name);
	if (!pr)
		return err_set(-ENOMEM, "%s: libblkid cannot probe it", name);
	while (blkid_do_probe(pr) == 0) {
		struct dev_sig s;

		describe(pr, &s);
		if (++k > SIGS_PROBES_MAX) {
			r = err_set(-ELOOP, "%s: %s at byte %" PRIu64 " is still found after %u "
				    "wipes", name, s.type, s.offset, SIGS_PROBES_MAX);
			break;
		}
		/* Zeroes the magic, flushes, and steps back to probe the same chain again. */
		errno = 0;
		if (blkid_do_wipe(pr, 0) != 0) {
			r = err_set(errno ? -errno : -EIO, "%s: cannot erase the %s signature at "
				    "byte %" PRIu64 ": %m", name, s.type, s.offset);
			break;
		}
		if (*n < max)
			wiped[*n] = s;
		(*n)++;
	}
	blkid_free_probe(pr);
	if (r == 0 && fsync(fd) < 0)
		r = err_set(-errno, "%s: flush failed: %m", name);
	return r;
}

char *dev_sigs_fmt(const struct dev_sig *sigs, unsigned n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s at byte %" PRIu64, i ? ", " : "",
				 sigs[i].type, sigs[i].offset);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}
