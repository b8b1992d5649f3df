// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <libcryptsetup.h>
#include <string.h>
#include <unistd.h>

#include "cryptbench.h"
#include "../util/log.h"

int cryptbench_cipher(const char *cipher, const char *mode, size_t key_bytes, double *enc_mibs,
		      double *dec_mibs)
{
	size_t buf = 1u << 20;
	int r;

	/*
	 * libcryptsetup answers -ERANGE when one pass over the buffer is too short
	 * to time: a fast CPU gets a larger buffer, up to 64 MiB (an initramfs
	 * with little memory must still cope).
	 */
	for (;;) {
		r = crypt_benchmark(NULL, cipher, mode, key_bytes, 0, buf, enc_mibs, dec_mibs);
		if (r != -ERANGE || buf >= (64u << 20))
			break;
		buf *= 2;
	}
	if (r < 0)
		log_debug("cipher %s-%s, %zu-bit key: %s", cipher, mode, key_bytes * 8, strerror(-r));
	return r;
}

int cryptbench_kdf(struct kdf_bench *k, size_t key_bytes, uint32_t time_ms)
{
	/* The inputs only need to be fixed and of a keyslot's usual sizes (32-byte salt). */
	static const char pw[] = "shrinkbox bench";
	static const char salt[] = "shrinkbox bench salt 0123456789a";
	struct crypt_pbkdf_type p = { .type = k->type, .hash = k->hash };
	int r;

	if (!strcmp(k->type, CRYPT_KDF_PBKDF2)) {
		/* One second is what libcryptsetup itself times PBKDF2 for, then scales. */
		p.time_ms = 1000;
	} else {
		const struct crypt_pbkdf_type *def = crypt_get_pbkdf_default(CRYPT_LUKS2);
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		if (!def)
			return -ENOTSUP;
		/*
		 * The costs luksFormat starts from, so the figures say what a new
		 * keyslot here would cost; luksFormat also caps the threads at the
		 * CPUs online, and the library caps the memory at what is free.
		 */
		p.time_ms = time_ms ? time_ms : def->time_ms;
		p.max_memory_kb = def->max_memory_kb;
		p.parallel_threads = def->parallel_threads;
		if (cpus > 0 && p.parallel_threads > (uint32_t)cpus)
			p.parallel_threads = (uint32_t)cpus;
	}
	k->time_ms = p.time_ms;
	r = crypt_benchmark_pbkdf(NULL, &p, pw, sizeof(pw) - 1, salt, sizeof(salt) - 1, key_bytes,
				  NULL, NULL);
	if (r < 0) {
		log_debug("%s%s%s: %s", k->type, k->hash ? "-" : "", k->hash ? k->hash : "",
			  strerror(-r));
		return r;
	}
	k->iterations = p.iterations;
	k->memory_kb = p.max_memory_kb;
	k->threads = p.parallel_threads;
	return 0;
}
