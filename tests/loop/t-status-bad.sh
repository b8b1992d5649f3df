#!/bin/bash
# Bad input for status: each must give exactly one line on stderr naming the
# device (or the applet / option) and the reason, exit 1 (2 for usage), no
# crash, and leave the input byte-identical. Each damaged image is first shown
# to be damaged in exactly the intended way by the real tools (pvck --dump
# headers, cryptsetup), so the case tests our reader and not our corruption.
# Every input is also run through an AddressSanitizer/UBSan build.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh
. tests/lib/loop-env.sh
. tests/lib/asan.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}
KDF=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
ASAN=$(asan_shrinkbox) || ASAN=""
[ -n "$ASAN" ] || skip asan_build "no C compiler or -dev packages: bad input runs without sanitizers"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

# damage FILE PYTHON-MODE MDA_OFFSET: patch the first mda header with a correct
# LVM checksum (reflected CRC-32, poly 0xEDB88320, init 0xf597a6cf, no final xor,
# over bytes 4..511), so only the field we changed is wrong.
damage() {
	python3 - "$@" <<'PY'
import struct, sys

def lvm_crc(data, crc=0xf597a6cf):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc

path, mode, mda = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, 'r+b') as f:
    f.seek(mda)
    h = bytearray(f.read(512))
    if mode == 'mda-size':          # 512 bytes less than the label says
        size, = struct.unpack_from('<Q', h, 32)
        struct.pack_into('<Q', h, 32, size - 512)
    elif mode == 'text':            # "seqno = N" -> "seqno ? N", text checksum fixed
        off, size = struct.unpack_from('<QQ', h, 40)
        f.seek(mda + off)
        t = bytearray(f.read(size))
        t[t.index(b'seqno = ') + 6] = ord('?')
        f.seek(mda + off)
        f.write(t)
        struct.pack_into('<I', h, 56, lvm_crc(bytes(t)))
    struct.pack_into('<I', h, 0, lvm_crc(bytes(h[4:])))
    f.seek(mda)
    f.write(h)
PY
}
# pvck_says FILE: the CHECK lines of pvck --dump headers (its verdict on the damage).
pvck_says() { pvck --dump headers "$1" 2>&1 | grep -E 'CHECK:' | sed 's/^ *//'; }
# pvck_verdict FILE RE: pvck finds exactly one problem in FILE, and it matches RE.
pvck_verdict() {
	local v
	v=$(pvck_says "$1")
	holds pvck_verdict "the damage is not what pvck finds: ${v:-nothing}" \
		test "$(grep -c . <<<"$v")" = 1 -a -n "$(grep -E -- "$2" <<<"$v")"
}
flip() { printf '\x55' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
garbage() { head -c "$3" /dev/zero | tr '\0' '\245' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# bi WANT_RC REASON_RE NAMED ARGS...: run shrinkbox ARGS on bad input and end the
# case begun before. NAMED is what the line must name (device, applet or option).
bi() {
	local want=$1 re=$2 named=$3 out rc f before="" after="" aout arc
	shift 3
	for f in "$@"; do [ -f "$f" ] || [ -b "$f" ] && before+=$(sums "$f"); done
	out=$("$SB" "$@" 2>&1 >/dev/null); rc=$?
	same exit_code "$rc" "$want"
	same stderr_lines "$(grep -c . <<<"$out")" 1
	holds names_it "stderr does not name '$named': $out" grep -qF -- "$named" <(printf '%s' "$out")
	holds says_why "stderr does not match /$re/: $out" grep -qiE -- "$re" <(printf '%s' "$out")
	holds no_crash "crash text or signal exit ($rc): $out" test "$rc" -lt 128 -a -z "$(grep -E 'Sanitizer|runtime error|Segmentation|core dumped' <<<"$out")"
	if [ -n "$ASAN" ]; then
		aout=$("$ASAN" "$@" 2>&1 >/dev/null); arc=$?
		holds asan_clean "ASan/UBSan build: rc $arc: $(grep -E -m3 'ERROR|runtime error|SUMMARY' <<<"$aout" | tr '\n' ' ')" \
			test "$arc" = "$rc" -a -z "$(grep -E 'Sanitizer|runtime error' <<<"$aout")"
	fi
	for f in "$@"; do [ -f "$f" ] || [ -b "$f" ] && after+=$(sums "$f"); done
	[ -z "$before" ] || same input_unchanged "$after" "$before"
	end_case
}

# A healthy one-mda PV with a VG, copied into an image file; the damaged copies come from it.
u=$(new_loop 16M)
vg=$(uniq_name bad)
q pvcreate "$u"; q vgcreate "$vg" "$u"; q lvcreate -an -Zn -n x -L 4M "$vg"
pv=$TMPD/pv.img
cat "$u" >"$pv"
read -r mda_off mda_size < <(pvck --dump headers "$pv" 2>/dev/null | awk '
	/# location of metadata area/ { m = 1; next }
	m && /disk_locn\[[0-9]+\].offset/ { o = $2 } m && /disk_locn\[[0-9]+\].size/ { print o, $2; exit }')
read -r text_at text_size < <(pvck --dump headers "$pv" 2>/dev/null | awk '
	/raw_locn\[0\].offset/ { o = $2 } /raw_locn\[0\].size/ { print o, $2; exit }')
text_at=$((mda_off + text_at))
begin setup_healthy_pv_image
holds pvck_clean "pvck --dump headers finds: $(pvck_says "$pv")" test -z "$(pvck_says "$pv")"
holds mda_found "pvck gave no metadata area location" test -n "$mda_off" -a -n "$text_size"
same_opt status_rc "$("$SB" status "$pv" >/dev/null 2>&1; echo $?)" 0
end_case

begin bad_input_nonexistent_path
bi 1 "No such file" /nonexistent/disk.img status /nonexistent/disk.img

z=$TMPD/zero.img
truncate -s 8M "$z"
begin bad_input_zeroed_image
bi 1 "no partition table, LUKS header, LVM label" "$z" status "$z"
zl=$(new_loop 8M)
begin bad_input_zeroed_loop_device
bi 1 "no partition table, LUKS header, LVM label" "$zl" status "$zl"
e=$TMPD/empty.img
: >"$e"
begin bad_input_empty_file
bi 1 "no partition table|empty|too small" "$e" status "$e"
begin bad_input_directory
bi 1 "not a block device|image file|directory" "$TMPD" status "$TMPD"

# Cut short after the label and the mda header: the metadata area runs past the end.
tr1=$TMPD/trunc-mda.img
cp "$pv" "$tr1"
truncate -s 600K "$tr1"
begin bad_input_truncated_in_metadata_area
holds setup_mda_runs_past_end "mda $mda_off+$mda_size ends inside 600K" test $((mda_off + mda_size)) -gt $((600 * 1024))
bi 1 "beyond|past the end|truncat|only [0-9]+ bytes|short" "$tr1" status "$tr1"
# Cut inside the metadata text itself.
tr2=$TMPD/trunc-text.img
cp "$pv" "$tr2"
truncate -s $((text_at + text_size / 2)) "$tr2"
begin bad_input_truncated_in_metadata_text
bi 1 "beyond|past the end|truncat|only [0-9]+ bytes|short" "$tr2" status "$tr2"
# Extents past the end (the label and all metadata are intact).
tr3=$TMPD/trunc-extents.img
cp "$pv" "$tr3"
truncate -s 4M "$tr3"
begin bad_input_truncated_in_extents
bi 1 "beyond|past the end|truncat|only [0-9]+ bytes|short" "$tr3" status "$tr3"

# A flipped byte in the label sector's unused tail: only its CRC is wrong.
c=$TMPD/label-crc.img
cp "$pv" "$c"
flip "$c" $((512 + 400))
begin bad_input_label_bad_crc
pvck_verdict "$c" "^CHECK: label_header.crc expected"
bi 1 "label.*(checksum|crc)|(checksum|crc).*label" "$c" status "$c"

# A flipped byte inside the mda header (its unused tail).
m=$TMPD/mda-crc.img
cp "$pv" "$m"
flip "$m" $((mda_off + 200))
begin bad_input_mda_header_bad_checksum
pvck_verdict "$m" "^CHECK: mda_header_1.checksum expected"
bi 1 "(metadata area|mda).*checksum|checksum.*(metadata area|mda)" "$m" status "$m"

# mda_header.size 512 bytes smaller than the label's, with a correct header checksum.
s=$TMPD/mda-size.img
cp "$pv" "$s"
damage "$s" mda-size "$mda_off"
begin bad_input_mda_size_disagrees_with_label
pvck_verdict "$s" "^CHECK: mda_header_1.size does not match"
bi 1 "size.*(disagree|does not match|differs|label)" "$s" status "$s"

# One byte of metadata text changed, text and header checksums both correct.
t=$TMPD/text.img
cp "$pv" "$t"
damage "$t" text "$mda_off"
begin bad_input_metadata_text_unparsable
pvck_verdict "$t" "^CHECK: failed to parse metadata text"
bi 1 "metadata text|parse|syntax|expected" "$t" status "$t"

# LUKS headers with garbage after the magic: LUKS1 (cipher, offsets, uuid) and
# LUKS2 (both binary headers: version, sizes, checksum).
l1=$TMPD/luks1-garbage.img
truncate -s 8M "$l1"
printf pw | q cryptsetup luksFormat -q --type luks1 "${KDF[@]}" "$l1" -
garbage "$l1" 8 200
begin bad_input_luks1_header_garbage
holds setup_cryptsetup_refuses "cryptsetup still reads the damaged LUKS1 header" fails cryptsetup luksDump "$l1"
bi 1 "LUKS" "$l1" status "$l1"
l2=$TMPD/luks2-garbage.img
truncate -s 24M "$l2"
printf pw | q cryptsetup luksFormat -q --type luks2 "${KDF[@]}" "$l2" -
garbage "$l2" 6 4000
garbage "$l2" $((16384 + 6)) 4000
begin bad_input_luks2_header_garbage
holds setup_cryptsetup_refuses "cryptsetup still reads the damaged LUKS2 header" fails cryptsetup luksDump "$l2"
bi 1 "LUKS" "$l2" status "$l2"

# Usage errors: exit 2.
begin bad_input_unknown_applet
bi 2 "unknown applet" frobnicate frobnicate "$pv"
begin bad_input_unknown_option
bi 2 "unknown option" --frob status --frob "$pv"
begin bad_input_missing_device
bi 2 "missing argument|usage|DEVICE" status status
begin bad_input_extra_argument
bi 2 "unexpected argument|usage" "$z" status "$pv" "$z"

finish
