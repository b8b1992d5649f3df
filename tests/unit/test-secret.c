// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The passphrase prompt (src/util/secret.c) on a pseudo-terminal, in a child
 * that has no controlling terminal (setsid, the slave opened O_NOCTTY) and the
 * terminal as its standard input: what an initramfs hook gets from the boot
 * script. It asks there, without echo, and reads the line without its newline.
 * With standard input not a terminal it says -ENOTTY.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "util/secret.h"

/* Reads from fd for up to ms milliseconds (or until want shows) into buf; returns the length. */
static size_t read_for(int fd, char *buf, size_t cap, int ms, const char *want)
{
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (n + 1 < cap && poll(&p, 1, ms) > 0) {
		ssize_t k = read(fd, buf + n, cap - 1 - n);

		if (k <= 0)
			break;
		n += (size_t)k;
		buf[n] = '\0';
		if (want && strstr(buf, want))
			break;
	}
	buf[n] = '\0';
	return n;
}

/* In a child without a controlling terminal, stdin = in (or the pty slave): r and the line. */
static void ask_in_child(int m, const char *slave, int in_null, int *r, char *got, size_t cap)
{
	int res[2];
	pid_t pid;

	*r = -1;
	got[0] = '\0';
	if (pipe(res) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct secret s;
		int fd, rc;

		setsid();
		fd = in_null ? open("/dev/null", O_RDONLY) : open(slave, O_RDWR | O_NOCTTY);
		if (fd < 0 || dup2(fd, STDIN_FILENO) < 0 || secret_alloc(&s) < 0)
			_exit(2);
		rc = secret_read_tty(&s, "Passphrase: ");
		if (write(res[1], &rc, sizeof(rc)) < 0 || (rc == 0 && write(res[1], s.buf, s.len) < 0))
			_exit(3);
		secret_free(&s);
		_exit(0);
	}
	close(res[1]);
	if (pid > 0 && !in_null) {
		char prompt[256];

		/* The prompt first: the line is typed after the echo is off. */
		read_for(m, prompt, sizeof(prompt), 5000, "Passphrase: ");
		if (write(m, "pw 123\n", 7) != 7)
			*r = -2;
	}
	if (pid > 0) {
		int st;
		ssize_t k;

		if (read(res[0], r, sizeof(*r)) != sizeof(*r))
			*r = -3;
		k = read(res[0], got, cap - 1);
		got[k > 0 ? k : 0] = '\0';
		waitpid(pid, &st, 0);
	}
	close(res[0]);
}

TEST(secret_tty_asks_on_stdin_without_a_controlling_terminal)
{
	char got[64], after[256];
	int m = posix_openpt(O_RDWR | O_NOCTTY), r;

	CHECK(m >= 0);
	if (m < 0)
		return;
	CHECK_INT(grantpt(m), 0);
	CHECK_INT(unlockpt(m), 0);
	ask_in_child(m, ptsname(m), 0, &r, got, sizeof(got));
	CHECK_INT(r, 0);
	CHECK_STR(got, "pw 123");
	/* Echo was off: what the terminal shows after the prompt holds no passphrase. */
	read_for(m, after, sizeof(after), 200, NULL);
	CHECK(!strstr(after, "pw 123"));
	close(m);
}

TEST(secret_tty_without_any_terminal_is_enotty)
{
	char got[64];
	int r;

	ask_in_child(-1, NULL, 1, &r, got, sizeof(got));
	CHECK_INT(r, -ENOTTY);
}
