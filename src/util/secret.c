// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include "err.h"
#include "secret.h"

#define SECRET_MAP (SECRET_MAX + 4096)

int secret_alloc(struct secret *s)
{
	s->len = 0;
	s->buf = mmap(NULL, SECRET_MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->buf == MAP_FAILED) {
		s->buf = NULL;
		return -ENOMEM;
	}
	/* Best effort: mlock may be limited (RLIMIT_MEMLOCK); dump exclusion is not. */
	mlock(s->buf, SECRET_MAP);
	madvise(s->buf, SECRET_MAP, MADV_DONTDUMP);
	return 0;
}

void secret_free(struct secret *s)
{
	if (!s->buf)
		return;
	explicit_bzero(s->buf, SECRET_MAP);
	munlock(s->buf, SECRET_MAP);
	munmap(s->buf, SECRET_MAP);
	s->buf = NULL;
	s->len = 0;
}

void secret_protect_process(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int secret_read_line(struct secret *s, int fd)
{
	s->len = 0;
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(-errno, "cannot read the passphrase: %m");
		if (n == 0 || c == '\n')
			break;
		if (s->len == SECRET_MAX)
			return err_set(-E2BIG, "passphrase longer than %u bytes", SECRET_MAX);
		s->buf[s->len++] = c;
	}
	s->buf[s->len] = '\0';
	return 0;
}

int secret_read_tty(struct secret *s, const char *prompt)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), out, r;

	/*
	 * No controlling terminal (ENXIO): an initramfs hook, whose stdin the
	 * boot script made the console (init never makes /dev/console anyone's
	 * controlling terminal). Standard input, when it is a terminal, is the
	 * one to ask on; the prompt goes to standard error if it cannot be
	 * written there.
	 */
	if (fd < 0 && isatty(STDIN_FILENO))
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -ENOTTY;
	if (tcgetattr(fd, &old) < 0) {
		close(fd);
		return -ENOTTY;
	}
	out = fcntl(fd, F_GETFL) & O_ACCMODE ? fd : STDERR_FILENO;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	/* Echo off before the prompt shows: nothing typed after it is echoed or flushed. */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0 || write(out, prompt, strlen(prompt)) < 0) {
		tcsetattr(fd, TCSAFLUSH, &old);
		close(fd);
		return -ENOTTY;
	}
	r = secret_read_line(s, fd);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(out, "\n", 1) < 0)
		r = r ? r : -EIO;
	close(fd);
	return r;
}

int secret_read_keyfile(struct secret *s, const char *path, uint64_t offset, uint64_t size)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	uint64_t skipped = 0;
	int r = 0;

	if (fd < 0)
		return err_set(-errno, "key file %s: %m", path);
	if (size > SECRET_MAX) {
		r = err_set(-E2BIG, "key file size %" PRIu64 " is over the %u bytes limit", size,
			    SECRET_MAX);
		goto out;
	}
	/* Skip by reading: stdin and pipes cannot seek. */
	while (skipped < offset) {
		char junk[512];
		size_t want = offset - skipped < sizeof(junk) ? (size_t)(offset - skipped) :
								 sizeof(junk);
		ssize_t n = read(fd, junk, want);

		if (n <= 0) {
			r = err_set(n < 0 ? -errno : -EINVAL, "key file %s is shorter than the offset %"
				    PRIu64, path, offset);
			goto out;
		}
		skipped += (uint64_t)n;
	}
	s->len = 0;
	for (;;) {
		size_t want = size ? (size_t)size - s->len : SECRET_MAX + 1 - s->len;
		ssize_t n;

		if (!want)
			break;
		n = read(fd, s->buf + s->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = err_set(-errno, "key file %s: %m", path);
			goto out;
		}
		if (n == 0)
			break;
		s->len += (size_t)n;
	}
	if (!size && s->len > SECRET_MAX)
		r = err_set(-E2BIG, "key file %s is larger than %u bytes", path, SECRET_MAX);
	else if (size && s->len < size)
		r = err_set(-EINVAL, "key file %s holds %zu bytes, fewer than --keyfile-size %" PRIu64,
			    path, s->len, size);
	else if (!s->len)
		r = err_set(-EINVAL, "key file %s is empty", path);
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return r;
}
