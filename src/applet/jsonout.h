/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The applets' JSON documents (json-c): every one carries schema_version, and
 * every key that holds a size or a position names its unit (_bytes, _sectors,
 * _extents, _pe). With --json, stdout holds the document only; every other
 * line goes to stderr (mutate.json, src/applet/common.h).
 */
#ifndef SB_JSONOUT_H
#define SB_JSONOUT_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#define J_ADD(o, k, v) json_object_object_add(o, k, v)
#define J_U64(v) json_object_new_int64((int64_t)(v))
#define J_STR(s) json_object_new_string(s)
#define J_BOOL(b) json_object_new_boolean(b)

/* A plan's document: {"schema_version": 1, "applet": applet}, keys added after. */
static inline struct json_object *json_doc(const char *applet)
{
	struct json_object *o = json_object_new_object();

	J_ADD(o, "schema_version", J_U64(1));
	J_ADD(o, "applet", J_STR(applet));
	return o;
}

/* Prints o on stdout, pretty, and frees it. */
static inline void json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

#endif
