// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cryptresize NAME [--size S] [--key-file FILE ...] [--json] [--dry-run] [--yes]
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
#include "jsonout.h"
#include "../plan/cryptplan.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/secret.h"
#include "../util/timing.h"
#include "../util/units.h"

static const char *opt_size;

static const struct poptOption cryptresize_opts[] = {
	{ "size", 's', POPT_ARG_STRING, &opt_size, 0,
	  "new size of the mapping (default: fill the device)", "SIZE" },
	{ "json", 'j', POPT_ARG_NONE, &mutate.json, 0,
	  "print the plan as JSON on stdout (every other line goes to stderr)", NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)key_table, 0, NULL, NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help cryptresize_help = {
	.synopsis = "NAME [--size SIZE] [--key-file FILE] [--json]",
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

static void print_plan(const void *plan)
{
	const struct crypt_plan *p = plan;
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];

	printf("Plan for %s (LUKS%d on %s, %" PRIu64 "-byte sectors, data offset %" PRIu64 " s):\n",
	       p->path, p->li.version, p->under, p->ss * SECTOR_SIZE, p->cad.offset);
	printf("  mapping: %" PRIu64 " s = %s  ->  %" PRIu64 " s = %s\n", p->cad.size,
	       size_fmt(a, p->cad.size * SECTOR_SIZE), p->target,
	       size_fmt(b, p->target * SECTOR_SIZE));
	printf("  device:  %s; the mapping may be at most %" PRIu64 " s\n",
	       size_fmt(a, p->dev_bytes), p->max);
	if (p->need.known)
		printf("  content needs %s: %s\n", size_fmt(a, p->need.bytes), p->need.what);
}

static void print_json(const void *plan)
{
	const struct crypt_plan *p = plan;
	struct json_object *o = json_object_new_object();

	J_ADD(o, "schema_version", J_U64(1));
	J_ADD(o, "applet", J_STR("cryptresize"));
	J_ADD(o, "mapping", J_STR(p->path));
	J_ADD(o, "device", J_STR(p->under));
	J_ADD(o, "luks_version", J_U64(p->li.version));
	J_ADD(o, "changes", J_BOOL(!p->noop));
	J_ADD(o, "crypt_sector_bytes", J_U64(p->ss * SECTOR_SIZE));
	J_ADD(o, "data_offset_sectors", J_U64(p->cad.offset));
	J_ADD(o, "device_bytes", J_U64(p->dev_bytes));
	J_ADD(o, "max_sectors", J_U64(p->max));
	J_ADD(o, "size_sectors_before", J_U64(p->cad.size));
	J_ADD(o, "size_sectors_after", J_U64(p->target));
	J_ADD(o, "size_bytes_before", J_U64(p->cad.size * SECTOR_SIZE));
	J_ADD(o, "size_bytes_after", J_U64(p->target * SECTOR_SIZE));
	J_ADD(o, "content_known", J_BOOL(p->need.known));
	if (p->need.known)
		J_ADD(o, "content_needs_bytes", J_U64(p->need.bytes));
	J_ADD(o, "content", J_STR(p->need.what));
	json_print(o);
}

/*
 * crypt_resize, and where the volume key is in the kernel keyring (-EPERM) the
 * key loaded there again first: by a token where this libcryptsetup can, else
 * from a keyslot with the key file or passphrase. An exit code.
 */
static int resize(struct crypt_plan *p)
{
	const struct secret *vk = applet_step_volume_key(p->name);
	struct secret pw = { 0 };
	int r = crypt_resize(p->cd, p->name, p->target);

	/*
	 * A step of shrink or grow: the volume key its check took from a keyslot, loaded
	 * into the keyring after its digest is checked again (lib/setup.c
	 * crypt_activate_by_volume_key, a NULL name), with no second PBKDF run.
	 */
	if (r == -EPERM && vk) {
		r = crypt_activate_by_volume_key(p->cd, NULL, vk->buf, vk->len,
						 CRYPT_ACTIVATE_KEYRING_KEY);
		if (r < 0) {
			log_error("%s: the volume key read before the first step no longer "
				  "matches the volume: %s", p->name, strerror(-r));
			return EXIT_FAILED;
		}
		r = crypt_resize(p->cd, p->name, p->target);
	}

	/*
	 * The volume key is in the kernel keyring: a token (e.g. systemd-tpm2, where
	 * this libcryptsetup has its plugin) may load it again unattended, before
	 * anyone is asked.
	 */
	if (r == -EPERM && p->li.tokens && !applet_key_from_file() &&
	    crypt_activate_by_token(p->cd, NULL, CRYPT_ANY_TOKEN, NULL,
				    CRYPT_ACTIVATE_KEYRING_KEY) >= 0)
		r = crypt_resize(p->cd, p->name, p->target);
	if (r == -EPERM) {
		/* The volume key is in the kernel keyring: load it there again from a keyslot. */
		if (secret_alloc(&pw) < 0 || applet_read_key(&pw, "Passphrase: ") < 0) {
			secret_free(&pw);
			log_error("%s: the volume key is in the kernel keyring and no key was given: %s",
				  p->name, err_msg(-EINVAL));
			return EXIT_FAILED;
		}
		err_clear();
		r = luks_activate_key(p->cd, NULL, pw.buf, pw.len, CRYPT_ACTIVATE_KEYRING_KEY, NULL);
		secret_free(&pw);
		if (r == -EPERM) {
			log_error("%s: no key slot opens with this %s", p->name,
				  applet_key_from_file() ? "key file" : "passphrase");
			return EXIT_FAILED;
		}
		if (r < 0) {
			/* Not a wrong key: this kernel could not try it (the message says why). */
			log_error("%s: %s", p->name, err_msg(r));
			return EXIT_FAILED;
		}
		r = crypt_resize(p->cd, p->name, p->target);
	}
	if (r < 0) {
		log_error("%s: crypt_resize failed: %s", p->name, strerror(-r));
		return EXIT_FAILED;
	}
	return 0;
}

static int apply(void *plan)
{
	struct crypt_plan *p = plan;
	FILE *out = mutate.json ? stderr : stdout;
	char bk[DEV_PATH_MAX], a[SIZE_FMT_LEN];
	uint64_t t0 = timing_now();
	int r, rc;

	err_clear();
	r = luks_header_backup(p->under, mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR,
			       bk, sizeof(bk));
	if (r < 0) {
		log_error("%s (nothing was changed)", err_msg(r));
		return EXIT_FAILED;
	}
	fprintf(out, "  LUKS header saved: %s (cryptsetup luksHeaderRestore %s --header-backup-file "
		"%s)\n", bk, p->under, bk);
	timing_lap("cryptresize:backup", &t0);
	rc = resize(p);
	timing_lap("cryptresize:resize", &t0);
	if (rc)
		return rc;
	if (crypt_get_active_device(p->cd, p->name, &p->cad) < 0 || p->cad.size != p->target) {
		log_error("%s: the mapping is %" PRIu64 " s after the resize, not %" PRIu64, p->name,
			  p->cad.size, p->target);
		return EXIT_PARTIAL;
	}
	fprintf(out, "Done: %s is %" PRIu64 " s = %s.\n", p->path, p->target,
		size_fmt(a, p->target * SECTOR_SIZE));
	return EXIT_DONE;
}

static const struct applet_stages stages = {
	.print = print_plan, .print_json = print_json, .apply = apply,
};

int cryptresize_main(int argc, char **argv)
{
	struct crypt_plan p = { 0 };
	const char *name;
	uint64_t bytes = 0, t0;
	poptContext ctx;
	int r, rc;

	secret_protect_process();
	if (applet_parse("cryptresize", argc, argv, cryptresize_opts, "NAME", &ctx))
		return EXIT_USAGE;
	rc = applet_args(ctx, "cryptresize", 1, 1, &name) < 0 || applet_key_opts_check() ?
		     EXIT_USAGE : 0;
	if (!rc && opt_size) {
		r = size_parse(opt_size, 0, &bytes);
		if (r < 0 || !bytes) {
			log_error("--size %s", r < 0 ? err_msg(r) : "must be more than 0 B");
			rc = EXIT_USAGE;
		}
	}
	if (rc)
		goto out;
	err_clear();
	t0 = timing_now();
	r = crypt_plan_make(name, bytes, &p);
	timing_lap("cryptresize:plan", &t0);
	if (r < 0) {
		rc = applet_plan_fail(r);
		goto out;
	}
	rc = applet_run_plan(&stages, &p, p.noop);
out:
	crypt_plan_free(&p);
	poptFreeContext(ctx);
	return rc;
}
