// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lock NAME|DEVICE
 *
 * Deactivates the LVs of the VG inside an open LUKS mapping, refusing and
 * naming the LV if one is mounted or open, then closes the mapping (by hand:
 * vgchange -an VG, then cryptsetup close NAME). NAME is the mapping's name or
 * /dev/mapper path; DEVICE the LUKS device.
 */
#include <errno.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "../applets.h"
#include "../layer/luks.h"
#include "../layer/sysfs.h"
#include "../plan/vgactivate.h"
#include "../util/err.h"
#include "../util/log.h"

static const struct poptOption lock_opts[] = {
	POPT_TABLEEND
};

const struct applet_help lock_help = {
	.synopsis = "NAME|DEVICE",
	.description = "Deactivates the LVs of the VG inside an open LUKS mapping, refusing "
		       "and naming the LV if one is mounted or open, then closes the mapping "
		       "(by hand: vgchange -an VG, then cryptsetup close NAME). NAME is the "
		       "mapping's name or /dev/mapper path; DEVICE the LUKS device under it.",
	.opts = lock_opts,
	.examples = {
		{ "lock cryptroot",
		  "deactivate the LVs inside /dev/mapper/cryptroot and close it" },
		{ "lock /dev/sda3",
		  "the same, naming the LUKS device" },
	},
};

/* The mapping's name from NAME, /dev/mapper/NAME or the LUKS device under it. */
static int mapping_name(const char *arg, char name[128])
{
	char uuid[160];
	struct stat st;

	if (stat(arg, &st) == 0 && S_ISBLK(st.st_mode)) {
		if (blk_dm_info(st.st_rdev, name, uuid) == 0 && !strncmp(uuid, "CRYPT-LUKS", 10))
			return 0;
		if (blk_crypt_holder(st.st_rdev, name) == 0)
			return 0;
		return err_set(-ENOENT, "%s is neither an open LUKS mapping nor a LUKS device that "
			       "is open", arg);
	}
	if (strchr(arg, '/'))
		return err_set(-ENOENT, "%s: no such device", arg);
	snprintf(name, 128, "%s", arg);
	return 0;
}

int lock_main(int argc, char **argv)
{
	struct crypt_device *cd = NULL;
	char name[128], path[DEV_PATH_MAX], vgname[128] = "";
	const char *arg;
	poptContext ctx;
	int r, rc = EXIT_FAILED;

	if (applet_parse("lock", argc, argv, lock_opts, "NAME|DEVICE", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "lock", 1, 1, &arg) < 0) {
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	luks_quiet();
	err_clear();
	r = mapping_name(arg, name);
	if (r < 0) {
		log_error("%s", err_msg(r));
		goto out;
	}
	if (blk_dm_path(name, path) < 0) {
		printf("%s is not open: nothing to do.\n", name);
		rc = EXIT_DONE;
		goto out;
	}
	err_clear();
	r = vg_deactivate_on(path, vgname);
	if (r == -EBUSY) {
		log_error("%s", err_msg(r));
		rc = EXIT_REFUSED;
		goto out;
	}
	if (r < 0 && r != -ENOENT) {
		log_error("%s: deactivating VG %s failed: %s", path, vgname, err_msg(r));
		goto out;
	}
	if (r == 0)
		printf("VG %s deactivated.\n", vgname);
	r = crypt_init_by_name(&cd, name);
	if (r == 0)
		r = crypt_deactivate(cd, name);
	if (r < 0) {
		log_error("%s: cannot close it: %s%s", name, strerror(-r),
			  r == -EBUSY ? " (something else holds it)" : "");
		rc = r == -EBUSY ? EXIT_REFUSED : EXIT_FAILED;
		goto out;
	}
	printf("%s closed.\n", name);
	rc = EXIT_DONE;
out:
	crypt_free(cd);
	poptFreeContext(ctx);
	return rc;
}
