// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <libfdisk.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ptbackup.h"
#include "../util/err.h"
#include "../util/io.h"
#include "../util/strfmt.h"

int pt_backup(const char *disk, const char *dir, char *out, size_t out_len)
{
	struct fdisk_context *cxt = NULL;
	struct fdisk_script *dp = NULL;
	const char *base = strrchr(disk, '/');
	FILE *f = NULL;
	int r;

	r = mkdir_parents(dir, 0700);
	if (r < 0)
		return err_set(r, "cannot create the backup directory %s: %s", dir, strerror(-r));
	if (str_fmt(out, out_len, "%s/%s_%lld.sfdisk", dir, base ? base + 1 : disk,
		    (long long)time(NULL)) < 0)
		return err_set(-ENAMETOOLONG, "backup path too long");
	cxt = fdisk_new_context();
	if (!cxt)
		return err_set(-ENOMEM, "out of memory");
	r = fdisk_assign_device(cxt, disk, 1);
	if (r < 0) {
		err_set(r, "%s: libfdisk cannot read it: %s", disk, strerror(-r));
		goto out;
	}
	dp = fdisk_new_script(cxt);
	if (!dp) {
		r = err_set(-ENOMEM, "out of memory");
		goto out;
	}
	r = fdisk_script_read_context(dp, NULL);
	if (r < 0) {
		err_set(r, "%s: cannot read its partition table: %s", disk, strerror(-r));
		goto out;
	}
	f = fopen(out, "we");
	if (!f) {
		r = err_set(-errno, "cannot write the backup %s: %m", out);
		goto out;
	}
	r = fdisk_script_write_file(dp, f);
	if (r < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0) {
		r = err_set(r < 0 ? r : -errno, "cannot write the backup %s: %s", out,
			    strerror(r < 0 ? -r : errno));
		goto out;
	}
	r = 0;
out:
	if (f && fclose(f) != 0 && r == 0)
		r = err_set(-errno, "cannot write the backup %s: %m", out);
	fdisk_unref_script(dp);
	fdisk_unref_context(cxt);
	return r;
}
