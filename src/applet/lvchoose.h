/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shrink without --lv: which LV gives up the extents the PV must lose. Read-only
 * (each LV's content and resize2fs -P); the reason comes back as text for the plan
 * or the refusal.
 */
#ifndef SB_APPLET_LVCHOOSE_H
#define SB_APPLET_LVCHOOSE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/*
 * The largest ext2/3/4 LV of VG vgname that can give up `need` extents on its own, as
 * *t (its name and new size); why says so. When none can: E_REFUSED, and why lists
 * every LV with its smallest size and what it can give, and the --lv options that free
 * enough together when several can.
 */
int shrink_choose_lv(const char *vgname, uint64_t need, struct lv_target *t, char *why,
		     size_t why_len);

#endif
