# shellcheck shell=bash
# The reporting of tests/loop scripts (sourced): one line per case, and the
# closing "N passed, N failed, N skipped" that tests/loop/run.sh and make check
# count.
pass=0 fail=0 skipped=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }
q() { "$@" >/dev/null 2>&1; }
# sums DEV...: the checksums of whole devices, to prove nothing changed.
sums() { for d in "$@"; do sha256sum <"$d"; done; }
finish() {
	echo "$pass passed, $fail failed, $skipped skipped"
	[ "$fail" = 0 ]
}

# Field-by-field cases: begin NAME; same FIELD OURS ORACLE ...; end_case.
# A case passes only if every field matched; an oracle value that is empty or
# null counts as a mismatch too, so a broken oracle query can never pass.
# The FAIL line names the first few fields that differ, with both values.
begin() {
	_case=$1
	_mis=()
	_nfields=0
}
same() {
	_nfields=$((_nfields + 1))
	if [ -z "$3" ] || [ "$3" = null ]; then
		_mis+=("$1: the oracle gave nothing (ours '$2')")
	elif [ "$2" != "$3" ]; then
		_mis+=("$1: ours '$2', oracle '$3'")
	fi
}
# same_opt FIELD OURS ORACLE: like same, but an absent value on both sides agrees.
same_opt() {
	_nfields=$((_nfields + 1))
	local a=$2 b=$3
	[ "$a" = null ] && a=""
	[ "$b" = null ] && b=""
	[ "$a" = "$b" ] || _mis+=("$1: ours '$2', oracle '$3'")
}
# fails COMMAND...: true when COMMAND fails (for holds).
fails() { ! "$@"; }
# holds FIELD WHY COMMAND...: a condition that must hold.
holds() {
	local f=$1 why=$2
	shift 2
	_nfields=$((_nfields + 1))
	"$@" >/dev/null 2>&1 || _mis+=("$f: $why")
}
end_case() {
	local n=${#_mis[@]} msg
	if [ "$_nfields" = 0 ]; then
		bad "$_case" "no field was compared"
	elif [ "$n" = 0 ]; then
		ok "$_case"
	else
		msg=$(printf '%s; ' "${_mis[@]:0:4}")
		[ "$n" -gt 4 ] && msg+="... ($n of $_nfields fields differ)"
		bad "$_case" "${msg%; }"
	fi
}
