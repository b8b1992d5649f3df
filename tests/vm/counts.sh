# shellcheck shell=bash
# PASS/FAIL/SKIP lines and the closing "N passed, N failed, N skipped" of the
# scripts that are one level each (itools.sh, pkgboot.sh).
pass=0 fail=0 skip=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
skipped() { echo "SKIP $*"; skip=$((skip + 1)); }
note() { echo "  $*"; }
finish() {
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ]
	exit
}
# check NAME CONDITION...: PASS or FAIL NAME by the exit code of CONDITION.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
