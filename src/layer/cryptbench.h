/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cipher and PBKDF speed through libcryptsetup's benchmark API, for "bench
 * cipher". Ciphers run in the kernel (AF_ALG, as dm-crypt would run them),
 * PBKDFs in user space (as unlocking a keyslot does). Memory only, no storage.
 */
#ifndef SB_CRYPTBENCH_H
#define SB_CRYPTBENCH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Encryption and decryption speed of cipher-mode (e.g. "aes", "xts") with a
 * key of key_bytes, in MiB/s. -ENOTSUP: the kernel has no AF_ALG skcipher
 * interface; -ENOENT: it lacks this cipher or mode; -ERANGE: too fast to time
 * reliably even on the largest buffer tried.
 */
int cryptbench_cipher(const char *cipher, const char *mode, size_t key_bytes, double *enc_mibs,
		      double *dec_mibs);

struct kdf_bench {
	const char *type;		/* "pbkdf2", "argon2i", "argon2id" */
	const char *hash;		/* pbkdf2 only: "sha1", "sha256", "sha512" */
	uint32_t time_ms;		/* the time asked for: 1000 for pbkdf2, LUKS2's default else */
	uint32_t iterations;		/* pbkdf2: per second; argon2: for time_ms */
	uint32_t memory_kb;		/* argon2: the memory cost found for time_ms */
	uint32_t threads;		/* argon2: the parallel cost */
};

/*
 * Benchmarks k->type (and k->hash) for a key of key_bytes with the costs
 * luksFormat would start from: PBKDF2 for one second, Argon2 with LUKS2's
 * default memory limit and threads (no more threads than CPUs online) and
 * time_ms, or LUKS2's default time when it is 0. Fills the rest of *k.
 * 0 or -errno.
 */
int cryptbench_kdf(struct kdf_bench *k, size_t key_bytes, uint32_t time_ms);

#endif
