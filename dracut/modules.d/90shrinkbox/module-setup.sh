#!/bin/bash
# dracut module: the static shrinkbox binary, e2fsck and resize2fs (btrfs and
# xfs_growfs where present), the kernel modules it needs, a cmdline hook that
# checks the rd.shrinkbox.* options, and
# a pre-mount hook that runs the shrinkbox command they ask for (see
# shrinkbox-boot.sh), after dracut's crypt and lvm modules unlocked and
# activated the stack and before the root filesystem is mounted. The same two
# hooks serve both kinds of image: dracut's shell-script init sources them, a
# systemd-based image (dracut-systemd) runs them from dracut-cmdline.service
# and dracut-pre-mount.service, which systemd orders after cryptsetup.target
# and the initqueue's LVM activation and before sysroot.mount (see
# shrinkbox-hook.sh).
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
	# btrfs and XFS resize through a mount: their modules where their tools are here.
	type -P btrfs >/dev/null && instmods btrfs
	type -P xfs_growfs >/dev/null && instmods xfs
	return 0
}

install() {
	local bin=${SHRINKBOX_BIN:-/usr/sbin/shrinkbox} uuid

	inst_simple "$bin" /usr/sbin/shrinkbox
	inst_multiple e2fsck resize2fs debugfs tee cat tail blkid dd wc mount umount env sleep
	inst_multiple -o btrfs xfs_growfs
	inst_simple "$moddir/shrinkbox-boot.sh" /usr/lib/shrinkbox/shrinkbox-boot.sh
	inst_hook cmdline 20 "$moddir/shrinkbox-cmdline.sh"
	inst_hook pre-mount 50 "$moddir/shrinkbox-hook.sh"
	# The first of /boot, /efi, /boot/efi that is its own filesystem on the build
	# host (the order "shrinkbox schedule" uses): its UUID, where schedule leaves a
	# request for the next boot; SHRINKBOX_REQUEST_FS overrides it. Listing a
	# directory first mounts an automount (systemd-gpt-auto-generator's); of
	# stacked mounts the last is seen.
	uuid=${SHRINKBOX_REQUEST_FS:-}
	for dir in /boot /efi /boot/efi; do
		[[ $uuid ]] && break
		ls -A "$dir" >/dev/null 2>&1
		uuid=$(findmnt -n -o UUID --mountpoint "$dir" 2>/dev/null | awk 'NF { u = $1 } END { print u }')
	done
	if [[ $uuid ]]; then
		inst_dir /etc/shrinkbox
		printf '%s\n' "$uuid" >"${initdir}/etc/shrinkbox/request-fs"
	fi
}
