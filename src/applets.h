/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The applets of this build, sorted by name (a unit test checks the order).
 * APPLET(name, one-line summary). Applets that are planned but not written
 * are not listed: the README says which they are. Each applet's file defines
 * NAME_main and NAME_help, its help text beside its option table
 * (applet/help.h), from which --help and the manual page are printed.
 */
#ifndef SB_APPLETS_H
#define SB_APPLETS_H

#define APPLET_LIST \
	APPLET(bench, "cipher and PBKDF speed; a device's read rate, clear and through dm-crypt") \
	APPLET(cryptresize, "resize an open dm-crypt mapping, within its device and around its content") \
	APPLET(defrag, "compact a PV with the fewest extent moves, crash-safe and resumable") \
	APPLET(fsresize, "shrink or grow the ext2/3/4 filesystem or swap area directly on a partition or LUKS mapping") \
	APPLET(grow, "grow partition, LUKS, PV and chosen LVs into an enlarged disk or free space") \
	APPLET(lock, "deactivate a VG's LVs and close its LUKS mapping") \
	APPLET(lvgrow, "grow an LV, then its ext2/3/4 filesystem or swap area to fill it exactly") \
	APPLET(lvresize, "metadata half of an LV resize, in whole extents") \
	APPLET(lvshrink, "shrink an ext2/3/4 filesystem or swap area and its LV, exactly") \
	APPLET(migrate, "move a VG from a clear PV onto a new LUKS PV, resumable step by step") \
	APPLET(partresize, "shrink or grow a GPT or MBR partition; tells the kernel even while in use") \
	APPLET(pvcreate, "make a device an orphan LVM2 PV, laid out as lvm2's pvcreate does") \
	APPLET(pvresize, "shrink a PV (refusing to cut allocated extents) or grow it to its device") \
	APPLET(schedule, "plan a shrink or grow now and run it once, on the next boot, before root mounts") \
	APPLET(shrink, "shrink partition, LUKS, PV and LVs together to one declared size") \
	APPLET(status, "show the whole stack: partition, LUKS, PV, VG, LVs, filesystems, extent map") \
	APPLET(unlock, "open a LUKS1/LUKS2 device and activate the LVs inside") \
	APPLET(vgcfg, "show or back up a VG's committed metadata")

struct applet_help;

#define APPLET(name, summary) int name##_main(int argc, char **argv); \
	extern const struct applet_help name##_help;
APPLET_LIST
#undef APPLET

struct applet {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
	const struct applet_help *help;
};

extern const struct applet applets[];
extern const unsigned n_applets;

const struct applet *applet_find(const char *name);

#endif
