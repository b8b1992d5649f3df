#!/bin/bash
# Test-only dracut module for the VM harness (never installed by make install):
# the real tools as oracles, and a hook that runs the scenario script QEMU
# passes with -fw_cfg, then powers the guest off.
check() { return 255; }
depends() { echo shrinkbox; return 0; }
# dm_mirror and its logs: pvmove, for the benchmark against it (bench/defrag-vm.sh).
# btrfs and xfs: the layouts that carry them (fedora-btrfs.scn), made and checked by their tools.
installkernel() {
	instmods qemu_fw_cfg virtio_blk virtio_pci ext4 dm_mirror dm_log dm_region_hash btrfs xfs
}
install() {
	inst_multiple bash tee sfdisk cryptsetup lvm mkfs.ext4 mke2fs mkswap e2fsck dumpe2fs blkid swapon \
		swapoff sha256sum dd mount umount sync sleep awk sed grep head tail cut tr wc cat \
		ls mkdir rm cp date od timeout losetup blockdev partx stat seq yes xargs sort uniq \
		printf env poweroff reboot jq dmsetup
	inst_multiple mkfs.btrfs btrfs mkfs.xfs xfs_repair xfs_db xfs_growfs
	# The maker puts it into a "rootfs" LV: the minimal real root of boot scenarios.
	inst_simple /bin/busybox /usr/lib/sbtest/busybox
	inst_hook pre-mount 99 "$moddir/run-scenario.sh"
	inst_hook pre-pivot 90 "$moddir/load-af-alg.sh"
}
