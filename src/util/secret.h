/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Passphrases and key files: read into memory that is locked (never swapped),
 * excluded from core dumps, and wiped when freed. Never from argv.
 */
#ifndef SB_SECRET_H
#define SB_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define SECRET_MAX 8192		/* bytes, as cryptsetup's default key file limit */

struct secret {
	char *buf;		/* SECRET_MAX + 1 bytes, locked */
	size_t len;
};

int secret_alloc(struct secret *s);
void secret_free(struct secret *s);

/*
 * Asks on the terminal without echo: the controlling terminal, else standard
 * input when it is a terminal (an initramfs hook has no controlling one).
 * -ENOTTY when there is no terminal.
 */
int secret_read_tty(struct secret *s, const char *prompt);
/* One line from fd (a pipe): the newline is not part of the passphrase, as in cryptsetup. */
int secret_read_line(struct secret *s, int fd);
/* A key file: size bytes (0: all, up to SECRET_MAX) from offset; "-" is stdin. */
int secret_read_keyfile(struct secret *s, const char *path, uint64_t offset, uint64_t size);

/* Makes this process undumpable: no core dump can hold a passphrase. */
void secret_protect_process(void);

#endif
