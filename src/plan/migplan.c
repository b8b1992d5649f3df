// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migplan.h"
#include "../layer/lvdm.h"
#include "../layer/sysfs.h"
#include "../lvm/edit.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/units.h"

void mig_clear(struct mig *m)
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
	m->sd.fd = dev_open(from, m->o->dry_run ? O_RDONLY : O_RDWR, &m->sd.size, &blk);
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

		if (t && !text_names_vg(t, m->vgname))
			return err_set(E_REFUSED, "%s is a PV of another VG, not of %s", from,
				       m->vgname);
		if (t)
			m->need_orphan = true;
	}
	if (m->sd.pd.label.ext_flags & PV_EXT_USED)
		m->need_orphan = true;
	m->need_wipe = m->o->wipe;
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
		return err_wrap(r, "%s: ", m->o->to);
	m->pe_count = pvcreate_pe_count(&m->l, m->ext);
	if (m->pe_count >= m->used && m->pe_count)
		return 0;
	need = m->data_offset * SECTOR_SIZE + m->l.pe_start + (m->used ? m->used : 1) * m->ext;
	have = m->dev_bytes;
	return err_set(E_REFUSED, "%s is too small: the %" PRIu64 " allocated extents of %s (%s) "
		       "need %" PRIu64 " bytes with the LUKS header (%" PRIu64 " B) and the PV "
		       "metadata (%" PRIu64 " B), the device has %" PRIu64 " bytes: %" PRIu64
		       " bytes = %" PRIu64 " extents short", m->o->to, m->used, m->o->from,
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

	fd = dev_open(m->o->to, O_RDONLY, &m->dev_bytes, &blk);
	if (fd < 0)
		return err_set(fd == -ENOENT ? E_REFUSED : fd, "%s: %s", m->o->to, strerror(-fd));
	r = pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) ? 0 : -EIO;
	if (r == 0)
		r = dev_sigs_list(fd, m->o->to, m->sigs, DEV_SIGS_MAX, &m->n_sigs);
	close(fd);
	if (r < 0)
		return err_set(r, "%s: cannot read it: %s", m->o->to, strerror(-r));
	if (m->n_sigs > DEV_SIGS_MAX)
		m->n_sigs = DEV_SIGS_MAX;
	dev_sigs_fmt(m->sigs, m->n_sigs, sigs, sizeof(sigs));

	if (m->o->test_clear) {
		/* An LVM2 label is looked at by inspect_pv: ours (resumed) or refused. */
		for (unsigned i = 0; i < m->n_sigs && !m->o->force; i++)
			if (strcmp(m->sigs[i].type, "LVM2_member"))
				return err_set(E_REFUSED, "%s is not empty: %s; --force erases it",
					       m->o->to, sigs);
		snprintf(m->mapping, sizeof(m->mapping), "%s", m->o->to);
		return plan_layout(m);
	}
	m->is_luks = luks_magic(hdr, sizeof(hdr));
	memset(&li, 0, sizeof(li));
	if (m->is_luks) {
		bool reformat = false;

		err_clear();
		r = luks_read(m->o->to, &li);
		if (r == 0 && luks_ours(m, &li)) {
			reformat = !li.keyslots;	/* cut before the keyslot: holds nothing */
		} else if (r == 0 && li.version == 1 && !li.keyslots) {
			reformat = true;		/* no key opens it: nothing to lose */
		} else if (r == 0 && li.version == 1 && !m->o->force) {
			m->luks1_unproven = true;	/* proven by its content once open */
		} else if (r < 0 && !m->o->force && !held(m->o->to)) {
			/*
			 * The magic, but no header copy loads: a luksFormat cut off
			 * (a torn state of the write-log replay of migrate showed
			 * "version 0"). No key opens it, so nothing can be read
			 * through it, as with the keyslot-less header above.
			 */
			reformat = true;
			m->torn_header = true;
		} else if (!m->o->force) {
			return err_set(E_REFUSED, "%s is a LUKS%d device that migrate did not make "
				       "for VG %s (label \"%s\", subsystem \"%s\"); --force erases "
				       "it", m->o->to, li.version, m->vgname, li.label,
				       li.subsystem);
		}
		if (reformat) {
			m->is_luks = false;
			m->n_sigs = 0;	/* our own header, written again */
		} else if (r < 0 || m->o->force) {
			m->is_luks = !(r < 0 || (!luks_ours(m, &li) && !m->luks1_unproven));
		}
	}
	if (!m->is_luks) {
		if (m->n_sigs && !m->o->force)
			return err_set(E_REFUSED, "%s is not empty: %s; --force erases it",
				       m->o->to, sigs);
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
			return err_wrap(r, "%s: ", m->o->to);
	} else {
		snprintf(m->luks_uuid, sizeof(m->luks_uuid), "%s", li.uuid);
		m->data_offset = li.data_offset;
		m->lo.version = li.version;
		snprintf(m->cipher, sizeof(m->cipher), "%s", li.cipher);
		m->lo.cipher = m->cipher;
		m->lo.key_bits = li.key_bits;
	}
	if (m->o->name)
		snprintf(m->name, sizeof(m->name), "%s", m->o->name);
	else
		snprintf(m->name, sizeof(m->name), "luks-%s", m->luks_uuid);
	snprintf(m->mapping, sizeof(m->mapping), "/dev/mapper/%s", m->name);
	if (m->is_luks && stat(m->o->to, &st) == 0 && S_ISBLK(st.st_mode) &&
	    blk_crypt_holder(st.st_rdev, holder) == 0) {
		snprintf(m->name, sizeof(m->name), "%s", holder);
		snprintf(m->mapping, sizeof(m->mapping), "/dev/mapper/%s", holder);
	} else if (m->is_luks) {
		m->need_open = true;
	}
	return plan_layout(m);
}

/* The PV on the mapping (once it can be read): none yet, ours as an orphan, or in the VG. */
int mig_inspect_pv(struct mig *m)
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
			       "erases it", m->o->to);
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
			       "(%s); --force erases it", m->o->to, why);
	if (m->o->test_clear && r != PVC_NO_LABEL && !m->o->force)
		return err_set(E_REFUSED, "%s is not empty: %s; --force erases it", m->o->to, why);
	m->need_pvcreate = true;
	return 0;
}

/* The moves, planned on the VG, or on a copy with the new PV added when it is not yet. */
static int plan_moves(struct mig *m)
{
	struct vg *vg = NULL;
	unsigned from, to;
	uint64_t max = MIG_MAX_MOVE_BYTES / m->ext ? MIG_MAX_MOVE_BYTES / m->ext : 1;
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
		if (blk_related(m->o->to, pv))
			return err_set(E_REFUSED, "--to %s: %s is a PV of VG %s on the same device; "
				       "it would be erased (refused even with --force)", m->o->to,
				       pv, m->vgname);
	}
	return 0;
}

int mig_inspect(struct mig *m)
{
	int r;

	r = vgh_open(m->vgname, m->o->devices, !m->o->dry_run, &m->h);
	if (r < 0)
		return r;
	m->ext = m->h->vg->extent_size * SECTOR_SIZE;
	snprintf(m->subsystem, sizeof(m->subsystem), MIG_SUBSYSTEM_PREFIX "%s", m->h->vg->id);
	m->lo.subsystem = m->subsystem;
	m->lo.label = m->vgname;
	m->src = vgh_find_dev(m->h, m->o->from);
	m->tdev = -1;
	m->pv_state = -1;
	if (m->src < 0) {
		/* Done with the source, or never ours: the new PV must then be in the VG. */
		r = inspect_target(m);
		if (r == 0 && !m->need_format && !m->need_open)
			r = mig_inspect_pv(m);
		if (r < 0 || m->need_format || m->need_open || m->tdev < 0)
			return err_set(E_REFUSED, "%s is not a PV of VG %s (nor was it moved onto "
				       "%s by an earlier run)", m->o->from, m->vgname, m->o->to);
		if (r == 0)
			r = inspect_gone_source(m, m->o->from);
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
		return err_set(E_REFUSED, "%s is the source PV itself", m->o->to);
	if (!m->need_format && !m->need_open) {
		r = mig_inspect_pv(m);
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
	m->need_wipe = m->o->wipe;
	return check_unused(m);
}
