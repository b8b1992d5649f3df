// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "vgactivate.h"
#include "../layer/lvdm.h"
#include "../lvm/commit.h"
#include "../util/err.h"

static int open_vg(const char *pv_path, char vgname[128], struct vgh **h, dev_t **pv_dev)
{
	int r = vg_name_of_pv(pv_path, vgname);

	if (r < 0)
		return r;
	r = vgh_open(vgname, NULL, false, h);
	/* A VG we would not change can still be activated and deactivated. */
	if (r == E_REFUSED)
		return err_wrap(r, "VG %s: ", vgname);
	if (r < 0)
		return r;
	*pv_dev = calloc((*h)->vg->n_pvs ? (*h)->vg->n_pvs : 1, sizeof(**pv_dev));
	if (!*pv_dev)
		return -ENOMEM;
	for (unsigned i = 0; i < (*h)->n_devs; i++) {
		struct stat st;

		if (stat((*h)->devs[i].path, &st) == 0 && S_ISBLK(st.st_mode))
			(*pv_dev)[(*h)->devs[i].pv] = st.st_rdev;
	}
	return 0;
}

int vg_activate_on(const char *pv_path, char vgname[128], unsigned *n_activated)
{
	struct vgh *h = NULL;
	dev_t *pv_dev = NULL;
	int r = open_vg(pv_path, vgname, &h, &pv_dev);

	*n_activated = 0;
	if (r == 0)
		r = lvdm_activate_vg(h->vg, pv_dev, n_activated);
	free(pv_dev);
	vgh_close(h);
	return r;
}

int vg_deactivate_on(const char *pv_path, char vgname[128])
{
	struct vgh *h = NULL;
	dev_t *pv_dev = NULL;
	char busy[256];
	int r = open_vg(pv_path, vgname, &h, &pv_dev);

	if (r == 0)
		r = lvdm_deactivate_vg(h->vg, busy, sizeof(busy));
	free(pv_dev);
	vgh_close(h);
	return r;
}
