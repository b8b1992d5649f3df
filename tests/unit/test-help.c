// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The help texts and the manual page (src/applet/help.h): every applet has a
 * complete help, the committed man/shrinkbox.8 is what the binary generates
 * from them, a short option means one thing in every applet, an option with a
 * value is refused when repeated, and lvm2's +SIZE/-SIZE.
 */
#include <sanitizer/lsan_interface.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "applets.h"
#include "applet/common.h"
#include "applet/help.h"
#include "util/err.h"
#include "util/log.h"

static bool table_end(const struct poptOption *o)
{
	return !o->longName && !o->shortName && !o->argInfo && !o->arg;
}

/* Calls fn for every option reachable from t (included tables too). */
static void walk(const struct poptOption *t, void (*fn)(const struct poptOption *, void *),
		 void *ctx)
{
	for (const struct poptOption *o = t; !table_end(o); o++) {
		if ((o->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE)
			walk(o->arg, fn, ctx);
		else
			fn(o, ctx);
	}
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 > cap) {
			cap = cap * 2 + 8192;
			buf = realloc(buf, cap + 1);
			if (!buf)
				abort();
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* A file of the repository, from the fixture directory (tests/data). */
#define top(rel) fixture(rel)

TEST(man_page_current)
{
	char *want = NULL, *have;
	size_t want_len = 0, have_len;
	FILE *m = open_memstream(&want, &want_len);

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_INT(help_man(m, top("../../man/shrinkbox.8.in")), 0);
	fclose(m);
	have = slurp(top("../../man/shrinkbox.8"), &have_len);
	CHECK(have != NULL);
	if (have && (have_len != want_len || memcmp(have, want, want_len))) {
		size_t i = 0;

		while (i < have_len && i < want_len && have[i] == want[i])
			i++;
		test_fail(__FILE__, __LINE__, "man/shrinkbox.8 is not what \"make man\" generates "
			  "(they differ from byte %zu): run make man", i);
	}
	free(want);
	free(have);
}

TEST(man_page_lists_every_applet)
{
	size_t len;
	char *page = slurp(top("../../man/shrinkbox.8"), &len), want[64];

	CHECK(page != NULL);
	for (unsigned i = 0; page && i < n_applets; i++) {
		snprintf(want, sizeof(want), "\n.SS %s\n", applets[i].name);
		if (!strstr(page, want))
			test_fail(__FILE__, __LINE__, "man/shrinkbox.8 has no section %s",
				  applets[i].name);
	}
	free(page);
}

struct help_ctx {
	const char *applet, *text;
};

static void option_in_help(const struct poptOption *o, void *p)
{
	struct help_ctx *c = p;
	char want[80];

	if ((o->argInfo & POPT_ARGFLAG_DOC_HIDDEN) || !o->longName)
		return;
	snprintf(want, sizeof(want), "--%s", o->longName);
	if (!strstr(c->text, want))
		test_fail(__FILE__, __LINE__, "%s --help does not show %s", c->applet, want);
	if (o->shortName) {
		snprintf(want, sizeof(want), "-%c, --%s", o->shortName, o->longName);
		if (!strstr(c->text, want))
			test_fail(__FILE__, __LINE__, "%s --help does not show %s", c->applet, want);
	}
	if (!o->descrip || !*o->descrip)
		test_fail(__FILE__, __LINE__, "%s: --%s has no description", c->applet,
			  o->longName);
}

TEST(help_complete)
{
	for (unsigned i = 0; i < n_applets; i++) {
		const struct applet *a = &applets[i];
		const struct applet_help *h = a->help;
		char *text = NULL, usage[64];
		struct help_ctx c;
		size_t len = 0;
		FILE *m;

		CHECK(h && h->synopsis && *h->synopsis && h->description && *h->description);
		CHECK(h && h->opts);
		if (!h || !h->opts)
			continue;
		for (unsigned k = 0; k < 2; k++) {
			size_t n = strlen(a->name);

			if (!h->examples[k].cmd || strncmp(h->examples[k].cmd, a->name, n) ||
			    h->examples[k].cmd[n] != ' ' || !h->examples[k].what)
				test_fail(__FILE__, __LINE__, "%s: example %u is not \"%s ...\"",
					  a->name, k + 1, a->name);
		}
		m = open_memstream(&text, &len);
		if (!m)
			abort();
		help_print(m, a);
		fclose(m);
		snprintf(usage, sizeof(usage), "Usage: shrinkbox %s ", a->name);
		CHECK(strncmp(text, usage, strlen(usage)) == 0);
		CHECK(strstr(text, "\nExamples:\n  shrinkbox ") != NULL);
		for (unsigned k = 0; k < 2; k++) {
			char want[256];

			snprintf(want, sizeof(want), "  shrinkbox %s\n", h->examples[k].cmd);
			if (!strstr(text, want))
				test_fail(__FILE__, __LINE__, "%s --help lacks example %u", a->name,
					  k + 1);
		}
		c = (struct help_ctx){ a->name, text };
		walk(h->opts, option_in_help, &c);
		walk(common_table, option_in_help, &c);
		free(text);
	}
}

/* Every short option of every table, with the long option it stands for. */
struct shorts {
	const char *applet;
	const char *longname[128];
	const char *where[128];
	unsigned uses[128];	/* in this applet: a letter twice in one applet is a conflict */
	unsigned failures;
};

static void note_short(const struct poptOption *o, void *p)
{
	struct shorts *s = p;
	unsigned char c = (unsigned char)o->shortName;

	if (!c)
		return;
	if (c >= 128 || !o->longName) {
		test_fail(__FILE__, __LINE__, "%s: -%c without a long name", s->applet, c);
		s->failures++;
		return;
	}
	if (s->uses[c]++) {
		test_fail(__FILE__, __LINE__, "%s: -%c twice (--%s)", s->applet, c, o->longName);
		s->failures++;
	}
	if (!s->longname[c]) {
		s->longname[c] = o->longName;
		s->where[c] = s->applet;
	} else if (strcmp(s->longname[c], o->longName)) {
		test_fail(__FILE__, __LINE__, "-%c is --%s in %s but --%s in %s", c,
			  s->longname[c], s->where[c], o->longName, s->applet);
		s->failures++;
	}
}

TEST(short_options_one_meaning)
{
	struct shorts s = { 0 };
	unsigned letters = 0;

	for (unsigned i = 0; i < n_applets; i++) {
		s.applet = applets[i].name;
		memset(s.uses, 0, sizeof(s.uses));
		walk(applets[i].help->opts, note_short, &s);
		walk(common_table, note_short, &s);
	}
	for (unsigned c = 0; c < 128; c++)
		letters += s.longname[c] != NULL;
	/* The check saw the tables: -s is --size, -y --yes, -h --help, ... */
	CHECK(letters >= 10);
	CHECK_STR(s.longname['s'], "size");
	CHECK_STR(s.longname['f'], "force");
	CHECK_STR(s.longname['l'], "extents");
	CHECK_STR(s.longname['h'], "help");
	CHECK_INT(s.failures, 0);
}

/* applet_parse on a command line; 0 or EXIT_USAGE. */
static int parse(const char *applet, const char *a1, const char *a2, const char *a3,
		 const char *a4)
{
	const char *argv[] = { applet, "vg/lv", a1, a2, a3, a4, NULL };
	const struct applet *a = applet_find(applet);
	poptContext ctx = NULL;
	int argc = 2, r;

	while (argv[argc])
		argc++;
	log_setup(applet, LOG_ERROR - 1);	/* the refusals are expected: keep stderr clean */
	/*
	 * popt stores a copy of each string value in the applet's static
	 * variable, which a one-applet process never frees; parsed again here,
	 * the earlier copies are lost: not a leak of the code under test.
	 */
	__lsan_disable();
	r = applet_parse(applet, argc, (char **)argv, a->help->opts, "", &ctx);
	__lsan_enable();
	log_setup(applet, LOG_INFO);
	if (ctx)
		poptFreeContext(ctx);
	return r;
}

TEST(repeated_option_refused)
{
	CHECK_INT(parse("lvresize", "--size", "1GiB", NULL, NULL), 0);
	CHECK_INT(parse("lvresize", "--size", "1GiB", "--size", "2GiB"), EXIT_USAGE);
	CHECK_INT(parse("lvresize", "-s", "1GiB", "--size=2GiB", NULL), EXIT_USAGE);
	CHECK_INT(parse("lvresize", "--extents", "1", "-l2", NULL), EXIT_USAGE);
	CHECK_INT(parse("lvresize", "--backup-dir", "/a", "--backup-dir", "/b"), EXIT_USAGE);
	CHECK_INT(parse("unlock", "--key-file", "/a", "-d", "/b"), EXIT_USAGE);
	/* A flag twice means what it means once; --lv is repeatable by design. */
	CHECK_INT(parse("lvresize", "--yes", "-y", NULL, NULL), 0);
	CHECK_INT(parse("shrink", "--lv", "vg/a=1GiB", "--lv", "vg/b=1GiB"), 0);
	/* The common options are there in every applet, and -q with -v is a usage error. */
	CHECK_INT(parse("lock", "-q", NULL, NULL, NULL), 0);
	CHECK_INT(parse("status", "--debug", NULL, NULL, NULL), 0);
	CHECK_INT(parse("status", "-q", "-v", NULL, NULL), EXIT_USAGE);
	CHECK_INT(parse("status", "--no-such-option", NULL, NULL, NULL), EXIT_USAGE);
}

static uint64_t lv_size(const char *arg, bool extents, uint64_t cur_le, char want_sign)
{
	uint64_t want = 0, bytes = 0;
	char sign = 'x';

	err_clear();
	if (applet_lv_size(arg, extents, 4 << 20, cur_le, &want, &bytes, &sign) < 0) {
		test_fail(__FILE__, __LINE__, "applet_lv_size(\"%s\") failed: %s", arg,
			  err_msg(-EINVAL));
		return 0;
	}
	CHECK_INT(sign, want_sign);
	return want;
}

TEST(lv_size_relative)
{
	uint64_t want, bytes;
	char sign;

	/* 4 MiB extents, an LV of 10 of them. */
	CHECK_U64(lv_size("20MiB", false, 10, 0), 5);
	CHECK_U64(lv_size("+100MiB", false, 10, '+'), 35);
	CHECK_U64(lv_size("+1MiB", false, 10, '+'), 11);	/* rounded up, never less */
	CHECK_U64(lv_size("-8MiB", false, 10, '-'), 8);
	CHECK_U64(lv_size("-6MiB", false, 10, '-'), 9);	/* 34 MiB asked: 9 extents */
	CHECK_U64(lv_size("+3", true, 10, '+'), 13);
	CHECK_U64(lv_size("-3", true, 10, '-'), 7);
	CHECK_U64(lv_size("12", true, 10, 0), 12);
	err_clear();
	CHECK(applet_lv_size("-40MiB", false, 4 << 20, 10, &want, &bytes, &sign) < 0);
	CHECK(applet_lv_size("-10", true, 4 << 20, 10, &want, &bytes, &sign) < 0);
	CHECK(applet_lv_size("+5G", false, 4 << 20, 10, &want, &bytes, &sign) < 0);
	CHECK(applet_lv_size("+-5MiB", false, 4 << 20, 10, &want, &bytes, &sign) < 0);
}

/*
 * A step run in the process of the command (applet/step.c) starts from every
 * option at its value before any parse, and the command finds its own after.
 */
TEST(step_options_fresh_and_restored)
{
	struct opt_state *outer, *st;

	CHECK(applet_opts_snapshot());
	/* What the tests before left set, put aside: this one starts as a process does. */
	outer = applet_opts_push();
	CHECK(outer != NULL);
	if (!outer)
		return;
	CHECK_INT(parse("lvresize", "--backup-dir", "/a", "--dry-run", NULL), 0);
	CHECK(mutate.dry_run && mutate.backup_dir && !strcmp(mutate.backup_dir, "/a"));
	mutate.json = 1;	/* as an applet with --json sets it */
	st = applet_opts_push();
	CHECK(st != NULL);
	if (st) {
		CHECK(!mutate.dry_run && !mutate.backup_dir && !mutate.yes && !mutate.json);
		CHECK_INT(parse("pvresize", "--yes", "--devices", "/b", NULL), 0);
		CHECK(mutate.yes && mutate.devices);
		applet_opts_pop(st);
		CHECK(mutate.dry_run && !mutate.yes && !mutate.devices);
		CHECK(mutate.backup_dir && !strcmp(mutate.backup_dir, "/a") && mutate.json);
	}
	applet_opts_pop(outer);
}
