# shellcheck shell=bash
# asan_shrinkbox: prints the path of a shrinkbox built with AddressSanitizer and
# UBSan (the flags of the unit tests), building it if the sources changed since
# the last build. Cached under build/loop-asan/<hash of the sources>/ so a second
# run costs nothing. Fails (prints nothing) when there is no compiler.
asan_shrinkbox() {
	local pcs="libcryptsetup devmapper blkid fdisk popt json-c" key dir
	command -v cc >/dev/null && pkg-config --exists $pcs 2>/dev/null || return 1
	key=$(cat src/*.[ch] src/*/*.[ch] | sha256sum | cut -c1-16)
	dir=build/loop-asan/$key
	if [ ! -x "$dir/shrinkbox" ]; then
		rm -rf build/loop-asan
		mkdir -p "$dir"
		# shellcheck disable=SC2046
		cc -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DSHRINKBOX_VERSION='"asan"' -std=gnu11 -O1 -g \
			-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
			$(pkg-config --cflags $pcs) -o "$dir/shrinkbox.tmp.$$" src/*.c src/*/*.c \
			$(pkg-config --libs $pcs) >"$dir/build.log" 2>&1 || return 1
		mv "$dir/shrinkbox.tmp.$$" "$dir/shrinkbox"
	fi
	echo "$dir/shrinkbox"
}

# asan_case NAME ARGS...: one case: the sanitizer build run on ARGS prints exactly
# what $SB prints, exits the same, and reports nothing (skipped without a compiler).
asan_case() {
	local name=$1 asan out aout rc arc
	shift
	asan=$(asan_shrinkbox) || { skip "$name" "no C compiler or -dev packages for the sanitizer build"; return; }
	out=$("$SB" "$@" 2>&1); rc=$?
	aout=$(ASAN_OPTIONS=detect_leaks=1 "$asan" "$@" 2>&1); arc=$?
	begin "$name"
	same exit_code "$arc" "$rc"
	holds no_report "sanitizer: $(grep -E -m3 'ERROR|runtime error|SUMMARY' <<<"$aout" | tr '\n' ' ')" \
		test -z "$(grep -E 'Sanitizer|runtime error' <<<"$aout")"
	same output "$(sha256sum <<<"$aout")" "$(sha256sum <<<"$out")"
	end_case
}
