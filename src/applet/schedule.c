// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * schedule shrink|grow ARGS... [--on DIR] [--boot-key PATH[:KEYDEV]] [--dry-run] [--yes]
 * schedule --status [--on DIR]
 * schedule --cancel [--on DIR]
 *
 * From the running system: plans shrink or grow as far as the running system
 * allows (the same applet with --dry-run --plan-live: every layer's size,
 * resize2fs's estimate of the mounted filesystem, the key check), prints the
 * plan, and on consent leaves a request for exactly one boot in DIR/shrinkbox/
 * on the boot filesystem (--on, else the first of /boot, /efi, /boot/efi that
 * is a filesystem of its own, outside the stack the command changes). Nothing
 * on the boot loader or the kernel command line changes.
 *
 * The initramfs finds that filesystem by the UUID its hook recorded when the
 * image was built (/etc/shrinkbox/request-fs), renames the request to
 * request.taken and flushes before it runs anything, so a request runs on one
 * boot only, whatever happens during it; the result is left beside it as
 * last.rc, last.log and last.request (shrinkbox-boot.sh). --status prints them
 * and any request still pending; --cancel removes a pending one.
 *
 * The request file (docs/schedule.md): "shrinkbox-request 1", "created SECONDS",
 * an optional "key PATH[:KEYDEV]" (rd.shrinkbox.key's form), then one "arg WORD"
 * line per word of the command. Written as request.new, flushed, renamed.
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "help.h"
#include "../applets.h"
#include "../version.h"
#include "../layer/sysfs.h"
#include "../plan/selfexec.h"
#include "../util/err.h"
#include "../util/io.h"
#include "../util/log.h"
#include "../util/strfmt.h"

#define MAX_WORDS 48

struct bootfs {
	char dir[DEV_PATH_MAX];		/* its mount point */
	char dev[DEV_PATH_MAX];		/* the device under it */
	char uuid[64];
	char req[DEV_PATH_MAX + 32];	/* DIR/shrinkbox */
};

/* A mount point of a block-device filesystem of its own: 0, and its device and UUID. */
static int bootfs_at(const char *dir, struct bootfs *b)
{
	char parent[DEV_PATH_MAX + 4];
	struct stat st, sp;
	char *name, *uuid;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ENOENT;
	if (str_fmt(parent, sizeof(parent), "%s/..", dir) < 0 || stat(parent, &sp) < 0)
		return -ENOENT;
	if (st.st_dev == sp.st_dev || major(st.st_dev) == 0)
		return -ENOENT;	/* not a mount point, or not on a block device (tmpfs) */
	name = blkid_devno_to_devname(st.st_dev);
	if (!name)
		return -ENOENT;
	/* A probe, not blkid's cache: --status must write nothing (no /run/blkid/blkid.tab). */
	uuid = NULL;
	{
		blkid_probe pr = blkid_new_probe_from_filename(name);
		const char *v = NULL;

		if (pr && blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, "UUID", &v,
										  NULL) == 0 && v)
			uuid = strdup(v);
		blkid_free_probe(pr);
	}
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	snprintf(b->dev, sizeof(b->dev), "%s", name);
	snprintf(b->uuid, sizeof(b->uuid), "%s", uuid ? uuid : "");
	snprintf(b->req, sizeof(b->req), "%s/shrinkbox", dir);
	free(name);
	free(uuid);
	return b->uuid[0] ? 0 : -ENOENT;
}

static int bootfs_find(const char *on, struct bootfs *b)
{
	static const char *const dirs[] = { "/boot", "/efi", "/boot/efi", NULL };

	if (on) {
		if (bootfs_at(on, b) < 0) {
			log_error("--on %s: not the mount point of a filesystem with a UUID", on);
			return EXIT_USAGE;
		}
		return 0;
	}
	for (unsigned i = 0; dirs[i]; i++)
		if (bootfs_at(dirs[i], b) == 0)
			return 0;
	log_error("no /boot, /efi or /boot/efi is a filesystem of its own: the initramfs could not "
		  "read a request before the root mounts. Name one with --on, or give the "
		  "rd.shrinkbox.* options on the kernel command line of one boot (nothing was "
		  "changed)");
	return EXIT_REFUSED;
}

static bool exists(const char *dir, const char *name)
{
	char p[DEV_PATH_MAX + 64];

	return str_fmt(p, sizeof(p), "%s/%s", dir, name) == 0 && access(p, F_OK) == 0;
}

/* Prints DIR/NAME with a prefix on each line; false if it is not there. */
static bool show(const char *dir, const char *name, const char *prefix)
{
	char p[DEV_PATH_MAX + 64], line[1024];
	FILE *f;

	if (str_fmt(p, sizeof(p), "%s/%s", dir, name) < 0 || !(f = fopen(p, "re")))
		return false;
	while (fgets(line, sizeof(line), f))
		printf("%s%s", prefix, line);
	fclose(f);
	return true;
}

static int do_status(const struct bootfs *b)
{
	char rc[32] = "", p[DEV_PATH_MAX + 64];
	FILE *f;

	printf("Requests on %s (%s, UUID %s):\n", b->dir, b->dev, b->uuid);
	if (!show(b->req, "request", "  pending: "))
		printf("  pending: none\n");
	if (exists(b->req, "request.taken"))
		printf("  a request was taken by a boot that has not finished it (power cut?): "
		       "%s/request.taken; it is not run again: schedule it again to finish\n", b->req);
	if (!exists(b->req, "last.rc")) {
		printf("  last run: none recorded\n");
		return EXIT_DONE;
	}
	if (str_fmt(p, sizeof(p), "%s/last.rc", b->req) == 0 && (f = fopen(p, "re"))) {
		if (!fgets(rc, sizeof(rc), f))
			rc[0] = '\0';
		fclose(f);
	}
	rc[strcspn(rc, "\n")] = '\0';
	printf("  last run: exit %s (%s)\n", rc, !strcmp(rc, "0") ? "done" :
	       !strcmp(rc, "3") ? "refused, nothing changed" :
	       !strcmp(rc, "4") ? "stopped after a change: schedule it again to finish" : "failed");
	show(b->req, "last.request", "    request: ");
	printf("  its log (%s/last.log):\n", b->req);
	show(b->req, "last.log", "    ");
	return EXIT_DONE;
}

static int do_cancel(const struct bootfs *b)
{
	char p[DEV_PATH_MAX + 64];
	int dfd;

	if (str_fmt(p, sizeof(p), "%s/request", b->req) < 0)
		return EXIT_FAILED;
	if (unlink(p) < 0) {
		if (errno == ENOENT) {
			printf("No changes.\n");
			return EXIT_DONE;
		}
		log_error("%s: %m", p);
		return EXIT_FAILED;
	}
	dfd = open(b->req, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	printf("Done: the pending request on %s is removed.\n", b->dir);
	return EXIT_DONE;
}

/*
 * The words the request keeps, in place: with --boot-key the plan's --key-file
 * (a path on the running system) stays out, since at boot the key line becomes
 * the one --key-file. Returns how many are left.
 */
static unsigned request_words(char **words, unsigned n, bool boot_key)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (boot_key && (!strcmp(words[i], "-d") || !strcmp(words[i], "--key-file"))) {
			i++;
			continue;
		}
		if (boot_key && !strncmp(words[i], "--key-file=", 11))
			continue;
		words[k++] = words[i];
	}
	return k;
}

/* The request written whole as request.new, flushed, then renamed into place. */
static int write_request(const struct bootfs *b, const char *key, char **words, unsigned n)
{
	char tmp[DEV_PATH_MAX + 64], dst[DEV_PATH_MAX + 64];
	FILE *f;
	int r, dfd;

	r = mkdir_parents(b->req, 0700);
	if (r < 0)
		return err_set(r, "cannot create %s: %s", b->req, strerror(-r));
	if (str_fmt(tmp, sizeof(tmp), "%s/request.new", b->req) < 0 ||
	    str_fmt(dst, sizeof(dst), "%s/request", b->req) < 0)
		return err_set(-ENAMETOOLONG, "%s: path too long", b->req);
	f = fopen(tmp, "we");
	if (!f)
		return err_set(-errno, "cannot write %s: %m", tmp);
	fprintf(f, "shrinkbox-request 1\ncreated %lld\n", (long long)time(NULL));
	if (key)
		fprintf(f, "key %s\n", key);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "arg %s\n", words[i]);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		r = -errno;
		fclose(f);
		unlink(tmp);
		return err_set(r, "cannot write %s: %s", tmp, strerror(-r));
	}
	fclose(f);
	if (rename(tmp, dst) < 0) {
		r = -errno;
		unlink(tmp);
		return err_set(r, "cannot rename %s: %s", tmp, strerror(-r));
	}
	dfd = open(b->req, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		r = -errno;
		if (dfd >= 0)
			close(dfd);
		return err_set(r, "cannot flush %s: %s", b->req, strerror(-r));
	}
	close(dfd);
	return 0;
}

/*
 * The options, for the help and the manual: schedule reads its words itself,
 * because every word that is not one of these belongs to the scheduled
 * command (whose own options popt must not see).
 */
static const struct poptOption schedule_opts[] = {
	{ "on", 0, POPT_ARG_STRING, NULL, 0,
	  "the boot filesystem for the request (default: the first of /boot, /efi, /boot/efi "
	  "that is a filesystem of its own)", "DIR" },
	{ "boot-key", 0, POPT_ARG_STRING, NULL, 0,
	  "the LUKS key file at boot, PATH or PATH:KEYDEV as rd.shrinkbox.key; a --key-file "
	  "for the plan is then left out of the request", "SPEC" },
	{ "status", 0, POPT_ARG_NONE, NULL, 0, "the pending request, the last run's result and log",
	  NULL },
	{ "cancel", 0, POPT_ARG_NONE, NULL, 0, "remove a pending request", NULL },
	{ "yes", 'y', POPT_ARG_NONE, NULL, 0, "schedule without asking", NULL },
	{ "dry-run", 'n', POPT_ARG_NONE, NULL, 0, "print the plan and schedule nothing", NULL },
	POPT_TABLEEND
};

const struct applet_help schedule_help = {
	.synopsis = "shrink|grow PARTITION ARGS... [--on DIR] [--boot-key SPEC] [--dry-run] [--yes]\n"
		    "--status [--on DIR]\n--cancel [--on DIR]",
	.description = "From the running system: plans the shrink or grow as far as the running "
		       "system allows (every layer's size, resize2fs's estimate of the mounted "
		       "filesystem, the key check), prints the plan, and on consent leaves a "
		       "request in shrinkbox/ on the boot filesystem, outside the stack it "
		       "changes. On the next boot the initramfs (its hook recorded that "
		       "filesystem's UUID when the image was built) takes the request, flushes "
		       "that, and only then runs it, once, with --yes: whether it succeeds, is "
		       "refused or is cut off, no later boot runs it again. The boot loader and "
		       "the kernel command line are not touched.\n\nThe result stays beside it "
		       "(last.rc, last.log, last.request): --status prints it, and a request "
		       "still pending; --cancel removes one.",
	.opts = schedule_opts,
	.examples = {
		{ "schedule shrink /dev/nvme0n1p3 --size 200GiB",
		  "plan the shrink now, run it before the root mounts on the next boot" },
		{ "schedule --status", "after that boot: its exit code and log" },
	},
};

/* The command line: schedule's own options, and the shrink or grow words it keeps. */
struct sched {
	const char *on, *key, *target;
	char *words[MAX_WORDS + 4];
	unsigned n;
	bool status, cancel, yes, dry;
	struct bootfs b;
};

/* schedule's own options, by hand: every other word belongs to the command it runs. */
static int sched_parse(int argc, char **argv, struct sched *c)
{
	bool quiet = false, loud = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help_print(stdout, applet_find("schedule"));
			return EXIT_DONE;
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf("shrinkbox %s\n", SHRINKBOX_VERSION);
			return EXIT_DONE;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q") || !strcmp(a, "--verbose") ||
			   !strcmp(a, "-v") || !strcmp(a, "--debug")) {
			if (a[1] == 'v' || !strcmp(a, "--verbose") || !strcmp(a, "--debug"))
				loud = true;
			else
				quiet = true;
			if (quiet && loud) {
				log_error("--quiet with --verbose or --debug: give one of them");
				return EXIT_USAGE;
			}
			log_setup("schedule", loud ? LOG_DEBUG : LOG_WARN);
		} else if (!strcmp(a, "--on") || !strcmp(a, "--boot-key")) {
			if (i + 1 == argc) {
				log_error("%s needs an argument", a);
				return EXIT_USAGE;
			}
			if ((!strcmp(a, "--on") && c->on) || (!strcmp(a, "--boot-key") && c->key)) {
				log_error("%s given more than once", a);
				return EXIT_USAGE;
			}
			*(!strcmp(a, "--on") ? &c->on : &c->key) = argv[++i];
		} else if (!strcmp(a, "--status")) {
			c->status = true;
		} else if (!strcmp(a, "--cancel")) {
			c->cancel = true;
		} else if (!strcmp(a, "--yes") || !strcmp(a, "-y")) {
			c->yes = true;
		} else if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
			c->dry = true;
		} else if (!strcmp(a, "--plan-live")) {
			log_error("--plan-live is schedule's own: leave it out");
			return EXIT_USAGE;
		} else if (strchr(a, '\n')) {
			log_error("an argument holds a newline: refused");
			return EXIT_USAGE;
		} else if (c->n == MAX_WORDS) {
			log_error("more than %d words", MAX_WORDS);
			return EXIT_USAGE;
		} else {
			c->words[c->n++] = (char *)a;
		}
	}
	if ((c->status && c->cancel) || (c->yes && c->dry) ||
	    c->status + c->cancel + (c->n > 0) != 1) {
		log_error("give one of: shrink|grow ARGS..., --status, --cancel (\"schedule --help\")");
		return EXIT_USAGE;
	}
	if (c->n && strcmp(c->words[0], "shrink") && strcmp(c->words[0], "grow")) {
		log_error("schedule runs shrink or grow, not \"%s\"", c->words[0]);
		return EXIT_USAGE;
	}
	if (c->key && (strchr(c->key, '\n') || strchr(c->key, ' '))) {
		log_error("--boot-key %s: no spaces or newlines", c->key);
		return EXIT_USAGE;
	}
	return APPLET_NEXT;
}

/* Where the request goes must survive the command: not on the stack it changes. */
static int sched_where(struct sched *c)
{
	for (unsigned i = 1; i < c->n && !c->target; i++)
		if (c->words[i][0] != '-')
			c->target = c->words[i];
	if (!c->target) {
		log_error("%s needs its PARTITION (\"shrinkbox %s --help\")", c->words[0],
			  c->words[0]);
		return EXIT_USAGE;
	}
	if (blk_related(c->target, c->b.dev)) {
		log_error("the boot filesystem %s (%s) is on or under %s, which this %s changes: "
			  "put the request elsewhere (--on DIR), nothing was changed", c->b.dir,
			  c->b.dev, c->target, c->words[0]);
		return EXIT_REFUSED;
	}
	if (exists(c->b.req, "request")) {
		log_error("a request is already pending on %s (\"schedule --status\" shows it; "
			  "\"schedule --cancel\" removes it); nothing was changed", c->b.dir);
		return EXIT_REFUSED;
	}
	return APPLET_NEXT;
}

/* The plan, as the running system allows it to be made: the command's own dry run. */
static int sched_plan(struct sched *c)
{
	char *argv2[MAX_WORDS + 4];
	unsigned k = 0;
	int rc;

	for (unsigned i = 0; i < c->n; i++)
		argv2[k++] = c->words[i];
	argv2[k++] = "--dry-run";
	argv2[k++] = "--plan-live";
	argv2[k] = NULL;
	printf("==> shrinkbox %s ... --dry-run --plan-live (the plan, made on the running "
	       "system)\n", c->words[0]);
	fflush(stdout);
	rc = run_self(argv2);
	if (rc != 0) {
		log_error("the plan was refused (exit %d): nothing was scheduled", rc < 0 ? 1 : rc);
		return rc < 0 ? EXIT_FAILED : rc;
	}
	return APPLET_NEXT;
}

/* What the boot will run, consent, then the request written. */
static int sched_write(struct sched *c)
{
	const struct bootfs *b = &c->b;
	unsigned n = request_words(c->words, c->n, c->key != NULL);
	int rc;

	printf("Schedule: on the next boot, before the root filesystem mounts, the initramfs "
	       "runs once:\n  shrinkbox");
	for (unsigned i = 0; i < n; i++)
		printf(" %s", c->words[i]);
	printf(" --yes\n  request: %s/request on %s (UUID %s)%s%s\n", b->req, b->dev, b->uuid,
	       c->key ? "; key file at boot: " : "; no --boot-key: where a LUKS2 mapping's key is "
	       "in the kernel keyring, its passphrase is asked on the console at boot",
	       c->key ? c->key : "");
	printf("  the initramfs must have been built with shrinkbox's hook while %s was mounted "
	       "(it records that UUID: update-initramfs -u, or dracut -f, after installing); the "
	       "result: shrinkbox schedule --status\n", b->dir);
	if (c->dry) {
		printf("Dry run: nothing was scheduled.\n");
		return EXIT_DONE;
	}
	mutate.yes = c->yes;
	rc = applet_consent();
	if (rc <= 0)
		return EXIT_REFUSED;
	err_clear();
	rc = write_request(b, c->key, c->words, n);
	if (rc < 0) {
		log_error("%s (nothing was scheduled)", err_msg(rc));
		return EXIT_FAILED;
	}
	printf("Done: scheduled for the next boot (%s/request). Reboot to run it.\n", b->req);
	return EXIT_DONE;
}

int schedule_main(int argc, char **argv)
{
	struct sched c = { .on = NULL };
	int rc;

	rc = sched_parse(argc, argv, &c);
	if (rc != APPLET_NEXT)
		return rc;
	rc = bootfs_find(c.on, &c.b);
	if (rc)
		return rc;
	if (c.status)
		return do_status(&c.b);
	if (c.cancel)
		return c.dry ? EXIT_DONE : do_cancel(&c.b);
	rc = sched_where(&c);
	if (rc == APPLET_NEXT)
		rc = sched_plan(&c);
	if (rc == APPLET_NEXT)
		rc = sched_write(&c);
	return rc;
}
