#!/bin/bash
# Prints the Debian Built-Using value of the static binary: the source packages
# whose code is linked into it, each "name (= version)". Debian policy 7.8:
# a package that statically links other packages' code names their sources.
# The libraries come from the .dsc files build-static-deps.sh unpacked; musl
# (the C library) from the installed musl-dev.
#   packaging/built-using.sh STATIC_DIR
set -euo pipefail

out=()
for dsc in "$1"/src/*.dsc; do
	[ -e "$dsc" ] || continue
	src=$(sed -n 's/^Source: //p' "$dsc")
	ver=$(sed -n 's/^Version: //p' "$dsc")
	out+=("$src (= $ver)")
done
musl=$(dpkg-query -W -f='${source:Package} (= ${source:Version})' musl-dev 2>/dev/null) &&
	out+=("$musl")
(IFS=,; printf '%s\n' "${out[*]}" | sed 's/,/, /g')
