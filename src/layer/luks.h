/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LUKS1/LUKS2 headers and active dm-crypt mappings through libcryptsetup. */
#ifndef SB_LUKS_H
#define SB_LUKS_H

#include <stdbool.h>
#include <stdint.h>

struct luks_info {
	int version;			/* 1 or 2 */
	char uuid[40];
	char cipher[96];		/* "aes-xts-plain64" */
	unsigned key_bits;
	uint64_t data_offset;		/* 512-byte sectors */
	unsigned sector_size;		/* bytes: 512 for LUKS1, often 4096 for LUKS2 */
	bool size_fixed;		/* LUKS2 segment with a numeric "size" */
	uint64_t fixed_size;		/* bytes, when size_fixed */
	bool requirements;		/* LUKS2 requirements set (e.g. unfinished reencrypt) */
	unsigned keyslots;		/* active keyslots */
	char integrity[64];		/* LUKS2 data segment's dm-integrity type, "" if none */
	unsigned tokens;		/* LUKS2 tokens */
	char token_types[96];		/* their types, comma-separated ("systemd-tpm2") */
	unsigned passphrase_slots;	/* active keyslots no token names: a passphrase or key file */
	bool tpm2_pcr5;			/* a systemd-tpm2 token's policy includes PCR 5 (the GPT) */
	int tpm2_slot;			/* the keyslot of the first systemd-tpm2 token, or -1 */
	char tpm2_pcrs[64];		/* its "tpm2-pcrs", e.g. "5+7" */
	char label[64], subsystem[64];	/* LUKS2 only; "" otherwise */

	bool active;			/* an open mapping of this device was found */
	char active_name[128];
	char active_path[256];		/* /dev/mapper/<name> */
	uint64_t active_offset;		/* sectors, from the table */
	uint64_t active_size;		/* sectors */
};

/* True when the first bytes carry a LUKS magic (either header copy's). */
bool luks_magic(const uint8_t *buf, size_t len);

/*
 * Loads the header of path (a block device or a whole image file).
 * -ENOENT: not LUKS; -EBADMSG: a LUKS magic but a header libcryptsetup rejects.
 */
int luks_read(const char *path, struct luks_info *li);

/* Fills the active_* fields from mapping "name" (crypt_init_by_name). */
int luks_read_active(const char *name, struct luks_info *li);

/* Routes libcryptsetup's messages to our debug log instead of stderr. */
void luks_quiet(void);

/* What luksFormat asks for; NULL/0 fields take cryptsetup's defaults. */
struct luks_format_opts {
	int version;			/* 1 or 2 */
	const char *cipher;		/* "aes-xts-plain64" */
	unsigned key_bits;		/* 512 */
	const char *hash;		/* "sha256" */
	const char *pbkdf;		/* LUKS2: "argon2id", "argon2i", "pbkdf2"; LUKS1: pbkdf2 */
	const char *label, *subsystem;	/* LUKS2 header fields */
	const char *uuid;		/* NULL: random */
	unsigned iterations;		/* --pbkdf-force-iterations: no benchmark; 0: benchmark */
};

/* cryptsetup 2.6's luksFormat defaults, filled into the NULL/0 fields of o. */
void luks_format_defaults(struct luks_format_opts *o);

/*
 * The data offset (512-byte sectors) luks_format would choose for a device of
 * dev_bytes: the header is formatted into a sparse in-memory file of that
 * size, nothing touches a device. E_REFUSED when no data area would remain.
 */
int luks_predict_offset(uint64_t dev_bytes, const struct luks_format_opts *o, uint64_t *sectors);

/*
 * luksFormat: a new header with a random volume key, then the key in one
 * keyslot (the PBKDF benchmarked as cryptsetup does). The key is not copied.
 */
int luks_format(const char *path, const struct luks_format_opts *o, const char *key,
		size_t key_len);

/*
 * Opens path as /dev/mapper/name with key; the volume key goes into the dm
 * table, not the kernel keyring (see unlock). Errors as luks_activate_key.
 */
int luks_open(const char *path, const char *name, const char *key, size_t key_len);

struct crypt_device;
struct secret;

/*
 * crypt_activate_by_passphrase(cd, name, CRYPT_ANY_SLOT, key, flags) on a
 * loaded header; name NULL only checks the key. Returns the key slot (>= 0),
 * -EPERM when no key slot takes the key, or, when this kernel cannot decrypt
 * a key slot at all, -ENOTSUP with err_set() naming the missing kernel module
 * (AF_ALG: af_alg, algif_skcipher; the cipher; for LUKS1 dm_mod/dm_crypt) -
 * then the key is neither right nor wrong, it could not be tried. Before that
 * answer it runs "modprobe algif_skcipher" (no shell) once and tries again;
 * *loaded (may be NULL) is then "algif_skcipher", for the caller to say so.
 * Any other failure: -errno with the device and strerror in err_set().
 */
int luks_activate_key(struct crypt_device *cd, const char *name, const char *key,
		      size_t key_len, uint32_t flags, const char **loaded);

/*
 * Checks, changing nothing, that key (a passphrase or key file bytes) opens a
 * key slot of the LUKS device path on this kernel: to be called before the
 * first write of a command that will need the key later. 0 (*slot, may be
 * NULL, the key slot), -EPERM (wrong key), -ENOTSUP (this kernel cannot try
 * it: the message names the missing module) or another -errno, each with
 * err_set(). Loads algif_skcipher as luks_activate_key does (*loaded). With vk
 * (NULL: not wanted), the volume key that slot holds is copied there instead, in
 * the same one PBKDF run: a command that must load it into the kernel keyring
 * again later (cryptresize) does so without another.
 */
int luks_check_key(const char *path, const char *key, size_t key_len, int *slot,
		   const char **loaded, struct secret *vk);

/*
 * A header backup of path into dir, in the format of cryptsetup
 * luksHeaderBackup (crypt_header_backup: restorable with cryptsetup
 * luksHeaderRestore), flushed; its name in out.
 */
int luks_header_backup(const char *path, const char *dir, char *out, size_t out_len);

#endif
