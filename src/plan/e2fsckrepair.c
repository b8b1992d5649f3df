// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * e2fsck before a resize: preen mode, and for a filesystem whose LV carries
 * RESIZE_MARK the narrow repair of a cut-off resize2fs under the rule of
 * e2fsck_n_verdict() (src/plan/e2fsckrepair.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2fsckrepair.h"
#include "fsmemo.h"
#include "fsresize.h"
#include "../util/endian.h"
#include "../layer/extgdt.h"
#include "../layer/extsb.h"
#include "../util/cleanup.h"
#include "../util/err.h"
#include "../util/exec.h"
#include "../util/io.h"

/*
 * What an interrupted resize2fs leaves: resize2fs marks the filesystem with
 * errors first (EXT2_ERROR_FS), and a power cut before its last flush can
 * leave the resize inode (inode 7, which only reserves block-group descriptor
 * room for growing online) half rewritten, and the group summaries (free
 * counts, bitmaps) not yet final. A power cut in the VM (shrink-powercut.scn)
 * ended there, and so did each of 60 random orders of resize2fs's last
 * unflushed writes replayed on a copy; e2fsck -y rebuilt it with every file
 * intact each time (t-lvshrink.sh makes that state). The errors flag alone
 * does not say who set it: e2fsck -p sets it too when it stops (preenhalt), and
 * the kernel on any error. So the LV must also carry our own mark,
 * RESIZE_MARK, committed to its metadata before any resize2fs that changes
 * the size and removed only once the filesystem fills the LV.
 *
 * Even then -y answers yes to everything, and preen mode stops at the first
 * problem it will not fix, so nothing after it was looked at. So e2fsck -f -n
 * runs first, reading everything, and -y runs only when each line it printed
 * is the resize inode or one of the pass-5 summary fixes that preen mode makes
 * on its own without a message (PR_PREEN_OK | PR_PREEN_NOMSG in
 * e2fsprogs 1.47.0 e2fsck/problem.c: free block, free inode and directory
 * counts, bitmap differences, bitmap padding, the last group's BLOCK_UNINIT
 * flag that a grow cut off leaves, PR_0_BB_UNINIT_LAST), plus e2fsck's own
 * progress and summary lines. Anything else is left to a human.
 *
 * The resize inode's problems are named by its number: a growing resize2fs
 * cut off mid-way leaves inode 7's block map for the new size with its old
 * i_blocks ("Inode 7, i_blocks is 3560, should be 8", a write-log replay of
 * grow), or blocks past the old end ("Inode 7 has illegal block(s)",
 * "Illegal block #N (B) in inode 7"). Inode 7 holds no file data; e2fsck -y
 * clears it and recreates it (check_resize_inode() in e2fsck/super.c). A line
 * naming any other inode, or multiply-claimed blocks, is not benign, and an
 * e2fsck that stopped ("e2fsck: aborted") did not read everything.
 *
 * A shrinking resize2fs writes its new descriptors, bitmaps and backup
 * superblocks, flushes, and only then the primary superblock (ext2fs_flush2()
 * in e2fsprogs' lib/ext2fs/closefs.c). Cut between the two (a write-log
 * replay of lvshrink, its flush boundary 9 and torn states around it), the
 * old primary superblock counts groups the new descriptor blocks no longer
 * describe: "ext2fs_check_desc: Corrupt group descriptor: ...", and e2fsck
 * goes on from the backup superblock and descriptors ("Group descriptors look
 * bad... trying backup blocks..."), which describe the old or the new
 * filesystem, whole. If passes 1-4 then find nothing but the resize inode,
 * what -y changes is what e2fsck recomputes from the inodes it found sound:
 * the primary copy of the backup, bitmaps and their checksums ("Group N
 * block bitmap does not match checksum."), counts, padding. Without the
 * fallback line right after it, a descriptor error is not benign.
 */
static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* "Inode 7, ...", "Inode 7 has ...", "Illegal [double indirect ]block ... in inode 7.", "Too many ..." */
static bool names_resize_inode(const char *line)
{
	const char *p;

	if (starts(line, "Inode 7") && strchr(" ,.", line[7]) && line[7])
		return true;
	if (!starts(line, "Illegal ") && !starts(line, "Too many illegal blocks in inode"))
		return false;
	p = strstr(line, " in inode 7");
	return p && strchr(" ,.", p[11]) && p[11];
}

/* "Group N inode bitmap does not match checksum.", "Group N block bitmap ..." (pass 5). */
static bool bitmap_csum_line(const char *line)
{
	const char *p = line + strlen("Group ");

	if (!starts(line, "Group ") || !isdigit((unsigned char)*p))
		return false;
	p += strspn(p, "0123456789");
	return !strcmp(p, " inode bitmap does not match checksum.") ||
	       !strcmp(p, " block bitmap does not match checksum.");
}

static bool benign_line(const char *l, size_t n)
{
	static const char *const prefix[] = {
		"e2fsck ", "Pass ", "Resize inode not valid.  Recreate? no",
		"Free blocks count wrong", "Free inodes count wrong", "Directories count wrong",
		"Block bitmap differences:", "Inode bitmap differences:", "Padding at end of",
		"Fix? no", "Clear? no", "Clear inode? no", "Suppress messages? no", "IGNORED.",
		"Last group block bitmap uninitialized.", NULL,
	};
	static const char *const contains[] = {
		"WARNING: Filesystem still has errors", "contains a file system with errors",
		" files (", NULL,
	};
	char line[512];

	while (n && (*l == ' ' || *l == '\t')) {
		l++;
		n--;
	}
	if (!n)
		return true;
	/*
	 * A bitmap-differences list is one line however long it grows (a 4 KiB
	 * block shrink of shrink-seed.scn cut in resize2fs printed one of more
	 * than 512 bytes); benign when it holds nothing but block numbers.
	 */
	if (n >= sizeof(line)) {
		static const char *const lists[] = { "Block bitmap differences:",
						     "Inode bitmap differences:" };

		for (unsigned i = 0; i < 2; i++) {
			size_t k = strlen(lists[i]);

			if (n > k && !strncmp(l, lists[i], k))
				return strspn(l + k, " +-()0123456789") >= n - k;
		}
		return false;
	}
	memcpy(line, l, n);
	line[n] = '\0';
	if (strstr(line, "aborted") || strstr(line, "ultiply-claimed"))
		return false;
	if (names_resize_inode(line) || bitmap_csum_line(line))
		return true;
	for (unsigned i = 0; prefix[i]; i++)
		if (!strncmp(line, prefix[i], strlen(prefix[i])))
			return true;
	for (unsigned i = 0; contains[i]; i++)
		if (strstr(line, contains[i]))
			return true;
	/* The numbers of a long bitmap-differences list, continued on their own lines. */
	return strspn(line, " +-()0123456789") == n;
}

int e2fsck_n_verdict(const char *out, char *bad, size_t bad_len)
{
	const char *l = out, *nl;
	char line[512];
	bool fix = false, stuck7 = false, desc = false;
	size_t n;

	for (; *l; l = *nl ? nl + 1 : nl) {
		nl = strchrnul(l, '\n');
		n = nl - l;
		while (n && (*l == ' ' || *l == '\t')) {
			l++;
			n--;
		}
		snprintf(line, sizeof(line), "%.*s", (int)n, l);
		/* e2fsck stopped inside inode 7's block map: what follows was never read. */
		if (starts(line, "Error while iterating over blocks in inode 7:")) {
			stuck7 = true;
			continue;
		}
		if (stuck7 && !strcmp(line, "e2fsck: aborted"))
			return 2;
		/* The descriptor error, then the fallback to the backups on the next line. */
		if (desc && *line) {
			if (!starts(line, "e2fsck: Group descriptors look bad... trying backup blocks"))
				return -1;
			desc = false;
			fix = true;
			continue;
		}
		if (starts(line, "ext2fs_check_desc: ")) {
			snprintf(bad, bad_len, "%s", line);
			desc = true;
			continue;
		}
		if (!benign_line(l, n)) {
			snprintf(bad, bad_len, "%s", line);
			return -1;
		}
		if (starts(line, "Resize inode not valid") || names_resize_inode(line) ||
		    bitmap_csum_line(line))
			fix = true;
	}
	if (desc)
		return -1;
	if (stuck7) {
		snprintf(bad, bad_len, "Error while iterating over blocks in inode 7");
		return -1;
	}
	return fix;
}

/*
 * resize2fs was cut off after its last flush and before the primary
 * superblock (src/layer/extsb.h): the superblock of the first backup is the
 * one it was about to write. Written as the primary (its own copy, with the
 * primary's group number and the error bit), e2fsck reads the new
 * descriptors through it instead of falling back to a backup view that
 * turns never-zeroed inode tables into garbage inodes (write-log replay of
 * shrink-data.rpl, its flush boundary 9 and three torn states). Only when the
 * primary's view is refused: if e2fsck -n refuses the new view as well, the
 * old primary goes back and the first refusal stands.
 * 1: written; 0: no such backup; -errno.
 */
static int finish_last_write(const char *dev, struct ext_sb_pair *pair,
			     const struct fsresize_opts *o)
{
	_cleanup_close_ int fd = -1;
	uint8_t sb[EXT_SB_SIZE];
	uint64_t size;
	bool blk;
	int r;

	fd = dev_open(dev, O_RDWR, &size, &blk);
	if (fd < 0)
		return fd;
	r = ext_sb_newer_backup(fd, size, pair);
	if (r <= 0)
		return r == -ENOENT ? 0 : r;
	o->say("the superblock of group %" PRIu32 " (%" PRIu64 " blocks; the primary's: %" PRIu64
	       "%s) written as the primary one: %s", pair->backup_group, pair->backup_blocks,
	       pair->primary_blocks, pair->primary_torn ? ", its checksum failing" : "",
	       pair->primary_torn ? "a superblock write was torn" :
	       "resize2fs was cut off before its last write");
	ext_sb_as_primary(pair->backup, sb);
	r = ext_sb_write_primary(fd, sb);
	return r < 0 ? err_set(r, "%s: writing its primary superblock: %s", dev, strerror(-r)) : 1;
}

/*
 * The primary as it was. A power cut before this leaves the backup's copy,
 * which the next run's e2fsck -n refuses the same way: nothing else changed.
 */
static int restore_primary(const char *dev, const struct ext_sb_pair *pair,
			   const struct fsresize_opts *o)
{
	_cleanup_close_ int fd = -1;
	uint64_t size;
	bool blk;
	int r;

	o->say("the primary superblock of %s put back as it was (e2fsck -n refuses that view too)",
	       dev);
	fd = dev_open(dev, O_RDWR, &size, &blk);
	if (fd < 0)
		return fd;
	r = ext_sb_write_primary(fd, pair->primary);
	return r < 0 ? err_set(r, "%s: writing its primary superblock: %s", dev, strerror(-r)) : 0;
}

/* e2fsck -n went on from the backup superblock and descriptors. */
static bool backup_view(const char *out)
{
	return strstr(out, "\ne2fsck: Group descriptors look bad... trying backup blocks...\n");
}

/*
 * That view is the backup's, without the marks it drops (src/layer/extgdt.h):
 * the primary table's slots that hold no descriptor filled in from group 1's
 * copy, so that e2fsck reads the primary table again. 1 when written.
 */
static int old_table(const char *dev, struct ext_gdt_saved *gdt, const struct fsresize_opts *o)
{
	_cleanup_close_ int fd = -1;
	uint64_t size;
	bool blk;
	int r;

	fd = dev_open(dev, O_RDWR, &size, &blk);
	if (fd < 0)
		return fd;
	r = ext_gdt_from_backup(fd, size, gdt);
	if (r > 0)
		o->say("%" PRIu32 " of the %" PRIu32 " group descriptors the primary superblock "
		       "counts, missing from the primary table of %s, filled in from group 1's "
		       "copy: resize2fs was cut off after its new descriptors, before any "
		       "superblock", gdt->filled, gdt->groups, dev);
	if (r < 0 && gdt->bytes)
		(void)ext_gdt_put_back(fd, gdt);
	return r < 0 ? err_set(r, "%s: writing its group descriptors: %s", dev, strerror(-r)) : r;
}

/* The primary table as it was, when e2fsck -n refuses the old one's view too. */
static int old_table_put_back(const char *dev, struct ext_gdt_saved *gdt,
			      const struct fsresize_opts *o)
{
	_cleanup_close_ int fd = -1;
	uint64_t size;
	bool blk;
	int r;

	o->say("the primary group descriptors of %s put back as they were (e2fsck -n refuses "
	       "that view too)", dev);
	fd = dev_open(dev, O_RDWR, &size, &blk);
	if (fd < 0)
		return fd;
	r = ext_gdt_put_back(fd, gdt);
	ext_gdt_saved_free(gdt);
	return r < 0 ? err_set(r, "%s: writing its group descriptors: %s", dev, strerror(-r)) : 0;
}

static void gdt_freep(struct ext_gdt_saved *s)
{
	ext_gdt_saved_free(s);
}

/*
 * The repair of a filesystem whose LV carries RESIZE_MARK, each step read
 * again by e2fsck -f -n under the rule of e2fsck_n_verdict():
 *  - clean: done;
 *  - refused: the superblock resize2fs wrote last is tried once
 *    (finish_last_write()); else, if e2fsck read the backup descriptors,
 *    the primary table's empty slots are filled in from them, once
 *    (old_table()); a view
 *    through either write that is refused too puts the old bytes back, and
 *    the first refusal stands;
 *  - stopped inside inode 7's block map (a pointer past the end of a grown
 *    filesystem's old size), or -y changed nothing the next -n sees: inode 7
 *    alone is cleared, once (debugfs clri: its on-disk inode zeroed, no file
 *    data touched; e2fsck then recreates it, check_resize_inode() in
 *    e2fsck/super.c). The second case is a torn shrink whose resize inode
 *    points at a block the old superblock's geometry uses for descriptors:
 *    e2fsck -y clears the pointers in it, then its own close writes the
 *    descriptors back there (replay of shrink-data.rpl, torn state t:1:0);
 *  - else -y, and round again: an e2fsck that went on from the backup
 *    superblock writes it as the primary, and only the next run checks the
 *    resize inode against that geometry (a torn state of the lvshrink replay).
 * Four -y runs at most; then preen mode decides, as for every filesystem.
 * *wrote says whether anything written stays (a -y, the clri, the superblock,
 * the descriptors).
 */
static int repair_cut_resize(const char *dev, const char *lv, const struct fsresize_opts *o,
			     bool *wrote)
{
	char *argv[] = { "e2fsck", "-f", "-n", (char *)dev, NULL };
	char *yes[] = { "e2fsck", "-f", "-y", (char *)dev, NULL };
	char *clri[] = { "debugfs", "-w", "-R", "clri <7>", (char *)dev, NULL };
	/*
	 * A cut-off shrink's e2fsck -n lists every group's bitmap checksum and
	 * long bitmap-difference ranges: 16 KiB was too little for 20 groups
	 * (write-log replay of shrink-data.rpl); everything must be read.
	 */
	const size_t out_len = 1 << 20;
	_cleanup_free_ char *out = malloc(out_len), *prev = NULL;
	struct ext_sb_pair pair;
	char bad[256], first_bad[256] = "", small[2048];
	struct ext_gdt_saved gdt _cleanup_(gdt_freep) = { 0 };
	bool tried_sb = false, installed = false, cleared = false, tried_gdt = false;
	bool gdt_written = false;
	int st, r, ys = 0;

	if (!out)
		return -ENOMEM;
	for (;;) {
		o->say("e2fsck -f -n %s (the LV is tagged %s: a resize2fs was cut off)", dev,
		       RESIZE_MARK);
		r = run_program(argv, &st, out, out_len);
		if (r < 0)
			return r;
		if (st == 0)
			return 0;
		if (strlen(out) + 1 >= out_len)
			return err_set(E_REFUSED, "e2fsck -f -n of LV %s reported more than shrinkbox "
				       "reads; run \"e2fsck -f /dev/%s\" yourself, then try again", lv,
				       lv);
		r = e2fsck_n_verdict(out, bad, sizeof(bad));
		if (r < 0 && installed) {
			/* The view through the superblock just written is refused too. */
			r = restore_primary(dev, &pair, o);
			if (r < 0)
				return r;
			*wrote = ys || cleared;
			snprintf(bad, sizeof(bad), "%s", first_bad);
			r = -1;
		} else if (r < 0 && gdt_written) {
			/* The view through the old table is refused too. */
			r = old_table_put_back(dev, &gdt, o);
			if (r < 0)
				return r;
			*wrote = ys || cleared;
			snprintf(bad, sizeof(bad), "%s", first_bad);
			r = -1;
		} else if (r < 0 && !tried_sb) {
			tried_sb = true;
			snprintf(first_bad, sizeof(first_bad), "%s", bad);
			r = finish_last_write(dev, &pair, o);
			if (r < 0)
				return r;
			if (r) {
				installed = *wrote = true;
				continue;
			}
			r = -1;
		}
		if (r < 0 && !installed && !gdt_written && !tried_gdt && backup_view(out)) {
			tried_gdt = true;
			r = old_table(dev, &gdt, o);
			if (r < 0)
				return r;
			if (r) {
				gdt_written = *wrote = true;
				continue;
			}
			r = -1;
		}
		installed = gdt_written = false;
		if (r < 0)
			return err_set(E_REFUSED, "e2fsck -f -n of LV %s reports more than an "
				       "interrupted resize2fs leaves (\"%.200s\"); run \"e2fsck -f "
				       "/dev/%s\" yourself, then try again", lv, bad, lv);
		if (r == 0)
			return 0;	/* only what preen mode fixes on its own */
		if (r == 2 || (prev && !strcmp(prev, out))) {
			if (cleared)
				return err_set(E_REFUSED, "e2fsck -f -n of LV %s %s after inode 7 was "
					       "cleared; run \"e2fsck -f /dev/%s\" yourself, then try "
					       "again", lv, r == 2 ? "still stops in inode 7" :
					       "reports the same after e2fsck -y", lv);
			o->say("debugfs -w -R \"clri <7>\" %s (%s; e2fsck recreates it)", dev,
			       r == 2 ? "e2fsck -n stopped in the resize inode's block map" :
			       "e2fsck -y did not change what e2fsck -n reports");
			r = run_program(clri, &st, small, sizeof(small));
			if (r < 0)
				return r;
			if (st != 0)
				return err_set(E_REFUSED, "debugfs could not clear inode 7 of LV %s "
					       "(exit %d): %.200s", lv, st, small);
			cleared = *wrote = true;
			free(prev);
			prev = NULL;
			continue;
		}
		if (ys == 4)
			return 0;	/* -p decides */
		free(prev);
		prev = strdup(out);
		if (!prev)
			return -ENOMEM;
		o->say("e2fsck -f -y %s (what an interrupted resize2fs leaves)", dev);
		r = run_program(yes, &st, small, sizeof(small));
		if (r < 0)
			return r;
		ys++;
		*wrote = true;
		if (st >= 4)
			return err_set(E_REFUSED, "e2fsck -f -y of LV %s could not repair it "
				       "(exit %d): %.300s", lv, st, small);
	}
}

int fs_e2fsck_n_check(const char *dev, const char *lv)
{
	char *argv[] = { "e2fsck", "-f", "-n", (char *)dev, NULL };
	const size_t out_len = 1 << 20;	/* every line is read (repair_cut_resize()) */
	_cleanup_free_ char *out = NULL;
	_cleanup_close_ int fd = -1;
	uint8_t incompat[4];
	char bad[256] = "", who[DEV_PATH_MAX + 8], fix[DEV_PATH_MAX + 8];
	struct fsmemo_key key;
	bool have_key;
	int st, r, v;

	/* The journal needs recovery: -n would judge the unreplayed state; -p replays it. */
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(-errno, "%s: %m", dev);
	if (pread(fd, incompat, 4, 1024 + 0x60) != 4)
		return err_set(-EIO, "%s: cannot read the superblock", dev);
	if (get_le32(incompat) & 0x4)
		return 0;
	/* Found clean already in this command, and not written since (fsmemo.h). */
	have_key = fsmemo_key(dev, lv, &key) == 0;
	if (have_key && fsmemo_clean(&key))
		return 0;
	out = malloc(out_len);
	if (!out)
		return -ENOMEM;
	r = run_program(argv, &st, out, out_len);
	if (r < 0)
		return r;
	v = st == 0 ? 0 : strlen(out) + 1 >= out_len ? -1 : e2fsck_n_verdict(out, bad, sizeof(bad));
	if (v == 0) {
		if (have_key)
			fsmemo_note_clean(&key);
		return 0;
	}
	/* An LV is named as VG/LV, its repair as /dev/VG/LV; else the device's path. */
	snprintf(who, sizeof(who), "%s%s", lv ? "LV " : "", lv ? lv : dev);
	snprintf(fix, sizeof(fix), "%s%s", lv ? "/dev/" : "", lv ? lv : dev);
	if (v > 0)
		return err_set(E_REFUSED, "e2fsck -f -n of %s reports what an interrupted resize2fs "
			       "leaves, which e2fsck -p will not fix unattended, and %s: run \"e2fsck "
			       "-f %s\" yourself, then the same command again (nothing was changed)",
			       who, lv ? "the LV does not carry the tag " RESIZE_MARK " that a "
			       "resize2fs of shrinkbox leaves" : "with no LV there is no tag to show "
			       "it was one of ours", fix);
	return err_set(E_REFUSED, "e2fsck -f -n of %s reports what e2fsck -p will not fix "
		       "unattended (\"%s\"): run \"e2fsck -f %s\" yourself, then the same command "
		       "again (nothing was changed)", who, bad[0] ? bad : "more than shrinkbox reads",
		       fix);
}

int fs_e2fsck(const char *dev, const char *lv, bool repair, const struct fsresize_opts *o)
{
	char *argv[] = { "e2fsck", "-f", "-p", (char *)dev, NULL };
	char out[2048];
	bool wrote = false;
	int st, r;

	/*
	 * A refusal after the repair wrote is still a refusal (exit 3), not a
	 * fault: what was written is only what the rule allows, and it says so.
	 */
	if (repair) {
		r = repair_cut_resize(dev, lv, o, &wrote);
		if (r < 0)
			return wrote && r == E_REFUSED ? err_wrap(r, "only the repair of the cut-off "
						"resize2fs was made, then: ") : r;
	}
	o->say("e2fsck -f -p %s", dev);
	r = run_program(argv, &st, out, sizeof(out));
	if (r < 0)
		return r;
	/* 0 clean, 1 fixed, 2 fixed (reboot wanted: not for an unmounted fs); 4+ needs a human. */
	if (st >= 4) {
		/* lv is VG/LV, or for a filesystem on no LV its device's path. */
		bool path = lv[0] == '/';

		r = err_set(E_REFUSED, "e2fsck found problems in %s%s it will not fix unattended "
			    "(exit %d): run \"e2fsck -f %s%s\" yourself, then try again. It said: "
			    "%.300s", path ? "" : "LV ", lv, st, path ? "" : "/dev/", lv, out);
		return wrote ? err_wrap(r, "only the repair of the cut-off resize2fs was made, "
					"then: ") : r;
	}
	return 0;
}
