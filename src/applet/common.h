/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SB_APPLET_COMMON_H
#define SB_APPLET_COMMON_H

#include <popt.h>
#include <stdbool.h>
#include <stdint.h>

#include "help.h"

/*
 * Parses argv with popt: the applet's own table plus common_table. Returns 0
 * with *ctx holding the leftover arguments, or EXIT_USAGE after printing what
 * was wrong (an option with a value given twice included); --help and
 * --version print and exit 0. usage_args is unused: the synopsis is in the
 * applet's help text (help.h).
 */
int applet_parse(const char *name, int argc, char **argv, const struct poptOption *opts,
		 const char *usage_args, poptContext *ctx);

/*
 * The options every applet has: --quiet, --verbose, --debug, --version,
 * --help (applet_parse adds them; the help and the manual list them once).
 */
extern const struct poptOption common_table[];

/*
 * An LV size as lvm2's lvresize takes -L and -l: SIZE is the new size, +SIZE
 * grows by SIZE, -SIZE shrinks by it; with extents a plain count of extents.
 * *bytes is the size asked for, *want_le it in whole extents of ext bytes,
 * rounded up (never less than asked for); *sign is '+', '-' or 0. 0, or
 * -errno with a message (err_msg).
 */
int applet_lv_size(const char *arg, bool extents, uint64_t ext, uint64_t cur_le,
		   uint64_t *want_le, uint64_t *bytes, char *sign);

/* Leftover arguments: exactly n of them, or a usage error (printed). */
int applet_args(poptContext ctx, const char *name, unsigned min, unsigned max,
		const char **args);

/* Options every mutating applet has: --yes, --dry-run, --backup-dir, --devices. */
struct mutate_opts {
	int yes;
	int dry_run;
	const char *backup_dir;
	const char *devices;		/* comma-separated list limiting the device scan */
	int json;			/* the applet prints JSON on stdout: messages go to stderr */
	int plan_live;			/* --plan-live (with --dry-run): the plan schedule shows */
};
extern struct mutate_opts mutate;
extern const struct poptOption mutate_table[];

#define DEFAULT_BACKUP_DIR "/run/shrinkbox/backup"

/*
 * After the plan is printed: 1 = go ahead; 0 = --dry-run (says so); -1 =
 * no consent (no --yes and no terminal to ask on, or the answer was no).
 */
int applet_consent(void);

/* The --devices entries, NULL-terminated (at most 64), or NULL: scan every device. */
const char *const *applet_device_list(void);

/*
 * Maps a library result to an exit code and prints the failure: E_REFUSED ->
 * 3, a failure after a write -> 4 (with the backup and the restore command),
 * else 1.
 */
struct commit_result;
int applet_fail(int r, const struct commit_result *res, const char *vg);

/*
 * A plan's refusal or failure, before anything was written: printed, and
 * -EINVAL (the request itself cannot be met) -> 2, E_REFUSED or -ENOSPC (the
 * stack forbids it) -> 3, else 1. Never 4: a plan writes nothing.
 */
int applet_plan_fail(int r);

/* A main's stage that has no exit code yet: the next stage runs (an exit code ends it). */
#define APPLET_NEXT (-1)

/*
 * The stages after a plan, the same for every applet that has one (systemd-
 * repart's run()): with --json the plan as JSON on stdout; "No changes." when
 * noop; else the text plan, the checks the plan leaves to the write, consent
 * (--dry-run stops there, exit 0), apply. The exit code. The callbacks get the
 * applet's plan; check may be NULL; check and apply return exit codes.
 */
struct applet_stages {
	void (*print)(const void *plan);
	void (*print_json)(const void *plan);
	int (*check)(const void *plan);
	int (*apply)(void *plan);
};
int applet_run_plan(const struct applet_stages *s, void *plan, bool noop);

/* The same for opening what the command line names: one that is not there is a usage error. */
int applet_fail_open(int r, const char *vg);

/* A --key-file that cannot be read is a usage error (printed): 0 or EXIT_USAGE. */
int applet_key_file_check(const char *path);

/*
 * Opens the VG of "VG/LV" (writable unless --dry-run) and finds the LV: 0, or
 * the exit code after printing why not. *lvname points into arg.
 */
struct vgh;
int applet_open_lv(const char *arg, char vgname[128], const char **lvname, struct vgh **h,
		   int *lv);

/* The same for a PV path: its VG opened, *dev its index in (*h)->devs. */
int applet_open_pv(const char *pv, char vgname[128], struct vgh **h, int *dev);

/* Key options shared by unlock and cryptresize: --key-file, --keyfile-offset, --keyfile-size. */
extern const struct poptOption key_table[];
/* Checks the key options; 0 or EXIT_USAGE (printed). */
int applet_key_opts_check(void);
/* True when the key comes from a file; else a terminal prompt or a line of stdin. */
int applet_key_from_file(void);
/* Reads the key the way the options say into pw (allocated by the caller). */
struct secret;
int applet_read_key(struct secret *pw, const char *prompt);

/*
 * One step of a whole-stack command (step.c): runs "shrinkbox APPLET [A1 [A2 [A3 [A4]]]]
 * --yes" with this run's --backup-dir and --devices (and --key-file for cryptresize,
 * lvshrink and lvgrow) in this process, printing "==> shrinkbox ..." first, the
 * volume key applet_check_key took handed to it. Returns the step's exit code.
 */
int applet_step(const char *applet, const char *a1, const char *a2, const char *a3,
		const char *a4, const char *keyfile);
/*
 * Records every applet's option variables as they are before any parse (applet_parse
 * calls it first): the values a step starts from. False if a table holds a type
 * step.c cannot save (the steps then refuse to run).
 */
bool applet_opts_snapshot(void);
/*
 * Saves every option variable and sets it to its value before the first parse (NULL
 * when that is not known); applet_opts_pop puts the saved values back and frees them.
 */
struct opt_state;
struct opt_state *applet_opts_push(void);
void applet_opts_pop(struct opt_state *st);
/* While on, applet_step_volume_key answers (a step runs). The previous value. */
bool applet_key_handoff(bool on);
/*
 * In a step, the volume key applet_check_key took from a keyslot of map_name's LUKS
 * device (locked memory), to load into the kernel keyring without another PBKDF run;
 * NULL outside a step or when none was taken.
 */
const struct secret *applet_step_volume_key(const char *map_name);

/*
 * Before the first write of a whole-stack command, what its LV steps need:
 * the VG as a writer opens it (every PV, no duplicate name, nothing refused)
 * and every target's own plan (its filesystem, resize2fs's minimum, free
 * extents, where PV pv will first have grown by pv_extra extents; for a grow,
 * a mounted LV as lvgrow takes it, online; the key of a LUKS mapping inside
 * an LV, as applet_check_key). 0, or the refusal (err_set) naming the LV.
 */
struct lv_target;
int applet_check_lv_targets(const char *vgname, const struct lv_target *t, unsigned n,
			    unsigned pv, uint64_t pv_extra, bool grow, const char *keyfile);

/*
 * Before the first write: when the LUKS mapping's volume key is in the kernel
 * keyring, its resize needs the key again. The key (keyfile, else a terminal
 * prompt, else a refusal) must open a keyslot now; the volume key that keyslot
 * holds is kept, locked, for the cryptresize step (applet_step_volume_key), and
 * the passphrase is wiped at once.
 */
int applet_check_key(const char *map_name, const char *keyfile);
/* Wipes and frees those volume keys. */
void applet_key_release(void);

/* An LV that shrink or grow resizes (--lv VG/LV=SIZE, or chosen). */
#define MAX_LV_TARGETS 16
struct lv_target {
	char name[256];		/* VG/LV */
	unsigned lv;
	uint64_t new_le;
	bool fs_short;		/* grow: its filesystem does not fill it, so lvgrow has work */
};

/*
 * Adds to the n targets every LV a cut-off resize2fs left tagged (RESIZE_MARK)
 * that is not one already, at the size it has, so that lvshrink or lvgrow
 * finishes it and removes the tag; every tagged target gets fs_short. Without
 * this a re-run with nothing else to do would leave it tagged. Returns the
 * new count (at most MAX_LV_TARGETS).
 */
struct vg;
unsigned applet_add_tagged(const struct vg *vg, struct lv_target *t, unsigned n);

/* The first rows of a whole-stack plan: the header, the partition and the LUKS mapping. */
struct stack_view;
struct targets;
void applet_print_layers(const char *dev, const struct stack_view *sv, const struct targets *t);
/*
 * The same as JSON (schema 1), for shrink and grow --json: applet, device, changes, the
 * partition, the table's repair, the LUKS mapping, before and after, each with its unit.
 */
struct json_object;
struct json_object *applet_layers_json(const char *applet, const char *dev,
				       const struct stack_view *sv, const struct targets *t,
				       bool changes);
/*
 * For a PV: the VG, the extent size, the PV before and after, and "lvs", one object per
 * target with its extents before and after and its bytes after, added to o. Returns the
 * "lvs" array (o owns it) for the applet's own per-LV keys, in the order of lvt.
 */
struct lv_target;
struct json_object *applet_pv_json(struct json_object *o, const struct stack_view *sv,
				   const struct targets *t, const struct lv_target *lvt,
				   unsigned n_lvt);

struct luks_info;
/* A TPM2 token bound to PCR 5 and no other keyslot, when the table changes: E_REFUSED. */
int applet_check_luks_tokens(const char *dev, const struct luks_info *li, bool table_changes);
/* The tokens of a LUKS2 header, and what a changed partition table does to a TPM2 token. */
void applet_print_luks_tokens(const char *dev, const struct luks_info *li, bool table_changes);

#endif
