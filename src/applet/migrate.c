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
 * running the same command again (see the state recognition in mig_inspect).
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
#include <sys/random.h>

#include "common.h"
#include "../applets.h"
#include "../layer/luks.h"
#include "../layer/lvdm.h"
#include "../layer/sigs.h"
#include "../layer/sysfs.h"
#include "../lvm/commit.h"
#include "../lvm/edit.h"
#include "../lvm/pvcreate.h"
#include "../plan/defrag.h"
#include "../plan/extmap.h"
#include "../plan/move.h"
#include "../plan/stack.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/secret.h"
#include "../util/teststop.h"
#include "../util/units.h"

#define MAX_MOVE_BYTES (1ull << 30)	/* as defrag: a commit at least every GiB */
#define SUBSYSTEM_PREFIX "shrinkbox:"

static const char *opt_from, *opt_to, *opt_type, *opt_cipher, *opt_hash, *opt_pbkdf, *opt_name;
static int opt_key_bits, opt_iter, opt_force, opt_wipe, opt_test_clear, opt_verify;

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
		    "FILE] [--wipe-source] [--force]",
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

/* What is on disk, and so what is left to do. */
struct mig {
	const char *vgname;
	struct vgh *h;
	uint64_t ext;			/* bytes per extent */
	int src;			/* index in h->devs; -1 once the VG no longer has it */
	struct vg_dev sd;		/* the source opened by us when the VG no longer has it */
	bool sd_open;
	uint64_t used;			/* allocated extents on the source */

	struct luks_format_opts lo;
	char subsystem[64], cipher[96];
	char luks_uuid[40];
	uint64_t dev_bytes;		/* DEVICE */
	uint64_t data_offset;		/* sectors: LUKS data offset (predicted before the format) */
	bool is_luks, need_format, need_open, luks1_unproven, torn_header;
	struct dev_sig sigs[DEV_SIGS_MAX];
	unsigned n_sigs;
	char name[128], mapping[DEV_PATH_MAX];

	struct pvcreate_layout l;
	uint64_t pe_count;
	int pv_state;			/* pvcreate_probe on the mapping; -1 when not open yet */
	char pv_uuid[LVM_UUID_LEN + 1];
	int tdev;			/* index in h->devs of the new PV, -1 until vgextend */
	bool need_pvcreate, need_extend, need_label, need_reduce, need_orphan, need_wipe;
	struct defrag_plan plan;	/* on a model with the new PV when not extended yet */
};

static void mig_clear(struct mig *m)
{
	defrag_plan_clear(&m->plan);
	if (m->sd_open)
		vg_dev_close(&m->sd);
	vgh_close(m->h);
}

static bool luks_ours(const struct mig *m, const struct luks_info *li)
{
	return li->version == 2 && !strcmp(li->subsystem, m->subsystem);
}

/* LVs with extents on the source must not be in use while their data moves. */
static int check_unused(const struct mig *m)
{
	const struct vg *vg = m->h->vg;
	_cleanup_free_ struct pv_seg *map = NULL;
	size_t n;
	int r;

	r = vg_pv_map(vg, (unsigned)m->h->devs[m->src].pv, &map, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char dm[256];
		struct lvdm_info info;

		if (map[i].lv < 0)
			continue;
		lv_dm_name(vg->name, vg->lvs[map[i].lv].name, dm);
		if (lvdm_available() && lvdm_info(dm, &info) == 0 && info.exists &&
		    lvdm_open_count(dm) > 0)
			return err_set(E_REFUSED, "LV %s/%s is in use (/dev/mapper/%s is open: "
				       "mounted or swapped on?); its extents cannot move under it",
				       vg->name, vg->lvs[map[i].lv].name, dm);
	}
	return 0;
}

/*
 * The source when the VG no longer lists it (a run interrupted after the
 * vgreduce commit): it still needs orphaning while its label says "used" or
 * an mda holds metadata of this VG; only with --wipe-source anything else.
 */
static int inspect_gone_source(struct mig *m, const char *from)
{
	struct region reg;
	bool blk;
	int r;

	m->sd = (struct vg_dev){ .fd = -1, .pv = -1 };
	m->sd.fd = dev_open(from, mutate.dry_run ? O_RDONLY : O_RDWR, &m->sd.size, &blk);
	if (m->sd.fd < 0)
		return err_set(m->sd.fd, "%s: %s", from, strerror(-m->sd.fd));
	snprintf(m->sd.path, sizeof(m->sd.path), "%s", from);
	m->sd_open = true;
	reg = (struct region){ .fd = m->sd.fd, .size = m->sd.size, .name = m->sd.path };
	err_clear();
	r = pv_disk_read(&reg, &m->sd.pd);
	m->sd.pd.reg.name = m->sd.path;
	if (r == -ENOENT)
		return 0;		/* no label: wiped already */
	if (r < 0)
		return err_wrap(E_REFUSED, "%s: ", from);
	for (unsigned i = 0; i < m->sd.pd.n_mdas; i++) {
		const char *t = m->sd.pd.text[i];
		size_t n = strlen(m->vgname);

		if (t && !(strncmp(t, m->vgname, n) == 0 && (t[n] == ' ' || t[n] == '{')))
			return err_set(E_REFUSED, "%s is a PV of another VG, not of %s", from,
				       m->vgname);
		if (t)
			m->need_orphan = true;
	}
	if (m->sd.pd.label.ext_flags & PV_EXT_USED)
		m->need_orphan = true;
	m->need_wipe = opt_wipe;
	return 0;
}

/* A random (version 4) UUID for the new LUKS header, known before it is written. */
static int uuid_random(char out[40])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return err_set(-errno, "getrandom: %m");
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

/* The target's layout: the mapping's size from the (predicted) LUKS data offset. */
static int plan_layout(struct mig *m)
{
	uint64_t pv_bytes = m->dev_bytes - m->data_offset * SECTOR_SIZE, need, have;
	char a[SIZE_FMT_LEN];
	int r;

	err_clear();
	r = pvcreate_layout(pv_bytes, NULL, &m->l);
	if (r < 0)
		return err_wrap(r, "%s: ", opt_to);
	m->pe_count = pvcreate_pe_count(&m->l, m->ext);
	if (m->pe_count >= m->used && m->pe_count)
		return 0;
	need = m->data_offset * SECTOR_SIZE + m->l.pe_start + (m->used ? m->used : 1) * m->ext;
	have = m->dev_bytes;
	return err_set(E_REFUSED, "%s is too small: the %" PRIu64 " allocated extents of %s (%s) "
		       "need %" PRIu64 " bytes with the LUKS header (%" PRIu64 " B) and the PV "
		       "metadata (%" PRIu64 " B), the device has %" PRIu64 " bytes: %" PRIu64
		       " bytes = %" PRIu64 " extents short", opt_to, m->used, opt_from,
		       size_fmt(a, m->used * m->ext), need, m->data_offset * SECTOR_SIZE,
		       m->l.pe_start, have, need - have, (m->used ? m->used : 1) - m->pe_count);
}

/* Whether anything (a mapping, md, a partition table in use) holds the device. */
static bool held(const char *path)
{
	char h[256];
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	return blk_holders(st.st_rdev, h, sizeof(h)) < 0 || h[0];
}

/* What the target holds: nothing, our LUKS (formatted, open, a PV, in the VG), or a refusal. */
static int inspect_target(struct mig *m)
{
	struct luks_info li;
	struct stat st;
	bool blk;
	uint8_t hdr[4096];
	char holder[128], sigs[256];
	int fd, r;

	fd = dev_open(opt_to, O_RDONLY, &m->dev_bytes, &blk);
	if (fd < 0)
		return err_set(fd == -ENOENT ? E_REFUSED : fd, "%s: %s", opt_to, strerror(-fd));
	r = pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) ? 0 : -EIO;
	if (r == 0)
		r = dev_sigs_list(fd, opt_to, m->sigs, DEV_SIGS_MAX, &m->n_sigs);
	close(fd);
	if (r < 0)
		return err_set(r, "%s: cannot read it: %s", opt_to, strerror(-r));
	if (m->n_sigs > DEV_SIGS_MAX)
		m->n_sigs = DEV_SIGS_MAX;
	dev_sigs_fmt(m->sigs, m->n_sigs, sigs, sizeof(sigs));

	if (opt_test_clear) {
		/* An LVM2 label is looked at by inspect_pv: ours (resumed) or refused. */
		for (unsigned i = 0; i < m->n_sigs && !opt_force; i++)
			if (strcmp(m->sigs[i].type, "LVM2_member"))
				return err_set(E_REFUSED, "%s is not empty: %s; --force erases it",
					       opt_to, sigs);
		snprintf(m->mapping, sizeof(m->mapping), "%s", opt_to);
		return plan_layout(m);
	}
	m->is_luks = luks_magic(hdr, sizeof(hdr));
	memset(&li, 0, sizeof(li));
	if (m->is_luks) {
		bool reformat = false;

		err_clear();
		r = luks_read(opt_to, &li);
		if (r == 0 && luks_ours(m, &li)) {
			reformat = !li.keyslots;	/* cut before the keyslot: holds nothing */
		} else if (r == 0 && li.version == 1 && !li.keyslots) {
			reformat = true;		/* no key opens it: nothing to lose */
		} else if (r == 0 && li.version == 1 && !opt_force) {
			m->luks1_unproven = true;	/* proven by its content once open */
		} else if (r < 0 && !opt_force && !held(opt_to)) {
			/*
			 * The magic, but no header copy loads: a luksFormat cut off
			 * (a torn state of the write-log replay of migrate showed
			 * "version 0"). No key opens it, so nothing can be read
			 * through it, as with the keyslot-less header above.
			 */
			reformat = true;
			m->torn_header = true;
		} else if (!opt_force) {
			return err_set(E_REFUSED, "%s is a LUKS%d device that migrate did not make "
				       "for VG %s (label \"%s\", subsystem \"%s\"); --force erases "
				       "it", opt_to, li.version, m->vgname, li.label, li.subsystem);
		}
		if (reformat) {
			m->is_luks = false;
			m->n_sigs = 0;	/* our own header, written again */
		} else if (r < 0 || opt_force) {
			m->is_luks = !(r < 0 || (!luks_ours(m, &li) && !m->luks1_unproven));
		}
	}
	if (!m->is_luks) {
		if (m->n_sigs && !opt_force)
			return err_set(E_REFUSED, "%s is not empty: %s; --force erases it", opt_to,
				       sigs);
		m->need_format = true;
		m->need_open = true;
		if (!m->luks_uuid[0]) {
			r = uuid_random(m->luks_uuid);
			if (r < 0)
				return r;
		}
		m->lo.uuid = m->luks_uuid;
		r = luks_predict_offset(m->dev_bytes, &m->lo, &m->data_offset);
		if (r < 0)
			return err_wrap(r, "%s: ", opt_to);
	} else {
		snprintf(m->luks_uuid, sizeof(m->luks_uuid), "%s", li.uuid);
		m->data_offset = li.data_offset;
		m->lo.version = li.version;
		snprintf(m->cipher, sizeof(m->cipher), "%s", li.cipher);
		m->lo.cipher = m->cipher;
		m->lo.key_bits = li.key_bits;
	}
	if (opt_name)
		snprintf(m->name, sizeof(m->name), "%s", opt_name);
	else
		snprintf(m->name, sizeof(m->name), "luks-%s", m->luks_uuid);
	snprintf(m->mapping, sizeof(m->mapping), "/dev/mapper/%s", m->name);
	if (m->is_luks && stat(opt_to, &st) == 0 && S_ISBLK(st.st_mode) &&
	    blk_crypt_holder(st.st_rdev, holder) == 0) {
		snprintf(m->name, sizeof(m->name), "%s", holder);
		snprintf(m->mapping, sizeof(m->mapping), "/dev/mapper/%s", holder);
	} else if (m->is_luks) {
		m->need_open = true;
	}
	return plan_layout(m);
}

/* The PV on the mapping (once it can be read): none yet, ours as an orphan, or in the VG. */
static int inspect_pv(struct mig *m)
{
	struct pv_label found = { 0 };
	struct region reg;
	char why[256];
	uint64_t size;
	bool blk;
	int fd, r;

	m->tdev = vgh_find_dev(m->h, m->mapping);
	if (m->tdev >= 0) {
		const struct vg_dev *d = &m->h->devs[m->tdev];

		snprintf(m->pv_uuid, sizeof(m->pv_uuid), "%s", d->pd.label.uuid);
		m->need_label = !(d->pd.label.ext_flags & PV_EXT_USED) ||
				d->pd.label.ext_version < PV_EXT_VERSION;
		m->pv_state = PVC_IN_VG;
		return 0;
	}
	fd = dev_open(m->mapping, O_RDONLY, &size, &blk);
	if (fd < 0)
		return err_set(fd, "%s: %s", m->mapping, strerror(-fd));
	reg = (struct region){ .fd = fd, .size = size, .name = m->mapping };
	r = pvcreate_probe(&reg, &m->l, NULL, &found, why, sizeof(why));
	if (r == PVC_NO_LABEL && m->luks1_unproven) {
		struct dev_sig s[DEV_SIGS_MAX];
		unsigned n = 0;

		if (dev_sigs_list(fd, m->mapping, s, DEV_SIGS_MAX, &n) == 0 && n)
			r = -EEXIST;
	}
	close(fd);
	if (r == -EEXIST)
		return err_set(E_REFUSED, "%s (LUKS1) holds data migrate did not write; --force "
			       "erases it", opt_to);
	if (r < 0)
		return err_set(r, "%s: %s", m->mapping, strerror(-r));
	m->pv_state = r;
	if (r == PVC_IN_VG)
		return err_set(E_REFUSED, "%s holds a PV that is not in VG %s (%s)", m->mapping,
			       m->vgname, why);
	if (r == PVC_SAME) {
		snprintf(m->pv_uuid, sizeof(m->pv_uuid), "%s", found.uuid);
		return 0;
	}
	if (m->luks1_unproven && r != PVC_NO_LABEL)
		return err_set(E_REFUSED, "%s (LUKS1) holds an LVM label migrate did not write "
			       "(%s); --force erases it", opt_to, why);
	if (opt_test_clear && r != PVC_NO_LABEL && !opt_force)
		return err_set(E_REFUSED, "%s is not empty: %s; --force erases it", opt_to, why);
	m->need_pvcreate = true;
	return 0;
}

/* The moves, planned on the VG, or on a copy with the new PV added when it is not yet. */
static int plan_moves(struct mig *m)
{
	struct vg *vg = NULL;
	unsigned from, to;
	uint64_t max = MAX_MOVE_BYTES / m->ext ? MAX_MOVE_BYTES / m->ext : 1;
	int r;

	from = (unsigned)m->h->devs[m->src].pv;
	if (m->tdev >= 0)
		return defrag_plan(m->h->vg, from, UINT64_MAX, (unsigned)m->h->devs[m->tdev].pv,
				   max, &m->plan);
	r = vg_from_text(m->h->text, m->h->text_len, &vg);
	if (r == 0)
		r = vg_add_pv(&vg, m->pv_uuid[0] ? m->pv_uuid : "00000000000000000000000000000000",
			      m->mapping, m->l.pv_bytes / SECTOR_SIZE, m->l.pe_start / SECTOR_SIZE,
			      m->pe_count);
	to = vg ? vg->n_pvs - 1 : 0;
	if (r == 0)
		r = defrag_plan(vg, from, UINT64_MAX, to, max, &m->plan);
	vg_free(vg);
	return r;
}

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
				strncmp(li.subsystem, SUBSYSTEM_PREFIX, strlen(SUBSYSTEM_PREFIX))))
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
		printf("%s is open as /dev/mapper/%s (to continue an earlier run).\n", opt_to,
		       m->name);
	return r == -EPERM ? err_wrap(E_REFUSED, "%s", "") : r;
}

/*
 * --to must not be, contain or sit on any PV of the VG (by path, device
 * number, partition, a mapping over it or a loop over its file), --force or
 * not: formatting it would erase live extents. The one PV allowed on it is the
 * one an earlier run made, on the LUKS mapping that is kept (not formatted).
 */
static int check_not_a_pv(const struct mig *m)
{
	/* By device, not name: the scan names the mapping /dev/dm-N, we /dev/mapper/NAME. */
	int ours = m->need_format ? -1 : vgh_find_dev(m->h, m->mapping);

	for (unsigned i = 0; i < m->h->n_devs; i++) {
		const char *pv = m->h->devs[i].path;

		if ((int)i == ours)
			continue;
		if (blk_related(opt_to, pv))
			return err_set(E_REFUSED, "--to %s: %s is a PV of VG %s on the same device; "
				       "it would be erased (refused even with --force)", opt_to, pv,
				       m->vgname);
	}
	return 0;
}

static int mig_inspect(struct mig *m)
{
	int r;

	r = early_open(m);
	if (r < 0)
		return r;
	r = vgh_open(m->vgname, applet_device_list(), !mutate.dry_run, &m->h);
	if (r < 0)
		return r;
	m->ext = m->h->vg->extent_size * SECTOR_SIZE;
	snprintf(m->subsystem, sizeof(m->subsystem), SUBSYSTEM_PREFIX "%s", m->h->vg->id);
	m->lo.subsystem = m->subsystem;
	m->lo.label = m->vgname;
	m->src = vgh_find_dev(m->h, opt_from);
	m->tdev = -1;
	m->pv_state = -1;
	if (m->src < 0) {
		/* Done with the source, or never ours: the new PV must then be in the VG. */
		r = inspect_target(m);
		if (r == 0 && !m->need_format && !m->need_open)
			r = inspect_pv(m);
		if (r < 0 || m->need_format || m->need_open || m->tdev < 0)
			return err_set(E_REFUSED, "%s is not a PV of VG %s (nor was it moved onto "
				       "%s by an earlier run)", opt_from, m->vgname, opt_to);
		if (r == 0)
			r = inspect_gone_source(m, opt_from);
		return r;
	}
	m->used = vg_pv_used(m->h->vg, (unsigned)m->h->devs[m->src].pv);
	r = inspect_target(m);
	if (r < 0)
		return r;
	r = check_not_a_pv(m);
	if (r < 0)
		return r;
	if (m->src >= 0 && vgh_find_dev(m->h, m->mapping) == m->src)
		return err_set(E_REFUSED, "%s is the source PV itself", opt_to);
	if (!m->need_format && !m->need_open) {
		r = inspect_pv(m);
		if (r < 0)
			return r;
	} else {
		m->need_pvcreate = true;	/* looked at again once open (do_luks) */
	}
	m->need_extend = m->tdev < 0;
	r = plan_moves(m);
	if (r < 0)
		return r;
	m->need_reduce = true;
	m->need_orphan = true;
	m->need_wipe = opt_wipe;
	return check_unused(m);
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
		printf("Formatting %s as LUKS%d (UUID %s)...\n", opt_to, m->lo.version, m->luks_uuid);
		fflush(stdout);
		r = luks_format(opt_to, &m->lo, pw.buf, pw.len);
		/* The new header is the only way into everything moved onto it: a copy first. */
		if (r == 0) {
			char bk[DEV_PATH_MAX];

			r = luks_header_backup(opt_to, mutate.backup_dir ? mutate.backup_dir :
					       DEFAULT_BACKUP_DIR, bk, sizeof(bk));
			if (r == 0)
				printf("LUKS header saved: %s (cryptsetup luksHeaderRestore %s "
				       "--header-backup-file %s)\n", bk, opt_to, bk);
		}
	}
	if (r == 0 && m->need_open) {
		r = luks_open(opt_to, m->name, pw.buf, pw.len);
		if (r == 0)
			printf("%s is open as %s.\n", opt_to, m->mapping);
	}
	secret_free(&pw);
	if (r == 0 && !m->need_format) {
		m->need_pvcreate = false;
		r = inspect_pv(m);
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
		printf("Physical volume %s created (uuid %s).\n", m->mapping, m->pv_uuid);
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
		printf("Volume group %s extended by %s (seqno %" PRIu64 ").\n", m->vgname,
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
	uint64_t max = MAX_MOVE_BYTES / m->ext ? MAX_MOVE_BYTES / m->ext : 1;
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
		printf("Removed %s from volume group %s (seqno %" PRIu64 ").\n", opt_from,
		       m->vgname, res->seqno);
		test_stop("mig-reduce");
		m->need_orphan = true;
	}
	if (m->need_orphan) {
		r = vg_dev_orphan(&m->sd);
		if (r < 0)
			return r;
		printf("%s is an orphan PV now.\n", opt_from);
	}
	if (m->need_wipe && m->sd.pd.label.uuid[0]) {
		r = vg_dev_wipe_label(&m->sd);
		if (r < 0)
			return r;
		printf("Labels on physical volume %s erased.\n", opt_from);
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

int migrate_main(int argc, char **argv)
{
	struct commit_result res = { 0 };
	struct commit_opts co;
	struct mig m = { .src = -1, .tdev = -1 };
	char desc[256];
	const char *vgname;
	poptContext ctx;
	int r, rc;

	secret_protect_process();
	if (applet_parse("migrate", argc, argv, migrate_opts, "VG --from PV --to DEVICE", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "migrate", 1, 1, &vgname) < 0 || parse_opts(&m)) {
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	m.vgname = vgname;
	luks_quiet();
	err_clear();
	r = mig_inspect(&m);
	if (r < 0) {
		rc = applet_fail(r, NULL, vgname);
		goto out;
	}
	if (m.src < 0 && !m.need_label && !m.need_orphan && !(m.need_wipe &&
							       m.sd.pd.label.uuid[0])) {
		printf("No changes.\n");
		rc = EXIT_DONE;
		goto out;
	}
	if (m.src < 0)
		m.need_wipe = m.need_wipe && m.sd.pd.label.uuid[0];
	print_plan(&m);
	r = applet_consent();
	if (r <= 0) {
		rc = r == 0 ? EXIT_DONE : EXIT_REFUSED;
		goto out;
	}
	snprintf(desc, sizeof(desc), "Write from shrinkbox migrate %s --from %s --to %s.", vgname,
		 opt_from, opt_to);
	co = (struct commit_opts){
		.description = desc,
		.backup_dir = mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR,
	};
	err_clear();
	r = 0;
	if (m.need_format || m.need_open)
		r = do_luks(&m);
	if (r == 0 && m.need_pvcreate)
		r = do_pvcreate(&m);
	if (r == 0 && m.src >= 0 && (m.need_extend || m.need_label))
		r = do_extend(&m, &co, &res);
	else if (r == 0 && m.need_label)
		r = vg_dev_set_used(&m.h->devs[m.tdev]);
	if (r == 0 && m.src >= 0)
		r = do_moves(&m, &co, &res);
	if (r == 0)
		r = do_reduce(&m, &co, &res);
	if (r < 0) {
		rc = applet_fail(r, &res, vgname);
		goto out;
	}
	printf("Done: VG %s is on %s; %s is no longer in it.\n", vgname, m.mapping, opt_from);
	rc = EXIT_DONE;
out:
	mig_clear(&m);
	poptFreeContext(ctx);
	return rc;
}
