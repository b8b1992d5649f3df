# shellcheck shell=bash
# LV contents on a host without device-mapper (sourced): read and written
# straight on the PVs through lvm2's own segment map, 4 MiB extents (EXT).
EXT=$((4 * 1048576))

pe_start() { pvs --noheadings --units b --nosuffix -o pe_start "$1" 2>/dev/null | tr -d ' '; }

# Segments of an LV as lvm2 sees them: "LE_START EXTENTS DEVICE PE_START" lines.
lv_segs() {
	lvs --noheadings --segments -o seg_start_pe,seg_size_pe,seg_pe_ranges "$1/$2" 2>/dev/null |
		awk '{split($3, p, ":"); split(p[2], r, "-"); print $1, $2, p[1], r[1]}' | sort -n
}
# fill VG LV: each extent gets its own deterministic text, by LE.
fill() {
	local le n dev pe k start
	while read -r le n dev pe; do
		start=$(pe_start "$dev")
		for ((k = 0; k < n; k++)); do
			yes "$2 extent $((le + k))" | head -c $EXT |
				dd of="$dev" bs=1M seek=$((start + (pe + k) * EXT)) oflag=seek_bytes \
					conv=notrunc status=none
		done
	done < <(lv_segs "$1" "$2")
}
# lv_dump VG LV: the LV's contents in LE order on stdout, through lvm2's map.
lv_dump() {
	local le n dev pe start
	while read -r le n dev pe; do
		start=$(pe_start "$dev")
		dd if="$dev" bs=1M skip=$((start + pe * EXT)) count=$((n * EXT)) iflag=skip_bytes,count_bytes \
			status=none
	done < <(lv_segs "$1" "$2")
}
# lv_sum VG LV: sha256 of the LV's contents in LE order.
lv_sum() { lv_dump "$1" "$2" | sha256sum | cut -c1-16; }
