/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The two forms of status's report of a probed stack (src/plan/stack.h). */
#ifndef SB_STATUS_H
#define SB_STATUS_H

#include <json-c/json.h>

#include "../plan/stack.h"

/* The volume and everything inside it as indented text on stdout, from depth d. */
void status_text(const struct volume *v, unsigned d);

/* The same as a JSON object (schema 1: every size or position key names its unit). */
struct json_object *status_json(const struct volume *v);

#endif
