// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench cipher [--iter-time MS] [--json]
 * bench device PATH [--size S] [--write (--yes|--dry-run)] [--json]
 *
 * cipher: what encryption costs on this machine, in memory, through
 * libcryptsetup's benchmark API: PBKDF2 (sha1, sha256, sha512) iterations per
 * second and the Argon2i/Argon2id costs a new LUKS2 keyslot would get, then
 * encryption and decryption MiB/s of the usual dm-crypt ciphers, laid out as
 * "cryptsetup benchmark" lays them out. A cipher the kernel lacks is "N/A".
 * --iter-time MS tunes Argon2 to MS instead of LUKS2's default (a benchmark of
 * two Argon2 variants takes several times that, each).
 *
 * device: sequential read throughput of a block device or image file, with
 * O_DIRECT in 4 MiB chunks, over the first S bytes (default 256 MiB, or all
 * of it if smaller). When dm-crypt is involved (PATH is a LUKS device with an
 * open mapping, or PATH is the mapping) the device under the mapping and the
 * mapping are read over the same bytes and shown side by side, with the
 * encrypted/clear time ratio. Read-only; --write also overwrites those bytes
 * of PATH (destroying them) and times it, only with --yes and only when
 * nothing uses PATH (not mounted, no holders, O_EXCL open succeeds).
 *
 * Exit: 0 measured; 1 failed (nothing was written); 2 usage; 3 --write
 * refused (PATH in use, or no consent).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "jsonout.h"
#include "../applets.h"
#include "../layer/cryptbench.h"
#include "../layer/luks.h"
#include "../plan/benchdev.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/iobench.h"
#include "../util/log.h"
#include "../util/units.h"

#define BENCH_DEFAULT_SIZE (256ull << 20)
/* The key size cryptsetup benchmarks PBKDFs for: a 256-bit volume key. */
#define BENCH_KDF_KEY_BYTES 32

/* All of the applet's option state in one place (busybox: globals cost every applet). */
static struct {
	int json;
	const char *size;
	int write;
	int iter_time;
} bo;

static const struct poptOption bench_opts[] = {
	{ "json", 'j', POPT_ARG_NONE, &bo.json, 0, "print the results as JSON", NULL },
	{ "iter-time", 'i', POPT_ARG_INT, &bo.iter_time, 0,
	  "cipher: the time Argon2 is tuned to (default LUKS2's, 2000 ms)", "MS" },
	{ "size", 's', POPT_ARG_STRING, &bo.size, 0,
	  "device: how many bytes to read (default 256MiB, at most the device)", "SIZE" },
	{ "write", 0, POPT_ARG_NONE, &bo.write, 0,
	  "device: also overwrite those bytes and time it (destroys the data; needs --yes)", NULL },
	{ "yes", 'y', POPT_ARG_NONE, &mutate.yes, 0, "with --write: overwrite without asking",
	  NULL },
	{ "dry-run", 'n', POPT_ARG_NONE, &mutate.dry_run, 0,
	  "with --write: check and say what would be overwritten, then only read", NULL },
	POPT_TABLEEND
};

const struct applet_help bench_help = {
	.synopsis = "cipher [--iter-time MS] [--json]\ndevice PATH [--size SIZE] [--write "
		    "--yes] [--json]",
	.description = "cipher: what encryption costs on this machine, in memory, through "
		       "libcryptsetup's benchmark API: PBKDF2 (sha1, sha256, sha512) "
		       "iterations per second and the Argon2i/Argon2id costs a new LUKS2 "
		       "keyslot would get, then the encryption and decryption MiB/s of "
		       "aes-cbc, aes-xts, serpent-xts and twofish-xts, laid out as cryptsetup "
		       "benchmark lays them out. A cipher the kernel lacks is N/A, not an "
		       "error.\n\ndevice: the sequential read rate of a block device or image "
		       "file, O_DIRECT in 4 MiB chunks, over the first SIZE bytes (default 256 "
		       "MiB, or all of it if smaller). For a LUKS device with an open mapping, "
		       "or the mapping itself, the device under the mapping and the mapping "
		       "are read over the same bytes and shown side by side with the "
		       "encrypted/clear time ratio. Read-only unless --write, which also "
		       "overwrites those bytes of PATH (destroying them) and times it up to "
		       "the flush: only with --yes, and refused (exit 3) when PATH is mounted, "
		       "is swap, has holders or a partition in use, or an exclusive open fails.",
	.opts = bench_opts,
	.examples = {
		{ "bench cipher",
		  "PBKDF and cipher speed of this machine, as cryptsetup benchmark shows them" },
		{ "bench device /dev/nvme0n1p3 --size 1GiB --json",
		  "the read rate of its first GiB, clear and through its open dm-crypt "
		  "mapping, as JSON" },
	},
};

/* One decimal, as the text shows it: more digits would only be noise. */
#define J_RATE(v) json_object_new_double_s((v), round1(v))

/* "%.1f" of v, kept for json_object_new_double_s (it copies the text). */
static const char *round1(double v)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%.1f", v);
	return buf;
}

/* ---------------------------------------------------------------- cipher */

static const struct {
	const char *cipher, *mode;
	unsigned key_bytes;
} bench_ciphers[] = {
	/* cryptsetup benchmark's order: CBC first, then XTS by key size (XTS keys are two keys). */
	{ "aes", "cbc", 16 },
	{ "aes", "cbc", 32 },
	{ "aes", "xts", 32 },
	{ "serpent", "xts", 32 },
	{ "twofish", "xts", 32 },
	{ "aes", "xts", 64 },
	{ "serpent", "xts", 64 },
	{ "twofish", "xts", 64 },
};

static const struct {
	const char *type, *hash;
} bench_kdfs[] = {
	{ CRYPT_KDF_PBKDF2, "sha1" },
	{ CRYPT_KDF_PBKDF2, "sha256" },
	{ CRYPT_KDF_PBKDF2, "sha512" },
	{ CRYPT_KDF_ARGON2I, NULL },
	{ CRYPT_KDF_ARGON2ID, NULL },
};

static void kdf_text(const struct kdf_bench *k, int r)
{
	if (k->hash) {
		if (r < 0)
			printf("PBKDF2-%-9s     N/A\n", k->hash);
		else
			printf("PBKDF2-%-9s %7" PRIu32 " iterations per second for %d-bit key\n",
			       k->hash, k->iterations, BENCH_KDF_KEY_BYTES * 8);
	} else if (r < 0) {
		printf("%-10s N/A\n", k->type);
	} else {
		printf("%-10s %4" PRIu32 " iterations, %5" PRIu32 " memory, %1" PRIu32
		       " parallel threads (CPUs) for %d-bit key (requested %" PRIu32 " ms time)\n",
		       k->type, k->iterations, k->memory_kb, k->threads, BENCH_KDF_KEY_BYTES * 8,
		       k->time_ms);
	}
	fflush(stdout);
}

static struct json_object *kdf_json(const struct kdf_bench *k, int r)
{
	struct json_object *o = json_object_new_object();

	J_ADD(o, "type", J_STR(k->type));
	J_ADD(o, "hash", k->hash ? J_STR(k->hash) : NULL);
	J_ADD(o, "key_bits", J_U64(BENCH_KDF_KEY_BYTES * 8));
	J_ADD(o, "available", json_object_new_boolean(r == 0));
	J_ADD(o, "error", r < 0 ? J_STR(strerror(-r)) : NULL);
	J_ADD(o, "requested_time_ms", J_U64(k->time_ms));
	if (k->hash) {
		J_ADD(o, "iterations_per_second", r == 0 ? J_U64(k->iterations) : NULL);
	} else {
		J_ADD(o, "iterations", r == 0 ? J_U64(k->iterations) : NULL);
		J_ADD(o, "memory_kb", r == 0 ? J_U64(k->memory_kb) : NULL);
		J_ADD(o, "parallel_threads", r == 0 ? J_U64(k->threads) : NULL);
	}
	return o;
}

static void cipher_text(const char *name, unsigned key_bits, int r, double enc, double dec)
{
	if (r < 0)
		printf("%15s  %9ub %17s %17s\n", name, key_bits, "N/A", "N/A");
	else
		printf("%15s  %9ub  %10.1f MiB/s  %10.1f MiB/s\n", name, key_bits, enc, dec);
	fflush(stdout);
}

static struct json_object *cipher_json(unsigned i, const char *name, int r, double enc,
				       double dec)
{
	struct json_object *o = json_object_new_object();

	J_ADD(o, "name", J_STR(name));
	J_ADD(o, "cipher", J_STR(bench_ciphers[i].cipher));
	J_ADD(o, "mode", J_STR(bench_ciphers[i].mode));
	J_ADD(o, "key_bits", J_U64(bench_ciphers[i].key_bytes * 8));
	J_ADD(o, "available", json_object_new_boolean(r == 0));
	J_ADD(o, "error", r < 0 ? J_STR(strerror(-r)) : NULL);
	J_ADD(o, "encryption_mib_s", r == 0 ? J_RATE(enc) : NULL);
	J_ADD(o, "decryption_mib_s", r == 0 ? J_RATE(dec) : NULL);
	return o;
}

static int bench_cipher(void)
{
	struct json_object *root = NULL, *kdfs = NULL, *ciphers = NULL;
	unsigned measured = 0, no_af_alg = 0;

	if (bo.json) {
		root = json_object_new_object();
		kdfs = json_object_new_array();
		ciphers = json_object_new_array();
		J_ADD(root, "schema_version", J_U64(1));
		J_ADD(root, "pbkdf", kdfs);
		J_ADD(root, "ciphers", ciphers);
	} else {
		printf("# Tests are approximate using memory only (no storage IO).\n");
		fflush(stdout);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(bench_kdfs); i++) {
		struct kdf_bench k = { .type = bench_kdfs[i].type, .hash = bench_kdfs[i].hash };
		int r = cryptbench_kdf(&k, BENCH_KDF_KEY_BYTES, (uint32_t)bo.iter_time);

		measured += r == 0;
		if (bo.json)
			json_object_array_add(kdfs, kdf_json(&k, r));
		else
			kdf_text(&k, r);
	}
	if (!bo.json)
		printf("#     Algorithm |       Key |      Encryption |      Decryption\n");
	for (unsigned i = 0; i < ARRAY_SIZE(bench_ciphers); i++) {
		char name[32];
		double enc = 0, dec = 0;
		int r;

		snprintf(name, sizeof(name), "%s-%s", bench_ciphers[i].cipher,
			 bench_ciphers[i].mode);
		r = cryptbench_cipher(bench_ciphers[i].cipher, bench_ciphers[i].mode,
				      bench_ciphers[i].key_bytes, &enc, &dec);
		measured += r == 0;
		no_af_alg += r == -ENOTSUP;
		if (bo.json)
			json_object_array_add(ciphers, cipher_json(i, name, r, enc, dec));
		else
			cipher_text(name, bench_ciphers[i].key_bytes * 8, r, enc, dec);
	}
	if (bo.json) {
		J_ADD(root, "kernel_crypto_api", json_object_new_boolean(!no_af_alg));
		json_print(root);
	}
	fflush(stdout);
	/* Not an error: a rescue kernel may lack the module, and the PBKDF figures still hold. */
	if (no_af_alg)
		log_warn("the kernel's crypto API for user space (AF_ALG, module algif_skcipher) is "
			 "not available: ciphers show N/A");
	if (!measured) {
		log_error("nothing could be measured (libcryptsetup failed for every PBKDF and "
			  "cipher; --verbose shows why)");
		return EXIT_FAILED;
	}
	return EXIT_DONE;
}

/* ---------------------------------------------------------------- device */

struct bench_run {
	const char *path;		/* as given */
	struct bench_target t;
	uint64_t len;			/* bytes measured, on each device */
	bool clamped;			/* the device is smaller than what was asked */
	struct iobench_result clear, enc, wr;
	const char *wr_path;		/* what --write overwrote */
};

/* The byte range to read: what was asked, within the device and within the mapping. */
static int bench_range(struct bench_run *b, uint64_t want, uint64_t clear_size)
{
	uint64_t avail = clear_size;

	if (b->t.mapped) {
		avail = b->t.map_off < clear_size ? clear_size - b->t.map_off : 0;
		if (b->t.map_size < avail)
			avail = b->t.map_size;
	}
	avail = round_down(avail, IOBENCH_ALIGN);
	b->clamped = want > avail;
	b->len = b->clamped ? avail : want;
	if (!b->len)
		return err_set(-ENOSPC, "%s: too small to measure (less than %u B%s)", b->path,
			       IOBENCH_ALIGN, b->t.mapped ? " in the mapping" : "");
	return 0;
}

static void row_text(const char *label, const char *path, uint64_t off,
		     const struct iobench_result *res, const char *extra)
{
	char where[DEV_PATH_MAX + 48];

	snprintf(where, sizeof(where), "%s from byte %" PRIu64, path, off);
	printf("  %-10s %-44s %10.1f MiB/s  (%.3f s%s%s)\n", label, where, iobench_mibs(res),
	       res->seconds, res->direct ? "" : ", buffered: no O_DIRECT here", extra);
}

static void device_text(const struct bench_run *b)
{
	const struct bench_target *t = &b->t;
	bool direct = b->clear.direct && (!t->mapped || b->enc.direct);
	char a[SIZE_FMT_LEN];

	if (t->mapped)
		printf("%s: dm-crypt mapping %s on %s; sequential read of the same %s through "
		       "both, %u MiB chunks, %s\n", b->path, t->map_path, t->clear,
		       size_fmt(a, b->len), IOBENCH_CHUNK >> 20, direct ? "O_DIRECT" : "buffered");
	else
		printf("%s: sequential read of %s, %u MiB chunks, %s\n", b->path,
		       size_fmt(a, b->len), IOBENCH_CHUNK >> 20, direct ? "O_DIRECT" : "buffered");
	if (b->clamped)
		printf("  (smaller than asked: all of it is read)\n");
	if (!t->mapped) {
		row_text("read", t->clear, 0, &b->clear, "");
	} else {
		row_text("clear", t->clear, t->map_off, &b->clear, "");
		row_text("encrypted", t->map_path, 0, &b->enc, "");
		printf("  %-10s %.2f (encrypted/clear time; the mapping reads at %.0f%% of the "
		       "device's rate)\n", "overhead", b->enc.seconds / b->clear.seconds,
		       100.0 * b->clear.seconds / b->enc.seconds);
	}
	if (b->wr.bytes)
		row_text("write", b->wr_path, 0, &b->wr, ", flush included");
}

static struct json_object *row_json(const char *path, uint64_t off,
				    const struct iobench_result *res, const char *what)
{
	struct json_object *o = json_object_new_object();
	char k[32];

	J_ADD(o, "path", J_STR(path));
	J_ADD(o, "offset_bytes", J_U64(off));
	J_ADD(o, "size_bytes", J_U64(res->bytes));
	J_ADD(o, "direct", json_object_new_boolean(res->direct));
	snprintf(k, sizeof(k), "%s_mib_s", what);
	J_ADD(o, k, J_RATE(iobench_mibs(res)));
	snprintf(k, sizeof(k), "%s_seconds", what);
	J_ADD(o, k, json_object_new_double(res->seconds));
	return o;
}

static void device_json(const struct bench_run *b)
{
	const struct bench_target *t = &b->t;
	struct json_object *o = json_object_new_object();

	J_ADD(o, "schema_version", J_U64(1));
	J_ADD(o, "path", J_STR(b->path));
	J_ADD(o, "size_bytes", J_U64(b->len));
	J_ADD(o, "chunk_bytes", J_U64(IOBENCH_CHUNK));
	J_ADD(o, "smaller_than_asked", json_object_new_boolean(b->clamped));
	J_ADD(o, "clear", row_json(t->clear, t->mapped ? t->map_off : 0, &b->clear, "read"));
	if (t->mapped) {
		struct json_object *e = row_json(t->map_path, 0, &b->enc, "read");

		J_ADD(e, "name", J_STR(t->map_name));
		J_ADD(o, "encrypted", e);
		J_ADD(o, "overhead_ratio", json_object_new_double(b->enc.seconds /
								   b->clear.seconds));
	} else {
		J_ADD(o, "encrypted", NULL);
		J_ADD(o, "overhead_ratio", NULL);
	}
	J_ADD(o, "write", b->wr.bytes ? row_json(b->wr_path, 0, &b->wr, "write") : NULL);
	json_print(o);
}

/*
 * --write: refuses (exit 3) unless nothing uses the device and the user
 * consents; then holds it open with O_EXCL, so nothing can mount it between
 * the check and the write. Returns 0 with *wfd set, or the exit code.
 */
static int write_prepare(struct bench_run *b, int *wfd, bool *wdirect, uint64_t *wsize)
{
	_cleanup_close_ int probe = -1;
	char a[SIZE_FMT_LEN];
	int r;

	/* The device PATH names: a LUKS device under an open mapping is held, so refused below. */
	b->wr_path = b->t.path_is_mapping ? b->t.map_path : b->t.clear;
	err_clear();
	r = bench_check_unused(b->path);
	if (r < 0) {
		log_error("%s; --write overwrites only a device nothing uses", err_msg(r));
		return r == E_REFUSED ? EXIT_REFUSED : EXIT_FAILED;
	}
	/* The kernel's own answer (it knows users sysfs does not show); read-only until consent. */
	probe = open(b->wr_path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (probe < 0) {
		if (errno == EBUSY) {
			log_error("%s is in use (the kernel refuses an exclusive open); --write "
				  "overwrites only a device nothing uses", b->wr_path);
			return EXIT_REFUSED;
		}
		log_error("%s: cannot open: %m", b->wr_path);
		return EXIT_FAILED;
	}
	closep(&probe);
	probe = -1;
	if (bo.json)
		log_info("--write overwrites the first %s of %s with a test pattern: what is "
			 "there is lost", size_fmt(a, b->len), b->wr_path);
	else
		printf("--write overwrites the first %s of %s with a test pattern: what is there "
		       "is lost.\n", size_fmt(a, b->len), b->wr_path);
	fflush(stdout);
	/* Said here, not by applet_consent: its line on stdout would break --json. */
	if (mutate.dry_run) {
		if (bo.json)
			log_info("dry run: nothing is written, only read");
		else
			printf("Dry run: nothing is written, only read.\n");
		return 0;
	}
	if (applet_consent() <= 0)
		return EXIT_REFUSED;
	err_clear();
	*wfd = iobench_open(b->wr_path, O_RDWR | O_EXCL, wdirect, wsize);
	if (*wfd < 0) {
		log_error("%s", err_msg(*wfd));
		return *wfd == -EBUSY ? EXIT_REFUSED : EXIT_FAILED;
	}
	return 0;
}

static int bench_device(const char *path)
{
	struct bench_run b = { .path = path };
	_cleanup_close_ int cfd = -1, mfd = -1, wfd = -1;
	uint64_t want = BENCH_DEFAULT_SIZE, csize, msize = 0, wsize = 0;
	bool cdirect, mdirect = false, wdirect = false;
	int r, rc;

	if (bo.size) {
		err_clear();
		r = size_parse(bo.size, 0, &want);
		if (r < 0) {
			log_error("--size %s: %s", bo.size, err_msg(r));
			return EXIT_USAGE;
		}
		/* O_DIRECT reads whole logical blocks: round down, and say so if nothing is left. */
		if (round_down(want, IOBENCH_ALIGN) == 0) {
			log_error("--size %s: at least %u B is needed", bo.size, IOBENCH_ALIGN);
			return EXIT_USAGE;
		}
		want = round_down(want, IOBENCH_ALIGN);
	}
	luks_quiet();
	err_clear();
	r = bench_target_find(path, &b.t);
	if (r < 0) {
		log_error("%s", err_msg(r));
		return EXIT_FAILED;
	}
	err_clear();
	cfd = iobench_open(b.t.clear, O_RDONLY, &cdirect, &csize);
	if (cfd < 0) {
		log_error("%s", err_msg(cfd));
		return EXIT_FAILED;
	}
	r = bench_range(&b, want, csize);
	if (r < 0) {
		log_error("%s", err_msg(r));
		return EXIT_FAILED;
	}
	if (b.t.mapped) {
		mfd = iobench_open(b.t.map_path, O_RDONLY, &mdirect, &msize);
		if (mfd < 0) {
			log_error("%s", err_msg(mfd));
			return EXIT_FAILED;
		}
	}
	if (bo.write) {
		rc = write_prepare(&b, &wfd, &wdirect, &wsize);
		if (rc)
			return rc;
		/* The device may have changed between the two opens; never write past its end. */
		if (wfd >= 0 && wsize < b.len) {
			log_error("%s: now %" PRIu64 " B, smaller than the %" PRIu64 " B to write",
				  b.wr_path, wsize, b.len);
			return EXIT_FAILED;
		}
	}
	err_clear();
	r = iobench_read(cfd, b.t.clear, cdirect, b.t.mapped ? b.t.map_off : 0, b.len, &b.clear);
	if (r == 0 && b.t.mapped)
		r = iobench_read(mfd, b.t.map_path, mdirect, 0, b.len, &b.enc);
	if (r < 0) {
		log_error("%s", err_msg(r));
		return EXIT_FAILED;
	}
	if (wfd >= 0) {
		r = iobench_write(wfd, b.wr_path, wdirect, 0, b.len, &b.wr);
		if (r < 0) {
			log_error("%s (the bytes before it were overwritten)", err_msg(r));
			return EXIT_PARTIAL;
		}
	}
	if (bo.json)
		device_json(&b);
	else
		device_text(&b);
	return EXIT_DONE;
}

/* ---------------------------------------------------------------- main */

int bench_main(int argc, char **argv)
{
	const char *args[2] = { NULL, NULL };
	poptContext ctx;
	int n, rc = EXIT_USAGE;

	if (applet_parse("bench", argc, argv, bench_opts, "cipher | device PATH", &ctx))
		return EXIT_USAGE;
	n = applet_args(ctx, "bench", 1, 2, args);
	if (n < 0)
		goto out;
	if (!strcmp(args[0], "cipher")) {
		if (n != 1 || bo.size || bo.write || mutate.yes || mutate.dry_run) {
			log_error("bench cipher takes no device and no --size, --write, --yes or "
				  "--dry-run");
			goto out;
		}
		if (bo.iter_time < 0 || bo.iter_time > 60000) {
			log_error("--iter-time %d: give 1 to 60000 ms", bo.iter_time);
			goto out;
		}
		rc = bench_cipher();
	} else if (!strcmp(args[0], "device")) {
		if (n != 2) {
			log_error("bench device needs a PATH (\"bench --help\" shows the usage)");
			goto out;
		}
		if (bo.iter_time) {
			log_error("--iter-time only goes with bench cipher");
			goto out;
		}
		if ((mutate.yes || mutate.dry_run) && !bo.write) {
			log_error("--yes and --dry-run only go with --write");
			goto out;
		}
		rc = bench_device(args[1]);
	} else {
		log_error("unknown benchmark \"%s\": use cipher or device", args[0]);
	}
out:
	poptFreeContext(ctx);
	return rc;
}
