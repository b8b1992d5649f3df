/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What e2fsck -f -n and resize2fs -P said of an ext2/3/4, kept for the rest of
 * the command while the filesystem reads back the same: shrink's check runs them
 * before the first write of the whole command, and the lvshrink step that
 * follows would run them again on a filesystem nothing has touched since. Every
 * write e2fsck or resize2fs makes changes the superblock (counts, times, its
 * checksum), so the key is the whole primary superblock with the device's size
 * and who holds it (VG/LV or the device path); the filesystem is unmounted
 * throughout (a mount rewrites the superblock too). Only what the step would have
 * re-derived is saved: the real run still runs e2fsck -f -p before resize2fs, and
 * resize2fs checks its own minimum once more.
 */
#ifndef SB_FSMEMO_H
#define SB_FSMEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/io.h"

struct fsmemo_key {
	char who[DEV_PATH_MAX];
	uint64_t dev_bytes;
	uint8_t sb[1024];	/* at byte 1024 (docs/ondisk.md, ext4) */
};

/* Reads the key of the filesystem on dev (who: its name, NULL for dev); -errno. */
int fsmemo_key(const char *dev, const char *who, struct fsmemo_key *k);
/* True when e2fsck -f -n found it clean in this command. */
bool fsmemo_clean(const struct fsmemo_key *k);
void fsmemo_note_clean(const struct fsmemo_key *k);
/* True (and *bytes) when resize2fs -P answered for it in this command. */
bool fsmemo_min(const struct fsmemo_key *k, uint64_t *bytes);
void fsmemo_note_min(const struct fsmemo_key *k, uint64_t bytes);
/* Forgets everything (tests). */
void fsmemo_reset(void);

#endif
