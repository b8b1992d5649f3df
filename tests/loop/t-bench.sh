#!/bin/bash
# bench on the host: cipher and PBKDF figures (ciphers are N/A where the kernel
# has no AF_ALG, as here), sequential reads of a loop device and of an image
# file with a positive rate and not a byte changed (and, under strace, no open
# for writing); --write refused without --yes, on a mounted disk or partition,
# on a device another process holds with O_EXCL and on an image attached to a
# loop device, each leaving every byte as it was; --write --yes overwrites
# exactly the bytes it names; bad sizes and paths. The dm-crypt side (clear vs
# encrypted) needs device-mapper: tests/vm/scenarios/bench.scn.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh
. tests/lib/loop-env.sh
. tests/lib/asan.sh
T=$TMPD/mnt
cleanup() {
	umount "$T" 2>/dev/null
	[ -n "${holder:-}" ] && kill "$holder" 2>/dev/null
	cleanup_loops
}
trap cleanup EXIT

SB=${SHRINKBOX:-./shrinkbox}
# rate TEXT LABEL: the MiB/s figure of the row LABEL ("read", "write", ...).
rate() { awk -v l="$2" '$1 == l { for (i = 1; i < NF; i++) if ($(i + 1) == "MiB/s") { print $i; exit } }' <<<"$1"; }
positive() { awk -v x="$1" 'BEGIN { exit !(x + 0 > 0) }'; }
# fill DEV: deterministic non-zero bytes over all of DEV, so a changed byte shows.
fill() { head -c "$(blockdev --getsize64 "$1" 2>/dev/null || stat -c %s "$1")" /dev/urandom >"$1"; }
# tail_sum DEV BYTES: the checksum of DEV after its first BYTES.
tail_sum() { tail -c +$(($2 + 1)) "$1" | sha256sum; }

# ---- bench cipher: PBKDF2 always (user space), ciphers measured or N/A, exit 0.
out=$("$SB" bench cipher --iter-time 200 2>"$TMPD/err"); rc=$?
begin cipher_text
same exit_code "$rc" 0
holds aes_xts_line "no plausible aes-xts 256b line: $(grep aes-xts <<<"$out" | head -n 1)" \
	grep -qE '^ +aes-xts +256b +(N/A +N/A|[0-9]+\.[0-9] MiB/s +[0-9]+\.[0-9] MiB/s)$' <(printf '%s\n' "$out")
x=$(awk '/^ +aes-xts +512b/ && $3 != "N/A" { print $3 }' <<<"$out")
[ -z "$x" ] || holds aes_xts_positive "aes-xts 512b rate $x" positive "$x"
holds pbkdf2_sha256 "no positive PBKDF2-sha256 line: $out" \
	positive "$(awk '$1 == "PBKDF2-sha256" { print $2 }' <<<"$out")"
holds argon2id "no argon2id line with the asked time: $out" \
	grep -qE '^argon2id +[0-9]+ iterations, [0-9]+ memory, [0-9]+ parallel threads .*requested 200 ms time' <(printf '%s\n' "$out")
grep -q 'N/A' <<<"$out" && holds na_is_said "N/A rows without a word on stderr" test -s "$TMPD/err"
end_case

json=$("$SB" bench cipher --iter-time 200 --json 2>/dev/null); rc=$?
begin cipher_json
same exit_code "$rc" 0
holds parses "jq cannot parse it" jq -e . <<<"$json"
same n_ciphers "$(jq '.ciphers | length' <<<"$json")" 8
same n_pbkdf "$(jq '.pbkdf | length' <<<"$json")" 5
same aes_xts_512 "$(jq '[.ciphers[] | select(.name == "aes-xts" and .key_bits == 512) |
	if .available then .encryption_mib_s > 0 and .decryption_mib_s > 0 else .encryption_mib_s == null end] | .[0]' <<<"$json")" true
same sha256_positive "$(jq '.pbkdf[] | select(.hash == "sha256") | .iterations_per_second > 0' <<<"$json")" true
same argon2id_memory "$(jq '.pbkdf[] | select(.type == "argon2id") | .memory_kb > 0 and .parallel_threads > 0' <<<"$json")" true
same af_alg_agrees "$(jq '.kernel_crypto_api == ([.ciphers[] | select(.error == "Operation not supported")] | length == 0)' <<<"$json")" true
end_case

out=$("$SB" bench cipher /dev/null 2>&1); rc=$?
[ $rc = 2 ] && ok cipher_takes_no_device || bad cipher_takes_no_device "rc $rc: $out"

# ---- bench device, read-only: a loop device and an image file.
d=$(new_loop 48M)
fill "$d"
before=$(sums "$d")
out=$("$SB" bench device "$d" 2>&1); rc=$?
begin loop_device_read
same exit_code "$rc" 0
holds whole_device "not the whole 48 MiB (smaller than the default 256 MiB): $out" \
	grep -q "read of 50331648 B (48.00 MiB), 4 MiB chunks, O_DIRECT" <(printf '%s\n' "$out")
holds positive_rate "no positive read rate: $out" positive "$(rate "$out" read)"
same checksum "$(sums "$d")" "$before"
end_case

out=$("$SB" bench device "$d" --size 16MiB 2>&1); rc=$?
[ $rc = 0 ] && grep -q "read of 16777216 B (16.00 MiB)" <<<"$out" && positive "$(rate "$out" read)" &&
	ok loop_device_size || bad loop_device_size "rc $rc: $out"

json=$("$SB" bench device "$d" --size 8MiB --json 2>/dev/null); rc=$?
begin loop_device_json
same exit_code "$rc" 0
same bytes "$(jq .size_bytes <<<"$json")" 8388608
same clear_path "$(jq -r .clear.path <<<"$json")" "$d"
same rate_positive "$(jq '.clear.read_mib_s > 0 and .clear.read_seconds > 0' <<<"$json")" true
same direct "$(jq .clear.direct <<<"$json")" true
same no_mapping "$(jq '.encrypted == null and .overhead_ratio == null and .write == null' <<<"$json")" true
end_case

if command -v strace >/dev/null; then
	strace -f -e trace=open,openat -o "$TMPD/strace" "$SB" bench device "$d" --size 8MiB >/dev/null 2>&1
	w=$(grep -F "\"$d\"" "$TMPD/strace" | grep -E 'O_(RDWR|WRONLY)')
	[ -s "$TMPD/strace" ] && [ -z "$w" ] && grep -qF "\"$d\"" "$TMPD/strace" && ok read_only_open ||
		bad read_only_open "opened for writing: ${w:-no open of $d seen}"
else
	skip read_only_open "no strace"
fi

img=$TMPD/bench.img
truncate -s 40M "$img"
fill "$img"
isum=$(sums "$img")
out=$("$SB" bench device "$img" 2>&1); rc=$?
[ $rc = 0 ] && grep -q "read of 41943040 B" <<<"$out" && positive "$(rate "$out" read)" &&
	[ "$(sums "$img")" = "$isum" ] && ok image_file_read || bad image_file_read "rc $rc: $out"

# ---- --write: refused unless consented and unused; nothing changes when refused.
out=$("$SB" bench device "$d" --write --size 8MiB </dev/null 2>&1); rc=$?
[ $rc = 3 ] && grep -q "add --yes" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok write_needs_yes || bad write_needs_yes "rc $rc: $out"
out=$("$SB" bench device "$d" --write --size 8MiB --dry-run </dev/null 2>&1); rc=$?
[ $rc = 0 ] && grep -q "nothing is written" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok write_dry_run || bad write_dry_run "rc $rc: $out"
# -q: the informational lines on stderr go (errors and warnings would stay); the figures stay.
err=$("$SB" bench device "$d" --write --size 8MiB --dry-run -q </dev/null 2>&1 >"$TMPD/q.out"); rc=$?
[ $rc = 0 ] && ! grep -q "nothing is written" <<<"$err" && grep -q "MiB/s" "$TMPD/q.out" &&
	[ "$(sums "$d")" = "$before" ] && ok quiet_drops_info_lines ||
	bad quiet_drops_info_lines "rc $rc: stderr $err stdout $(cat "$TMPD/q.out")"
out=$("$SB" bench device "$d" --yes 2>&1); rc=$?
[ $rc = 2 ] && [ "$(sums "$d")" = "$before" ] && ok yes_without_write || bad yes_without_write "rc $rc: $out"

# Another process holds it with O_EXCL (as mkfs or a dm table would): the kernel says busy.
python3 -c 'import os, sys, time; os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL); print("held", flush=True); time.sleep(60)' "$d" >"$TMPD/held" &
holder=$!
for _ in $(seq 50); do [ -s "$TMPD/held" ] && break; sleep 0.1; done
out=$("$SB" bench device "$d" --write --yes --size 8MiB 2>&1); rc=$?
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; holder=
[ $rc = 3 ] && grep -q "is in use" <<<"$out" && [ "$(sums "$d")" = "$before" ] &&
	ok write_refused_o_excl_busy || bad write_refused_o_excl_busy "rc $rc: $out"

# The image file is attached to a loop device: refused, the file untouched.
a=$(losetup -f --show -r "$img") && echo "$a" >>"$TMPD/loops"
out=$("$SB" bench device "$img" --write --yes --size 8MiB 2>&1); rc=$?
[ $rc = 3 ] && grep -q "attached to $a" <<<"$out" && [ "$(sums "$img")" = "$isum" ] &&
	ok write_refused_image_attached || bad write_refused_image_attached "rc $rc: $out"
losetup -d "$a"

# Mounted, and a partition of the disk mounted: refused; the filesystem stays clean.
m=$(new_loop 64M)
printf 'label: gpt\n,24MiB,L\n,,L\n' | sfdisk -q "$m" >/dev/null 2>&1
add_partitions "$m"
mkfs.ext4 -q "${m}p1" && mkdir -p "$T" && mount "${m}p1" "$T"
out=$("$SB" bench device "${m}p1" --write --yes --size 8MiB 2>&1); rc=$?
[ $rc = 3 ] && grep -q "${m}p1 is mounted" <<<"$out" && ok write_refused_mounted ||
	bad write_refused_mounted "rc $rc: $out"
p2=$(sums "${m}p2")
out=$("$SB" bench device "$m" --write --yes --size 8MiB 2>&1); rc=$?
[ $rc = 3 ] && grep -q "partition of $m" <<<"$out" && ok write_refused_partition_mounted ||
	bad write_refused_partition_mounted "rc $rc: $out"
out=$("$SB" bench device "${m}p1" --size 8MiB 2>&1); rc=$?
[ $rc = 0 ] && positive "$(rate "$out" read)" && ok read_while_mounted || bad read_while_mounted "rc $rc: $out"
umount "$T"
q e2fsck -fn "${m}p1" && [ "$(sums "${m}p2")" = "$p2" ] && ok refused_writes_left_fs_clean ||
	bad refused_writes_left_fs_clean "e2fsck -fn or p2's checksum"

# --write --yes on an unused device: exactly the first --size bytes change.
t0=$(tail_sum "$d" $((8 << 20)))
h0=$(head -c $((8 << 20)) "$d" | sha256sum)
out=$("$SB" bench device "$d" --write --yes --size 8MiB 2>&1); rc=$?
begin write_yes
same exit_code "$rc" 0
holds write_rate "no positive write rate: $out" positive "$(rate "$out" write)"
holds read_rate "no positive read rate: $out" positive "$(rate "$out" read)"
holds head_changed "the first 8 MiB are unchanged" test "$(head -c $((8 << 20)) "$d" | sha256sum)" != "$h0"
same rest_unchanged "$(tail_sum "$d" $((8 << 20)))" "$t0"
end_case
json=$("$SB" bench device "$img" --write --yes --size 4MiB --json 2>/dev/null); rc=$?
[ $rc = 0 ] && [ "$(jq '.write.write_mib_s > 0 and .write.size_bytes == 4194304' <<<"$json")" = true ] &&
	[ "$(stat -c %s "$img")" = 41943040 ] && ok write_image_json || bad write_image_json "rc $rc: $json"

# ---- bad input.
for s in 64M abc 0B 1000B -5MiB; do
	out=$("$SB" bench device "$d" --size "$s" 2>&1); rc=$?
	[ $rc = 2 ] && grep -q -- "--size" <<<"$out" && ok "bad_size_$s" || bad "bad_size_$s" "rc $rc: $out"
done
out=$("$SB" bench device /nonexistent/disk 2>&1); rc=$?
[ $rc = 1 ] && [ "$(grep -c . <<<"$out")" = 1 ] && grep -q "/nonexistent/disk: No such file or directory" <<<"$out" &&
	ok nonexistent_path || bad nonexistent_path "rc $rc: $out"
out=$("$SB" bench device /dev/null 2>&1); rc=$?
[ $rc = 1 ] && grep -q "neither a block device nor an image file" <<<"$out" && ok not_a_device ||
	bad not_a_device "rc $rc: $out"
out=$("$SB" bench disk "$d" 2>&1); rc=$?
[ $rc = 2 ] && grep -q 'unknown benchmark "disk"' <<<"$out" && ok unknown_benchmark || bad unknown_benchmark "rc $rc: $out"

# ---- the same paths under AddressSanitizer and UBSan.
ASAN=$(asan_shrinkbox) || ASAN=""
if [ -n "$ASAN" ]; then
	rep=""
	for args in "bench device $d --size 8MiB" "bench device $img --size 8MiB --json" \
		"bench device /nonexistent/disk" "bench device $d --size 64M" \
		"bench device $d --write --size 4MiB" "bench cipher --iter-time 100 --json"; do
		# shellcheck disable=SC2086
		aout=$(ASAN_OPTIONS=detect_leaks=1 "$ASAN" $args 2>&1 </dev/null)
		grep -qE 'Sanitizer|runtime error' <<<"$aout" && rep+="$args: $(grep -E -m2 'ERROR|runtime error' <<<"$aout" | tr '\n' ' '); "
	done
	[ -z "$rep" ] && ok sanitizers_quiet || bad sanitizers_quiet "$rep"
else
	skip sanitizers_quiet "no C compiler or -dev packages for the sanitizer build"
fi

finish
