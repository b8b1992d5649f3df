#!/bin/bash
# unlock on the host: the key checks work without device-mapper (--test-passphrase);
# opening needs dm and is proven in the VM suite. The passphrase never reaches argv.
# Each binary (the one under test, and the static build when it exists) is
# checked: where it cannot decrypt a key slot on this kernel (the static build's
# libcryptsetup decrypts key slots through AF_ALG; Debian's has a userspace
# cipher) a right key and a wrong key both get exit 1 and a message naming the
# missing kernel module, never "no key slot opens" and never exit 3.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
SB=${SHRINKBOX:-./shrinkbox}
STATIC=${SHRINKBOX_STATIC:-build/static/shrinkbox}
T=$(mktemp -d /tmp/sbunlock.XXXXXX)
trap 'rm -rf "$T"' EXIT

# The AF_ALG skcipher the nettle backend needs: socket + bind {"skcipher", "xts(aes)"}.
afalg() {
	perl -MSocket -e 'socket(my $s, 38, SOCK_SEQPACKET, 0) or exit 1;
		bind($s, pack("S a14 L L a64", 38, "skcipher", 0, 0, "xts(aes)")) or exit 2'
}
# Can BIN try a key here? Yes with AF_ALG, or when it links the system libcryptsetup.
can_try() { afalg || readelf -d "$1" 2>/dev/null | grep -q NEEDED; }
dm_works() { dmsetup version >/dev/null 2>&1; }

for v in luks1 luks2; do
	img=$T/$v.img
	truncate -s 32M "$img"
	printf 'correct horse' | cryptsetup luksFormat -q --type $v --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$img" - || bad "${v}_format" "cryptsetup failed"
done
printf 'XXcorrect horseYY' >"$T/kf"

# nokernel TAG OUT RC V: the "cannot try the key here" answer.
nokernel() {
	local why=""
	[ "$3" = 1 ] || why="exit $3, not 1; "
	grep -q "the key cannot be tried" <<<"$2" || why+="no 'cannot be tried'; "
	grep -q "algif_skcipher" <<<"$2" || why+="algif_skcipher not named; "
	grep -q "no key slot opens" <<<"$2" && why+="says no key slot opens; "
	command -v modprobe >/dev/null && ! grep -q "modprobe algif_skcipher" <<<"$2" &&
		why+="modprobe not tried; "
	[ "$4" = luks1 ] && ! dm_works && ! grep -q "dm_mod" <<<"$2" && why+="dm_mod not named; "
	[ -z "$why" ] && ok "$1" || bad "$1" "$why: $2"
}

matrix() {
	local sb=$1 tag=$2 out rc img
	for v in luks1 luks2; do
		img=$T/$v.img
		if can_try "$sb"; then
			out=$(printf 'correct horse\n' | "$sb" unlock "$img" --test-passphrase 2>&1); rc=$?
			[ $rc = 0 ] && grep -q "key slot 0" <<<"$out" && ok "${tag}${v}_right_passphrase_stdin" ||
				bad "${tag}${v}_right_passphrase_stdin" "rc $rc: $out"
			out=$(printf 'wrong horse\n' | "$sb" unlock "$img" --test-passphrase 2>&1); rc=$?
			[ $rc = 1 ] && grep -q "no key slot opens with this passphrase" <<<"$out" &&
				ok "${tag}${v}_wrong_passphrase" || bad "${tag}${v}_wrong_passphrase" "rc $rc: $out"
			out=$("$sb" unlock "$img" --test-passphrase --key-file "$T/kf" --keyfile-offset 2 \
				--keyfile-size 13 2>&1); rc=$?
			[ $rc = 0 ] && ok "${tag}${v}_key_file_offset_size" ||
				bad "${tag}${v}_key_file_offset_size" "rc $rc: $out"
			out=$("$sb" unlock "$img" --test-passphrase --key-file "$T/kf" 2>&1); rc=$?
			[ $rc = 1 ] && grep -q "no key slot opens with this key file" <<<"$out" &&
				ok "${tag}${v}_wrong_key_file" || bad "${tag}${v}_wrong_key_file" "rc $rc: $out"
		else
			out=$(printf 'correct horse\n' | "$sb" unlock "$img" --test-passphrase 2>&1); rc=$?
			nokernel "${tag}${v}_right_passphrase_names_module" "$out" $rc $v
			out=$(printf 'wrong horse\n' | "$sb" unlock "$img" --test-passphrase 2>&1); rc=$?
			nokernel "${tag}${v}_wrong_passphrase_names_module" "$out" $rc $v
			out=$("$sb" unlock "$img" --key-file "$T/kf" --keyfile-offset 2 \
				--keyfile-size 13 2>&1); rc=$?
			nokernel "${tag}${v}_open_right_key_file_names_module" "$out" $rc $v
		fi
	done
}

matrix "$SB" ""
if [ ! -x "$STATIC" ]; then
	skip static_build "no $STATIC (make static)"
elif [ "$(readlink -f "$STATIC")" != "$(readlink -f "$SB")" ]; then
	matrix "$STATIC" static_
fi
afalg || echo "note: this kernel has no AF_ALG skcipher (xts(aes))"

out=$("$SB" unlock "$T/kf" --test-passphrase </dev/null 2>&1); rc=$?
[ $rc = 1 ] && grep -q "not a LUKS device" <<<"$out" && ok not_luks || bad not_luks "rc $rc: $out"
out=$("$SB" unlock --keyfile-size 3 "$T/luks2.img" </dev/null 2>&1); rc=$?
[ $rc = 2 ] && ok keyfile_size_needs_key_file || bad keyfile_size_needs_key_file "rc $rc: $out"
# While unlock waits for its passphrase its argv holds no secret; afterwards it
# says the key worked (so the pipe, not argv, carried it).
if can_try "$SB"; then
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
else
	skip passphrase_not_in_argv "$SB cannot try a key on this kernel"
fi
finish
