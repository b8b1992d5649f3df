// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "swap.h"
#include "../util/cleanup.h"
#include "../util/endian.h"
#include "../util/err.h"

#define SWAP_VERSION_OFF 1024
#define SWAP_LAST_PAGE_OFF 1028
#define SWAP_NR_BAD_OFF 1032

int swap_set_size(const char *dev, uint64_t bytes)
{
	_cleanup_close_ int fd = open(dev, O_RDWR | O_CLOEXEC);
	static uint8_t page[65536];
	uint32_t ps = 0;
	uint64_t pages;
	ssize_t n;

	if (fd < 0)
		return err_set(-errno, "%s: %m", dev);
	n = pread(fd, page, sizeof(page), 0);
	if (n < 4096)
		return err_set(-EIO, "%s: cannot read the swap header", dev);
	for (uint32_t p = 4096; p <= (uint32_t)n && p <= sizeof(page); p *= 2) {
		if (!memcmp(page + p - 10, "SWAPSPACE2", 10)) {
			ps = p;
			break;
		}
		/* A hibernation image lives here: rewriting the header would destroy it. */
		if (!memcmp(page + p - 10, "S1SUSPEND", 9) || !memcmp(page + p - 10, "S2SUSPEND", 9) ||
		    !memcmp(page + p - 10, "ULSUSPEND", 9) || !memcmp(page + p - 10, "LINHIB0001", 10))
			return err_set(E_REFUSED, "%s holds a hibernation image; resume from it or "
				       "discard it (swapon once) first", dev);
	}
	if (!ps)
		return err_set(-EINVAL, "%s: no SWAPSPACE2 signature", dev);
	if (get_le32(page + SWAP_VERSION_OFF) != 1)
		return err_set(E_REFUSED, "%s: swap header version %" PRIu32 " is not 1", dev,
			       get_le32(page + SWAP_VERSION_OFF));
	if (get_le32(page + SWAP_NR_BAD_OFF))
		return err_set(E_REFUSED, "%s: the swap area lists bad pages; recreate it with "
			       "mkswap instead", dev);
	pages = bytes / ps;
	if (pages < SWAP_MIN_PAGES || pages - 1 > UINT32_MAX)
		return err_set(-EINVAL, "%s: %" PRIu64 " pages of %" PRIu32 " B is not a usable swap "
			       "size", dev, pages, ps);
	put_le32(page + SWAP_LAST_PAGE_OFF, (uint32_t)(pages - 1));
	/* One 512-byte sector holds last_page: the change is a single atomic sector write. */
	if (pwrite(fd, page + SWAP_VERSION_OFF, 512, SWAP_VERSION_OFF) != 512)
		return err_set(-errno ? -errno : -EIO, "%s: writing the swap header failed: %m", dev);
	if (fsync(fd) < 0)
		return err_set(-errno, "%s: flush failed: %m", dev);
	return 0;
}

int swap_in_use(const char *dev)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/swaps", "re");
	struct stat want, st;
	char line[512];

	if (!f || stat(dev, &want) < 0)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char path[400];

		if (sscanf(line, "%399s", path) == 1 && stat(path, &st) == 0 &&
		    S_ISBLK(st.st_mode) && st.st_rdev == want.st_rdev)
			return 1;
	}
	return 0;
}
