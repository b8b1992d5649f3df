// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * migrate VG --from PV --to DEVICE [--type luks1|luks2] [--cipher C] [--key-size BITS]
 *         [--hash H] [--pbkdf P] [--name NAME] [--key-file FILE] [--force] [--wipe-source]
 *         [--dry-run] [--yes] [--backup-dir DIR] [--devices LIST]
 *
 * Moves a VG from a clear PV onto a new LUKS PV: the manual sequence luksFormat,
 * open, pvcreate, vgextend, pvmove, vgreduce in one command:
 *
 *   1. luksFormat DEVICE (LUKS2 by default) with a new random UUID; LUKS2
 *      headers carry the subsystem "shrinkbox:<VG uuid>" that marks them ours;
 *   2. open it as /dev/mapper/luks-<UUID> (--name), the name dracut and
 *      systemd-cryptsetup give it without a crypttab entry;
 *   3. pvcreate on the mapping as lvm2 does (1 MiB alignment, one mda);
 *   4. vgextend with our writer: the PV added to the metadata and committed to
 *      every mda (the new one included), then its label rewritten with
 *      PV_EXT_USED;
 *   5. every extent of the source moved onto it by the defrag mover (copy,
 *      flush, commit per move);
 *   6. vgreduce: the source removed from the metadata and committed, then made
 *      an orphan exactly as lvm2's vgreduce leaves it (empty mda headers, the
 *      label without PV_EXT_USED);
 *   7. with --wipe-source, its LVM label erased (as pvremove).
 *
 * Every run starts from what is on disk, so an interrupted run is continued by
 * running the same command again (the state recognition: mig_inspect, src/plan/migplan.c).
 * Refusals (exit 3, nothing written): the source not a PV of the VG, an LV on
 * it in use, DEVICE too small (by how many bytes and extents), DEVICE not
 * empty (any libblkid signature; --force erases them), a LUKS device that is
 * not ours, and whatever the VG writer refuses.
 *
 * --test-clear-target is for the loop tests only (no device-mapper there):
 * DEVICE itself becomes the PV, no LUKS. It is hidden from --help.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "jsonout.h"
#include "../applets.h"
#include "../layer/luks.h"
#include "../layer/sigs.h"
#include "../layer/sysfs.h"
#include "../lvm/commit.h"
#include "../lvm/edit.h"
#include "../lvm/pvcreate.h"
#include "../plan/migplan.h"
#include "../plan/move.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/secret.h"
#include "../util/teststop.h"
#include "../util/units.h"


static const char *opt_from, *opt_to, *opt_type, *opt_cipher, *opt_hash, *opt_pbkdf, *opt_name;
static int opt_key_bits, opt_iter, opt_force, opt_wipe, opt_test_clear, opt_verify, opt_json;

static const struct poptOption migrate_opts[] = {
	{ "from", 0, POPT_ARG_STRING, &opt_from, 0, "the clear PV to empty and remove", "PV" },
	{ "to", 0, POPT_ARG_STRING, &opt_to, 0, "the device to format as LUKS and move onto",
	  "DEVICE" },
	{ "type", 0, POPT_ARG_STRING, &opt_type, 0, "luks2 (default) or luks1", "TYPE" },
	{ "cipher", 'c', POPT_ARG_STRING, &opt_cipher, 0, "cipher (aes-xts-plain64)", "CIPHER" },
	{ "key-size", 0, POPT_ARG_INT, &opt_key_bits, 0, "volume key bits (512)", "BITS" },
	{ "hash", 0, POPT_ARG_STRING, &opt_hash, 0, "hash for the PBKDF and AF (sha256)", "HASH" },
	{ "pbkdf", 0, POPT_ARG_STRING, &opt_pbkdf, 0,
	  "argon2id (LUKS2 default), argon2i or pbkdf2 (LUKS1)", "PBKDF" },
	{ "pbkdf-force-iterations", 0, POPT_ARG_INT, &opt_iter, 0,
	  "PBKDF iterations (time cost for argon2), no benchmark", "N" },
	{ "name", 0, POPT_ARG_STRING, &opt_name, 0, "mapping name (default luks-<UUID>)", "NAME" },
	{ "force", 'f', POPT_ARG_NONE, &opt_force, 0,
	  "erase the signatures found on DEVICE (filesystem, LUKS, PV, ...) first", NULL },
	{ "verify", 0, POPT_ARG_NONE, &opt_verify, 0,
	  "read each copy back and compare before its commit", NULL },
	{ "wipe-source", 0, POPT_ARG_NONE, &opt_wipe, 0,
	  "erase the source's LVM label once the VG no longer uses it", NULL },
	{ "json", 'j', POPT_ARG_NONE, &opt_json, 0,
	  "print the plan as one JSON document on stdout (other lines go to stderr)", NULL },
	{ "test-clear-target", 0, POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &opt_test_clear, 0,
	  "TEST ONLY (loop tests without device-mapper): no LUKS, DEVICE itself is the PV",
	  NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)key_table, 0, NULL, NULL },
	{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)mutate_table, 0, NULL, NULL },
	POPT_TABLEEND
};

const struct applet_help migrate_help = {
	.synopsis = "VG --from PV --to DEVICE [--type luks1|luks2] [--cipher CIPHER] "
		    "[--key-size BITS] [--hash HASH] [--pbkdf PBKDF] [--name NAME] [--key-file "
		    "FILE] [--wipe-source] [--force] [--json]",
	.description = "Moves VG from the clear PV onto a new LUKS PV on DEVICE, in one "
		       "resumable command: luksFormat (LUKS2 by default, aes-xts-plain64, "
		       "512-bit key, sha256, argon2id; the LUKS2 label is the VG name and the "
		       "subsystem shrinkbox:VG-uuid), open as /dev/mapper/luks-UUID (or "
		       "--name), pvcreate with lvm2's layout, vgextend, every extent moved "
		       "(copy, flush, commit per move, as defrag --to), vgreduce leaving the "
		       "old PV an orphan exactly as lvm2's vgreduce does, and with "
		       "--wipe-source its LVM label erased. The passphrase is asked twice on a "
		       "terminal, or read from --key-file; never from the command "
		       "line.\n\nEvery step starts from what is on disk: run the same command "
		       "again after an interruption (a power cut included) and it continues; "
		       "afterwards it prints \"No changes.\". Refused (exit 3, nothing "
		       "written): the source not a PV of VG, an LV with extents on it in use, "
		       "DEVICE too small (by how many bytes and extents), DEVICE not empty "
		       "(any signature libblkid finds; --force erases them), a LUKS device "
		       "migrate did not make, and whatever the metadata writer refuses.",
	.opts = migrate_opts,
	.examples = {
		{ "migrate vg --from /dev/sda2 --to /dev/sdb1 --yes",
		  "move VG vg from the clear PV /dev/sda2 onto a new LUKS2 PV on /dev/sdb1, "
		  "the passphrase asked twice" },
		{ "migrate vg --from /dev/sda2 --to /dev/sdb1 --key-file /root/new.key "
		  "--wipe-source --dry-run",
		  "the plan, with the key from a file and the old PV's label erased at the end" },
	},
};

static const char *done(bool need)
{
	return need ? "" : "   (done)";
}

static void print_plan(const struct mig *m)
{
	char a[SIZE_FMT_LEN], b[SIZE_FMT_LEN];
	unsigned step = 1;

	printf("Plan for VG %s (extents of %s = %" PRIu64 " sectors): from %s onto %s\n",
	       m->vgname, size_fmt(a, m->ext), m->ext / SECTOR_SIZE, opt_from, opt_to);
	if (!opt_test_clear) {
		if (m->torn_header)
			printf("  (%s has a LUKS header that does not load: a luksFormat cut off; no "
			       "key opens it, so it is formatted again)\n", opt_to);
		if (m->need_format && m->n_sigs && opt_force)
			printf("  %u. erase the signatures on %s\n", step++, opt_to);
		if (m->need_format)
			printf("  %u. luksFormat %s (%" PRIu64 " B): LUKS%d %s, %u-bit key, %s, %s, "
			       "UUID %s%s%s%s; data from sector %" PRIu64 " (%s)\n", step++, opt_to,
			       m->dev_bytes, m->lo.version, m->lo.cipher, m->lo.key_bits,
			       m->lo.hash, m->lo.pbkdf, m->luks_uuid,
			       m->lo.version == 2 ? ", subsystem \"" : "",
			       m->lo.version == 2 ? m->subsystem : "",
			       m->lo.version == 2 ? "\"" : "", m->data_offset,
			       size_fmt(b, m->data_offset * SECTOR_SIZE));
		else
			printf("  %u. luksFormat %s: LUKS%d %s, %u-bit key, UUID %s; data from sector "
			       "%" PRIu64 "%s\n", step++, opt_to, m->lo.version, m->lo.cipher,
			       m->lo.key_bits, m->luks_uuid, m->data_offset, done(false));
		printf("  %u. open it as %s%s\n", step++, m->mapping, done(m->need_open));
	} else {
		printf("  (TEST ONLY: --test-clear-target, %s is the PV itself, no LUKS)\n", opt_to);
	}
	printf("  %u. pvcreate %s: %" PRIu64 " B = %" PRIu64 " sectors, metadata area at byte "
	       "%" PRIu64 " (%" PRIu64 " B), pe_start sector %" PRIu64 ", room for %" PRIu64
	       " extents (%s)%s\n", step++, m->mapping, m->l.pv_bytes, m->l.pv_bytes / SECTOR_SIZE,
	       m->l.mda[0].offset, m->l.mda[0].size, m->l.pe_start / SECTOR_SIZE, m->pe_count,
	       size_fmt(a, m->pe_count * m->ext), done(m->need_pvcreate));
	printf("  %u. vgextend %s: add the PV (%" PRIu64 " extents), commit, label marked used%s\n",
	       step++, m->vgname, m->pe_count, done(m->need_extend || m->need_label));
	printf("  %u. move %" PRIu64 " extents = %s = %" PRIu64 " sectors from %s onto it in "
	       "%zu moves%s\n", step++, m->plan.moved, size_fmt(a, m->plan.moved * m->ext),
	       m->plan.moved * m->ext / SECTOR_SIZE, opt_from, m->plan.n, done(m->plan.n));
	for (size_t i = 0; i < m->plan.n; i++) {
		const struct move *mv = &m->plan.moves[i];

		printf("       %-16s LE %" PRIu64 "-%" PRIu64 ":  PE %" PRIu64 "-%" PRIu64 "  ->  "
		       "PE %" PRIu64 "-%" PRIu64 "\n", m->h->vg->lvs[mv->lv].name, mv->le,
		       mv->le + mv->len - 1, mv->from_pe, mv->from_pe + mv->len - 1, mv->to_pe,
		       mv->to_pe + mv->len - 1);
	}
	printf("  %u. vgreduce %s %s, leaving it an orphan PV%s\n", step++, m->vgname, opt_from,
	       done(m->need_reduce || m->need_orphan));
	if (opt_wipe)
		printf("  %u. erase the LVM label of %s%s\n", step++, opt_from, done(m->need_wipe));
}

/* With --json, stdout holds the JSON document only: every other line goes to stderr. */
static FILE *out(void)
{
	return opt_json ? stderr : stdout;
}

static struct json_object *json_step(struct json_object *steps, const char *name, bool need)
{
	struct json_object *x = json_object_new_object();

	J_ADD(x, "step", J_STR(name));
	J_ADD(x, "done", J_BOOL(!need));
	json_object_array_add(steps, x);
	return x;
}

/* The plan as JSON (schema 1): print_plan's steps, each with "done", every size with its unit. */
static void print_plan_json(const struct mig *m, bool changes)
{
	struct json_object *o = json_object_new_object(), *steps = json_object_new_array(), *x;
	struct json_object *moves = json_object_new_array();

	J_ADD(o, "schema_version", J_U64(1));
	J_ADD(o, "applet", J_STR("migrate"));
	J_ADD(o, "vg", J_STR(m->vgname));
	J_ADD(o, "from", J_STR(opt_from));
	J_ADD(o, "to", J_STR(opt_to));
	J_ADD(o, "changes", J_BOOL(changes));
	J_ADD(o, "extent_bytes", J_U64(m->ext));
	J_ADD(o, "mapping", J_STR(m->mapping));
	if (!opt_test_clear) {
		x = json_step(steps, "luksFormat", m->need_format);
		J_ADD(x, "device_bytes", J_U64(m->dev_bytes));
		J_ADD(x, "luks_version", J_U64(m->lo.version));
		J_ADD(x, "cipher", J_STR(m->lo.cipher ? m->lo.cipher : ""));
		J_ADD(x, "key_bits", J_U64(m->lo.key_bits));
		J_ADD(x, "uuid", J_STR(m->luks_uuid));
		J_ADD(x, "data_offset_sectors", J_U64(m->data_offset));
		J_ADD(x, "erase_signatures", J_BOOL(m->need_format && m->n_sigs && opt_force));
		if (m->lo.version == 2)
			J_ADD(x, "subsystem", J_STR(m->subsystem));
		json_step(steps, "open", m->need_open);
	}
	x = json_step(steps, "pvcreate", m->need_pvcreate);
	J_ADD(x, "pv_bytes", J_U64(m->l.pv_bytes));
	J_ADD(x, "mda_offset_bytes", J_U64(m->l.mda[0].offset));
	J_ADD(x, "mda_size_bytes", J_U64(m->l.mda[0].size));
	J_ADD(x, "pe_start_sectors", J_U64(m->l.pe_start / SECTOR_SIZE));
	J_ADD(x, "extents", J_U64(m->pe_count));
	json_step(steps, "vgextend", m->need_extend || m->need_label);
	x = json_step(steps, "move", m->plan.n);
	J_ADD(x, "extents", J_U64(m->plan.moved));
	J_ADD(x, "bytes", J_U64(m->plan.moved * m->ext));
	for (size_t i = 0; i < m->plan.n; i++) {
		const struct move *mv = &m->plan.moves[i];
		struct json_object *j = json_object_new_object();

		J_ADD(j, "lv", J_STR(m->h->vg->lvs[mv->lv].name));
		J_ADD(j, "le_first", J_U64(mv->le));
		J_ADD(j, "extents", J_U64(mv->len));
		J_ADD(j, "from_pe_first", J_U64(mv->from_pe));
		J_ADD(j, "to_pe_first", J_U64(mv->to_pe));
		json_object_array_add(moves, j);
	}
	J_ADD(x, "moves", moves);
	json_step(steps, "vgreduce", m->need_reduce || m->need_orphan);
	if (opt_wipe)
		json_step(steps, "wipe_source_label", m->need_wipe);
	J_ADD(o, "steps", steps);
	json_print(o);
}

static int read_key(struct secret *pw, bool confirm);

/*
 * After a power cut the mapping is closed, and the VG may already name the PV
 * inside: a LUKS2 device labelled with the VG name and our subsystem prefix,
 * or any LUKS1 device (its content is checked later), is opened first so the
 * VG can be read whole. A dry run opens nothing.
 */
static int early_open(struct mig *m)
{
	struct luks_info li;
	struct secret pw = { 0 };
	struct stat st;
	char holder[128];
	int r;

	if (opt_test_clear || luks_read(opt_to, &li) < 0 || !li.keyslots)
		return 0;
	if (li.version == 2 && (strcmp(li.label, m->vgname) ||
				strncmp(li.subsystem, MIG_SUBSYSTEM_PREFIX,
					strlen(MIG_SUBSYSTEM_PREFIX))))
		return 0;
	if (stat(opt_to, &st) == 0 && S_ISBLK(st.st_mode) &&
	    blk_crypt_holder(st.st_rdev, holder) == 0)
		return 0;
	if (mutate.dry_run) {
		log_info("%s (LUKS%d) is not open; a dry run does not open it", opt_to, li.version);
		return 0;
	}
	if (opt_name)
		snprintf(m->name, sizeof(m->name), "%s", opt_name);
	else
		snprintf(m->name, sizeof(m->name), "luks-%s", li.uuid);
	r = secret_alloc(&pw);
	if (r < 0)
		return err_set(r, "cannot allocate locked memory for the passphrase");
	r = read_key(&pw, false);
	if (r == 0)
		r = luks_open(opt_to, m->name, pw.buf, pw.len);
	secret_free(&pw);
	if (r == 0)
		fprintf(out(), "%s is open as /dev/mapper/%s (to continue an earlier run).\n",
			opt_to, m->name);
	return r == -EPERM ? err_wrap(E_REFUSED, "%s", "") : r;
}

/* The key: on a terminal twice for a new LUKS device, else as unlock reads it. */
static int read_key(struct secret *pw, bool confirm)
{
	struct secret again = { 0 };
	int r;

	r = applet_read_key(pw, "Enter passphrase for the new LUKS device: ");
	if (r < 0 || !confirm || applet_key_from_file() || !isatty(STDIN_FILENO))
		goto check;
	r = secret_alloc(&again);
	if (r == 0)
		r = secret_read_tty(&again, "Verify passphrase: ");
	if (r == 0 && (again.len != pw->len || memcmp(again.buf, pw->buf, pw->len)))
		r = err_set(-EINVAL, "the passphrases do not match");
	secret_free(&again);
check:
	if (r == 0 && !pw->len)
		r = err_set(-EINVAL, "an empty passphrase is not accepted");
	return r;
}

static int do_luks(struct mig *m)
{
	struct secret pw = { 0 };
	int r;

	r = secret_alloc(&pw);
	if (r < 0)
		return err_set(r, "cannot allocate locked memory for the passphrase");
	r = read_key(&pw, m->need_format);
	if (r == 0 && m->need_format && m->n_sigs && opt_force) {
		struct dev_sig gone[DEV_SIGS_MAX];
		unsigned n = 0;
		int fd = open(opt_to, O_RDWR | O_EXCL | O_CLOEXEC);

		r = fd < 0 ? err_set(-errno, "%s: cannot open it exclusively: %m", opt_to) :
			     dev_sigs_wipe(fd, opt_to, gone, DEV_SIGS_MAX, &n);
		if (fd >= 0)
			close(fd);
	}
	if (r == 0 && m->need_format) {
		fprintf(out(), "Formatting %s as LUKS%d (UUID %s)...\n", opt_to, m->lo.version,
			m->luks_uuid);
		fflush(out());
		r = luks_format(opt_to, &m->lo, pw.buf, pw.len);
		/* The new header is the only way into everything moved onto it: a copy first. */
		if (r == 0) {
			char bk[DEV_PATH_MAX];

			r = luks_header_backup(opt_to, mutate.backup_dir ? mutate.backup_dir :
					       DEFAULT_BACKUP_DIR, bk, sizeof(bk));
			if (r == 0)
				fprintf(out(), "LUKS header saved: %s (cryptsetup "
					"luksHeaderRestore %s --header-backup-file %s)\n", bk,
					opt_to, bk);
		}
	}
	if (r == 0 && m->need_open) {
		r = luks_open(opt_to, m->name, pw.buf, pw.len);
		if (r == 0)
			fprintf(out(), "%s is open as %s.\n", opt_to, m->mapping);
	}
	secret_free(&pw);
	if (r == 0 && !m->need_format) {
		m->need_pvcreate = false;
		r = mig_inspect_pv(m);
	}
	return r;
}

static int do_pvcreate(struct mig *m)
{
	uint64_t size;
	bool blk, wrote = false;
	int fd, lock = -1, r;

	if (mutate.dry_run)
		return -EINVAL;
	r = pv_global_lock(&lock);
	if (r < 0)
		return r;
	fd = dev_open(m->mapping, O_RDWR | O_EXCL, &size, &blk);
	if (fd < 0) {
		close(lock);
		return err_set(fd, "%s: cannot open it exclusively: %s", m->mapping, strerror(-fd));
	}
	if (opt_test_clear && m->n_sigs && opt_force) {
		struct dev_sig gone[DEV_SIGS_MAX];
		unsigned n = 0;

		r = dev_sigs_wipe(fd, m->mapping, gone, DEV_SIGS_MAX, &n);
	}
	m->pv_uuid[0] = '\0';
	if (r == 0)
		r = pvcreate_fd(fd, m->mapping, size, NULL, m->pv_uuid, &m->l, &wrote);
	close(fd);
	close(lock);
	m->pe_count = pvcreate_pe_count(&m->l, m->ext);
	if (r == 0 && m->pe_count < m->used)
		r = err_set(-ENOSPC, "%s: room for %" PRIu64 " extents, %" PRIu64 " needed",
			    m->mapping, m->pe_count, m->used);
	if (r == 0)
		fprintf(out(), "Physical volume %s created (uuid %s).\n", m->mapping, m->pv_uuid);
	if (r == 0)
		test_stop("mig-pvcreate");
	return r;
}

static int do_extend(struct mig *m, const struct commit_opts *co, struct commit_result *res)
{
	int r, i;

	if (m->need_extend) {
		i = vgh_add_dev(m->h, m->mapping);
		if (i < 0)
			return i;
		m->tdev = i;
		r = vg_add_pv(&m->h->vg, m->h->devs[i].pd.label.uuid, m->mapping,
			      m->h->devs[i].size / SECTOR_SIZE, m->h->devs[i].pd.label.data_offset /
			      SECTOR_SIZE, m->pe_count);
		if (r < 0)
			return r;
		vgh_reindex(m->h);
		r = vgh_commit(m->h, co, res);
		if (r < 0)
			return r;
		vgh_reindex(m->h);
		fprintf(out(), "Volume group %s extended by %s (seqno %" PRIu64 ").\n", m->vgname,
			m->mapping, res->seqno);
		test_stop("mig-extend");
	}
	/* After the commit, as lvm2's next vg_write would (it writes it before). */
	return vg_dev_set_used(&m->h->devs[m->tdev]);
}

static int do_moves(struct mig *m, const struct commit_opts *co, struct commit_result *res)
{
	struct mover_opts mo = { .chunk = MOVE_CHUNK_DEFAULT, .commit = co, .verify = opt_verify };
	struct progress prog;
	uint64_t max = MIG_MAX_MOVE_BYTES / m->ext ? MIG_MAX_MOVE_BYTES / m->ext : 1;
	int r;

	defrag_plan_clear(&m->plan);
	r = defrag_plan(m->h->vg, (unsigned)m->h->devs[m->src].pv, UINT64_MAX,
			(unsigned)m->h->devs[m->tdev].pv, max, &m->plan);
	if (r < 0 || !m->plan.n)
		return r;
	fflush(stdout);
	progress_start(&prog, "migrate", m->plan.moved * m->ext);
	mo.progress = &prog;
	r = moves_apply(m->h, &m->plan, &mo, res);
	progress_end(&prog);
	return r;
}

static int do_reduce(struct mig *m, const struct commit_opts *co, struct commit_result *res)
{
	int r;

	if (m->src >= 0) {
		r = vg_remove_pv(&m->h->vg, (unsigned)m->h->devs[m->src].pv);
		if (r < 0)
			return r;
		r = vgh_drop_dev(m->h, (unsigned)m->src, &m->sd);
		if (r < 0)
			return r;
		m->sd_open = true;
		m->src = -1;
		r = vgh_commit(m->h, co, res);
		if (r < 0)
			return r;
		fprintf(out(), "Removed %s from volume group %s (seqno %" PRIu64 ").\n", opt_from,
			m->vgname, res->seqno);
		test_stop("mig-reduce");
		m->need_orphan = true;
	}
	if (m->need_orphan) {
		r = vg_dev_orphan(&m->sd);
		if (r < 0)
			return r;
		fprintf(out(), "%s is an orphan PV now.\n", opt_from);
	}
	if (m->need_wipe && m->sd.pd.label.uuid[0]) {
		r = vg_dev_wipe_label(&m->sd);
		if (r < 0)
			return r;
		fprintf(out(), "Labels on physical volume %s erased.\n", opt_from);
	}
	return 0;
}

static int parse_opts(struct mig *m)
{
	if (!opt_from || !opt_to) {
		log_error("migrate needs --from PV and --to DEVICE");
		return EXIT_USAGE;
	}
	if (opt_type && strcmp(opt_type, "luks1") && strcmp(opt_type, "luks2") &&
	    strcmp(opt_type, "luks")) {
		log_error("--type takes luks1 or luks2");
		return EXIT_USAGE;
	}
	m->lo.version = opt_type && !strcmp(opt_type, "luks1") ? 1 : 2;
	m->lo.cipher = opt_cipher;
	m->lo.hash = opt_hash;
	m->lo.pbkdf = opt_pbkdf;
	if (opt_key_bits < 0 || opt_key_bits % 8) {
		log_error("--key-size takes a number of bits, a multiple of 8");
		return EXIT_USAGE;
	}
	m->lo.key_bits = (unsigned)opt_key_bits;
	if (opt_iter < 0) {
		log_error("--pbkdf-force-iterations takes a positive number");
		return EXIT_USAGE;
	}
	m->lo.iterations = (unsigned)opt_iter;
	luks_format_defaults(&m->lo);
	if (m->lo.version == 1 && strcmp(m->lo.pbkdf, "pbkdf2")) {
		log_error("LUKS1 takes only --pbkdf pbkdf2");
		return EXIT_USAGE;
	}
	if (opt_name && (!*opt_name || strchr(opt_name, '/') || strlen(opt_name) >= 120)) {
		log_error("--name: not a device-mapper name");
		return EXIT_USAGE;
	}
	return applet_key_opts_check();
}

/* What the VG, the source and the target are; the plan shown (or "No changes."), consent. */
static int mig_plan_show(struct mig *m)
{
	int r;

	luks_quiet();
	err_clear();
	r = early_open(m);
	if (r == 0)
		r = mig_inspect(m);
	if (r < 0)
		return applet_fail(r, NULL, m->vgname);
	if (m->src < 0 && !m->need_label && !m->need_orphan &&
	    !(m->need_wipe && m->sd.pd.label.uuid[0])) {
		if (opt_json)
			print_plan_json(m, false);
		else
			printf("No changes.\n");
		return EXIT_DONE;
	}
	if (m->src < 0)
		m->need_wipe = m->need_wipe && m->sd.pd.label.uuid[0];
	if (opt_json) {
		print_plan_json(m, true);
		mutate.json = 1;
	} else {
		print_plan(m);
	}
	r = applet_consent();
	if (r <= 0)
		return r == 0 ? EXIT_DONE : EXIT_REFUSED;
	return APPLET_NEXT;
}

/* Each part of the migration still to do, in order; every one resumable (migplan.h). */
static int mig_apply(struct mig *m)
{
	struct commit_result res = { 0 };
	struct commit_opts co;
	char desc[256];
	int r = 0;

	snprintf(desc, sizeof(desc), "Write from shrinkbox migrate %s --from %s --to %s.",
		 m->vgname, opt_from, opt_to);
	co = (struct commit_opts){
		.description = desc,
		.backup_dir = mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR,
	};
	err_clear();
	if (m->need_format || m->need_open)
		r = do_luks(m);
	if (r == 0 && m->need_pvcreate)
		r = do_pvcreate(m);
	if (r == 0 && m->src >= 0 && (m->need_extend || m->need_label))
		r = do_extend(m, &co, &res);
	else if (r == 0 && m->need_label)
		r = vg_dev_set_used(&m->h->devs[m->tdev]);
	if (r == 0 && m->src >= 0)
		r = do_moves(m, &co, &res);
	if (r == 0)
		r = do_reduce(m, &co, &res);
	if (r < 0)
		return applet_fail(r, &res, m->vgname);
	fprintf(out(), "Done: VG %s is on %s; %s is no longer in it.\n", m->vgname, m->mapping,
		opt_from);
	return EXIT_DONE;
}

int migrate_main(int argc, char **argv)
{
	struct mig_opts mo;
	struct mig m = { .o = &mo, .src = -1, .tdev = -1 };
	const char *vgname;
	poptContext ctx;
	int rc;

	secret_protect_process();
	if (applet_parse("migrate", argc, argv, migrate_opts, "VG --from PV --to DEVICE", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "migrate", 1, 1, &vgname) < 0 || parse_opts(&m)) {
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	m.vgname = vgname;
	mo = (struct mig_opts){
		.from = opt_from, .to = opt_to, .name = opt_name, .force = opt_force,
		.wipe = opt_wipe, .test_clear = opt_test_clear, .dry_run = mutate.dry_run,
		.devices = applet_device_list(),
	};
	rc = mig_plan_show(&m);
	if (rc == APPLET_NEXT)
		rc = mig_apply(&m);
	mig_clear(&m);
	poptFreeContext(ctx);
	return rc;
}
