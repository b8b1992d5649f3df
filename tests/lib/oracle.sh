# shellcheck shell=bash
# The real tools' view of a stack as "key value" lines, next to the same keys
# taken from `shrinkbox status --json`, for field-by-field cases (sourced,
# after check.sh and loop-env.sh). Every *_ours function reads our JSON; every
# *_theirs function asks sfdisk, cryptsetup, lvm2 or e2fsprogs and never looks
# at our output. same_kv compares the two sets key by key.

# same_kv PREFIX OURS THEIRS: every key of either side, compared with `same`.
same_kv() {
	local prefix=$1 k
	local -A a=() b=()
	local -a keys=()
	while IFS=' ' read -r k v; do [ -n "$k" ] && a[$k]=$v; done <<<"$2"
	while IFS=' ' read -r k v; do
		[ -n "$k" ] || continue
		b[$k]=$v
		keys+=("$k")
	done <<<"$3"
	for k in "${!a[@]}"; do [ -n "${b[$k]+x}" ] || keys+=("$k"); done
	for k in "${keys[@]}"; do
		if [ -z "${a[$k]+x}" ]; then
			same "$prefix$k" "(missing)" "${b[$k]}"
		else
			same "$prefix$k" "${a[$k]}" "${b[$k]-}"
		fi
	done
}

# dev_sectors DEV|FILE: size in 512-byte sectors.
dev_sectors() {
	if [ -b "$1" ]; then blockdev --getsz "$1"; else echo $(($(stat -c %s "$1") / 512)); fi
}

# ---------------------------------------------------------------- partition tables

# ptable_ours PT_JSON: the partition_table object of our report.
ptable_ours() {
	jq -r '"label \(.label)", "id \(.id)", "sector_size \(.sector_size_bytes)",
		"disk_sectors \(.disk_sectors)",
		(if .label == "gpt" then "first_usable \(.first_usable_sector)",
			"last_usable \(.last_usable_sector)"
		 else empty end),
		"count \(.partitions | length)",
		(.partitions[] | "p\(.number)" as $p |
			"\($p).start \(.start_sector)", "\($p).size \(.size_sectors)",
			"\($p).end \(.end_sector)",
			"\($p).bytes \(.size_bytes)", "\($p).type \(.type)", "\($p).uuid \(.uuid // "-")",
			"\($p).name \(.name // "-")", "\($p).container \(.container)")' <<<"$1"
}

# ptable_theirs DISK: the same keys from sfdisk -J and the device size.
ptable_theirs() {
	sfdisk -J "$1" | jq -r --arg sectors "$(dev_sectors "$1")" '.partitiontable | .sectorsize as $ss |
		"label \(.label)", "id \(.id)", "sector_size \($ss)", "disk_sectors \($sectors)",
		(if .label == "gpt" then "first_usable \(.firstlba)", "last_usable \(.lastlba)"
		 else empty end),
		"count \(.partitions | length)",
		(.partitions[] | "p\(.node | capture("p(?<n>[0-9]+)$").n)" as $p |
			"\($p).start \(.start)", "\($p).size \(.size)", "\($p).end \(.start + .size - 1)",
			"\($p).bytes \(.size * $ss)", "\($p).type \(.type)", "\($p).uuid \(.uuid // "-")",
			"\($p).name \(.name // "-")",
			"\($p).container \(.type == "5" or .type == "f" or .type == "85")")'
}

# ptable_kernel_ours PT_JSON / ptable_kernel_theirs DISK: start and size of every
# data partition as the kernel has them (partx told it; /sys/class/block).
ptable_kernel_ours() {
	jq -r '.partitions[] | select(.container | not) |
		"p\(.number).start \(.start_sector)", "p\(.number).size \(.size_sectors)"' <<<"$1"
}
ptable_kernel_theirs() {
	local b s
	b=$(basename "$1")
	for s in /sys/class/block/"$b"p*; do
		[ -e "$s/partition" ] || continue
		[ "$(cat "$s/size")" -le 2 ] && continue	# an MBR extended partition: 1 KiB stub
		echo "p$(cat "$s/partition").start $(cat "$s/start")"
		echo "p$(cat "$s/partition").size $(cat "$s/size")"
	done
}

# free_ours PT_JSON / free_theirs DISK: for each data partition, the free sectors
# right after it and the partition that follows. The oracle is `sfdisk -F` (the
# free runs libfdisk would offer a new partition) and the starts in sfdisk -J.
free_ours() {
	jq -r '.partitions[] | select(.container | not) |
		"p\(.number).free_after \(.free_after_sectors)",
		"p\(.number).next \(.next_partition // "-")"' <<<"$1"
}
free_theirs() {
	local runs
	runs=$(sfdisk -F "$1" | awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {printf "%s{\"start\":%s,\"sectors\":%s}", s, $1, $3; s=","}')
	sfdisk -J "$1" | jq -r --argjson runs "[$runs]" '.partitiontable.partitions as $ps |
		$ps[] | select(.type as $t | ["5", "f", "85"] | index($t) | not) |
		(.start + .size) as $after |
		"p\(.node | capture("p(?<n>[0-9]+)$").n)" as $p |
		"\($p).free_after \([$runs[] | select(.start == $after) | .sectors] | add // 0)",
		"\($p).next \([$ps[] | select(.start >= $after)] | sort_by(.start) |
			if length > 0 then .[0].node | capture("p(?<n>[0-9]+)$").n else "-" end)"'
}

# ---------------------------------------------------------------- LUKS

# luks_ours LUKS_JSON: the luks object of a volume.
luks_ours() {
	jq -r '"version \(.version)", "uuid \(.uuid)", "cipher \(.cipher)", "key_bits \(.key_bits)",
		"data_offset_sectors \(.data_offset_sectors)", "data_offset_bytes \(.data_offset_bytes)",
		"sector_size \(.sector_size_bytes)", "segment_size \(.segment_size_bytes)",
		"keyslots \(.keyslots)", "requirements \(.requirements)"' <<<"$1"
}

# luks_theirs DEV: cryptsetup luksDump (text for LUKS1 and the header UUID,
# --dump-json-metadata for the LUKS2 segments and keyslots).
luks_theirs() {
	local dump js
	dump=$(cryptsetup luksDump "$1") || return
	if grep -qE '^Version:\s+1$' <<<"$dump"; then
		awk '{ v = $0; sub(/^[^:]*:[ \t]*/, "", v) }
			/^Version:/ { print "version " v }
			/^UUID:/ { print "uuid " v }
			/^Cipher name:/ { n = v } /^Cipher mode:/ { m = v }
			/^MK bits:/ { print "key_bits " v }
			/^Payload offset:/ { print "data_offset_sectors " v; print "data_offset_bytes " v * 512 }
			/^Key Slot [0-7]: ENABLED/ { k++ }
			END { print "cipher " n "-" m; print "keyslots " k + 0
			      # LUKS1 by definition: 512-byte sectors, data to the end of the device
			      print "sector_size 512"; print "segment_size dynamic"; print "requirements false" }' <<<"$dump"
	else
		js=$(cryptsetup luksDump --dump-json-metadata "$1") || return
		echo "version 2"
		awk '/^UUID:/ { print "uuid " $2 }' <<<"$dump"
		jq -r '.segments."0" as $s | (.keyslots | to_entries | map(.value)) as $k |
			"cipher \($s.encryption)", "key_bits \($k[0].key_size * 8)",
			"data_offset_sectors \($s.offset | tonumber / 512)", "data_offset_bytes \($s.offset)",
			"sector_size \($s.sector_size)", "segment_size \($s.size)",
			"keyslots \($k | length)",
			"requirements \((.config.requirements.mandatory // []) | length > 0)"' <<<"$js"
	fi
}

# ---------------------------------------------------------------- LVM

# lvm_ours PV_JSON: the lvm_pv object (label, mdas, VG, every PV's map, every LV's segments).
# PVs and segment areas are named by PV uuid, so a report read from an image file
# compares with lvm2 reading the loop device.
lvm_ours() {
	jq -r '"pv.uuid \(.uuid)", "pv.label_sector \(.label_sector)",
		"pv.label_device_size \(.label_device_size_bytes)", "pv.data_offset \(.data_offset_bytes)",
		"pv.mda_count \(.mdas | length)",
		(.mdas | to_entries[] | "mda\(.key).offset \(.value.offset_bytes)",
			"mda\(.key).size \(.value.size_bytes)"),
		(.vg | .extent_size_bytes as $e |
		"vg.name \(.name)", "vg.uuid \(.uuid)", "vg.seqno \(.seqno)", "vg.extent_size \($e)",
		"vg.pv_count \(.pvs | length)", "vg.lv_count \([.lvs[] | select(.status | index("VISIBLE"))] | length)",
		"vg.extent_count \([.pvs[].pe_count] | add)", "vg.free_count \([.pvs[].pe_free] | add)",
		(.pvs[] | "pv[\(.uuid)]" as $p |
			"\($p).pe_start \(.pe_start_sectors * 512)", "\($p).pe_count \(.pe_count)",
			"\($p).pe_alloc \(.pe_used)", "\($p).pe_free \(.pe_free)",
			"\($p).dev_size \(.dev_size_sectors * 512)",
			"\($p).extents_end \(.extents_end_bytes)",
			"\($p).map \([.segments[] | "\(.pe_start)-\(.pe_end):\(.extents):\(.lv // "free")"] | join(","))"),
		(.lvs[] | select(.status | index("VISIBLE")) | "lv[\(.name)]" as $l |
			"\($l).uuid \(.uuid)", "\($l).size \(.size_bytes)", "\($l).extents \(.extents)",
			"\($l).seg_count \(.segments | length)",
			(.segments[] | "\($l).seg[\(.le_start)] \(.extents) x\(.stripe_count) \(
				[.areas[] | "\(.pv_uuid):\(.pe_start)-\(.pe_end)"] | join(" "))")))' <<<"$1"
}

# lvm_theirs VG: the same keys from pvs/vgs/lvs (JSON reports, bytes) and pvck.
# The device of the PV whose label we read is $LVM_PV_DEV (for the label keys).
lvm_theirs() {
	local vg=$1 pvseg pvs vgs lvs names
	local R=(--reportformat json --units b --nosuffix)
	pvs=$(pvs "${R[@]}" -o+seg_pe_ranges,pv_pe_count,pv_pe_alloc_count,pe_start,vg_seqno,vg_extent_size,lv_uuid,vg_uuid,pv_uuid,dev_size,pv_mda_count -S "vg_name=$vg" 2>/dev/null)
	pvseg=$(pvs --segments "${R[@]}" -o+seg_pe_ranges,lv_name,pv_uuid,pvseg_start,pvseg_size -S "vg_name=$vg" 2>/dev/null)
	vgs=$(vgs "${R[@]}" -o vg_name,vg_uuid,vg_seqno,vg_extent_size,pv_count,lv_count,vg_extent_count,vg_free_count "$vg" 2>/dev/null)
	lvs=$(lvs --segments "${R[@]}" -o lv_name,lv_uuid,lv_size,seg_count,seg_start_pe,seg_size_pe,stripes,seg_pe_ranges "$vg" 2>/dev/null)
	# device name -> PV uuid, to name segment areas by uuid
	names=$(jq -c '[.report[0].pv[] | {key: .pv_name, value: .pv_uuid}] | from_entries' <<<"$pvs")
	jq -r '.report[0].vg[0] | "vg.name \(.vg_name)", "vg.uuid \(.vg_uuid)", "vg.seqno \(.vg_seqno)",
		"vg.extent_size \(.vg_extent_size)", "vg.pv_count \(.pv_count)", "vg.lv_count \(.lv_count)",
		"vg.extent_count \(.vg_extent_count)", "vg.free_count \(.vg_free_count)"' <<<"$vgs"
	jq -r '[.report[0].pv[]] | group_by(.pv_uuid)[] | .[0] | "pv[\(.pv_uuid)]" as $p |
		"\($p).pe_start \(.pe_start)", "\($p).pe_count \(.pv_pe_count)",
		"\($p).pe_alloc \(.pv_pe_alloc_count)",
		"\($p).pe_free \((.pv_pe_count | tonumber) - (.pv_pe_alloc_count | tonumber))",
		"\($p).dev_size \(.dev_size)",
		"\($p).extents_end \((.pe_start | tonumber) + (.pv_pe_count | tonumber) * (.vg_extent_size | tonumber))"' <<<"$pvs"
	jq -r '[.report[0].pvseg[]] | group_by(.pv_uuid)[] |
		"pv[\(.[0].pv_uuid)].map \([sort_by(.pvseg_start | tonumber)[] |
			(.pvseg_start | tonumber) as $s | (.pvseg_size | tonumber) as $n |
			"\($s)-\($s + $n - 1):\($n):\(if .lv_name == "" then "free" else .lv_name end)"] | join(","))"' <<<"$pvseg"
	jq -r --argjson names "$names" '.report[0].seg | group_by(.lv_name)[] | "lv[\(.[0].lv_name)]" as $l |
		"\($l).uuid \(.[0].lv_uuid)", "\($l).size \(.[0].lv_size)",
		"\($l).seg_count \(.[0].seg_count)",
		"\($l).extents \([.[].seg_size_pe | tonumber] | add)",
		(.[] | "\($l).seg[\(.seg_start_pe)] \(.seg_size_pe) x\(.stripes) \(
			.seg_pe_ranges | split(" ") | map(capture("^(?<d>.*):(?<r>[0-9]+-[0-9]+)$") |
				"\($names[.d] // .d):\(.r)") | join(" "))")' <<<"$lvs"
	[ -n "${LVM_PV_DEV:-}" ] || return 0
	jq -r --arg d "$LVM_PV_DEV" '[.report[0].pv[] | select(.pv_name == $d)][0] |
		"pv.uuid \(.pv_uuid)", "pv.mda_count \(.pv_mda_count)"' <<<"$pvs"
	pvck_headers "$LVM_PV_DEV"
}

# pvck_headers DEV: label and metadata area locations as `pvck --dump headers` prints
# them; each mda's own header must agree with the label's location for it.
pvck_headers() {
	pvck --dump headers "$1" 2>/dev/null | awk '
		/^ *label_header.sector / { print "pv.label_sector " $2 }
		/^ *pv_header.device_size / { print "pv.label_device_size " $2 }
		/^ *pv_header.disk_locn\[[0-9]+\] at .*# location of data area/ { what = "data"; next }
		/^ *pv_header.disk_locn\[[0-9]+\] at .*# location of metadata area/ { what = "mda"; next }
		/^ *pv_header.disk_locn\[[0-9]+\] at / { what = ""; next }
		/^ *pv_header.disk_locn\[[0-9]+\].offset / {
			if (what == "data") print "pv.data_offset " $2
			if (what == "mda") { off[m + 0] = $2 } }
		/^ *pv_header.disk_locn\[[0-9]+\].size / { if (what == "mda") { size[m + 0] = $2; m++ } }
		/^ *mda_header_[0-9]+.start / { hs[h + 0] = $2 }
		/^ *mda_header_[0-9]+.size / { hz[h + 0] = $2; h++ }
		END { for (i = 0; i < m; i++) {
			print "mda" i ".offset " off[i]; print "mda" i ".size " size[i]
			if (hs[i] != off[i] || hz[i] != size[i])
				print "mda" i ".header_agrees_with_label no(" hs[i] "+" hz[i] ")" } }'
}

# ---------------------------------------------------------------- filesystems

# fs_ours FS_JSON: an LV's (or volume's) filesystem object.
fs_ours() {
	jq -r '"type \(.type)", "uuid \(.uuid // "-")", "label \(.label // "-")",
		"size_bytes \(.size_bytes)", "block_size \(.block_size_bytes)", "blocks \(.blocks)"' <<<"$1"
}

# fs_theirs DEV: blkid for type/uuid/label; dumpe2fs -h for ext2/3/4 sizes; the swap
# header itself (version 1: last_page at byte 1028, page size = where the
# SWAPSPACE2 magic sits + 10) for swap, cross-checked with swaplabel.
fs_theirs() {
	local dev=$1 type h
	type=$(blkid -p -o value -s TYPE "$dev")
	echo "type $type"
	echo "uuid $(blkid -p -o value -s UUID "$dev" || true)"
	h=$(blkid -p -o value -s LABEL "$dev" || true)
	echo "label ${h:--}"
	case $type in
	ext2 | ext3 | ext4)
		dumpe2fs -h "$dev" 2>/dev/null | awk -F':[ \t]*' '
			/^Block count:/ { n = $2 } /^Block size:/ { b = $2 }
			END { print "size_bytes " n * b; print "block_size " b; print "blocks " n }'
		;;
	swap)
		# swaplabel reads the same header fields blkid does: they must agree
		swaplabel "$dev" | awk -v u="$(blkid -p -o value -s UUID "$dev")" -v l="$h" '
			/^UUID:/ { if ($2 != u) print "swaplabel_uuid " $2 }
			/^LABEL:/ { if ($2 != l) print "swaplabel_label " $2 }'
		python3 - "$dev" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read(65536)
page = next(p for p in (4096, 8192, 16384, 65536) if d[p - 10:p] == b'SWAPSPACE2')
version, last_page = struct.unpack('<II', d[1024:1032])
assert version == 1
print("size_bytes", (last_page + 1) * page)
print("block_size", page)
print("blocks", last_page + 1)
PY
		;;
	esac
}
