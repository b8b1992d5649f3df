// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vgcfg show VG
 * vgcfg backup VG [--backup-dir DIR] [--dry-run]
 *
 * Prints the VG's committed metadata text as it is on disk, or saves it as a
 * file that "vgcfgrestore -f FILE VG" accepts. Read-only. backup takes
 * --dry-run (saves nothing) because the boot script puts it before the words
 * of an rd.shrinkbox.cmd without the consent word.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "../applets.h"
#include "../lvm/commit.h"
#include "../util/err.h"
#include "../util/log.h"

static const struct poptOption vgcfg_opts[] = {
	{ "backup-dir", 0, POPT_ARG_STRING, &mutate.backup_dir, 0,
	  "where backup saves (default " DEFAULT_BACKUP_DIR ")", "DIR" },
	{ "devices", 0, POPT_ARG_STRING, &mutate.devices, 0,
	  "look for PVs only on these devices (comma-separated)", "DEV,..." },
	{ "dry-run", 'n', POPT_ARG_NONE, &mutate.dry_run, 0,
	  "backup: say where it would save, and save nothing", NULL },
	POPT_TABLEEND
};

const struct applet_help vgcfg_help = {
	.synopsis = "show VG\nbackup VG [--backup-dir DIR] [--dry-run]",
	.description = "show prints the VG's committed metadata text as it is on disk; backup "
		       "saves it as a file that vgcfgrestore -f FILE VG accepts, in "
		       "--backup-dir. Read-only on the disks.",
	.opts = vgcfg_opts,
	.examples = {
		{ "vgcfg show vg",
		  "the committed metadata text of VG vg" },
		{ "vgcfg backup vg --backup-dir /mnt/usb",
		  "save it on a USB stick, as a file vgcfgrestore -f accepts" },
	},
};

int vgcfg_main(int argc, char **argv)
{
	struct commit_result res = { 0 };
	const char *args[2];
	struct vgh *h = NULL;
	poptContext ctx;
	int r, rc = EXIT_DONE;

	if (applet_parse("vgcfg", argc, argv, vgcfg_opts, "show|backup VG", &ctx))
		return EXIT_USAGE;
	if (applet_args(ctx, "vgcfg", 2, 2, args) < 0 ||
	    (strcmp(args[0], "show") && strcmp(args[0], "backup"))) {
		if (args[0] && strcmp(args[0], "show") && strcmp(args[0], "backup"))
			log_error("unknown action \"%s\": use show or backup", args[0]);
		poptFreeContext(ctx);
		return EXIT_USAGE;
	}
	err_clear();
	r = vgh_open(args[1], applet_device_list(), false, &h);
	if (r < 0) {
		rc = applet_fail_open(r, args[1]);
		goto out;
	}
	if (!strcmp(args[0], "show")) {
		fwrite(h->text, 1, h->text_len, stdout);
	} else if (mutate.dry_run) {
		printf("Would save the metadata of VG %s (seqno %llu) in %s\n"
		       "Dry run: nothing was changed.\n", h->name, (unsigned long long)h->vg->seqno,
		       mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR);
	} else {
		r = vgh_backup(h, mutate.backup_dir ? mutate.backup_dir : DEFAULT_BACKUP_DIR, &res);
		if (r < 0) {
			log_error("%s", err_msg(r));
			rc = EXIT_FAILED;
			goto out;
		}
		printf("Saved the metadata of VG %s (seqno %llu) in %s\n"
		       "Restore it with: vgcfgrestore -f %s %s\n", h->name,
		       (unsigned long long)h->vg->seqno, res.backup, res.backup, h->name);
	}
out:
	vgh_close(h);
	poptFreeContext(ctx);
	return rc;
}
