// SPDX-License-Identifier: GPL-2.0-or-later
/* fsmemo: an answer is kept only for the same holder with the same superblock and size. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "plan/fsmemo.h"

static void put(int fd, off_t at, const char *b, size_t n)
{
	CHECK_INT((int)pwrite(fd, b, n, at), (int)n);
}

TEST(fsmemo_answer_kept_while_the_superblock_reads_the_same)
{
	char path[] = "/tmp/sbfsmemo.XXXXXX";
	struct fsmemo_key k, k2;
	uint64_t min = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK_INT(ftruncate(fd, 1 << 20), 0);
	put(fd, 1024 + 0x38, "\x53\xef", 2);
	fsmemo_reset();
	CHECK_INT(fsmemo_key(path, "vg/root", &k), 0);
	CHECK(!fsmemo_clean(&k));
	CHECK(!fsmemo_min(&k, &min));
	fsmemo_note_clean(&k);
	fsmemo_note_min(&k, 4096 * 1000);
	CHECK_INT(fsmemo_key(path, "vg/root", &k2), 0);
	CHECK(fsmemo_clean(&k2));
	CHECK(fsmemo_min(&k2, &min));
	CHECK_U64(min, 4096 * 1000);
	/* Another holder with the same bytes is another filesystem. */
	CHECK_INT(fsmemo_key(path, "vg/home", &k2), 0);
	CHECK(!fsmemo_clean(&k2));
	/* Any write to the superblock (a count, a time) and the answers are not used. */
	put(fd, 1024 + 0x0c, "\x01", 1);
	CHECK_INT(fsmemo_key(path, "vg/root", &k2), 0);
	CHECK(!fsmemo_clean(&k2));
	CHECK(!fsmemo_min(&k2, &min));
	put(fd, 1024 + 0x0c, "\x00", 1);
	/* So is another size of the device under it. */
	CHECK_INT(ftruncate(fd, 2 << 20), 0);
	CHECK_INT(fsmemo_key(path, "vg/root", &k2), 0);
	CHECK(!fsmemo_clean(&k2));
	CHECK_INT(ftruncate(fd, 1 << 20), 0);
	CHECK_INT(fsmemo_key(path, "vg/root", &k2), 0);
	CHECK(fsmemo_clean(&k2));
	/* A device too small to hold a superblock has no key. */
	CHECK_INT(ftruncate(fd, 1500), 0);
	CHECK(fsmemo_key(path, "vg/root", &k2) < 0);
	fsmemo_reset();
	close(fd);
	unlink(path);
}
