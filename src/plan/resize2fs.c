// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsmemo.h"
#include "resize2fs.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/exec.h"
#include "../util/io.h"
#include "../util/units.h"

int fs_read(const char *dev, struct fs_info *fi)
{
	_cleanup_close_ int fd = -1;
	struct region reg = { .name = dev };
	uint64_t size;
	bool blk;

	fd = dev_open(dev, O_RDONLY, &size, &blk);
	if (fd < 0)
		return fd;
	reg.fd = fd;
	reg.size = size;
	return fs_probe(&reg, fi);
}

/*
 * resize2fs -P: read-only, and the very figure resize2fs itself refuses to go
 * below (its own minimum calculation), so a target under it is refused here,
 * before e2fsck or anything else writes. -f: a filesystem that was not
 * cleanly unmounted (a root after a crash or a forced power-off) is estimated
 * as it is rather than refused; the plan may not write, and e2fsck -f runs
 * before the shrink, which resize2fs checks against its minimum once more.
 */
int resize2fs_min(const char *dev, const char *who, uint64_t block_size, uint64_t *bytes)
{
	char *argv[] = { "resize2fs", "-f", "-P", (char *)dev, NULL };
	char out[2048], *p;
	struct fsmemo_key key;
	bool have_key;
	int st, r;

	/* Answered already in this command, and not written since (fsmemo.h). */
	have_key = fsmemo_key(dev, who, &key) == 0;
	if (have_key && fsmemo_min(&key, bytes))
		return 0;
	r = run_program(argv, &st, out, sizeof(out));
	if (r < 0)
		return r;
	p = strstr(out, "minimum size of the filesystem: ");
	if (st != 0 || !p)
		return err_set(-EIO, "resize2fs -P %s failed (exit %d): %.300s", dev, st, out);
	*bytes = strtoull(p + 32, NULL, 10) * block_size;
	if (have_key)
		fsmemo_note_min(&key, *bytes);
	return 0;
}

int resize2fs_run(const char *dev, uint64_t bytes, uint64_t block_size, const char *what,
		  const struct fsresize_opts *o)
{
	char size[32], out[4096], *min;
	char *argv[] = { "resize2fs", (char *)dev, size, NULL };
	int st, r;

	if (bytes) {
		/*
		 * Plain decimal sectors with the s suffix: no unit or octal guessing
		 * (docs/ondisk.md §10.1).
		 */
		snprintf(size, sizeof(size), "%" PRIu64 "s", bytes / SECTOR_SIZE);
		o->say("resize2fs %s %s", dev, size);
	} else {
		argv[2] = NULL;
		o->say("resize2fs %s (fill %s)", dev, what);
	}
	r = run_program(argv, &st, out, sizeof(out));
	if (r < 0)
		return r;
	if (st == 0)
		return 0;
	min = strstr(out, "smaller than minimum (");
	if (min) {
		uint64_t blocks = strtoull(min + 22, NULL, 10);

		return err_set(-ERANGE, "%" PRIu64, blocks * block_size);
	}
	return err_set(-EIO, "resize2fs failed (exit %d): %.400s", st, out);
}

