#!/bin/bash
# Seeds a fresh tree's static library build from one already built, so that a
# package build from a clean tree (make deb, make rpm: git archive, then
# dpkg-buildpackage or rpmbuild) runs "make static" with every library cached
# and compiles only shrinkbox. scripts/build-static-deps.sh still runs and
# decides: a library whose source version or recipe differs from the seed's
# stamp is rebuilt, as it would be in the seed's own tree.
#
#   packaging/seed-static-deps.sh FROM TO      (both OUTDIRs of build-static-deps.sh)
#
# The sysroot is copied (its .pc and .la files name their own absolute prefix,
# which is rewritten to TO's); the unpacked Debian sources are linked, not
# copied: build-static-deps.sh only reads them (it builds in a copy), and adds
# to them only a source package FROM lacks.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 FROM TO" >&2; exit 2; }
from=$(cd "$1" 2>/dev/null && pwd) || { echo "seed-static-deps: no $1: nothing seeded" >&2; exit 0; }
if [ ! -d "$from/sysroot/lib" ] || [ ! -d "$from/stamps" ] || [ ! -d "$from/src" ]; then
	echo "seed-static-deps: $from has no built libraries: make static builds them" >&2
	exit 0
fi
mkdir -p "$2"
to=$(cd "$2" && pwd)
[ "$from" = "$to" ] && exit 0
rm -rf "$to/sysroot" "$to/stamps" "$to/src"
cp -a "$from/sysroot" "$from/stamps" "$to/"
ln -s "$from/src" "$to/src"
grep -rlI -F "$from/" "$to/sysroot" | while read -r f; do
	sed -i "s|$from/|$to/|g" "$f"
done
echo "seed-static-deps: libraries from $from ($(ls "$to/stamps" | wc -l) cached)" >&2
