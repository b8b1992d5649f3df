// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "loop.h"
#include "../util/cleanup.h"
#include "../util/err.h"

static int attach(int fd, uint64_t off, uint64_t size, char path[DEV_PATH_MAX], bool ro)
{
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

	if (ctl < 0)
		return err_set(-errno, "cannot open /dev/loop-control: %m");
	/* Another process may take the free device between the two calls: retry. */
	for (int tries = 0; tries < 16; tries++) {
		struct loop_config cfg;
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		int lfd;

		if (n < 0)
			return err_set(-errno, "no free loop device: %m");
		snprintf(path, DEV_PATH_MAX, "/dev/loop%d", n);
		lfd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (lfd < 0)
			return err_set(-errno, "%s: %m", path);
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (unsigned)fd;
		cfg.info.lo_offset = off;
		cfg.info.lo_sizelimit = size;
		cfg.info.lo_flags = (ro ? LO_FLAGS_READ_ONLY : 0) | LO_FLAGS_AUTOCLEAR;
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
			return lfd;
		if (errno != EBUSY) {
			int r = -errno;

			close(lfd);
			return err_set(r, "%s: cannot attach: %s", path, strerror(-r));
		}
		close(lfd);
	}
	return err_set(-EBUSY, "no free loop device after 16 tries");
}

int loop_attach_ro(int fd, uint64_t off, uint64_t size, char path[DEV_PATH_MAX])
{
	return attach(fd, off, size, path, true);
}

int loop_attach_rw(int fd, uint64_t off, uint64_t size, char path[DEV_PATH_MAX])
{
	return attach(fd, off, size, path, false);
}
