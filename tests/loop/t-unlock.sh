#!/bin/bash
# unlock on the host: the key checks work without device-mapper (--test-passphrase);
# opening needs dm and is proven in the VM suite. The passphrase never reaches argv.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
SB=${SHRINKBOX:-./shrinkbox}
T=$(mktemp -d /tmp/sbunlock.XXXXXX)
trap 'rm -rf "$T"' EXIT

for v in luks1 luks2; do
	img=$T/$v.img
	truncate -s 32M "$img"
	printf 'correct horse' | cryptsetup luksFormat -q --type $v --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$img" - || { bad "${v}_format" "cryptsetup failed"; continue; }
	out=$(printf 'correct horse\n' | "$SB" unlock "$img" --test-passphrase 2>&1); rc=$?
	[ $rc = 0 ] && grep -q "key slot 0" <<<"$out" && ok "${v}_right_passphrase_stdin" ||
		bad "${v}_right_passphrase_stdin" "rc $rc: $out"
	out=$(printf 'wrong horse\n' | "$SB" unlock "$img" --test-passphrase 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "no key slot opens with this passphrase" <<<"$out" &&
		ok "${v}_wrong_passphrase" || bad "${v}_wrong_passphrase" "rc $rc: $out"
	printf 'XXcorrect horseYY' >"$T/kf"
	out=$("$SB" unlock "$img" --test-passphrase --key-file "$T/kf" --keyfile-offset 2 \
		--keyfile-size 13 2>&1); rc=$?
	[ $rc = 0 ] && ok "${v}_key_file_offset_size" || bad "${v}_key_file_offset_size" "rc $rc: $out"
	out=$("$SB" unlock "$img" --test-passphrase --key-file "$T/kf" 2>&1); rc=$?
	[ $rc = 1 ] && ok "${v}_wrong_key_file" || bad "${v}_wrong_key_file" "rc $rc: $out"
done
out=$("$SB" unlock "$T/kf" --test-passphrase </dev/null 2>&1); rc=$?
[ $rc = 1 ] && grep -q "not a LUKS device" <<<"$out" && ok not_luks || bad not_luks "rc $rc: $out"
out=$("$SB" unlock --keyfile-size 3 "$T/luks2.img" </dev/null 2>&1); rc=$?
[ $rc = 2 ] && ok keyfile_size_needs_key_file || bad keyfile_size_needs_key_file "rc $rc: $out"
# While unlock waits for its passphrase its argv holds no secret; afterwards it
# says the key worked (so the pipe, not argv, carried it).
mkfifo "$T/pipe"
"$SB" unlock "$T/luks2.img" --test-passphrase <"$T/pipe" >"$T/out" 2>&1 &
pid=$!
exec 7>"$T/pipe"
sleep 0.3
cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
printf 'correct horse\n' >&7
exec 7>&-
wait $pid; rc=$?
if [ $rc = 0 ] && [ -n "$cmdline" ] && ! grep -q "horse" <<<"$cmdline"; then
	ok passphrase_not_in_argv
else
	bad passphrase_not_in_argv "rc $rc cmdline '$cmdline'"
fi
finish
