#!/bin/bash
# Regenerates the unit-test fixtures in tests/data from real lvm2 objects.
# Needs root, loop devices and lvm2 (metadata-only: the host has no dm).
# The outputs are committed, so the unit tests need neither root nor lvm2.
#
# Each NAME.img is the head of a real PV (label + metadata area, up to
# pe_start = 64 KiB); NAME.expect lists what lvm2 itself reports for it:
#   seqno N | extent_size SECTORS | pe_count N | pe_start SECTORS | pv UUID
#   seg LV LE_START EXTENTS PE_START
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/loop-env.sh"
trap cleanup_loops EXIT

lvm_q() { "$@" >/dev/null 2>&1; }

expect() {	# expect VG DEV OUT
	local vg=$1 dev=$2 out=$3
	{
		vgs --noheadings -o vg_seqno,vg_extent_size --units s --nosuffix "$vg" 2>/dev/null |
			awk '{print "seqno " $1; print "extent_size " $2}'
		pvs --noheadings -o pv_pe_count,pe_start,pv_uuid --units s --nosuffix "$dev" 2>/dev/null |
			awk '{gsub("-", "", $3); print "pe_count " $1; print "pe_start " $2; print "pv " $3}'
		lvs --noheadings --segments -o lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges \
			"$vg" 2>/dev/null | awk '{
				split($4, pe, "[:-]");
				print "seg " $1 " " $2 " " $3 " " pe[2] }' | sort -k2,2 -k3,3n
	} >"$out"
}

pvhead() {	# pvhead DEV OUT: the PV up to pe_start (64 KiB here)
	dd if="$1" of="$2" bs=64k count=1 status=none
}

# A fragmented VG: a gap where a spacer LV was removed, lvroot in two segments.
d=$(new_loop 16M)
lvm_q pvcreate --metadatasize 32k --dataalignment 64k "$d"
lvm_q vgcreate -s 1m vgfrag "$d"
lvm_q lvcreate -an -Zn -n lvroot -L 3m vgfrag
lvm_q lvcreate -an -Zn -n spacer -L 2m vgfrag
lvm_q lvcreate -an -Zn -n lv-swap -L 2m vgfrag
lvm_q lvremove -f vgfrag/spacer
lvm_q lvextend -L +3m vgfrag/lvroot
pvhead "$d" "$here/frag.img"
expect vgfrag "$d" "$here/frag.expect"
rm -f "$here/frag.txt"
pvck --dump metadata -f "$here/frag.txt" "$d" >/dev/null 2>&1

# Many commits on a small metadata area, until the committed text wraps around the ring.
d=$(new_loop 16M)
lvm_q pvcreate --metadatasize 32k --dataalignment 64k "$d"
lvm_q vgcreate -s 1m vgwrap "$d"
for i in 1 2 3 4 5; do lvm_q lvcreate -an -Zn -n "base$i" -L 1m vgwrap; done
for i in $(seq 1 300); do
	if [ $((i % 2)) = 1 ]; then
		lvm_q lvcreate -an -Zn -n "churn$i" -L 1m vgwrap
	else
		lvm_q lvremove -f "vgwrap/churn$((i - 1))"
	fi
	off=$(pvck --dump headers "$d" 2>/dev/null | awk '/mda_header_1.raw_locn\[0\].offset/ {print $2}')
	size=$(pvck --dump headers "$d" 2>/dev/null | awk '/mda_header_1.raw_locn\[0\].size/ {print $2}')
	mda=$(pvck --dump headers "$d" 2>/dev/null | awk '/mda_header_1.size/ {print $2}')
	[ $((off + size)) -gt "$mda" ] && break
done
[ $((off + size)) -gt "$mda" ] || { echo "no wrap after $i commits" >&2; exit 1; }
pvhead "$d" "$here/wrap.img"
expect vgwrap "$d" "$here/wrap.expect"

# A pvmove left in progress (the host cannot run it, so lvm2 leaves the state behind).
a=$(new_loop 16M)
b=$(new_loop 16M)
for x in "$a" "$b"; do lvm_q pvcreate --metadatasize 32k --dataalignment 64k "$x"; done
lvm_q vgcreate -s 1m vgpm "$a" "$b"
lvm_q lvcreate -an -Zn -n data -L 3m vgpm "$a"
lvm_q pvmove -b "$a" "$b" || true
rm -f "$here/pvmove.txt"
pvck --dump metadata -f "$here/pvmove.txt" "$a" >/dev/null 2>&1
grep -q pvmove0 "$here/pvmove.txt"
echo "fixtures written to $here"
