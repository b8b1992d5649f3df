// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "applets.h"

const struct applet applets[] = {
#define APPLET(n, s) { #n, s, n##_main, &n##_help },
	APPLET_LIST
#undef APPLET
};
const unsigned n_applets = sizeof(applets) / sizeof(applets[0]);

const struct applet *applet_find(const char *name)
{
	for (unsigned i = 0; i < n_applets; i++)
		if (!strcmp(applets[i].name, name))
			return &applets[i];
	return NULL;
}
