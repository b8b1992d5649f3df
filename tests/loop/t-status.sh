#!/bin/bash
# status --json against the real tools, field by field, on loop devices: sfdisk -J
# for the tables, cryptsetup luksDump for LUKS1 and LUKS2, pvs/vgs/lvs for a
# fragmented VG, a PV with two metadata areas and a VG on two PVs; the same facts
# from the image file; and bad input of every kind: a clear error, an exit code,
# no crash, no byte changed.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}
lvmj() { "$@" --reportformat json --units b --nosuffix 2>/dev/null; }

# ---- A GPT disk: bios_grub, ESP, LUKS1, LUKS2, a PV holding a fragmented VG.
d=$(new_loop 600M)
printf 'label: gpt\n,1MiB,21686148-6449-6E6F-744E-656564454649\n,32MiB,U\n,64MiB,L\n,64MiB,L\n,,L\n' | q sfdisk "$d"
add_partitions "$d"
printf pw | q cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 --key-size 512 "${d}p3" -
printf pw | q cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "${d}p4" -
vg=$(uniq_name st)
q pvcreate "${d}p5"; q vgcreate "$vg" "${d}p5"
for lv in a b c; do q lvcreate -an -Zn -n $lv -L 24M "$vg"; done
q lvcreate -an -Zn -n gap -L 16M "$vg"; q lvcreate -an -Zn -n d -L 8M "$vg"
q lvremove -f "$vg/b" "$vg/gap"; q lvextend -L +40M "$vg/a"
j=$("$SB" status --json "$d" 2>/dev/null)
sf=$(sfdisk -J "$d")
ours=$(jq -r '[.volume.partition_table.partitions[] | "\(.number) \(.start) \(.size_sectors) \(.type) \(.uuid)"] | join(";")' <<<"$j")
theirs=$(jq -r '[.partitiontable.partitions[] | "\(.node | capture("p(?<n>[0-9]+)$").n) \(.start) \(.size) \(.type) \(.uuid)"] | join(";")' <<<"$sf")
[ -n "$ours" ] && [ "$ours" = "$theirs" ] && ok gpt_partitions_match_sfdisk || bad gpt_partitions_match_sfdisk "ours $ours / sfdisk $theirs"
[ "$(jq -r .volume.partition_table.id <<<"$j")" = "$(jq -r .partitiontable.id <<<"$sf")" ] &&
	[ "$(jq -r .volume.partition_table.label <<<"$j")" = gpt ] && ok gpt_label_and_id || bad gpt_label_and_id "$(jq -c '.volume.partition_table | {label,id}' <<<"$j")"
p=$(jq '.volume.partition_table.partitions[] | select(.number == 3) | .volume.luks' <<<"$j")
dump=$(cryptsetup luksDump "${d}p3")
[ "$(jq -r .version <<<"$p")" = 1 ] &&
	[ "$(jq -r .data_offset_sectors <<<"$p")" = "$(awk '/Payload offset:/ {print $3}' <<<"$dump")" ] &&
	[ "$(jq -r .key_bits <<<"$p")" = "$(awk '/MK bits:/ {print $3}' <<<"$dump")" ] &&
	[ "$(jq -r .uuid <<<"$p")" = "$(awk '/^UUID:/ {print $2}' <<<"$dump")" ] &&
	[ "$(jq -r .cipher <<<"$p")" = "$(awk '/Cipher name:/ {print $3}' <<<"$dump")-$(awk '/Cipher mode:/ {print $3}' <<<"$dump")" ] &&
	ok luks1_matches_luksdump || bad luks1_matches_luksdump "$p"
p=$(jq '.volume.partition_table.partitions[] | select(.number == 4) | .volume.luks' <<<"$j")
js=$(cryptsetup luksDump --dump-json-metadata "${d}p4")
[ "$(jq -r .version <<<"$p")" = 2 ] &&
	[ "$(jq -r .data_offset_bytes <<<"$p")" = "$(jq -r '.segments."0".offset' <<<"$js")" ] &&
	[ "$(jq -r .sector_size <<<"$p")" = "$(jq -r '.segments."0".sector_size' <<<"$js")" ] &&
	[ "$(jq -r .segment_size <<<"$p")" = "$(jq -r '.segments."0".size' <<<"$js")" ] &&
	[ "$(jq -r .cipher <<<"$p")" = "$(jq -r '.segments."0".encryption' <<<"$js")" ] &&
	ok luks2_matches_json_metadata || bad luks2_matches_json_metadata "$p"

# The fragmented VG against pvs/vgs/lvs.
v=$(jq '.volume.partition_table.partitions[] | select(.number == 5) | .volume.lvm_pv' <<<"$j")
vgs=$(lvmj vgs -o vg_name,vg_uuid,vg_seqno,vg_extent_size "$vg")
pvs=$(lvmj pvs -o pv_uuid,pe_start,pv_pe_count,pv_pe_alloc_count "${d}p5")
[ "$(jq -r .vg.seqno <<<"$v")" = "$(jq -r '.report[0].vg[0].vg_seqno' <<<"$vgs")" ] &&
	[ "$(jq -r .vg.uuid <<<"$v")" = "$(jq -r '.report[0].vg[0].vg_uuid' <<<"$vgs")" ] &&
	[ "$(jq -r .vg.extent_size_bytes <<<"$v")" = "$(jq -r '.report[0].vg[0].vg_extent_size' <<<"$vgs")" ] &&
	[ "$(jq -r .uuid <<<"$v")" = "$(jq -r '.report[0].pv[0].pv_uuid' <<<"$pvs")" ] &&
	[ "$(($(jq -r '.vg.pvs[0].pe_start_sectors' <<<"$v") * 512))" = "$(jq -r '.report[0].pv[0].pe_start' <<<"$pvs")" ] &&
	[ "$(jq -r '.vg.pvs[0].pe_count' <<<"$v")" = "$(jq -r '.report[0].pv[0].pv_pe_count' <<<"$pvs")" ] &&
	[ "$(jq -r '.vg.pvs[0].pe_used' <<<"$v")" = "$(jq -r '.report[0].pv[0].pv_pe_alloc_count' <<<"$pvs")" ] &&
	ok vg_and_pv_match_vgs_pvs || bad vg_and_pv_match_vgs_pvs "$(jq -c '{seqno: .vg.seqno, pv: .vg.pvs[0] | del(.segments)}' <<<"$v")"
ours=$(jq -r '[.vg.lvs[] | .name as $n | .segments[] | "\($n) \(.le_start) \(.extents) \(.areas[0].pe_start)-\(.areas[0].pe_end)"] | sort | join(";")' <<<"$v")
theirs=$(lvmj lvs --segments -o lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges "$vg" |
	jq -r '[.report[0].seg[] | "\(.lv_name) \(.seg_start_pe) \(.seg_size_pe) \(.seg_pe_ranges | capture(":(?<r>.*)$").r)"] | sort | join(";")')
[ "$ours" = "$theirs" ] && ok lv_segments_match_lvs || bad lv_segments_match_lvs "ours $ours / lvs $theirs"
ours=$(jq -r '[.vg.pvs[0].segments[] | "\(.pe_start) \(.extents) \(.lv // "")"] | join(";")' <<<"$v")
theirs=$(lvmj pvs --segments -o pvseg_start,pvseg_size,lv_name "${d}p5" |
	jq -r '[.report[0].pvseg[] | "\(.pvseg_start) \(.pvseg_size) \(.lv_name)"] | join(";")')
[ "$ours" = "$theirs" ] && ok pv_map_matches_pvs_segments || bad pv_map_matches_pvs_segments "ours $ours / pvs $theirs"

# The same facts from the image file (LUKS read through a read-only loop device).
img=$(losetup -nO BACK-FILE "$d" | sed 's/ (deleted)//')
ji=$("$SB" status --json "$img" 2>/dev/null)
[ "$(jq -c '[.volume.partition_table.partitions[] | {number, start, size_sectors, luks: .volume.luks.data_offset_sectors, vg: .volume.lvm_pv.vg.seqno}]' <<<"$ji")" = \
	"$(jq -c '[.volume.partition_table.partitions[] | {number, start, size_sectors, luks: .volume.luks.data_offset_sectors, vg: .volume.lvm_pv.vg.seqno}]' <<<"$j")" ] &&
	ok image_file_same_facts || bad image_file_same_facts "$(jq -c '.volume.partition_table.partitions[2].volume' <<<"$ji" | head -c 300)"

# ---- An MBR disk.
m=$(new_loop 64M)
printf 'label: dos\n,16MiB,83\n,,8e\n' | q sfdisk "$m"
add_partitions "$m"
jm=$("$SB" status --json "$m" 2>/dev/null)
ours=$(jq -r '[.volume.partition_table.partitions[] | "\(.number) \(.start) \(.size_sectors) \(.type)"] | join(";")' <<<"$jm")
theirs=$(sfdisk -J "$m" | jq -r '[.partitiontable.partitions[] | "\(.node | capture("p(?<n>[0-9]+)$").n) \(.start) \(.size) \(.type)"] | join(";")')
[ "$ours" = "$theirs" ] && [ "$(jq -r .volume.partition_table.label <<<"$jm")" = dos ] && ok mbr_matches_sfdisk || bad mbr_matches_sfdisk "ours $ours / sfdisk $theirs"

# ---- Two metadata areas; a VG on two PVs.
t=$(new_loop 64M); u=$(new_loop 64M)
v2=$(uniq_name s2)
q pvcreate --pvmetadatacopies 2 "$t"; q pvcreate "$u"; q vgcreate "$v2" "$t" "$u"
q lvcreate -an -Zn -n x -L 80M "$v2"
jt=$("$SB" status --json "$t" 2>/dev/null)
mdas=$(jq -r '[.volume.lvm_pv.mdas[] | "\(.offset_bytes) \(.size_bytes)"] | join(";")' <<<"$jt")
theirs=$(pvck --dump headers "$t" 2>/dev/null | awk '/disk_locn\[[0-9]\] at .*metadata area/ {getline o; getline s; split(o, a, " "); split(s, b, " "); printf "%s%s %s", sep, a[2], b[2]; sep=";"}')
[ "$mdas" = "$theirs" ] && [ "$(jq '.volume.lvm_pv.mdas | length' <<<"$jt")" = 2 ] && ok two_mdas_match_pvck ||
	bad two_mdas_match_pvck "ours $mdas / pvck $theirs"
[ "$(jq -r '[.volume.lvm_pv.vg.pvs[].path] | sort | join(" ")' <<<"$jt")" = "$(printf '%s\n' "$t" "$u" | sort | tr '\n' ' ' | sed 's/ $//')" ] &&
	[ "$(jq -r '[.volume.lvm_pv.vg.lvs[0].segments[].areas[0].pv_path] | join(" ")' <<<"$jt")" = "$(lvmj lvs --segments -o seg_pe_ranges "$v2/x" | jq -r '[.report[0].seg[].seg_pe_ranges | sub(":.*"; "")] | join(" ")')" ] &&
	ok two_pv_vg_both_found || bad two_pv_vg_both_found "$(jq -c '.volume.lvm_pv.vg.pvs | map(.path)' <<<"$jt")"

# ---- Bad input: one clear line naming the device and the reason, an exit code, no crash.
bi() {	# bi NAME WANT_RC PATTERN ARGS...
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$SB" "$@" 2>&1 >/dev/null); rc=$?
	if [ $rc = "$want" ] && grep -qE -- "$pat" <<<"$out" && ! grep -qE "Sanitizer|Segmentation|core dumped" <<<"$out"; then
		ok "bad_input_$name"
	else
		bad "bad_input_$name" "rc $rc: $out"
	fi
}
bi nonexistent 1 "/nonexistent.*No such file" status /nonexistent
z=$TMPD/zero.img; truncate -s 8M "$z"
bi nothing_there 1 "zero.img: no partition table, LUKS header, LVM label" status "$z"
k=$TMPD/pv.img
dd if="$u" of="$k" bs=1M count=8 status=none	# a one-mda PV: label and mda in the first MiB
pv_off=$((1048576))
cp "$k" "$TMPD/trunc.img"; truncate -s 600K "$TMPD/trunc.img"
bi truncated 1 "trunc.img.*(truncated|past the end|beyond the device)" status "$TMPD/trunc.img"
cp "$k" "$TMPD/crc.img"; printf '\x55' | dd of="$TMPD/crc.img" bs=1 seek=600 conv=notrunc status=none
bi label_bad_crc 1 "crc.img.*checksum" status "$TMPD/crc.img"
cp "$k" "$TMPD/mda.img"; printf '\x55' | dd of="$TMPD/mda.img" bs=1 seek=$((4096 + 200)) conv=notrunc status=none
bi mda_bad_checksum 1 "mda.img.*header checksum" status "$TMPD/mda.img"
cp "$k" "$TMPD/mdasize.img"
python3 - "$TMPD/mdasize.img" <<'PY'
import struct, sys, zlib
f = open(sys.argv[1], 'r+b'); f.seek(4096); h = bytearray(f.read(512))
h[32:40] = struct.pack('<Q', 4486007441326080)
crc = (~zlib.crc32(bytes(h[4:]), (~0xf597a6cf) & 0xffffffff)) & 0xffffffff
h[0:4] = struct.pack('<I', crc); f.seek(4096); f.write(h)
PY
bi mda_size_disagrees 1 "mdasize.img.*disagrees with the label" status "$TMPD/mdasize.img"
cp "$k" "$TMPD/text.img"
python3 - "$TMPD/text.img" <<'PY'
import struct, sys, zlib
lvm = lambda b, init=0xf597a6cf: (~zlib.crc32(b, (~init) & 0xffffffff)) & 0xffffffff
f = open(sys.argv[1], 'r+b'); f.seek(4096); h = bytearray(f.read(512))
off, size = struct.unpack('<QQ', h[40:56])
f.seek(4096 + off); t = bytearray(f.read(size))
t[t.index(b'seqno')] = ord('{')		# a text only the parser can object to
f.seek(4096 + off); f.write(t)
h[56:60] = struct.pack('<I', lvm(bytes(t))); h[0:4] = struct.pack('<I', lvm(bytes(h[4:])))
f.seek(4096); f.write(h)
PY
bi metadata_text_unparsable 1 "text.img.*metadata text line" status "$TMPD/text.img"
g=$TMPD/luksbad.img; truncate -s 32M "$g"
printf pw | q cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$g" -
dd if=/dev/urandom of="$g" bs=1 seek=8 count=4000 conv=notrunc status=none
dd if=/dev/urandom of="$g" bs=1 seek=$((16384 + 8)) count=4000 conv=notrunc status=none
bi luks_garbage 1 "luksbad.img.*LUKS header is damaged" status "$g"
bi unknown_applet 2 "unknown applet \"frobnicate\"" frobnicate
bi unknown_option 2 "--frob: unknown option" status --frob "$z"

# ---- status never writes.
before=$(for x in "$d" "$m" "$t" "$u"; do sha256sum <"$x"; done)
q "$SB" status "$d"; q "$SB" status --json "$t"; q "$SB" status "$img"
[ "$(for x in "$d" "$m" "$t" "$u"; do sha256sum <"$x"; done)" = "$before" ] && ok status_changes_no_byte || bad status_changes_no_byte "a device changed"

finish
