#!/bin/bash
# Debian's initramfs-tools with our hook and local-premount script
# (initramfs/): an initrd built by bookworm's real mkinitramfs for the VM
# kernel, booted on the boot-shrink scenario's disk. cryptroot unlocks the
# LUKS2 partition with a key file inside the initrd, udev's lvm2 rule
# activates vg1, our local-premount script runs shrinkbox-boot.sh for the
# rd.shrinkbox.* parameters, and the boot goes on into the minimal root in
# lvroot (gen_rootinit in gen.sh), which records its results on the result
# disk and powers off.
#
# initramfs-tools is not installed on the host: on Debian that would remove
# dracut, which the VM suite needs. Its packages are fetched with apt-get
# download and unpacked with dpkg-deb -x into the cache, and mkinitramfs runs
# in a private mount namespace (unshare --mount) whose /usr and /etc are
# overlays: the host's files, the unpacked packages over them, our files and
# a private configuration on top; /lib/modules/KVER and /boot are the VM
# kernel's (read-only bind mounts). Nothing outside the namespace changes.
#
# Also measures the initrd's size with and without our hook, and on a boot
# that asks nothing, when local-premount starts and how long our script takes.
# Prints PASS/FAIL/SKIP lines and "N passed, N failed, N skipped".
#   SHRINKBOX_VM_CACHE        cache (default /var/tmp/shrinkbox-vm-cache)
#   SHRINKBOX_VM_KEEP=1       keep the work directory of a passing run
#   SHRINKBOX_ITOOLS_TIMEOUT  seconds per boot (default 400)
#   SHRINKBOX_BIN             the (static) binary; default build/static/shrinkbox
set -uo pipefail

# The packages mkinitramfs and the cryptroot hook need that the host lacks
# (cryptsetup: /lib/cryptsetup/functions, askpass). busybox rather than the
# host's busybox-static: what Debian installs by default.
IT_PKGS="initramfs-tools initramfs-tools-core klibc-utils libklibc cryptsetup-initramfs cryptsetup busybox"
# Host packages whose files the hooks copy (udev, lvm2, dmsetup hooks; tools).
IT_HOSTPKGS="udev lvm2 dmsetup cryptsetup-bin kmod e2fsprogs logsave libc-bin util-linux zstd coreutils"
IT_PASS=sbtest-passphrase	# the maker's LUKS passphrase (gen.sh, lib.sh)
IT_ROOT="root=/dev/mapper/vg1-lvroot"
# cryptroot keeps the crypttab key file inside the initrd at this path; the
# LUKS2 volume key goes to the kernel keyring, so cryptresize needs it again.
IT_KEYARG="rd.shrinkbox.key=/cryptroot/keyfiles/cr.key"
IT_SHRINK="rd.shrinkbox.shrink=/dev/vda3:1200MiB"

. "$(dirname "${BASH_SOURCE[0]}")/counts.sh"

# ---- inside the private mount namespace ------------------------------------

# ns_build TREE BW OUT: mkinitramfs with the unpacked packages (TREE), our
# staged files and configuration (BW/usr-up, BW/etc-up) at their real paths.
# Runs under unshare --mount: every mount here vanishes with the process.
ns_build() {
	local tree=$1 bw=$2 out=$3
	mount --make-rprivate / || return 1
	mount -t overlay sbitools -o "lowerdir=$tree/usr:/usr,upperdir=$bw/usr-up,workdir=$bw/usr-wk" /usr ||
		return 1
	mount -t overlay sbitools -o "lowerdir=$tree/etc:/etc,upperdir=$bw/etc-up,workdir=$bw/etc-wk" /etc ||
		return 1
	# mkinitramfs reads modules from /lib/modules/KVER and the kernel's
	# compressors from /boot/config-KVER: both fixed paths.
	mkdir -p "/usr/lib/modules/$KVER"
	mount --bind "$KDIR/lib/modules/$KVER" "/usr/lib/modules/$KVER" &&
		mount -o remount,bind,ro "/usr/lib/modules/$KVER" || return 1
	mount --bind "$KDIR/boot" /boot && mount -o remount,bind,ro /boot || return 1
	mkdir -p "$bw/tmp"
	TMPDIR=$bw/tmp mkinitramfs -o "$out" "$KVER"
}

if [ "${1:-}" = --ns-build ]; then
	KVER=$5 KDIR=$6
	ns_build "$2" "$3" "$4"
	exit
fi

# ---- on the host -------------------------------------------------------------

cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD

# it_prereqs: prints why this machine cannot run the test, if it cannot.
it_prereqs() {
	local t
	[ "$(id -u)" = 0 ] || { echo "not root"; return; }
	for t in qemu-system-x86_64 unshare dpkg-deb apt-get apt-cache debugfs sfdisk blkid \
		zstd cpio mkfs.ext4 dracut; do
		command -v "$t" >/dev/null || { echo "$t is not installed (scripts/setup.sh)"; return; }
	done
	for t in udev lvm2 dmsetup; do
		[ -e "/usr/share/initramfs-tools/hooks/$t" ] ||
			{ echo "the $t package's initramfs-tools hook is missing"; return; }
	done
	[ -x /sbin/cryptsetup ] || { echo "cryptsetup-bin is not installed"; return; }
	grep -qw overlay /proc/filesystems || modprobe -q overlay 2>/dev/null ||
		{ echo "the kernel has no overlayfs"; return; }
	unshare --mount true 2>/dev/null || { echo "unshare --mount is not permitted here"; return; }
}

# it_fetch: the packages of IT_PKGS, unpacked into TREE (cached by their
# versions). The host's /bin, /sbin and /lib are links into /usr (merged
# /usr), so what the packages put there goes under usr/ in the tree.
it_fetch() {
	local vers key d
	vers=$(it_versions)
	if grep -qE ' $| \(none\)$' <<<"$vers"; then
		apt-get update -qq >/dev/null 2>&1
		vers=$(it_versions)
	fi
	key=$(sha256sum <<<"$vers" | cut -c1-16)
	TREE=$IT_CACHE/tree-$key
	[ -e "$TREE/.done" ] && return 0
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

it_versions() {
	local p
	for p in $IT_PKGS; do
		echo "$p $(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')"
	done
}

# part_range IMG N: "START SIZE" of partition N, in 512-byte sectors.
part_range() {
	sfdisk -d "$1" | sed -n "s|^.*[^0-9]$2 : start= *\([0-9]*\), size= *\([0-9]*\),.*|\1 \2|p"
}

# part_sum IMG N: sha256 of partition N's bytes, as the maker summed them.
part_sum() {
	local r
	r=$(part_range "$1" "$2")
	dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip=$((${r% *} * 512)) \
		count=$((${r#* } * 512)) status=none | sha256sum | cut -d' ' -f1
}

# stage_conf BW UUID: the private /etc: a configuration for a target whose
# root is ext4 on LVM on LUKS (not the build host's), crypttab naming the
# scenario's LUKS partition with a key file the cryptroot hook copies into
# the initrd, and two local-premount scripts that print the uptime just
# before and after ours (CONFDIR scripts: the same in both builds).
stage_conf() {
	local e=$1/etc-up
	mkdir -p "$e/initramfs-tools/scripts/local-premount" "$e/cryptsetup-initramfs" "$e/keys"
	# Debian's defaults, but FSTYPE (not the build host's root: the fsck hook
	# adds fsck.ext4 as on any ext4-root system), no resume device, and a
	# private umask for the key inside.
	cat >"$e/initramfs-tools/initramfs.conf" <<-EOF
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
	echo "cr UUID=$2 /etc/keys/cr.key luks,initramfs" >"$e/crypttab"
	echo 'KEYFILE_PATTERN="/etc/keys/*.key"' >"$e/cryptsetup-initramfs/conf-hook"
	printf '%s' "$IT_PASS" >"$e/keys/cr.key"
	chmod 600 "$e/keys/cr.key"
	# tsort (mkinitramfs' cache_run_scripts) runs the scripts without a
	# prerequisite first, by name, then each as its prerequisites are done:
	# resume sbtime-a shrinkbox sbtime-z. The order is checked in the initrd.
	stage_timer "$e/initramfs-tools/scripts/local-premount/sbtime-a" "" begin
	stage_timer "$e/initramfs-tools/scripts/local-premount/sbtime-z" shrinkbox end
}

# stage_timer FILE PREREQ WORD: a local-premount script printing
# "SBTIME WORD <uptime> <uptime>": when it started, and again after one
# "sh -c :" (the price of starting a script, which "begin" to "end" includes).
# Builtins otherwise.
stage_timer() {
	cat >"$1" <<-EOF
		#!/bin/sh
		[ "\$1" = prereqs ] && { echo "$2"; exit 0; }
		read -r t0 rest </proc/uptime
		sh -c :
		read -r t1 rest </proc/uptime
		echo "SBTIME $3 \$t0 \$t1"
	EOF
	chmod 755 "$1"
}

# stage_ours BW: our hook, script and boot script as make install-boot puts
# them, and the static binary as /usr/sbin/shrinkbox.
stage_ours() {
	make -s -C "$TOP" install-boot DESTDIR="$1/stage" || return 1
	cp -a "$1/stage/usr/." "$1/usr-up/"
	install -D -m 0755 "$SB_BIN" "$1/usr-up/sbin/shrinkbox"
	rm -rf "$1/stage"
}

# it_prepare VARIANT UUID: stages a build directory (BW) for the initrd
# "with" or "without" our files and names the image (IMG), cached by the hash
# of everything staged, the packages, the host's packages the hooks copy
# from, and the kernel.
it_prepare() {
	local key
	BW=$(mktemp -d "$IT_CACHE/build.XXXXXX")
	mkdir -p "$BW/usr-up" "$BW/usr-wk" "$BW/etc-up" "$BW/etc-wk"
	stage_conf "$BW" "$2"
	if [ "$1" = with ]; then
		stage_ours "$BW" || { rm -rf "$BW"; return 1; }
	fi
	key=$( (cd "$BW" && find usr-up etc-up -type f -printf '%p %m\n' -exec sha256sum {} + | sort
		echo "$TREE $KVER $VM_REQUEST_FS"
		# shellcheck disable=SC2086 # a list of names
		dpkg-query -W $IT_HOSTPKGS 2>/dev/null) |
		sha256sum | cut -c1-16)
	IMG=$IT_CACHE/initrd-$1-$key.img
}

# it_build VARIANT BW IMG: mkinitramfs in a private mount namespace, unless
# IMG is cached. Both variants build at once (two cores, mostly one each).
it_build() {
	local variant=$1 bw=$2 img=$3 t0 rc
	if [ -s "$img" ]; then
		rm -rf "$bw"
		return 0
	fi
	t0=$(date +%s)
	# Where requests live (the hook's record), as in the dracut test image (lib.sh).
	SHRINKBOX_REQUEST_FS=$VM_REQUEST_FS \
		unshare --mount --propagation private "$TOP/tests/vm/itools.sh" --ns-build "$TREE" "$bw" \
		"$img.tmp" "$KVER" "$KDIR" >"${img%.img}.log" 2>&1
	rc=$?
	rm -rf "$bw"
	if [ $rc != 0 ] || [ ! -s "$img.tmp" ]; then
		tail -n 15 "${img%.img}.log" | sed 's/^/  /'
		rm -f "$img.tmp"
		return 1
	fi
	mv "$img.tmp" "$img"
	note "mkinitramfs ($variant our hook): $(($(date +%s) - t0)) s, log ${img%.img}.log"
	it_prune "$variant" "$img"
}

# it_prune VARIANT IMG: older images of the variant (another binary or boot
# script) are dead weight, 36 MB each; one a run may still be booting (an
# hour) stays.
it_prune() {
	local base=${2##*/}
	find "$IT_CACHE" -maxdepth 1 -name "initrd-$1-*" ! -name "${base%.img}.*" -mmin +60 -delete
}

# initrd_file IMG PATH: a file of the initrd (one zstd-compressed cpio:
# no microcode, no firmware, so no early cpio in front).
initrd_file() {
	zstd -dc "$1" | cpio --quiet -i --to-stdout "$2" 2>/dev/null
}

# it_boot NAME INITRD ARGS: boots the work disk with the initrd and kernel
# arguments; keeps the root's results as W/NAME.<file>. Fails if the real
# root did not reach its end.
it_boot() {
	local name=$1 initrd=$2 args=$3 f t0 rc
	vm_result_disk "$W/result.img"
	t0=$(date +%s)
	INITRD=$initrd VM_BASE_APPEND="$IT_ROOT $args" vm_run "$W/disk.img" "$W/result.img" "" \
		"$W/$name.log" "$IT_TIMEOUT"
	rc=$?
	for f in step-r1.out step-r1.rc step-r2.out step-r2.rc rootsum; do
		vm_result "$W/result.img" "$f" >"$W/$name.$f"
	done
	note "boot $name: $(($(date +%s) - t0)) s (vm_run rc $rc), console $W/$name.log"
	grep -q "SBROOT: done" "$W/$name.log"
}

# it_sizes WITH WITHOUT: what our hook costs in the initrd, compressed and
# not, and its largest files.
it_sizes() {
	local cw cwo uw uwo
	cw=$(stat -c %s "$1") cwo=$(stat -c %s "$2")
	uw=$(zstd -dc "$1" | wc -c) uwo=$(zstd -dc "$2" | wc -c)
	note "initrd: $cw B with our hook, $cwo B without: +$((cw - cwo)) B zstd" \
		"(+$(((cw - cwo) * 1000 / cwo / 10)).$(((cw - cwo) * 1000 / cwo % 10)) %);" \
		"uncompressed $uw B vs $uwo B: +$((uw - uwo)) B"
	note "files new or different with our hook (largest first):"
	join -a1 -e - -o 0,1.2,2.2 <(initrd_sizes "$1") <(initrd_sizes "$2") | awk '$2 != $3' |
		sort -k2,2nr | head -n 12 |
		awk '{printf "    %9d B  %s%s\n", $2, $1, $3 == "-" ? "" : $3 == 0 ? " (was a hard link)" : " (was " $3 " B)"}'
}

# initrd_sizes IMG: "PATH SIZE" of every regular file, sorted by path.
initrd_sizes() {
	zstd -dc "$1" | cpio --quiet -tv 2>/dev/null | awk '$1 ~ /^-/ {print $9, $5}' | sort
}

# it_timing LOG: when local-premount reached our script and how long it took,
# from the timing scripts around it ("SBTIME begin|end START AFTER_SH_C"):
# ours = end.START - begin.AFTER - (end.AFTER - end.START), the last being
# the price of one script start, which the interval also holds.
it_timing() {
	local b e
	b=$(tr -d '\r' <"$1" | awk '$1 == "SBTIME" && $2 == "begin" {print $3, $4; exit}')
	e=$(tr -d '\r' <"$1" | awk '$1 == "SBTIME" && $2 == "end" {print $3, $4; exit}')
	if [ -z "$b" ] || [ -z "$e" ]; then
		note "no SBTIME lines on the console: no timing"
		return
	fi
	awk -v b="$b" -v e="$e" 'BEGIN {
		split(b, B, " "); split(e, E, " ")
		printf "  local-premount reached our script at %.2f s of kernel uptime\n", B[2]
		printf "  our script, nothing asked: %.0f ms (interval %.0f ms minus one script start %.0f ms; 10 ms resolution)\n",
			(E[1] - B[2] - (E[2] - E[1])) * 1000, (E[1] - B[2]) * 1000, (E[2] - E[1]) * 1000
	}'
}

# The checks' conditions (run through check).
has() { grep -qF -- "$2" "$1"; }
not_has() { ! grep -qF -- "$2" "$1"; }
# grep reads the file itself: "tr | grep -q" under pipefail fails when grep
# stops early on a match, which "!" would turn into a pass.
quiet_boot() { ! grep -q '^shrinkbox:' "$1"; }
refused_mounted() { [ "$(cat "$1.step-r2.rc")" = 3 ] && has "$1.step-r2.out" mounted; }
same() { [ "$(cat "$1")" = "$(cat "$2")" ]; }
disk_sum() { sha256sum <"$W/disk.img" | cut -d' ' -f1; }

# ---- the test ------------------------------------------------------------------

why=$(it_prereqs)
if [ -n "$why" ]; then
	skipped "itools: $why"
	finish
fi
# Always through make: a stale binary must not be what the guests test.
if [ -z "${SHRINKBOX_BIN:-}" ] && ! make -s -C "$TOP" static >/dev/null; then
	bad "itools: make static failed"
	finish
fi
. tests/vm/lib.sh
. tests/vm/gen.sh
IT_CACHE=$VM_CACHE/itools
IT_TIMEOUT=${SHRINKBOX_ITOOLS_TIMEOUT:-400}
SB_BIN=${SHRINKBOX_BIN:-$TOP/build/static/shrinkbox}
mkdir -p "$IT_CACHE"
t_all=$(date +%s)

it_fetch || { skipped "itools: apt-get download of the initramfs-tools packages failed (no apt access?): $TREE.log"; finish; }
vm_kernel || { skipped "itools: no VM kernel (scripts/vm-kernel.sh: apt access?)"; finish; }
# The maker stage boots the dracut test initramfs (shared cache with run.sh).
vm_initrd || { bad "itools: the dracut test initramfs (maker stage) failed"; finish; }
vm_make boot-shrink tests/vm/scenarios/boot-shrink.scn || { bad "itools: the maker stage failed"; finish; }
note "prepared in $(($(date +%s) - t_all)) s: $MK"

start=$(part_range "$MK/disk.img" 3)
uuid=$(blkid -p -o value -s UUID --offset $((${start% *} * 512)) "$MK/disk.img")
[ -n "$uuid" ] || { bad "itools: no LUKS UUID on partition 3 of $MK/disk.img"; finish; }

it_prepare without "$uuid" || { bad "itools: staging the build without our hook"; finish; }
BW_WITHOUT=$BW IMG_WITHOUT=$IMG
it_prepare with "$uuid" || { bad "itools: staging the build with our hook (make install-boot)"; finish; }
BW_WITH=$BW IMG_WITH=$IMG
it_build without "$BW_WITHOUT" "$IMG_WITHOUT" &
pid_without=$!
it_build with "$BW_WITH" "$IMG_WITH" &
pid_with=$!
wait $pid_without || { wait $pid_with; bad "itools: mkinitramfs without our hook"; finish; }
wait $pid_with || { bad "itools: mkinitramfs with our hook"; finish; }
ok "mkinitramfs (initramfs-tools $(awk '$1 == "initramfs-tools" {print $2}' <<<"$(it_versions)")) builds with our hook"
it_sizes "$IMG_WITH" "$IMG_WITHOUT"

# What the hook put in, and where the timing scripts run relative to ours.
list=$(zstd -dc "$IMG_WITH" | cpio --quiet -t 2>/dev/null)
missing=""
for f in usr/sbin/shrinkbox usr/lib/shrinkbox/shrinkbox-boot.sh usr/sbin/e2fsck usr/sbin/resize2fs \
	usr/sbin/blkid usr/bin/tee scripts/local-premount/shrinkbox cryptroot/keyfiles/cr.key; do
	grep -qx "$f" <<<"$list" || missing+=" $f"
done
for m in dm-mod dm-crypt ext4 algif_skcipher algif_hash xts; do
	grep -q "/$m\.ko" <<<"$list" || missing+=" $m.ko"
done
check "the initrd holds shrinkbox, its boot script, e2fsck, resize2fs, blkid, tee, the modules${missing:+ (missing:$missing)}" \
	test -z "$missing"
order=$(initrd_file "$IMG_WITH" scripts/local-premount/ORDER | awk '/^\/scripts/ {sub(".*/", "", $1); printf "%s ", $1}')
note "local-premount order: $order"
check "our local-premount script runs after resume" \
	grep -qE 'resume .*shrinkbox' <<<"$order"
case "$order" in
*"sbtime-a shrinkbox sbtime-z"*) timed=1 ;;
*) timed=""; note "the timing scripts do not bracket ours: no duration measured" ;;
esac

W=$(mktemp -d /var/tmp/sbitools.XXXXXX)
cp --sparse=always "$MK/disk.img" "$W/disk.img"
before=$(disk_sum)

# The boots that must change nothing skip the root fsck: initramfs-tools'
# checkfs (e2fsck -a; the fsck hook adds it for an ext4 root) rewrites the
# clean superblock's s_wtime and s_kbytes_written on every boot, asked or not
# (measured: 2 sectors of lvroot, decrypted). The boots that shrink keep it:
# it checks what the shrink left, before the root mounts.
NOFSCK=fsck.mode=skip

# 1. Nothing asked: our script must return at once and change nothing.
if it_boot noop "$IMG_WITH" "$NOFSCK"; then
	ok "boot without rd.shrinkbox.*: the real root came up and ended"
	check "boot without rd.shrinkbox.*: our script printed nothing" \
		quiet_boot "$W/noop.log"
	check "boot without rd.shrinkbox.*: the disk image is byte-identical" test "$(disk_sum)" = "$before"
	[ -n "$timed" ] && it_timing "$W/noop.log"
else
	bad "boot without rd.shrinkbox.*: the real root did not reach its end ($W/noop.log)"
fi

# 2. A dry run: the plan, nothing changed. With the key: a dry run checks it as the real
# run would (without it, both refuse before any write).
if it_boot dryrun "$IMG_WITH" "$NOFSCK $IT_SHRINK $IT_KEYARG"; then
	ok "dry-run boot: the real root came up and ended"
	check "dry-run boot: the log says \"Dry run\"" has "$W/dryrun.step-r1.out" "Dry run"
	check "dry-run boot: the disk image is byte-identical" test "$(disk_sum)" = "$before"
	check "dry-run boot: the root saw lvroot's data unchanged" same "$W/dryrun.rootsum" "$MK/sum-lvroot"
else
	bad "dry-run boot: the real root did not reach its end ($W/dryrun.log)"
fi

# 3. With consent: the whole stack shrinks before the root mounts. No key
# file: cryptresize's passphrase is asked on the console and typed there
# (typer.py through the serial socket), with echo off.
IT_PROMPT="Passphrase (for resizing the LUKS mapping):"
if VM_TYPE="$IT_PROMPT|$IT_PASS" it_boot apply "$IMG_WITH" "$IT_SHRINK rd.shrinkbox.apply=yes"; then
	ok "shrink boot: the real root came up and ended"
	check "shrink boot: the passphrase was asked on the console and typed there" \
		grep -q "typer: typed" "$W/apply.log.typer"
	check "shrink boot: what was typed does not show on the console (echo off)" \
		not_has "$W/apply.log" "$IT_PASS"
	check "shrink boot: \"Done: partition 3 of /dev/vda is\"" \
		has "$W/apply.step-r1.out" "Done: partition 3 of /dev/vda is"
	check "shrink boot: the root saw lvroot's data unchanged" same "$W/apply.rootsum" "$MK/sum-lvroot"
	check "shrink boot: in the booted root, shrink refuses (lvroot mounted, exit 3)" \
		refused_mounted "$W/apply"
else
	bad "shrink boot: the real root did not reach its end ($W/apply.log)"
	tr -d '\r' <"$W/apply.log" | grep -E "^shrinkbox|rror" | tail -n 10 | sed 's/^/  /'
fi

# 4. The same parameters again: the kernel's and the disk's view agree, "No
# changes.". The key this time from a file on another disk (LABEL=: blkid,
# then busybox's mount, cat, dd and wc in the boot script).
if it_boot again "$IMG_WITH" "$IT_SHRINK rd.shrinkbox.apply=yes rd.shrinkbox.key=/key:LABEL=sbresult"; then
	ok "second boot: the real root came up and ended"
	check "second boot: \"No changes.\"" has "$W/again.step-r1.out" "No changes."
	check "second boot: the key file was read from LABEL=sbresult" \
		has "$W/again.step-r1.out" "--key-file /run/shrinkbox.key"
	check "second boot: the root saw lvroot's data unchanged" same "$W/again.rootsum" "$MK/sum-lvroot"
else
	bad "second boot: the real root did not reach its end ($W/again.log)"
fi

# 5. The stack as the host sees it.
check "partition 3 has 2457600 sectors (sfdisk -d)" test "$(part_range "$W/disk.img" 3 | cut -d' ' -f2)" = 2457600
check "partition 4's bytes are unchanged (sum-part4)" test "$(part_sum "$W/disk.img" 4)" = "$(cat "$MK/sum-part4")"

# 6. A request "shrinkbox schedule" left, with no rd.shrinkbox.* on the command
# line: the hook recorded where requests live (VM_REQUEST_FS), partition 2 now
# holds that filesystem with shrinkbox/request (schedule's format,
# docs/schedule.md), and our local-premount script must run it, once. Before:
# the script returned at once without rd.shrinkbox.*, and a scheduled run never
# happened on an initramfs-tools system.
rq=$W/request-fs
mkdir -p "$rq.d/shrinkbox"
printf '%s\n' "shrinkbox-request 1" "created $(date +%s)" "key /key:LABEL=sbresult" \
	"arg shrink" "arg /dev/vda3" "arg --size" "arg 1000MiB" >"$rq.d/shrinkbox/request"
p2=$(part_range "$W/disk.img" 2)
: >"$rq"
mke2fs -q -F -t ext2 -U "$VM_REQUEST_FS" -d "$rq.d" "$rq" $((${p2#* } / 2))k &&
	dd if="$rq" of="$W/disk.img" bs=512 seek="${p2% *}" conv=notrunc,sparse status=none
if it_boot request "$IMG_WITH" ""; then
	ok "request boot: the real root came up and ended"
	dd if="$W/disk.img" of="$rq" bs=512 skip="${p2% *}" count="${p2#* }" status=none
	check "request boot: the request ran (last.rc 0) and is gone" \
		sh -c "[ \"\$(debugfs -R 'cat /shrinkbox/last.rc' $rq 2>/dev/null)\" = 0 ] &&
			! debugfs -R 'stat /shrinkbox/request' $rq 2>/dev/null | grep -q Inode:"
	check "request boot: its log says \"Done: partition 3 of /dev/vda is\"" \
		sh -c "debugfs -R 'cat /shrinkbox/last.log' $rq 2>/dev/null | grep -q 'Done: partition 3 of /dev/vda is'"
	check "request boot: partition 3 has 2048000 sectors" \
		test "$(part_range "$W/disk.img" 3 | cut -d' ' -f2)" = 2048000
	check "request boot: the root saw lvroot's data unchanged" same "$W/request.rootsum" "$MK/sum-lvroot"
else
	bad "request boot: the real root did not reach its end ($W/request.log)"
	tr -d '\r' <"$W/request.log" | grep -E "^shrinkbox|rror" | tail -n 10 | sed 's/^/  /'
fi

note "itools: $(($(date +%s) - t_all)) s"
if [ "$fail" = 0 ] && [ -z "${SHRINKBOX_VM_KEEP:-}" ]; then
	rm -rf "$W"
else
	note "kept: $W"
fi
finish
