// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "selfexec.h"

bool run_self_stdout_to_stderr;

int run_self(char *const argv[])
{
	return run_self_input(argv, NULL, 0);
}

int run_self_input(char *const argv[], const char *in, size_t len)
{
	int status, pfd[2] = { -1, -1 };
	pid_t pid;

	/* The input fits the pipe's buffer (64 KiB; a passphrase is at most 512 B). */
	if (in && (len > 4096 || pipe2(pfd, O_CLOEXEC) < 0))
		return in && len > 4096 ? -E2BIG : -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		if (in) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return e;
	}
	if (pid == 0) {
		if (in && dup2(pfd[0], STDIN_FILENO) < 0)
			_exit(127);
		if (run_self_stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (in) {
		/*
		 * Written while this end still holds the read side open: the bytes
		 * go into the pipe's buffer at once, so no SIGPIPE even if the step
		 * has already ended. A short write leaves the step a short key,
		 * which it refuses.
		 */
		ssize_t n = write(pfd[1], in, len);

		if (n == (ssize_t)len)
			n = write(pfd[1], "\n", 1);
		close(pfd[1]);
		close(pfd[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
