/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What lvshrink and lvgrow share: one path, two directions. */
#ifndef SB_APPLET_LVFS_H
#define SB_APPLET_LVFS_H

#include <stdbool.h>

#include "help.h"

/* --size and the mutating options: lvgrow's and lvshrink's help show them. */
extern const struct poptOption lvshrink_opts[], lvgrow_opts[];

int lvfs_main(const char *name, int argc, char **argv, bool grow);

#endif
