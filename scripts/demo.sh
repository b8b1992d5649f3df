#!/bin/bash
# The main job, as far as this build goes: generate a laptop-like disk image
# (GPT: bios_grub, ESP, a LUKS2 partition holding an LVM PV with root, a gap
# and swap, then two more partitions) and show the whole stack with status.
# The LUKS mapping cannot be opened on a kernel without device-mapper, so the
# PV is also shown from a second, clear image with the same VG layout.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/loop-env.sh
trap cleanup_loops EXIT

bin=${SHRINKBOX:-./shrinkbox}
q() { "$@" >/dev/null 2>&1; }

echo "== generating a 2 GiB sparse disk image: GPT, LUKS2 on partition 3, partitions 4 and 5 after it"
d=$(new_loop 2G)
printf 'label: gpt\n,1MiB,21686148-6449-6E6F-744E-656564454649\n,256MiB,U\n,1280MiB,L\n,128MiB,L\n,,L\n' |
	sfdisk -q "$d" >/dev/null 2>&1
add_partitions "$d"
printf 'demo-passphrase' | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 "${d}p3" -

echo "== the same VG layout on a clear PV: lvroot, a gap where a spacer was, lvswap"
v=$(new_loop 1280M)
vg=$(uniq_name demo)
q pvcreate "$v"
q vgcreate "$vg" "$v"
q lvcreate -an -Zn -n lvroot -L 800M "$vg"
q lvcreate -an -Zn -n spacer -L 200M "$vg"
q lvcreate -an -Zn -n lvswap -L 128M "$vg"
q lvremove -f "$vg/spacer"

echo
echo "== shrinkbox status $(losetup -nO BACK-FILE "$d" | sed 's/ (deleted)//')  (the disk image)"
"$bin" status "$(losetup -nO BACK-FILE "$d")"
echo
echo "== shrinkbox status $v  (the PV)"
"$bin" status "$v"
echo
echo "== the same as JSON, for scripts (first lines)"
"$bin" status --json "$v" | head -n 20
