# shellcheck shell=bash
# The VM harness's machinery (sourced by run.sh): a cached Debian kernel, an
# initramfs built by the real dracut with our module and the test module, and
# QEMU runs that take a scenario script through fw_cfg and report on the
# serial console and a small result disk.
VM_CACHE=${SHRINKBOX_VM_CACHE:-/var/tmp/shrinkbox-vm-cache}
VM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mkdir -p "$VM_CACHE"

vm_log() { printf 'vm: %s\n' "$*" >&2; }

vm_kernel() {
	KDIR=$("$VM_TOP/scripts/vm-kernel.sh")
	KVER=$(ls "$KDIR/lib/modules")
	KERNEL=$KDIR/boot/vmlinuz-$KVER
}

# Where the test images look for a "shrinkbox schedule" request: the UUID a
# scenario gives its boot filesystem ("mkfs N ext2 -U $VM_REQUEST_FS"), never
# the build host's /boot (module-setup.sh would record that).
VM_REQUEST_FS=5b0e5b0e-1111-4222-8333-444455556666

# vm_initrd: builds (or reuses) the test initramfs; sets INITRD. dracut's
# shell-script init: no systemd in the image.
vm_initrd() {
	vm_initrd_build "" "" \
		"systemd systemd-initrd dracut-systemd kernel-modules-extra nvdimm lunmask resume virtiofs qemu plymouth"
}

# vm_initrd_systemd: the same initramfs, but systemd-based as Fedora, RHEL and
# openSUSE build it (dracut copies the build host's systemd; its units run
# dracut's hooks, ours too); sets INITRD. It carries one option of ours by
# "dracut --kernel-cmdline" (/etc/cmdline.d): the key file on the result disk,
# which a shrink of a LUKS2 mapping needs, so a boot that does not name it on
# the kernel's command line proves that the hook reads dracut's getcmdline.
vm_initrd_systemd() {
	vm_initrd_build systemd "systemd systemd-initrd dracut-systemd plymouth" \
		"kernel-modules-extra nvdimm lunmask resume virtiofs qemu" \
		"rd.shrinkbox.key=/key:LABEL=sbresult"
}

# vm_initrd_build FLAVOUR ADD OMIT [CMDLINE]: the initramfs with the modules ADD
# besides ours, without OMIT, with dracut --kernel-cmdline CMDLINE; cached by
# the hash of both modules, the binary, the kernel version, dracut's version
# (and, for a flavour, its name, CMDLINE and systemd's version); sets INITRD.
vm_initrd_build() {
	local flavour=$1 add=$2 omit=$3 kcmd=${4:-} key dir lk img=initrd
	SB_BIN=${SHRINKBOX_BIN:-$VM_TOP/build/static/shrinkbox}
	[ -x "$SB_BIN" ] || { vm_log "no shrinkbox binary at $SB_BIN (make static)"; return 1; }
	key=$( (cd "$VM_TOP" && cat dracut/modules.d/90shrinkbox/* tests/vm/dracut/99shrinkbox-test/*
		sha256sum <"$SB_BIN"; echo "$KVER $VM_REQUEST_FS"; dpkg-query -W dracut-core
		[ -z "$flavour" ] || { echo "$flavour $kcmd $add"; dpkg-query -W systemd plymouth; }) |
		sha256sum | cut -c1-16)
	[ -z "$flavour" ] || img=initrd-$flavour
	INITRD=$VM_CACHE/$img-$key.img
	[ -s "$INITRD" ] && return 0
	# One builder per key: concurrent runs (helpers, benches) wait for it.
	mkdir -p "$VM_CACHE"
	exec {lk}>"$VM_CACHE/.lock-initrd-$key"
	flock "$lk"
	[ -s "$INITRD" ] && { exec {lk}>&-; return 0; }
	# Older initramfs images (other binaries) are not reused: keep the last day's.
	find "$VM_CACHE" -maxdepth 1 -name 'initrd-*.img' -mmin +1440 -delete 2>/dev/null
	dir=$VM_CACHE/dracut-$key
	rm -rf "$dir" && mkdir -p "$dir"
	cp -a /usr/lib/dracut/. "$dir/"
	cp -a "$VM_TOP/dracut/modules.d/90shrinkbox" "$VM_TOP/tests/vm/dracut/99shrinkbox-test" \
		"$dir/modules.d/"
	chmod +x "$dir"/modules.d/9*shrinkbox*/*.sh
	mkdir -p "$dir/conf.d.empty"
	vm_log "building the ${flavour:+$flavour }initramfs with dracut (cached as $INITRD)"
	# A private dracut tree and no host config: the build host's /etc must not leak in.
	if ! dracutbasedir=$dir SHRINKBOX_BIN=$SB_BIN SHRINKBOX_REQUEST_FS=$VM_REQUEST_FS \
		dracut --force --no-hostonly \
		--no-hostonly-cmdline --no-early-microcode --conf /dev/null --confdir "$dir/conf.d.empty" \
		--kver "$KVER" --kmoddir "$KDIR/lib/modules/$KVER" \
		--add "crypt lvm shrinkbox shrinkbox-test${add:+ $add}" \
		--omit "$omit" ${kcmd:+--kernel-cmdline "$kcmd"} \
		--drivers "virtio_pci virtio_blk virtio_rng dm_mod dm_crypt xts aesni_intel ext4 crc32c_intel crc32c_generic qemu_fw_cfg algif_skcipher algif_hash" \
		--compress gzip "$INITRD.tmp" >"$dir.log" 2>&1; then
		vm_log "dracut failed; see $dir.log"; tail -n 20 "$dir.log" >&2; rm -f "$INITRD.tmp"
		exec {lk}>&-; return 1
	fi
	mv "$INITRD.tmp" "$INITRD"
	exec {lk}>&-
	rm -rf "$dir"
}

# vm_result_disk FILE: a small ext4 disk labelled sbresult (the guest's root= and its output).
# It also holds /key, the LUKS passphrase, for dracut's rd.luks.key= in real boots.
vm_result_disk() {
	rm -f "$1"; truncate -s 64M "$1"
	mkfs.ext4 -q -F -L sbresult "$1"
	printf 'sbtest-passphrase' >"$1.key"
	debugfs -w -R "write $1.key key" "$1" >/dev/null 2>&1
	rm -f "$1.key"
}

# vm_result FILE NAME: a file the guest wrote to the result disk.
vm_result() {
	debugfs -R "cat /$2" "$1" 2>/dev/null
}

# The test stage's root is the result disk and the stack is left alone: the
# scenario script unlocks and activates what it needs.
VM_TEST_APPEND="root=LABEL=sbresult rootfstype=ext4 rd.luks=0 rd.lvm=0 rd.md=0 rd.dm=0"
# A real boot of the scenario's stack: dracut's crypt module unlocks every LUKS
# device (rd.auto=1: dracut 059 unlocks only named devices otherwise) with the
# key file on the result disk, its lvm module activates the
# root LV, the root is the LV. Append root= and rd.lvm.lv=.
VM_REAL_APPEND="rd.auto=1 rd.luks.key=/key:LABEL=sbresult rd.md=0 rd.dm=0 rd.retry=60"

# vm_run DISK RESULT SCRIPT LOG TIMEOUT [KILL_MARKER KILL_AFTER [DELAY_MS]]:
# boots, runs SCRIPT in the initramfs before root mounts, powers off (SCRIPT
# "": no script; the boot goes on to its root, which must power off). With a
# marker, SIGKILLs QEMU DELAY_MS milliseconds after it shows on the console (a
# power cut), or after KILL_AFTER seconds (0: never). cache=none: writes the
# guest completed are on the image, what is still in its page cache is lost,
# like RAM in a power cut (harness.md section 5). Returns 0, 124 on timeout,
# 137 when killed on purpose.
vm_run() {
	local disk=$1 result=$2 script=$3 log=$4 tmo=$5 marker=${6:-} after=${7:-0}
	local delay=${8:-0} pid now start seen="" typer="" sock="" rc
	local serial=(-serial "file:$log")
	: >"$log"
	# VM_TYPE="MARKER|TEXT": the console is a socket too, and typer.py types
	# TEXT once MARKER shows (a passphrase asked at boot); the log is the same.
	if [ -n "${VM_TYPE:-}" ]; then
		sock=$(mktemp -u /tmp/sbserial.XXXXXX)
		serial=(-chardev "socket,id=sbser,path=$sock,server=on,wait=off,logfile=$log"
			-serial chardev:sbser)
	fi
	qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp "${VM_SMP:-1}" -nographic -no-reboot \
		-nic none -device virtio-rng-pci -kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 ${VM_QUIET-quiet} rd.shell=0 ${VM_BASE_APPEND:-$VM_TEST_APPEND} ${VM_APPEND:-}" \
		-drive "file=$disk,format=raw,if=virtio,cache=none" \
		-drive "file=$result,format=raw,if=virtio,cache=none" \
		${script:+-fw_cfg "name=opt/shrinkbox/script,file=$script"} \
		"${serial[@]}" -display none -monitor none </dev/null >/dev/null 2>&1 &
	pid=$!
	if [ -n "$sock" ]; then
		python3 "$VM_TOP/tests/vm/typer.py" "$sock" "${VM_TYPE%%|*}" "${VM_TYPE#*|}" 2>>"$log.typer" &
		typer=$!
	fi
	start=$(date +%s%3N)
	rc=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		now=$(date +%s%3N)
		if [ -n "$marker" ]; then
			[ -z "$seen" ] && grep -q "$marker" "$log" && seen=$now
			if { [ -n "$seen" ] && [ $((now - seen)) -ge "$delay" ]; } ||
				{ [ "$after" -gt 0 ] && [ $((now - start)) -ge $((after * 1000)) ]; }; then
				kill -9 "$pid"; rc=137; break
			fi
		fi
		if [ $((now - start)) -ge $((tmo * 1000)) ]; then
			kill -9 "$pid"; rc=124; break
		fi
	done
	wait "$pid" 2>/dev/null
	if [ -n "$typer" ]; then
		kill "$typer" 2>/dev/null; wait "$typer" 2>/dev/null; rm -f "$sock"
	fi
	return $rc
}

# vm_maker_key SCENARIO: what its made disk depends on: the layout lines of the
# scenario (not its comments, steps, checks or boots), the generator and the kernel.
vm_maker_key() {
	(grep -vE '^(#|(step|expect|check|output|powercut|powercut-random|boot|type|append|enlarge|local|ci-cuts|ci-sample)\b)' "$1"
		cat "$VM_TOP/tests/vm/gen.sh"; echo "$KVER") | sha256sum | cut -c1-16
}

# vm_make NAME SCENARIO: the maker stage (needs gen.sh), cached by vm_maker_key
# (scenarios with the same layout share one disk): sets MK to the directory
# holding disk.img and the sum-* checksums. New steps or checks reuse the disk.
vm_make() {
	local name=$1 scn=$2 key f lk
	key=$(vm_maker_key "$scn")
	MK=$VM_CACHE/maker-$key
	[ -e "$MK/done" ] && { touch "$MK"; return 0; }
	mkdir -p "$VM_CACHE"
	exec {lk}>"$VM_CACHE/.lock-maker-$key"
	flock "$lk"
	[ -e "$MK/done" ] && { exec {lk}>&-; touch "$MK"; return 0; }
	# Disks no scenario has used for a week belong to older layouts.
	find "$VM_CACHE" -maxdepth 1 -name 'maker-*' -mtime +7 -exec rm -rf {} + 2>/dev/null
	rm -rf "$MK" && mkdir -p "$MK"
	truncate -s "$(awk '$1 == "disk" {print $2}' "$scn")" "$MK/disk.img"
	vm_result_disk "$MK/result.img"
	gen_maker "$scn" >"$MK/maker.sh"
	vm_run "$MK/disk.img" "$MK/result.img" "$MK/maker.sh" "$MK/console.log" \
		"${MAKER_TIMEOUT:-600}"
	if ! grep -q SBMAKER-OK "$MK/console.log"; then
		vm_log "the maker stage of $name did not finish; console: $MK/console.log"
		tail -n 15 "$MK/console.log" | tr -d '\r' >&2
		exec {lk}>&-; return 1
	fi
	for f in $(debugfs -R "ls -p /" "$MK/result.img" 2>/dev/null | awk -F/ '$6 ~ /^sum-/ {print $6}'); do
		vm_result "$MK/result.img" "$f" >"$MK/$f"
	done
	touch "$MK/done"
	exec {lk}>&-
}
