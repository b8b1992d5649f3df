#!/bin/bash
# The installed package, booted: the .deb (make deb) installed with the real dpkg -i into a
# root, an initramfs built there from the installed files, once with Debian's
# update-initramfs (initramfs-tools: the package's hook and local-premount script) and once
# with dracut --add shrinkbox (the package's module 90shrinkbox), each booted on the
# boot-shrink scenario's disk with rd.shrinkbox.shrink=... rd.shrinkbox.apply=yes: the stack
# shrinks before the root mounts, and the boot goes on into the real root (lvroot's minimal
# init, gen_rootinit in gen.sh), which records what it saw and powers off.
#
# The root is the host's own, seen through a private mount namespace (unshare --mount)
# whose /usr, /etc, /var/lib and /var/cache are overlays (upper layers in the work directory), as
# tests/vm/itools.sh builds its initrds: dpkg -i writes the package's files and its
# database entry there, nothing outside the namespace changes. initramfs-tools is not
# installed on the host (on Debian that would remove dracut): its packages are the ones
# itools.sh unpacks (the same cache), under the initramfs-tools root only.
# Prints PASS/FAIL/SKIP lines and "N passed, N failed, N skipped".
#   SHRINKBOX_DEB           the package to install (default: make deb, build/pkg/...)
#   SHRINKBOX_VM_CACHE      cache (default /var/tmp/shrinkbox-vm-cache)
#   SHRINKBOX_VM_KEEP=1     keep the work directory of a passing run
#   SHRINKBOX_PKGBOOT_TIMEOUT  seconds per boot (default 400)
#   SHRINKBOX_PKGBOOT_KINDS    "itools dracut" (default; CI=true: one of them, drawn from the commit)
set -uo pipefail

IT_PKGS="initramfs-tools initramfs-tools-core klibc-utils libklibc cryptsetup-initramfs cryptsetup busybox"
IT_PASS=sbtest-passphrase	# the maker's LUKS passphrase (gen.sh, lib.sh)
# The boot-shrink scenario's apply boot (tests/vm/scenarios/boot-shrink.scn).
SHRINK="rd.shrinkbox.shrink=/dev/vda3:1200MiB rd.shrinkbox.apply=yes"
ROOT="root=/dev/mapper/vg1-lvroot"

. "$(dirname "${BASH_SOURCE[0]}")/counts.sh"

# ---- inside the private mount namespace ----------------------------------------------------

# ns_root KIND W: the overlays of the package's root. KIND itools: /usr and /etc have the
# unpacked initramfs-tools packages ($TREE) between the host's files and the upper layer.
ns_root() {
	local kind=$1 w=$2 d low
	mount --make-rprivate / || return 1
	# /var/cache: the package's man-db trigger updates the manual's index there.
	for d in usr etc var/lib var/cache; do
		low=/$d
		[ "$kind" = itools ] && [ "${d%%/*}" != var ] && low=$TREE/$d:/$d
		mkdir -p "$w/$kind-up/$d" "$w/$kind-wk/$d"
		mount -t overlay sbpkg -o \
			"lowerdir=$low,upperdir=$w/$kind-up/$d,workdir=$w/$kind-wk/$d" "/$d" || return 1
	done
	# mkinitramfs and dracut read the modules from /lib/modules/KVER; mkinitramfs the
	# kernel's compressors from /boot/config-KVER: the VM kernel's, read-only.
	mkdir -p "/usr/lib/modules/$KVER"
	mount --bind "$KDIR/lib/modules/$KVER" "/usr/lib/modules/$KVER" &&
		mount -o remount,bind,ro "/usr/lib/modules/$KVER" || return 1
	mount --bind "$KDIR/boot" /boot && mount -o remount,bind,ro /boot || return 1
}

# ns_install DEB OUT: dpkg -i, and what dpkg -L says it installed.
ns_install() {
	dpkg --log=/dev/null -i "$1" >"$2/dpkg-i.log" 2>&1 || { cat "$2/dpkg-i.log"; return 1; }
	dpkg -L shrinkbox >"$2/dpkg-L" && dpkg -s shrinkbox | grep -qx 'Status: install ok installed'
}

# The private configuration of a target whose root is ext4 on LVM on LUKS (as itools.sh's
# stage_conf, without its timing scripts): Debian's initramfs.conf but FSTYPE, no resume
# device, a private umask for the key inside; crypttab naming the scenario's LUKS partition
# with a key file cryptroot copies into the initrd.
ns_itools_conf() {
	mkdir -p /etc/initramfs-tools /etc/cryptsetup-initramfs /etc/keys
	cat >/etc/initramfs-tools/initramfs.conf <<-EOF
		MODULES=most
		BUSYBOX=auto
		KEYMAP=n
		COMPRESS=zstd
		DEVICE=
		NFSROOT=auto
		RUNSIZE=10%
		FSTYPE=ext4
		RESUME=none
		UMASK=0077
	EOF
	echo "cr UUID=$1 /etc/keys/cr.key luks,initramfs" >/etc/crypttab
	echo 'KEYFILE_PATTERN="/etc/keys/*.key"' >/etc/cryptsetup-initramfs/conf-hook
	printf '%s' "$IT_PASS" >/etc/keys/cr.key
	chmod 600 /etc/keys/cr.key
}

# ns_main KIND W DEB OUT UUID: installs the package, builds OUT/initrd-KIND.img from it.
ns_main() {
	local kind=$1 w=$2 deb=$3 out=$4 uuid=$5
	ns_root "$kind" "$w" || return 1
	ns_install "$deb" "$out/$kind" || return 1
	mkdir -p "$w/tmp"
	case $kind in
	itools)
		ns_itools_conf "$uuid"
		# update-initramfs -c: what the package's trigger (or a new kernel) runs; -b: into OUT.
		env -u SHRINKBOX_BIN TMPDIR="$w/tmp" update-initramfs -c -k "$KVER" -b "$out/$kind" || return 1
		mv "$out/$kind/initrd.img-$KVER" "$out/initrd-$kind.img"
		;;
	dracut)
		# The installed module and binary only: dracut's own tree (/usr/lib/dracut with
		# the package's 90shrinkbox), no host configuration, no SHRINKBOX_BIN.
		mkdir -p "$w/conf.d.empty"
		# (run-all.sh gives this script SHRINKBOX_BIN: the module would take that binary)
		env -u SHRINKBOX_BIN TMPDIR="$w/tmp" dracut --force --no-hostonly --no-hostonly-cmdline --no-early-microcode \
			--conf /dev/null --confdir "$w/conf.d.empty" --kver "$KVER" \
			--add "crypt lvm shrinkbox" \
			--omit "systemd systemd-initrd dracut-systemd kernel-modules-extra nvdimm lunmask resume virtiofs qemu plymouth" \
			--drivers "virtio_pci virtio_blk virtio_rng dm_mod dm_crypt xts aesni_intel ext4 crc32c_intel crc32c_generic algif_skcipher algif_hash" \
			--compress gzip "$out/initrd-$kind.img" || return 1
		;;
	esac
}

if [ "${1:-}" = --ns ]; then
	KVER=$7 KDIR=$8 TREE=$9
	ns_main "$2" "$3" "$4" "$5" "$6"
	exit
fi

# ---- on the host ---------------------------------------------------------------------------

cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD

prereqs() {
	local t
	[ "$(id -u)" = 0 ] || { echo "not root"; return; }
	for t in qemu-system-x86_64 unshare dpkg dpkg-deb apt-get apt-cache debugfs sfdisk blkid \
		zstd cpio dracut dpkg-buildpackage; do
		command -v "$t" >/dev/null || { echo "$t is not installed (scripts/setup.sh)"; return; }
	done
	grep -qw overlay /proc/filesystems || modprobe -q overlay 2>/dev/null ||
		{ echo "the kernel has no overlayfs"; return; }
	unshare --mount true 2>/dev/null || { echo "unshare --mount is not permitted here"; return; }
}

# fetch_tree: the initramfs-tools packages unpacked (the cache itools.sh keeps: the same
# key, the packages' candidate versions). Sets TREE.
fetch_tree() {
	local vers key d p
	vers=$(for p in $IT_PKGS; do
		echo "$p $(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')"; done)
	key=$(sha256sum <<<"$vers" | cut -c1-16)
	TREE=$VM_CACHE/itools/tree-$key
	[ -e "$TREE/.done" ] && return 0
	mkdir -p "$VM_CACHE/itools"
	rm -rf "$TREE" && mkdir -p "$TREE/deb"
	# shellcheck disable=SC2086 # a list of names
	(cd "$TREE/deb" && apt-get download -qq $IT_PKGS) >"$TREE.log" 2>&1 || return 1
	for d in "$TREE"/deb/*.deb; do
		dpkg-deb -x "$d" "$TREE" || return 1
	done
	for d in bin sbin lib; do
		[ -d "$TREE/$d" ] || continue
		mkdir -p "$TREE/usr/$d" && cp -a "$TREE/$d/." "$TREE/usr/$d/" && rm -rf "${TREE:?}/$d"
	done
	rm -rf "$TREE/deb"
	touch "$TREE/.done"
}

part_range() {
	sfdisk -d "$1" | sed -n "s|^.*[^0-9]$2 : start= *\([0-9]*\), size= *\([0-9]*\),.*|\1 \2|p"
}
part_sum() {
	local r
	r=$(part_range "$1" "$2")
	dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip=$((${r% *} * 512)) \
		count=$((${r#* } * 512)) status=none | sha256sum | cut -d' ' -f1
}

# initrd_sum IMG PATH: sha256 of a file in the initrd (zstd or gzip: one cpio, no early one).
initrd_sum() {
	local cat=zcat
	[ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] && cat="zstd -dc"
	$cat "$1" | cpio --quiet -i --to-stdout "$2" 2>/dev/null | sha256sum | cut -d' ' -f1
}
initrd_list() {
	local cat=zcat
	[ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] && cat="zstd -dc"
	$cat "$1" | cpio --quiet -t 2>/dev/null
}

# boot KIND ARGS: a fresh copy of the maker's disk, booted with initrd-KIND.img.
boot() {
	local kind=$1 args=$2 f t0 rc
	cp --sparse=always "$MK/disk.img" "$W/$kind.disk"
	vm_result_disk "$W/$kind.result"
	t0=$(date +%s)
	INITRD=$W/initrd-$kind.img VM_BASE_APPEND="$ROOT $args" vm_run "$W/$kind.disk" \
		"$W/$kind.result" "" "$W/$kind.log" "$TIMEOUT"
	rc=$?
	for f in step-r1.out step-r2.out step-r2.rc rootsum; do
		vm_result "$W/$kind.result" "$f" >"$W/$kind.$f"
	done
	note "boot $kind: $(($(date +%s) - t0)) s (vm_run rc $rc), console $W/$kind.log"
	grep -q "SBROOT: done" "$W/$kind.log"
}

has() { grep -qF -- "$2" "$1"; }
lists_all() { # FILE LINE...: every LINE is a line of FILE
	local f=$1 l
	shift
	for l; do grep -qxF -- "$l" "$f" || return 1; done
}
same() { [ "$(cat "$1")" = "$(cat "$2")" ]; }

why=$(prereqs)
if [ -n "$why" ]; then
	skipped "pkgboot: $why"
	finish
fi
. tests/vm/lib.sh
. tests/vm/gen.sh
TIMEOUT=${SHRINKBOX_PKGBOOT_TIMEOUT:-400}
t_all=$(date +%s)

deb=${SHRINKBOX_DEB:-}
if [ -z "$deb" ]; then
	ver=$(make -s --no-print-directory print-version)
	deb=$TOP/build/pkg/shrinkbox_${ver}_amd64.deb
	make -s deb >/dev/null || { bad "pkgboot: make deb failed"; finish; }
fi
deb=$(realpath "$deb")
W=$(mktemp -d /var/tmp/sbpkgboot.XXXXXX)
dpkg-deb -x "$deb" "$W/x"
pkgbin=$(sha256sum <"$W/x/usr/sbin/shrinkbox" | cut -d' ' -f1)

fetch_tree || { skipped "pkgboot: apt-get download of the initramfs-tools packages failed: $TREE.log"; finish; }
vm_kernel || { skipped "pkgboot: no VM kernel (scripts/vm-kernel.sh: apt access?)"; finish; }
# The maker stage (cached, shared with run.sh and itools.sh) boots the dracut test
# initramfs, with the package's binary: built only when the maker's disk is not cached
# (vm_maker_key).
scn=tests/vm/scenarios/boot-shrink.scn
if [ ! -e "$VM_CACHE/maker-$(vm_maker_key "$scn")/done" ]; then
	SHRINKBOX_BIN=$W/x/usr/sbin/shrinkbox vm_initrd ||
		{ bad "pkgboot: the dracut test initramfs (maker stage) failed"; finish; }
fi
vm_make boot-shrink "$scn" || { bad "pkgboot: the maker stage failed"; finish; }
start=$(part_range "$MK/disk.img" 3)
uuid=$(blkid -p -o value -s UUID --offset $((${start% *} * 512)) "$MK/disk.img")
[ -n "$uuid" ] || { bad "pkgboot: no LUKS UUID on partition 3 of $MK/disk.img"; finish; }
note "prepared in $(($(date +%s) - t_all)) s: $MK"

# Both flavours locally; in CI one, drawn from the commit (its time), named.
KINDS=${SHRINKBOX_PKGBOOT_KINDS:-itools dracut}
if [ "${CI:-}" = true ] && [ -z "${SHRINKBOX_PKGBOOT_KINDS:-}" ]; then
	h=$(git rev-parse --short=8 HEAD 2>/dev/null || echo 0)
	KINDS=$([ $((16#${h: -1} % 2)) = 0 ] && echo itools || echo dracut)
	note "CI: the $KINDS boot only (commit $h; SHRINKBOX_PKGBOOT_KINDS=\"itools dracut\" runs both)"
fi
for kind in $KINDS; do
	mkdir -p "$W/$kind"
	t0=$(date +%s)
	if unshare --mount --propagation private "$TOP/tests/vm/pkgboot.sh" --ns "$kind" "$W" "$deb" \
		"$W" "$uuid" "$KVER" "$KDIR" "$TREE" >"$W/$kind.build.log" 2>&1 &&
		[ -s "$W/initrd-$kind.img" ]; then
		ok "$kind: dpkg -i, then the initramfs from the installed files ($(($(date +%s) - t0)) s)"
	else
		bad "$kind: install and initramfs build failed: $(tail -n 5 "$W/$kind.build.log" | tr '\n' ' ')"
		continue
	fi
	check "$kind: dpkg -L in that root lists the binary, the module and the initramfs-tools parts" \
		lists_all "$W/$kind/dpkg-L" /usr/sbin/shrinkbox \
		/usr/lib/dracut/modules.d/90shrinkbox/module-setup.sh \
		/usr/share/initramfs-tools/hooks/shrinkbox \
		/usr/share/initramfs-tools/scripts/local-premount/shrinkbox
	list=$(initrd_list "$W/initrd-$kind.img")
	missing=""
	for f in usr/sbin/shrinkbox usr/lib/shrinkbox/shrinkbox-boot.sh usr/sbin/e2fsck usr/sbin/resize2fs; do
		grep -qx "$f" <<<"$list" || missing+=" $f"
	done
	case $kind in
	itools) grep -qx scripts/local-premount/shrinkbox <<<"$list" || missing+=" local-premount/shrinkbox" ;;
	dracut) grep -q 'pre-mount/50-shrinkbox-hook.sh$' <<<"$list" || missing+=" pre-mount/50-shrinkbox-hook.sh" ;;
	esac
	check "$kind: the initrd holds shrinkbox, its boot script, e2fsck, resize2fs, the hook${missing:+ (missing:$missing)}" \
		test -z "$missing"
	check "$kind: the initrd's shrinkbox is the package's binary" \
		test "$(initrd_sum "$W/initrd-$kind.img" usr/sbin/shrinkbox)" = "$pkgbin"

	case $kind in
	itools) args="$SHRINK rd.shrinkbox.key=/cryptroot/keyfiles/cr.key" ;;
	dracut) args="$VM_REAL_APPEND rd.lvm.lv=vg1/lvroot $SHRINK rd.shrinkbox.key=/key:LABEL=sbresult" ;;
	esac
	if boot "$kind" "$args"; then
		ok "$kind: shrink boot: the real root came up and ended"
		check "$kind: shrink boot: \"Done: partition 3 of /dev/vda is\"" \
			has "$W/$kind.step-r1.out" "Done: partition 3 of /dev/vda is"
		check "$kind: shrink boot: the root saw lvroot's data unchanged" \
			same "$W/$kind.rootsum" "$MK/sum-lvroot"
		check "$kind: partition 3 has 2457600 sectors (sfdisk -d)" \
			test "$(part_range "$W/$kind.disk" 3 | cut -d' ' -f2)" = 2457600
		check "$kind: partition 4's bytes are unchanged (sum-part4)" \
			test "$(part_sum "$W/$kind.disk" 4)" = "$(cat "$MK/sum-part4")"
	else
		bad "$kind: shrink boot: the real root did not reach its end ($W/$kind.log)"
		tr -d '\r' <"$W/$kind.log" | grep -E "^shrinkbox|rror" | tail -n 10 | sed 's/^/  /'
	fi
	rm -f "$W/$kind.disk"
done

note "pkgboot: $(($(date +%s) - t_all)) s"
if [ "$fail" = 0 ] && [ -z "${SHRINKBOX_VM_KEEP:-}" ]; then
	rm -rf "$W"
else
	note "kept: $W"
fi
finish
