/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Library code returns 0 or -errno and never prints. When a failure deserves
 * more words than strerror() has (which device, which field, which value), it
 * records them with err_set(); the applet that reports the failure reads them
 * back with err_msg(). One message per thread, the latest wins.
 */
#ifndef SB_ERR_H
#define SB_ERR_H

#include <errno.h>

/*
 * The -errno library code returns for "refused as unsafe or unsupported"
 * (exit code 3), distinct from a failure (1): ECANCELED is otherwise unused here.
 * Negative, like every other library error.
 */
#define E_REFUSED (-ECANCELED)

/* Records the message and returns r (a -errno), for "return err_set(...)". */
int err_set(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the current message with more context ("PV /dev/x: " + old). */
int err_wrap(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message for r: the recorded one if any, else strerror(-r). */
const char *err_msg(int r);
void err_clear(void);

#endif
