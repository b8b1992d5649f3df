#!/bin/bash
# Installs, from Debian 12 packages, everything the build, the demo and every
# test level need. Idempotent and quick when all is there. Run as root.
set -euo pipefail

pkgs=(
	# build (dynamic) and unit tests
	build-essential pkg-config clang
	libcryptsetup-dev libdevmapper-dev libblkid-dev libfdisk-dev libpopt-dev libjson-c-dev
	# static build (the script fetches sources itself; these are its tools)
	musl-tools dpkg-dev autoconf automake libtool autopoint gettext cmake file bison flex
	# loop-device tests: the real tools as oracles
	lvm2 cryptsetup-bin fdisk e2fsprogs util-linux jq python3 xfsprogs btrfs-progs
	# VM tests
	qemu-system-x86 qemu-utils dracut-core busybox-static cpio kmod
	# the systemd-based test initramfs (boot-systemd.scn) copies the host's systemd and
	# plymouth (as Fedora's images carry it; plymouth brings initramfs-tools, unused here)
	systemd plymouth
	# the manual page check (tests/loop/t-help.sh: groff -man -ww)
	groff-base
	# packages (make deb, make rpm, tests/pkg): dpkg-buildpackage (dpkg-dev, above) with
	# debhelper, fakeroot for the binary target, lintian, and rpmbuild from Debian's rpm
	debhelper fakeroot lintian rpm git
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all build and test dependencies present"
