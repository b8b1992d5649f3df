// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "exec.h"
#include "timing.h"
#include "log.h"

static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL };
static const char *const tool_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
					"LANG=C", NULL };

static int find(const char *name, char *path, size_t len)
{
	for (unsigned i = 0; dirs[i]; i++) {
		snprintf(path, len, "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return 0;
	}
	return err_set(-ENOENT, "%s is not installed (looked in /usr/sbin, /sbin, /usr/bin, /bin)",
		       name);
}

int run_program(char *const argv[], int *status, char *out, size_t len)
{
	char path[256];
	int pipefd[2], wstatus, r;
	uint64_t t0;
	size_t o = 0;
	pid_t pid;

	r = find(argv[0], path, sizeof(path));
	if (r < 0)
		return r;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	log_debug("running %s", path);
	t0 = timing_now();
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		/*
		 * A fixed environment: nothing the caller's has (E2FSCK_CONFIG,
		 * MKE2FS_CONFIG, LANG translating the output we parse, a kernel
		 * command-line word at boot) changes what the tool does or says.
		 */
		execve(path, argv, (char *const *)tool_env);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		char buf[1024];
		ssize_t n = read(pipefd[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out && o + 1 < len) {
			size_t k = (size_t)n < len - 1 - o ? (size_t)n : len - 1 - o;

			memcpy(out + o, buf, k);
			o += k;
		}
	}
	close(pipefd[0]);
	if (out && len)
		out[o] = '\0';
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	timing_note(argv[0], timing_now() - t0);
	return 0;
}
