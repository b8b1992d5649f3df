#!/bin/bash
# What the dracut module costs (issue 7): the initramfs size with and without
# it (the same dracut, kernel and module set otherwise, like the VM suite's
# build: crypt and lvm), and the time the pre-mount hook takes at boot when the
# command line asks for nothing, measured inside the real initramfs (100 runs
# of the hook's script, in a guest). A benchmark, not a test.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/vm/lib.sh
. tests/vm/gen.sh

make -s static >/dev/null || { echo "bench: make static failed"; exit 1; }
vm_kernel && vm_initrd || exit 1
work=$(mktemp -d /var/tmp/sbbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# build NAME MODULES: an initramfs like the suite's, without the test module.
build() {
	local dir=$work/dracut-$1
	mkdir -p "$dir" && cp -a /usr/lib/dracut/. "$dir/"
	cp -a dracut/modules.d/90shrinkbox "$dir/modules.d/"
	chmod +x "$dir"/modules.d/90shrinkbox/*.sh
	mkdir -p "$dir/conf.d.empty"
	dracutbasedir=$dir SHRINKBOX_BIN=build/static/shrinkbox dracut --force --no-hostonly \
		--no-hostonly-cmdline --no-early-microcode --conf /dev/null --confdir "$dir/conf.d.empty" \
		--kver "$KVER" --kmoddir "$KDIR/lib/modules/$KVER" --add "$2" \
		--omit "systemd systemd-initrd dracut-systemd kernel-modules-extra nvdimm lunmask resume virtiofs qemu plymouth" \
		--compress gzip "$work/$1.img" >"$work/$1.log" 2>&1 || { tail "$work/$1.log"; exit 1; }
}
build plain "crypt lvm"
build with "crypt lvm shrinkbox"
a=$(stat -c %s "$work/plain.img"); b=$(stat -c %s "$work/with.img")
echo "initramfs (gzip): without the module $a B, with it $b B: +$((b - a)) B ($(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", (b - a) * 100 / a}')%)"
echo "  (the module installs build/static/shrinkbox, $(stat -c %s build/static/shrinkbox) B unstripped; e2fsck and resize2fs were partly there already)"

# The hook with nothing asked, in the suite's initramfs (it holds the module): 100 runs.
cat >"$work/t.sh" <<'EOS'
echo "console=ttyS0 root=/dev/vda1" >/run/cmdline.none
t0=$(date +%s%N)
for i in $(seq 100); do SHRINKBOX_CMDLINE=/run/cmdline.none sh /usr/lib/shrinkbox/shrinkbox-boot.sh; done
t1=$(date +%s%N)
echo "BENCH hook $(( (t1 - t0) / 100 ))" | tee /result/hook.txt
echo SBTEST-OK
EOS
truncate -s 64M "$work/disk.img"
vm_result_disk "$work/result.img"
vm_run "$work/disk.img" "$work/result.img" "$work/t.sh" "$work/console.log" 300
ns=$(vm_result "$work/result.img" hook.txt | awk '{print $3}')
[ -n "$ns" ] || { echo "bench: the guest did not report"; exit 1; }
echo "pre-mount hook with no rd.shrinkbox.* (in the guest, TCG, mean of 100): $(awk -v n="$ns" 'BEGIN {printf "%.2f ms", n / 1e6}')"
