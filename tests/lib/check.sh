# shellcheck shell=bash
# The reporting of tests/loop scripts (sourced): one line per case, and the
# closing "N passed, N failed" that tests/loop/run.sh and make check count.
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
q() { "$@" >/dev/null 2>&1; }
# sums DEV...: the checksums of whole devices, to prove nothing changed.
sums() { for d in "$@"; do sha256sum <"$d"; done; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}
