#!/bin/bash
# dracut module: the static shrinkbox binary, e2fsck and resize2fs, the kernel
# modules it needs, and a pre-mount hook that runs the shrinkbox command the
# kernel command line asks for (rd.shrinkbox.*, see shrinkbox-boot.sh), after
# dracut's crypt and lvm modules unlocked and activated the stack and before
# the root filesystem is mounted.
#   SHRINKBOX_BIN   the binary to install (default /usr/sbin/shrinkbox)

# Only when asked for (dracut --add shrinkbox): it changes disks.
check() {
	require_binaries e2fsck resize2fs || return 1
	return 255
}

depends() {
	echo dm crypt lvm
	return 0
}

installkernel() {
	# dm-crypt and the AF_ALG sockets libcryptsetup's nettle backend uses for keyslots.
	instmods dm_mod dm_crypt xts aesni_intel algif_skcipher algif_hash crc32c ext4 loop
}

install() {
	local bin=${SHRINKBOX_BIN:-/usr/sbin/shrinkbox}

	inst_simple "$bin" /usr/sbin/shrinkbox
	inst_multiple e2fsck resize2fs debugfs tee cat tail blkid dd wc mount umount env
	inst_simple "$moddir/shrinkbox-boot.sh" /usr/lib/shrinkbox/shrinkbox-boot.sh
	inst_hook pre-mount 50 "$moddir/shrinkbox-hook.sh"
}
