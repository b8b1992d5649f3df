// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key of a LUKS mapping, for the applets that resize one: the key options, reading
 * the key, checking it before the first write of a command, and handing the volume key it
 * gave to the command's cryptresize steps; the LUKS2 token checks beside them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libcryptsetup.h>

#include "common.h"
#include "../layer/luks.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/secret.h"
#include "../util/units.h"

/*
 * The volume keys applet_check_key took out of a key slot, one per mapping (the PV's
 * LUKS and a LUKS inside an LV may have different passphrases), for the cryptresize
 * steps: one PBKDF run per mapping and command, and the passphrase wiped at once.
 */
#define STEP_KEYS 4
static struct step_key {
	char map[128];
	struct secret vk;
} step_keys[STEP_KEYS];
/* Set while a step runs in this process (step.c): applet_step_volume_key answers. */
static bool key_handoff;

bool applet_key_handoff(bool on)
{
	bool was = key_handoff;

	key_handoff = on;
	return was;
}

static const char *key_file, *key_offset, *key_size;
static uint64_t key_off_n, key_size_n;

const struct poptOption key_table[] = {
	{ "key-file", 'd', POPT_ARG_STRING, &key_file, 0, "read the key from FILE (- is stdin)",
	  "FILE" },
	{ "keyfile-offset", 0, POPT_ARG_STRING, &key_offset, 0,
	  "skip this many bytes of the key file", "BYTES" },
	{ "keyfile-size", 0, POPT_ARG_STRING, &key_size, 0,
	  "read only this many bytes of the key file", "BYTES" },
	POPT_TABLEEND
};

int applet_key_opts_check(void)
{
	if ((key_offset && count_parse(key_offset, &key_off_n) < 0) ||
	    (key_size && count_parse(key_size, &key_size_n) < 0)) {
		log_error("--keyfile-offset and --keyfile-size take a plain number of bytes");
		return EXIT_USAGE;
	}
	if ((key_offset || key_size) && !key_file) {
		log_error("--keyfile-offset and --keyfile-size need --key-file");
		return EXIT_USAGE;
	}
	return applet_key_file_check(key_file);
}

int applet_key_file_check(const char *path)
{
	if (path && strcmp(path, "-") && access(path, R_OK) < 0) {
		log_error("--key-file %s: %m", path);
		return EXIT_USAGE;
	}
	return 0;
}

int applet_key_from_file(void)
{
	return key_file != NULL;
}

int applet_read_key(struct secret *pw, const char *prompt)
{
	if (key_file)
		return secret_read_keyfile(pw, key_file, key_off_n, key_size_n);
	if (isatty(STDIN_FILENO))
		return secret_read_tty(pw, prompt);
	return secret_read_line(pw, STDIN_FILENO);
}

void applet_key_release(void)
{
	for (unsigned i = 0; i < STEP_KEYS; i++) {
		secret_free(&step_keys[i].vk);
		step_keys[i].map[0] = '\0';
	}
}

/* The entry of map_name, else a free one (wiped first), else NULL. */
static struct step_key *step_key_slot(const char *map_name, bool add)
{
	struct step_key *free_one = NULL;

	for (unsigned i = 0; i < STEP_KEYS; i++) {
		if (step_keys[i].vk.buf && !strcmp(step_keys[i].map, map_name))
			return &step_keys[i];
		if (!step_keys[i].vk.buf && !free_one)
			free_one = &step_keys[i];
	}
	if (!add || !free_one || secret_alloc(&free_one->vk) < 0)
		return NULL;
	snprintf(free_one->map, sizeof(free_one->map), "%s", map_name);
	return free_one;
}

const struct secret *applet_step_volume_key(const char *map_name)
{
	struct step_key *k = key_handoff ? step_key_slot(map_name, false) : NULL;

	return k && k->vk.len ? &k->vk : NULL;
}

int applet_check_key(const char *map_name, const char *keyfile)
{
	struct crypt_device *cd = NULL;
	struct crypt_active_device cad;
	struct secret pw = { 0 };
	struct step_key *k;
	int r;

	luks_quiet();
	r = crypt_init_by_name(&cd, map_name);
	if (r == 0)
		r = crypt_get_active_device(cd, map_name, &cad);
	if (r < 0) {
		crypt_free(cd);
		return err_set(r, "%s: cannot read the mapping: %s", map_name, strerror(-r));
	}
	/*
	 * Resizing a mapping whose volume key is in the kernel keyring (cryptsetup
	 * opens LUKS2 so) needs the key loaded again: the key must be at hand, and
	 * must open a keyslot on this kernel, before anything else in the command
	 * writes. The volume key that keyslot gives is what the step loads.
	 */
	if (!(cad.flags & CRYPT_ACTIVATE_KEYRING_KEY) || applet_step_volume_key(map_name)) {
		/* (In a step, the command checked this key already and kept what it gave.) */
		crypt_free(cd);
		return 0;
	}
	k = step_key_slot(map_name, true);
	r = k ? secret_alloc(&pw) : -ENOMEM;
	if (r == 0 && keyfile)
		r = secret_read_keyfile(&pw, keyfile, 0, 0);
	else if (r == 0 && isatty(STDIN_FILENO))
		r = secret_read_tty(&pw, "Passphrase (for resizing the LUKS mapping): ");
	else if (r == 0)
		r = err_set(E_REFUSED, "%s: its volume key is in the kernel keyring, so resizing it "
			    "needs the passphrase again: give --key-file FILE (nothing was changed)",
			    map_name);
	if (r == 0) {
		const char *under = crypt_get_device_name(cd), *loaded = NULL;

		/* Changes nothing: a keyslot opens, on this kernel, and gives its volume key. */
		r = luks_check_key(under, pw.buf, pw.len, NULL, &loaded, &k->vk);
		if (r == -EPERM)
			r = err_set(E_REFUSED, "%s: no keyslot opens with this %s (nothing was "
				    "changed)", map_name, keyfile ? "key file" : "passphrase");
		else if (r < 0) {
			char why[400];

			snprintf(why, sizeof(why), "%s", err_msg(r));
			r = err_set(E_REFUSED, "%s: resizing it needs the key, and %s (nothing was "
				    "changed)", map_name, why);
		}
		else if (loaded)
			log_info("loaded the kernel module %s to check the key", loaded);
	}
	secret_free(&pw);
	if (r < 0 && k) {
		secret_free(&k->vk);
		k->map[0] = '\0';
	}
	crypt_free(cd);
	return r;
}

/*
 * systemd-cryptenroll's TPM2 token unseals its key only while the PCRs of its
 * policy hold the values they had at enrolment; PCR 5 holds the firmware's
 * measurement of the GPT (TCG PC Client Platform Firmware Profile: the
 * EFI_GPT_DATA event), so a changed partition table changes it.
 */
int applet_check_luks_tokens(const char *dev, const struct luks_info *li, bool table_changes)
{
	if (!table_changes || !li->tpm2_pcr5 || li->passphrase_slots)
		return 0;
	return err_set(E_REFUSED, "%s: its only keyslot%s (%u) belong to a TPM2 token bound to PCR 5 "
		       "(the partition table), which this changes: nothing could unlock it on the "
		       "next boot; add a passphrase first (cryptsetup luksAddKey %s, or "
		       "systemd-cryptenroll --password %s)", dev, li->keyslots == 1 ? "" : "s",
		       li->keyslots, dev, dev);
}

void applet_print_luks_tokens(const char *dev, const struct luks_info *li, bool table_changes)
{
	if (!li->tokens)
		return;
	printf("  %-14s %u LUKS2 token(s): %s; %u keyslot(s) open by passphrase or key file\n",
	       "tokens", li->tokens, li->token_types, li->passphrase_slots);
	if (li->tpm2_slot < 0)
		return;
	if (table_changes && li->tpm2_pcr5)
		printf("  %-14s the TPM2 token (keyslot %d, PCRs %s) is bound to PCR 5, the partition "
		       "table, which this changes: the next boot asks for the passphrase; then "
		       "enrol it again: systemd-cryptenroll --wipe-slot=tpm2 --tpm2-device=auto "
		       "--tpm2-pcrs=%s %s\n", "", li->tpm2_slot, li->tpm2_pcrs, li->tpm2_pcrs, dev);
	else
		printf("  %-14s the TPM2 token (keyslot %d, PCRs %s) %s\n", "", li->tpm2_slot,
		       li->tpm2_pcrs[0] ? li->tpm2_pcrs : "none",
		       table_changes ? "is not bound to PCR 5: changing the partition table keeps it "
				       "working" : "is not affected");
}
