// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luks.h"
#include "../util/err.h"
#include "../util/log.h"

static void crypt_log_to_debug(int level, const char *msg, void *usrptr)
{
	(void)usrptr;
	log_debug("libcryptsetup(%d): %.*s", level, (int)strcspn(msg, "\n"), msg);
}

void luks_quiet(void)
{
	crypt_set_log_callback(NULL, crypt_log_to_debug, NULL);
}

bool luks_magic(const uint8_t *buf, size_t len)
{
	return len >= 6 && (!memcmp(buf, "LUKS\xba\xbe", 6) || !memcmp(buf, "SKUL\xba\xbe", 6));
}

/* LUKS2: the data segment's "size" ("dynamic" or bytes) and any requirements. */
static void luks2_segment(struct crypt_device *cd, struct luks_info *li)
{
	const char *json = NULL;
	struct json_object *root, *segs, *cfg, *req;

	if (crypt_dump_json(cd, &json, 0) < 0 || !json)
		return;
	root = json_tokener_parse(json);
	if (!root)
		return;
	if (json_object_object_get_ex(root, "segments", &segs)) {
		json_object_object_foreach(segs, key, seg) {
			struct json_object *type, *size;

			(void)key;
			if (!json_object_object_get_ex(seg, "type", &type) ||
			    strcmp(json_object_get_string(type), "crypt") ||
			    !json_object_object_get_ex(seg, "size", &size))
				continue;
			if (strcmp(json_object_get_string(size), "dynamic")) {
				li->size_fixed = true;
				li->fixed_size = strtoull(json_object_get_string(size), NULL, 10);
			}
			break;
		}
	}
	if (json_object_object_get_ex(root, "config", &cfg) &&
	    json_object_object_get_ex(cfg, "requirements", &req))
		li->requirements = true;
	json_object_put(root);
}

int luks_read(const char *path, struct luks_info *li)
{
	struct crypt_device *cd = NULL;
	const char *type;
	int r;

	memset(li, 0, sizeof(*li));
	r = crypt_init(&cd, path);
	if (r < 0)
		return err_set(r, "%s: libcryptsetup cannot open it: %s", path, strerror(-r));
	r = crypt_load(cd, CRYPT_LUKS, NULL);
	if (r < 0) {
		crypt_free(cd);
		return err_set(-EBADMSG, "%s: LUKS header is damaged or unsupported (%s)", path,
			       strerror(-r));
	}
	type = crypt_get_type(cd);
	li->version = type && !strcmp(type, CRYPT_LUKS2) ? 2 : 1;
	snprintf(li->uuid, sizeof(li->uuid), "%s", crypt_get_uuid(cd) ? crypt_get_uuid(cd) : "");
	snprintf(li->cipher, sizeof(li->cipher), "%s-%s", crypt_get_cipher(cd),
		 crypt_get_cipher_mode(cd));
	li->key_bits = (unsigned)crypt_get_volume_key_size(cd) * 8;
	li->data_offset = crypt_get_data_offset(cd);
	li->sector_size = (unsigned)crypt_get_sector_size(cd);
	for (int ks = 0; ks < crypt_keyslot_max(type); ks++) {
		crypt_keyslot_info ki = crypt_keyslot_status(cd, ks);

		li->keyslots += ki == CRYPT_SLOT_ACTIVE || ki == CRYPT_SLOT_ACTIVE_LAST;
	}
	if (li->version == 2)
		luks2_segment(cd, li);
	crypt_free(cd);
	return 0;
}

int luks_read_active(const char *name, struct luks_info *li)
{
	struct crypt_device *cd = NULL;
	struct crypt_active_device cad;
	int r;

	r = crypt_init_by_name(&cd, name);
	if (r < 0)
		return err_set(r, "mapping %s: %s", name, strerror(-r));
	r = crypt_get_active_device(cd, name, &cad);
	crypt_free(cd);
	if (r < 0)
		return err_set(r, "mapping %s: cannot read its table: %s", name, strerror(-r));
	li->active = true;
	snprintf(li->active_name, sizeof(li->active_name), "%s", name);
	snprintf(li->active_path, sizeof(li->active_path), "/dev/mapper/%s", name);
	li->active_offset = cad.offset;
	li->active_size = cad.size;
	return 0;
}
