/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Applet-side logging. Messages go to stderr prefixed with the applet name;
 * with a log file set (the initramfs hook sets /run/initramfs/shrinkbox.log)
 * every line is appended there too. Library code does not call these except
 * log_debug().
 */
#ifndef SB_LOG_H
#define SB_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_setup(const char *prog, int verbosity);
/* What log_setup set last (a step run in-process puts it back after). */
void log_get(const char **prog, int *verbosity);
void log_set_file(const char *path);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Exit codes, the same for every applet (documented in the README and the
 * man page).
 */
enum {
	EXIT_DONE = 0,		/* done, or nothing to do ("No changes.") */
	EXIT_FAILED = 1,	/* failed; nothing was changed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_REFUSED = 3,	/* refused as unsafe or unsupported; nothing was changed */
	EXIT_PARTIAL = 4,	/* failed after changing something; the message says what next */
	EXIT_STALE = 5,		/* changed something, and an LV's active table no longer matches
				   its metadata: do not use it (the boot stops) until fixed */
};

#endif
