#!/bin/bash
# Fetches the current bookworm kernel (the package linux-image-amd64 depends
# on) with apt-get download and unpacks it into the VM cache, keyed by its
# version: no install, no postinst, no change to /boot or /lib/modules.
# Prints the directory: <dir>/boot/vmlinuz-<kver>, <dir>/lib/modules/<kver>.
set -euo pipefail
cache=${SHRINKBOX_VM_CACHE:-/var/tmp/shrinkbox-vm-cache}
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
	apt-get update -qq >/dev/null
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$pkg" ] || { echo "vm-kernel: cannot find the bookworm kernel package" >&2; exit 1; }
ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
dir=$cache/kernel/$pkg-$ver
if [ ! -e "$dir/.done" ]; then
	rm -rf "$dir" && mkdir -p "$dir/deb"
	(cd "$dir/deb" && apt-get download -qq "$pkg" >/dev/null)
	dpkg-deb -x "$dir"/deb/*.deb "$dir"
	kver=${pkg#linux-image-}
	depmod -b "$dir" "$kver"
	rm -rf "$dir/deb"
	touch "$dir/.done"
fi
echo "$dir"
