// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unlock DEVICE [NAME] [--key-file FILE [--keyfile-offset N] [--keyfile-size N]]
 *        [--tries N] [--test-passphrase] [--no-activate]
 *
 * Opens a LUKS1 or LUKS2 device as /dev/mapper/NAME (default luks-<UUID>, as
 * dracut names it), then activates the LVs of the VG inside with the names and
 * uuids lvm2 uses. The passphrase comes from the terminal (no echo; --tries
 * attempts), from --key-file, or from standard input when it is not a
 * terminal (one line, as cryptsetup reads it). It is never taken from argv,
 * is kept in locked memory that core dumps exclude, and is wiped after use.
 * A device that is already open is reused. --test-passphrase only checks it.
 * The volume key is kept in the dm table rather than the kernel keyring, so
 * that resizing the mapping later needs no second passphrase.
 */
#include <errno.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "../applets.h"
#include "../layer/luks.h"
#include "../layer/sysfs.h"
#include "../plan/vgactivate.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/secret.h"
#include "../util/units.h"

static int opt_tries = 3, opt_test, opt_no_activate;

static const struct poptOption unlock_opts[] = {
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)key_table, 0, NULL, NULL },
	{ "tries", 'T', POPT_ARG_INT, &opt_tries, 0, "passphrase attempts on a terminal (3)", "N" },
	{ "test-passphrase", 0, POPT_ARG_NONE, &opt_test, 0, "check the key, open nothing", NULL },
	{ "no-activate", 0, POPT_ARG_NONE, &opt_no_activate, 0, "do not activate the LVs inside",
	  NULL },
	POPT_TABLEEND
};

const struct applet_help unlock_help = {
	.synopsis = "DEVICE [NAME] [--key-file FILE [--keyfile-offset BYTES] [--keyfile-size "
		    "BYTES]] [--tries N] [--test-passphrase] [--no-activate]",
	.description = "Opens a LUKS1 or LUKS2 device as /dev/mapper/NAME (default luks-UUID, "
		       "as dracut names it), then activates the LVs of the VG inside with the "
		       "dm names and uuids lvm2 uses. The passphrase comes from the terminal "
		       "(no echo; --tries attempts), from --key-file, or from standard input "
		       "when it is not a terminal (one line, as cryptsetup reads it); never "
		       "from the command line. It is kept in locked memory that core dumps "
		       "exclude and wiped after use. A device that is already open is reused. "
		       "The volume key is kept in the dm table rather than the kernel keyring, "
		       "so that resizing the mapping later needs no second passphrase. A "
		       "passphrase that opens no keyslot is exit 1.",
	.opts = unlock_opts,
	.examples = {
		{ "unlock /dev/sda3 cryptroot",
		  "open /dev/sda3 as /dev/mapper/cryptroot (the passphrase asked on the "
		  "terminal) and activate the LVs inside" },
		{ "unlock /dev/sda3 --key-file /root/luks.key --test-passphrase",
		  "only check that the key file opens a keyslot; open nothing" },
	},
};

static int activate_lvs(const char *mapping)
{
	char vgname[128] = "";
	unsigned n = 0;
	int r;

	err_clear();
	r = vg_activate_on(mapping, vgname, &n);
	if (r == -ENOENT || r == -EBADMSG) {
		log_info("%s holds no VG to activate (%s)", mapping, err_msg(r));
		return EXIT_DONE;
	}
	if (r < 0) {
		log_error("%s: activating VG %s failed: %s", mapping, vgname, err_msg(r));
		return r == E_REFUSED ? EXIT_REFUSED : EXIT_FAILED;
	}
	printf("VG %s: %u LV(s) activated.\n", vgname, n);
	return EXIT_DONE;
}

/* One unlock's state, stage to stage. */
struct unlock {
	const char *dev, *name;
	char defname[64];
	struct crypt_device *cd;
	struct secret pw;
	int slot;
};

/* The LUKS header; a device already open ends here (its LVs activated). */
static int unlock_load(struct unlock *u, const char *name_arg)
{
	char holder[128], mapping[DEV_PATH_MAX];
	struct stat st;
	int r;

	/* libcryptsetup reports a device it may not open as "Block device required". */
	if (access(u->dev, R_OK) < 0 && (errno == EACCES || errno == EPERM)) {
		log_error("%s: Permission denied: run as root", u->dev);
		return EXIT_FAILED;
	}
	luks_quiet();
	r = crypt_init(&u->cd, u->dev);
	if (r == 0)
		r = crypt_load(u->cd, CRYPT_LUKS, NULL);
	if (r < 0) {
		log_error("%s: not a LUKS device, or its header cannot be read (%s)", u->dev,
			  strerror(-r));
		return EXIT_FAILED;
	}
	snprintf(u->defname, sizeof(u->defname), "luks-%s", crypt_get_uuid(u->cd));
	u->name = name_arg ? name_arg : u->defname;

	/* Already open: reuse the mapping, whatever its name. */
	if (!opt_test && stat(u->dev, &st) == 0 && S_ISBLK(st.st_mode) &&
	    blk_crypt_holder(st.st_rdev, holder) == 0) {
		printf("%s is already open as /dev/mapper/%s.\n", u->dev, holder);
		snprintf(mapping, sizeof(mapping), "/dev/mapper/%s", holder);
		return opt_no_activate ? EXIT_DONE : activate_lvs(mapping);
	}
	return APPLET_NEXT;
}

/* The key, asked up to --tries times on a terminal; the mapping opened (or, --test, checked). */
static int unlock_open(struct unlock *u)
{
	const char *loaded;
	int r = -EPERM, tries;

	if (secret_alloc(&u->pw) < 0) {
		log_error("cannot allocate locked memory for the passphrase");
		return EXIT_FAILED;
	}
	/*
	 * Keep the volume key in the dm table, as LUKS1 always does, not in the kernel
	 * keyring: then cryptresize (and shrink) never has to ask for the passphrase again.
	 */
	crypt_volume_key_keyring(u->cd, 0);
	tries = isatty(STDIN_FILENO) && !applet_key_from_file() ? opt_tries : 1;
	for (int t = 0; t < tries; t++) {
		err_clear();
		r = applet_read_key(&u->pw, "Passphrase: ");
		if (r < 0) {
			log_error("%s", err_msg(r));
			return EXIT_FAILED;
		}
		err_clear();
		if (opt_test)
			r = luks_check_key(u->dev, u->pw.buf, u->pw.len, &u->slot, &loaded, NULL);
		else
			r = u->slot = luks_activate_key(u->cd, u->name, u->pw.buf, u->pw.len, 0,
							&loaded);
		explicit_bzero(u->pw.buf, u->pw.len);
		if (loaded)
			printf("Loaded the kernel module %s (AF_ALG, to decrypt key slots).\n",
			       loaded);
		if (r >= 0)
			return APPLET_NEXT;
		if (r == -EPERM)
			log_error("%s: no key slot opens with this %s", u->dev,
				  applet_key_from_file() ? "key file" : "passphrase");
		else
			log_error("%s", err_msg(r));
		if (r != -EPERM)
			return EXIT_FAILED;
	}
	return EXIT_FAILED;
}

int unlock_main(int argc, char **argv)
{
	struct unlock u = { .slot = -1 };
	const char *args[2];
	char mapping[DEV_PATH_MAX];
	poptContext ctx;
	int rc, n;

	secret_protect_process();
	if (applet_parse("unlock", argc, argv, unlock_opts, "DEVICE [NAME]", &ctx))
		return EXIT_USAGE;
	n = applet_args(ctx, "unlock", 1, 2, args);
	if (n < 0 || applet_key_opts_check() || opt_tries < 1) {
		if (n >= 0 && opt_tries < 1)
			log_error("--tries must be at least 1");
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	u.dev = args[0];
	rc = unlock_load(&u, n > 1 ? args[1] : NULL);
	if (rc == APPLET_NEXT)
		rc = unlock_open(&u);
	if (rc == APPLET_NEXT && opt_test) {
		printf("The key opens key slot %d of %s.\n", u.slot, u.dev);
		rc = EXIT_DONE;
	} else if (rc == APPLET_NEXT) {
		printf("%s is open as /dev/mapper/%s (key slot %d).\n", u.dev, u.name, u.slot);
		snprintf(mapping, sizeof(mapping), "/dev/mapper/%s", u.name);
		rc = opt_no_activate ? EXIT_DONE : activate_lvs(mapping);
	}
	secret_free(&u.pw);
	crypt_free(u.cd);
	poptFreeContext(ctx);
	return rc;
}
