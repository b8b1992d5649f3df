// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_alg.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "luks.h"
#include "lvdm.h"
#include "../util/err.h"
#include "../util/exec.h"
#include "../util/io.h"
#include "../util/secret.h"
#include "../util/strfmt.h"
#include "../util/timing.h"
#include "../util/log.h"

static void crypt_log_to_debug(int level, const char *msg, void *usrptr)
{
	(void)usrptr;
	log_debug("libcryptsetup(%d): %.*s", level, (int)strcspn(msg, "\n"), msg);
}

void luks_quiet(void)
{
	crypt_set_log_callback(NULL, crypt_log_to_debug, NULL);
}

bool luks_magic(const uint8_t *buf, size_t len)
{
	return len >= 6 && (!memcmp(buf, "LUKS\xba\xbe", 6) || !memcmp(buf, "SKUL\xba\xbe", 6));
}

/*
 * LUKS2 tokens (docs/ondisk.md, LUKS2 JSON "tokens"): each names the keyslots
 * it unlocks. A keyslot no token names is one a passphrase or key file opens.
 * A systemd-tpm2 token (systemd's src/cryptsetup/cryptsetup-tokens) records
 * the PCRs its policy binds in "tpm2-pcrs"; PCR 5 measures the GPT, so a
 * changed partition table makes that token fail on the next boot.
 */
static void luks2_tokens(struct json_object *root, struct luks_info *li, bool used[32])
{
	struct json_object *toks, *type, *slots, *pcrs;
	size_t tl = 0;

	li->tpm2_slot = -1;
	if (!json_object_object_get_ex(root, "tokens", &toks))
		return;
	json_object_object_foreach(toks, key, tok) {
		const char *t;

		(void)key;
		li->tokens++;
		t = json_object_object_get_ex(tok, "type", &type) ? json_object_get_string(type) : "?";
		if (tl < sizeof(li->token_types))
			tl += (size_t)snprintf(li->token_types + tl, sizeof(li->token_types) - tl,
					       "%s%s", tl ? "," : "", t);
		if (json_object_object_get_ex(tok, "keyslots", &slots) &&
		    json_object_is_type(slots, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(slots); i++) {
				int ks = atoi(json_object_get_string(json_object_array_get_idx(slots,
											 i)));

				if (ks >= 0 && ks < 32)
					used[ks] = true;
				if (!strcmp(t, "systemd-tpm2") && li->tpm2_slot < 0)
					li->tpm2_slot = ks;
			}
		}
		if (strcmp(t, "systemd-tpm2") || !json_object_object_get_ex(tok, "tpm2-pcrs", &pcrs) ||
		    !json_object_is_type(pcrs, json_type_array))
			continue;
		for (size_t i = 0, pl = strlen(li->tpm2_pcrs); i < json_object_array_length(pcrs);
		     i++) {
			int pcr = json_object_get_int(json_object_array_get_idx(pcrs, i));

			li->tpm2_pcr5 |= pcr == 5;
			if (pl < sizeof(li->tpm2_pcrs))
				pl += (size_t)snprintf(li->tpm2_pcrs + pl, sizeof(li->tpm2_pcrs) - pl,
						       "%s%d", pl ? "+" : "", pcr);
		}
	}
}

/*
 * LUKS2: the data segment's "size" ("dynamic" or bytes), its "integrity"
 * (dm-integrity under dm-crypt: cryptsetup --integrity), any requirements,
 * the tokens.
 */
static void luks2_segment(struct crypt_device *cd, struct luks_info *li, bool used[32])
{
	const char *json = NULL;
	struct json_object *root, *segs, *cfg, *req, *integ, *itype;

	if (crypt_dump_json(cd, &json, 0) < 0 || !json)
		return;
	root = json_tokener_parse(json);
	if (!root)
		return;
	if (json_object_object_get_ex(root, "segments", &segs)) {
		json_object_object_foreach(segs, key, seg) {
			struct json_object *type, *size;

			(void)key;
			if (!json_object_object_get_ex(seg, "type", &type) ||
			    strcmp(json_object_get_string(type), "crypt") ||
			    !json_object_object_get_ex(seg, "size", &size))
				continue;
			if (json_object_object_get_ex(seg, "integrity", &integ) &&
			    json_object_object_get_ex(integ, "type", &itype))
				snprintf(li->integrity, sizeof(li->integrity), "%s",
					 json_object_get_string(itype));
			if (strcmp(json_object_get_string(size), "dynamic")) {
				li->size_fixed = true;
				li->fixed_size = strtoull(json_object_get_string(size), NULL, 10);
			}
			break;
		}
	}
	if (json_object_object_get_ex(root, "config", &cfg) &&
	    json_object_object_get_ex(cfg, "requirements", &req))
		li->requirements = true;
	luks2_tokens(root, li, used);
	json_object_put(root);
}

int luks_read(const char *path, struct luks_info *li)
{
	struct crypt_device *cd = NULL;
	bool used[32] = { false };
	const char *type;
	int r;

	memset(li, 0, sizeof(*li));
	li->tpm2_slot = -1;
	r = crypt_init(&cd, path);
	if (r < 0)
		return err_set(r, "%s: libcryptsetup cannot open it: %s", path, strerror(-r));
	r = crypt_load(cd, CRYPT_LUKS, NULL);
	if (r < 0) {
		crypt_free(cd);
		return err_set(-EBADMSG, "%s: LUKS header is damaged or unsupported (%s)", path,
			       strerror(-r));
	}
	type = crypt_get_type(cd);
	li->version = type && !strcmp(type, CRYPT_LUKS2) ? 2 : 1;
	snprintf(li->uuid, sizeof(li->uuid), "%s", crypt_get_uuid(cd) ? crypt_get_uuid(cd) : "");
	snprintf(li->cipher, sizeof(li->cipher), "%s-%s", crypt_get_cipher(cd),
		 crypt_get_cipher_mode(cd));
	li->key_bits = (unsigned)crypt_get_volume_key_size(cd) * 8;
	li->data_offset = crypt_get_data_offset(cd);
	li->sector_size = (unsigned)crypt_get_sector_size(cd);
	if (li->version == 2)
		luks2_segment(cd, li, used);
	for (int ks = 0; ks < crypt_keyslot_max(type); ks++) {
		crypt_keyslot_info ki = crypt_keyslot_status(cd, ks);
		bool active = ki == CRYPT_SLOT_ACTIVE || ki == CRYPT_SLOT_ACTIVE_LAST;

		li->keyslots += active;
		li->passphrase_slots += active && !(ks < 32 && used[ks]);
	}
	if (li->version == 2) {
		snprintf(li->label, sizeof(li->label), "%s",
			 crypt_get_label(cd) ? crypt_get_label(cd) : "");
		snprintf(li->subsystem, sizeof(li->subsystem), "%s",
			 crypt_get_subsystem(cd) ? crypt_get_subsystem(cd) : "");
	}
	crypt_free(cd);
	return 0;
}

int luks_read_active(const char *name, struct luks_info *li)
{
	struct crypt_device *cd = NULL;
	struct crypt_active_device cad;
	int r;

	r = crypt_init_by_name(&cd, name);
	if (r < 0)
		return err_set(r, "mapping %s: %s", name, strerror(-r));
	r = crypt_get_active_device(cd, name, &cad);
	crypt_free(cd);
	if (r < 0)
		return err_set(r, "mapping %s: cannot read its table: %s", name, strerror(-r));
	li->active = true;
	snprintf(li->active_name, sizeof(li->active_name), "%s", name);
	snprintf(li->active_path, sizeof(li->active_path), "/dev/mapper/%s", name);
	li->active_offset = cad.offset;
	li->active_size = cad.size;
	return 0;
}

void luks_format_defaults(struct luks_format_opts *o)
{
	if (!o->version)
		o->version = 2;
	if (!o->cipher)
		o->cipher = "aes-xts-plain64";
	if (!o->key_bits)
		o->key_bits = 512;
	if (!o->hash)
		o->hash = "sha256";
	if (!o->pbkdf)
		o->pbkdf = o->version == 2 ? CRYPT_KDF_ARGON2ID : CRYPT_KDF_PBKDF2;
}

/* crypt_format without a keyslot: the header only. */
static int format_header(struct crypt_device *cd, const struct luks_format_opts *o)
{
	const struct crypt_pbkdf_type *def;
	struct crypt_pbkdf_type pbkdf = { 0 };
	struct crypt_params_luks1 p1 = { .hash = o->hash };
	struct crypt_params_luks2 p2 = { .pbkdf = &pbkdf, .label = o->label,
					 .subsystem = o->subsystem };
	const char *dash = strchr(o->cipher, '-');
	char cipher[64], mode[64];
	int r;

	if (!dash || dash == o->cipher || !dash[1] || (size_t)(dash - o->cipher) >= sizeof(cipher) ||
	    strlen(dash + 1) >= sizeof(mode))
		return err_set(-EINVAL, "\"%s\" is not a cipher specification such as "
			       "aes-xts-plain64", o->cipher);
	snprintf(cipher, sizeof(cipher), "%.*s", (int)(dash - o->cipher), o->cipher);
	snprintf(mode, sizeof(mode), "%s", dash + 1);
	if (o->key_bits % 8 || !o->key_bits)
		return err_set(-EINVAL, "a key size of %u bits is not whole bytes", o->key_bits);
	if (o->version == 1 && strcmp(o->pbkdf, CRYPT_KDF_PBKDF2))
		return err_set(-EINVAL, "LUKS1 takes only the pbkdf2 PBKDF");

	/* cryptsetup's defaults (time, memory, threads) for this PBKDF, as luksFormat takes them. */
	def = crypt_get_pbkdf_default(o->version == 1 ? CRYPT_LUKS1 : CRYPT_LUKS2);
	if (def)
		pbkdf = *def;
	pbkdf.type = o->pbkdf;
	pbkdf.hash = o->hash;
	if (!strcmp(o->pbkdf, CRYPT_KDF_PBKDF2)) {
		pbkdf.max_memory_kb = 0;
		pbkdf.parallel_threads = 0;
	} else if (!pbkdf.max_memory_kb) {
		pbkdf.max_memory_kb = 1048576;
		pbkdf.parallel_threads = 4;
	}
	if (o->iterations) {
		pbkdf.iterations = o->iterations;
		pbkdf.flags = CRYPT_PBKDF_NO_BENCHMARK;
		if (strcmp(o->pbkdf, CRYPT_KDF_PBKDF2)) {
			pbkdf.max_memory_kb = 65536;
			pbkdf.parallel_threads = 1;
		}
	}
	r = crypt_set_pbkdf_type(cd, &pbkdf);
	if (r < 0)
		return err_set(r, "PBKDF %s with %s: %s", o->pbkdf, o->hash, strerror(-r));
	if (o->version == 1)
		r = crypt_format(cd, CRYPT_LUKS1, cipher, mode, o->uuid, NULL, o->key_bits / 8, &p1);
	else
		r = crypt_format(cd, CRYPT_LUKS2, cipher, mode, o->uuid, NULL, o->key_bits / 8, &p2);
	if (r < 0)
		return err_set(r, "luksFormat (LUKS%d, %s, %u-bit key, %s, %s) failed: %s",
			       o->version, o->cipher, o->key_bits, o->hash, o->pbkdf,
			       strerror(-r));
	return 0;
}

int luks_predict_offset(uint64_t dev_bytes, const struct luks_format_opts *o, uint64_t *sectors)
{
	struct crypt_device *cd = NULL;
	char path[64];
	int fd, r;

	fd = memfd_create("shrinkbox-luks-plan", MFD_CLOEXEC);
	if (fd < 0)
		return err_set(-errno, "memfd_create: %m");
	if (ftruncate(fd, (off_t)dev_bytes) < 0) {
		r = err_set(-errno, "memfd of %" PRIu64 " bytes: %m", dev_bytes);
		close(fd);
		return r;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = crypt_init(&cd, path);
	if (r == 0)
		r = format_header(cd, o);
	else
		r = err_set(r, "libcryptsetup: %s", strerror(-r));
	if (r == 0) {
		*sectors = crypt_get_data_offset(cd);
		if (*sectors * 512 >= dev_bytes)
			r = err_set(E_REFUSED, "a LUKS%d header takes %" PRIu64 " bytes; the device "
				    "has only %" PRIu64, o->version, *sectors * 512, dev_bytes);
	} else if (r == -EINVAL || r == -ENOSPC) {
		r = err_wrap(E_REFUSED, "%s", "the LUKS header does not fit: ");
	}
	crypt_free(cd);
	close(fd);
	return r;
}

int luks_format(const char *path, const struct luks_format_opts *o, const char *key,
		size_t key_len)
{
	struct crypt_device *cd = NULL;
	int r;

	r = crypt_init(&cd, path);
	if (r < 0)
		return err_set(r, "%s: libcryptsetup cannot open it: %s", path, strerror(-r));
	r = format_header(cd, o);
	if (r == 0) {
		r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, key, key_len);
		if (r < 0)
			r = err_set(r, "%s: adding the keyslot failed: %s", path, strerror(-r));
		else
			r = 0;
	} else {
		r = err_wrap(r, "%s: ", path);
	}
	crypt_free(cd);
	return r;
}

/*
 * The kernel algorithm name libcryptsetup binds an AF_ALG socket to for a key
 * slot cipher such as "aes-xts-plain64": "xts(aes)", the IV dropped
 * (lib/crypto_backend/crypto_storage.c crypt_storage_init, then
 * crypto_cipher_kernel.c crypt_cipher_init_kernel: "%s(%s)", mode, cipher).
 */
static int kernel_cipher_name(const char *spec, char *out, size_t len)
{
	const char *dash = strchr(spec, '-');
	size_t mlen;

	if (!dash || dash == spec)
		return -EINVAL;
	mlen = strcspn(dash + 1, "-");
	if (!mlen || (size_t)snprintf(out, len, "%.*s(%.*s)", (int)mlen, dash + 1,
				      (int)(dash - spec), spec) >= len)
		return -EINVAL;
	return 0;
}

/*
 * What libcryptsetup's nettle (and kernel) backend needs to decrypt a key slot
 * area: an AF_ALG socket bound to {"skcipher", alg}. socket() fails with
 * EAFNOSUPPORT without af_alg; bind() fails with ENOENT both without
 * algif_skcipher (no "skcipher" type: crypto/af_alg.c alg_bind) and without the
 * cipher (crypto/algif_skcipher.c skcipher_bind): /sys/module tells them apart.
 * 0 when the socket binds; -EAFNOSUPPORT (no AF_ALG), -ENOPROTOOPT (no skcipher
 * type), -ENOENT (no such cipher) or another -errno; why[] says which module.
 */
static int afalg_probe(const char *alg, char *why, size_t len)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "skcipher" };
	int fd, r = 0;

	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", alg);
	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		if (r == -EAFNOSUPPORT)
			snprintf(why, len, "it has no AF_ALG sockets (kernel modules af_alg, "
				 "algif_skcipher)");
		else
			snprintf(why, len, "socket(AF_ALG): %s", strerror(-r));
		return r;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		if (r == -ENOENT && access("/sys/module/algif_skcipher", F_OK) < 0) {
			snprintf(why, len, "it has AF_ALG sockets but not their skcipher type "
				 "(kernel module algif_skcipher)");
			r = -ENOPROTOOPT;
		} else if (r == -ENOENT)
			snprintf(why, len, "it has no cipher %s (modprobe 'crypto-%s')", alg, alg);
		else
			snprintf(why, len, "AF_ALG skcipher %s: %s", alg, strerror(-r));
	}
	close(fd);
	return r;
}

/*
 * modprobe algif_skcipher, exec'd without a shell, for a kernel whose own
 * module autoloading (request_module) did not load it. 0 when it exited 0;
 * else note[] says what happened.
 */
static int load_algif_skcipher(char *note, size_t len)
{
	char *argv[] = { "modprobe", "algif_skcipher", NULL };
	char out[256];
	size_t n;
	int r, status;

	r = run_program(argv, &status, out, sizeof(out));
	if (r == -ENOENT) {
		snprintf(note, len, "modprobe is not installed");
		return r;
	}
	if (r < 0) {
		snprintf(note, len, "modprobe algif_skcipher: %s", strerror(-r));
		return r;
	}
	if (status) {
		n = strcspn(out, "\n");
		snprintf(note, len, "modprobe algif_skcipher: exit %d (%.*s)", status,
			 (int)(n < 120 ? n : 120), out);
		return -EIO;
	}
	return 0;
}

/* The cipher of the first active key slot, as libcryptsetup decrypts it. */
static int keyslot_alg(struct crypt_device *cd, char *alg, size_t len)
{
	const char *type = crypt_get_type(cd);
	size_t key_size;

	for (int ks = 0; type && ks < crypt_keyslot_max(type); ks++) {
		crypt_keyslot_info ki = crypt_keyslot_status(cd, ks);
		const char *spec;

		if (ki != CRYPT_SLOT_ACTIVE && ki != CRYPT_SLOT_ACTIVE_LAST)
			continue;
		spec = crypt_keyslot_get_encryption(cd, ks, &key_size);
		if (spec && kernel_cipher_name(spec, alg, len) == 0)
			return 0;
	}
	return -ENOENT;
}

/*
 * One key slot opened with key: activating name (NULL: only checked), or, with vk,
 * the volume key copied out. Either is one PBKDF run (timed as luks:keyslot).
 */
static int open_slot(struct crypt_device *cd, const char *name, const char *key, size_t key_len,
		     uint32_t flags, struct secret *vk)
{
	uint64_t t0 = timing_now();
	size_t n = SECRET_MAX;
	int r;

	if (vk) {
		r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, vk->buf, &n, key, key_len);
		vk->len = r >= 0 ? n : 0;
	} else {
		r = crypt_activate_by_passphrase(cd, name, CRYPT_ANY_SLOT, key, key_len, flags);
	}
	timing_note("luks:keyslot", timing_now() - t0);
	return r;
}

static int try_key(struct crypt_device *cd, const char *name, const char *key, size_t key_len,
		   uint32_t flags, const char **loaded, struct secret *vk)
{
	const char *dev = crypt_get_device_name(cd) ? crypt_get_device_name(cd) : "LUKS device";
	const char *type = crypt_get_type(cd);
	char alg[128], why[256], note[320] = "", dm[160] = "";
	int r, p;

	if (loaded)
		*loaded = NULL;
	r = open_slot(cd, name, key, key_len, flags, vk);
	if (r >= 0)
		return r;
	if (r == -EPERM)
		return err_set(-EPERM, "%s: no key slot opens with this key", dev);
	/*
	 * Without a usable AF_ALG skcipher the key slot area cannot be decrypted
	 * and libcryptsetup answers ENOTSUP (socket failed) or ENOENT (bind failed:
	 * for LUKS2 "key slot unusable", lib/luks2/luks2_keyslot.c), or, for LUKS1,
	 * EIO from its fallback through a temporary dm-crypt device
	 * (lib/luks1/keyencryption.c LUKS_endec_template) when device-mapper is
	 * missing too. LUKS2 has no such fallback in a build with kernel crypto
	 * (lib/luks2/luks2_keyslot_luks2.c, ENABLE_AF_ALG). None of these says
	 * anything about the key: find out which kernel module is missing. (An
	 * EPERM is trusted: LUKS2 prefers it to an unusable slot, so with key slots
	 * of different ciphers, one of them unusable here, it could hide a right key.)
	 */
	if ((r != -ENOTSUP && r != -ENOENT && r != -EIO) || keyslot_alg(cd, alg, sizeof(alg)) < 0)
		goto other;
	p = afalg_probe(alg, why, sizeof(why));
	if (p == 0)
		goto other;
	/* modprobe can only help with the AF_ALG modules; a missing cipher is said as it is. */
	if ((p == -EAFNOSUPPORT || p == -ENOPROTOOPT) &&
	    load_algif_skcipher(note, sizeof(note)) == 0) {
		if (afalg_probe(alg, why, sizeof(why)) == 0) {
			if (loaded)
				*loaded = "algif_skcipher";
			r = open_slot(cd, name, key, key_len, flags, vk);
			if (r >= 0)
				return r;
			if (r == -EPERM)
				return err_set(-EPERM, "%s: no key slot opens with this key", dev);
			goto other;
		}
		snprintf(note, sizeof(note), "modprobe algif_skcipher worked, yet %s", why);
	}
	if (type && !strcmp(type, CRYPT_LUKS1))
		snprintf(dm, sizeof(dm), "; LUKS1's fallback, a temporary dm-crypt device, needs "
			 "%s", lvdm_available() ? "dm-crypt (kernel module dm_crypt)" :
			 "device-mapper, missing too (kernel modules dm_mod, dm_crypt)");
	return err_set(-ENOTSUP, "%s: the key cannot be tried: this kernel cannot decrypt key "
		       "slots (%s, through AF_ALG): %s%s%s%s", dev, alg, why, note[0] ? "; " : "",
		       note, dm);
other:
	if (name)
		return err_set(r, "%s: cannot open it as %s: %s", dev, name, strerror(-r));
	return err_set(r, "%s: cannot check the key: %s", dev, strerror(-r));
}

int luks_activate_key(struct crypt_device *cd, const char *name, const char *key,
		      size_t key_len, uint32_t flags, const char **loaded)
{
	return try_key(cd, name, key, key_len, flags, loaded, NULL);
}

static int load_header(const char *path, struct crypt_device **cd)
{
	int r = crypt_init(cd, path);

	if (r == 0)
		r = crypt_load(*cd, CRYPT_LUKS, NULL);
	if (r < 0) {
		crypt_free(*cd);
		*cd = NULL;
		return err_set(r, "%s: cannot load the LUKS header: %s", path, strerror(-r));
	}
	return 0;
}

int luks_check_key(const char *path, const char *key, size_t key_len, int *slot,
		   const char **loaded, struct secret *vk)
{
	struct crypt_device *cd = NULL;
	int r;

	/* A fresh handle: crypt_volume_key_get falls back to a key the handle already holds. */
	r = load_header(path, &cd);
	if (r < 0)
		return r;
	/*
	 * A NULL name: the key slot is decrypted and its digest checked, nothing activated;
	 * or the volume key, checked against the digest the same way (lib/setup.c
	 * crypt_volume_key_get_by_keyslot_context: LUKS2_keyslot_open, LUKS_open_key_with_hdr).
	 */
	r = try_key(cd, NULL, key, key_len, 0, loaded, vk);
	crypt_free(cd);
	if (r < 0)
		return r;
	if (slot)
		*slot = r;
	return 0;
}

int luks_open(const char *path, const char *name, const char *key, size_t key_len)
{
	struct crypt_device *cd = NULL;
	int r;

	r = load_header(path, &cd);
	if (r < 0)
		return r;
	crypt_volume_key_keyring(cd, 0);
	r = luks_activate_key(cd, name, key, key_len, 0, NULL);
	crypt_free(cd);
	return r < 0 ? r : 0;
}

int luks_header_backup(const char *path, const char *dir, char *out, size_t out_len)
{
	struct crypt_device *cd = NULL;
	const char *base = strrchr(path, '/');
	int r, fd;

	r = mkdir_parents(dir, 0700);
	if (r < 0)
		return err_set(r, "cannot create the backup directory %s: %s", dir, strerror(-r));
	if (str_fmt(out, out_len, "%s/%s_%lld.luksheader", dir, base ? base + 1 : path,
		    (long long)time(NULL)) < 0)
		return err_set(-ENAMETOOLONG, "backup path too long");
	r = crypt_init(&cd, path);
	if (r < 0)
		return err_set(r, "%s: libcryptsetup cannot open it: %s", path, strerror(-r));
	r = crypt_load(cd, CRYPT_LUKS, NULL);
	if (r >= 0) {
		/* crypt_header_backup refuses an existing file: a re-run in the same second. */
		unlink(out);
		r = crypt_header_backup(cd, NULL, out);
	}
	crypt_free(cd);
	if (r < 0)
		return err_set(r, "cannot back up the LUKS header of %s to %s: %s", path, out,
			       strerror(-r));
	fd = open(out, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return err_set(r, "cannot flush the backup %s: %m", out);
	}
	close(fd);
	return 0;
}
