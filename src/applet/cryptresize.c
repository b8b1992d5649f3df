// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cryptresize NAME [--size S] [--key-file FILE ...] [--dry-run] [--yes]
 *
 * Resizes the active dm-crypt mapping NAME (crypt_resize): to S, rounded up to
 * the LUKS sector size (often 4096 B for LUKS2), or without --size to fill the
 * device under it (rounded down to that sector size). Refuses to cut into the
 * PV or filesystem inside, to pass the device's end, and to touch a LUKS2
 * volume whose data segment has a fixed size or whose requirements are set
 * (an unfinished reencryption): shrinkbox does not rewrite LUKS2 metadata.
 * When the volume key lives in the kernel keyring (LUKS2's default) it cannot
 * be read back from the table, so the passphrase or key file is asked for.
 * The LUKS header itself is never written.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "../applets.h"
#include "../layer/luks.h"
#include "../plan/need.h"
#include "../plan/stack.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/secret.h"
#include "../util/units.h"

static const char *opt_size;

static const struct poptOption cryptresize_opts[] = {
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0,
	  "new size of the mapping (default: fill the device)", "SIZE" },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)key_table, 0, NULL, NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help cryptresize_help = {
	.synopsis = "NAME [--size SIZE] [--key-file FILE]",
	.description = "Resizes the active dm-crypt mapping NAME (crypt_resize): to SIZE, "
		       "rounded up to the LUKS sector size (often 4096 B for LUKS2), or "
		       "without --size to fill the device under it (rounded down to that "
		       "sector size). Refuses to cut into the PV or filesystem inside, to pass "
		       "the device's end, and to touch a LUKS2 volume whose data segment has a "
		       "fixed size or whose requirements are set (an unfinished reencryption). "
		       "When the volume key lives in the kernel keyring (LUKS2's default with "
		       "cryptsetup) it cannot be read back from the table, so the passphrase "
		       "is asked for on the terminal or read from --key-file. The LUKS header "
		       "itself is never written.",
	.opts = cryptresize_opts,
	.examples = {
		{ "cryptresize cryptroot --dry-run",
		  "the plan to make /dev/mapper/cryptroot fill the partition under it again" },
		{ "cryptresize cryptroot --size 200GiB --key-file /root/luks.key --yes",
		  "the mapping to 200 GiB, the key (for a key in the kernel keyring) from a "
		  "file" },
	},
};

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

int cryptresize_main(int argc, char **argv)
{
	struct crypt_device *cd = NULL;
	struct crypt_active_device cad;
	struct secret pw = { 0 };
	struct luks_info li;
	struct need need;
	char path[300], bk[DEV_PATH_MAX], a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	const char *name, *under;
	uint64_t dev_bytes, ss, max, target, bytes;
	poptContext ctx;
	bool blk;
	int r, rc = EXIT_FAILED, fd;

	secret_protect_process();
	if (applet_parse("cryptresize", argc, argv, cryptresize_opts, "NAME", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "cryptresize", 1, 1, &name) < 0 || applet_key_opts_check()) {
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	if (!strncmp(name, "/dev/mapper/", 12))
		name += 12;
	luks_quiet();
	r = crypt_init_by_name(&cd, name);
	if (r < 0 || !crypt_get_type(cd) || strncmp(crypt_get_type(cd), "LUKS", 4)) {
		log_error("%s: not an active LUKS mapping%s%s", name, r < 0 ? ": " : "",
			  r < 0 ? strerror(-r) : "");
		goto out;
	}
	r = crypt_get_active_device(cd, name, &cad);
	under = crypt_get_device_name(cd);
	fd = under ? dev_open(under, O_RDONLY, &dev_bytes, &blk) : -EINVAL;
	if (r < 0 || fd < 0) {
		log_error("%s: cannot read the mapping or the device under it", name);
		goto out;
	}
	close(fd);
	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	err_clear();
	r = luks_read(under, &li);
	if (r < 0) {
		log_error("%s", err_msg(r));
		goto out;
	}
	if (li.requirements || li.size_fixed) {
		log_error("%s: %s; shrinkbox does not rewrite LUKS2 metadata", under,
			  li.requirements ? "LUKS2 requirements are set (an unfinished reencryption?)"
					  : "the LUKS2 data segment has a fixed size");
		rc = EXIT_REFUSED;
		goto out;
	}
	if (li.integrity[0]) {
		log_error("%s: LUKS2 with dm-integrity (%s) under dm-crypt: its integrity tags cover "
			  "the device's size, which crypt_resize cannot change; shrinkbox does not "
			  "resize it", under, li.integrity);
		rc = EXIT_REFUSED;
		goto out;
	}
	ss = (uint64_t)crypt_get_sector_size(cd) / SECTOR_SIZE;
	if (!ss)
		ss = 1;
	if (dev_bytes / SECTOR_SIZE < cad.offset) {
		log_error("%s: the device is smaller than the data offset", under);
		goto out;
	}
	max = round_down(dev_bytes / SECTOR_SIZE - cad.offset, ss);
	target = max;
	if (opt_size) {
		r = size_parse(opt_size, 0, &bytes);
		if (r < 0 || !bytes) {
			log_error("--size %s", r < 0 ? err_msg(r) : "must be more than 0 B");
			rc = EXIT_USAGE;
			goto out;
		}
		/* Never smaller than asked: whole 512-byte sectors, then whole crypt sectors. */
		target = div_round_up(div_round_up(bytes, SECTOR_SIZE), ss) * ss;
		if (target > max) {
			log_error("%s: %s does not fit: the device %s leaves %s after the data offset",
				  name, size_fmt(a, target * SECTOR_SIZE), under,
				  size_fmt(b, max * SECTOR_SIZE));
			rc = EXIT_REFUSED;
			goto out;
		}
	}
	err_clear();
	r = mapping_need(path, &need);
	if (r < 0 || (target < cad.size && !need.known)) {
		log_error("%s: will not shrink: %s", path, r < 0 ? err_msg(r) : need.what);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (need.known && target * SECTOR_SIZE < need.bytes) {
		log_error("%s: cannot become %s: its content needs %s (%s); shrink that first",
			  path, size_fmt(a, target * SECTOR_SIZE), size_fmt(b, need.bytes), need.what);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (target == cad.size) {
		printf("No changes.\n");
		rc = EXIT_DONE;
		goto out;
	}
	printf("Plan for %s (LUKS%d on %s, %" PRIu64 "-byte sectors, data offset %" PRIu64 " s):\n",
	       path, li.version, under, ss * SECTOR_SIZE, cad.offset);
	printf("  mapping: %" PRIu64 " s = %s  ->  %" PRIu64 " s = %s\n", cad.size,
	       size_fmt(a, cad.size * SECTOR_SIZE), target, size_fmt(b, target * SECTOR_SIZE));
	printf("  device:  %s; the mapping may be at most %" PRIu64 " s\n",
	       size_fmt(a, dev_bytes), max);
	if (need.known)
		printf("  content needs %s: %s\n", size_fmt(a, need.bytes), need.what);
	r = applet_consent();
	if (r <= 0) {
		rc = r == 0 ? EXIT_DONE : EXIT_REFUSED;
		goto out;
	}
	err_clear();
	r = luks_header_backup(under, mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR,
			       bk, sizeof(bk));
	if (r < 0) {
		log_error("%s (nothing was changed)", err_msg(r));
		goto out;
	}
	printf("  LUKS header saved: %s (cryptsetup luksHeaderRestore %s --header-backup-file %s)\n",
	       bk, under, bk);
	r = crypt_resize(cd, name, target);
	/*
	 * The volume key is in the kernel keyring: a token (e.g. systemd-tpm2, where
	 * this libcryptsetup has its plugin) may load it again unattended, before
	 * anyone is asked.
	 */
	if (r == -EPERM && li.tokens && !applet_key_from_file() &&
	    crypt_activate_by_token(cd, NULL, CRYPT_ANY_TOKEN, NULL, CRYPT_ACTIVATE_KEYRING_KEY) >= 0)
		r = crypt_resize(cd, name, target);
	if (r == -EPERM) {
		/* The volume key is in the kernel keyring: load it there again from a keyslot. */
		if (secret_alloc(&pw) < 0 || applet_read_key(&pw, "Passphrase: ") < 0) {
			log_error("%s: the volume key is in the kernel keyring and no key was given: %s",
				  name, err_msg(-EINVAL));
			goto out;
		}
		err_clear();
		r = luks_activate_key(cd, NULL, pw.buf, pw.len, CRYPT_ACTIVATE_KEYRING_KEY, NULL);
		secret_free(&pw);
		if (r == -EPERM) {
			log_error("%s: no key slot opens with this %s", name,
				  applet_key_from_file() ? "key file" : "passphrase");
			goto out;
		}
		if (r < 0) {
			/* Not a wrong key: this kernel could not try it (the message says why). */
			log_error("%s: %s", name, err_msg(r));
			goto out;
		}
		r = crypt_resize(cd, name, target);
	}
	if (r < 0) {
		log_error("%s: crypt_resize failed: %s", name, strerror(-r));
		goto out;
	}
	if (crypt_get_active_device(cd, name, &cad) < 0 || cad.size != target) {
		log_error("%s: the mapping is %" PRIu64 " s after the resize, not %" PRIu64, name,
			  cad.size, target);
		rc = EXIT_PARTIAL;
		goto out;
	}
	printf("Done: %s is %" PRIu64 " s = %s.\n", path, target, size_fmt(a, target * SECTOR_SIZE));
	rc = EXIT_DONE;
out:
	secret_free(&pw);
	crypt_free(cd);
	poptFreeContext(ctx);
	return rc;
}
