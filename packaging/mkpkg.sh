#!/bin/bash
# Builds the Debian or the RPM package from a clean tree: a git archive of HEAD
# (what is committed, nothing else the work tree holds), unpacked in a scratch
# directory, then dpkg-buildpackage -us -uc -b (debian/) or rpmbuild -bb
# (packaging/shrinkbox.spec) there. The static libraries are seeded from this
# tree's build/static when it has them (packaging/seed-static-deps.sh), else
# make static builds them from Debian's sources (a few minutes, needs apt).
#   packaging/mkpkg.sh deb|rpm OUTDIR
#   SHRINKBOX_STATIC_SEED=DIR   another seed (default: build/static of this tree)
#   KEEP=1                      keep the scratch tree (its path is printed)
set -euo pipefail

kind=${1:-} outrel=${2:-build/pkg}
case $kind in deb|rpm) ;; *) echo "usage: $0 deb|rpm OUTDIR" >&2; exit 2 ;; esac
top=$(git rev-parse --show-toplevel)
cd "$top"
ver=$(make -s --no-print-directory print-version)
[ -n "$ver" ] || { echo "mkpkg: make print-version printed nothing" >&2; exit 1; }
mkdir -p "$outrel"
out=$(cd "$outrel" && pwd)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "mkpkg: note: uncommitted changes are not in the package (it is built from HEAD)" >&2
fi
export SHRINKBOX_STATIC_SEED=${SHRINKBOX_STATIC_SEED:-$top/build/static}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/shrinkbox-$kind.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then
	echo "mkpkg: scratch tree kept: $scratch" >&2
else
	trap 'rm -rf "$scratch"' EXIT
fi
tarball=$scratch/shrinkbox-$ver.tar.gz
git archive --format=tar.gz --prefix="shrinkbox-$ver/" -o "$tarball" HEAD

case $kind in
deb)
	tar -xzf "$tarball" -C "$scratch"
	debver=$(cd "$scratch/shrinkbox-$ver" && dpkg-parsechangelog -S Version)
	[ "${debver%%-*}" = "$ver" ] || {
		echo "mkpkg: debian/changelog says $debver, the Makefile's VERSION $ver" >&2; exit 1; }
	(cd "$scratch/shrinkbox-$ver" && dpkg-buildpackage -us -uc -b) >"$out/deb-build.log" 2>&1 || {
		tail -n 40 "$out/deb-build.log" >&2
		echo "mkpkg: dpkg-buildpackage failed (log: $out/deb-build.log)" >&2
		exit 1
	}
	for f in "$scratch"/*.deb "$scratch"/*.buildinfo "$scratch"/*.changes; do
		[ -e "$f" ] && cp "$f" "$out/"
	done
	ls "$out"/shrinkbox_"$debver"_*.deb
	;;
rpm)
	rt=$scratch/rpmbuild
	mkdir -p "$rt/SOURCES" "$rt/SPECS"
	cp "$tarball" "$rt/SOURCES/"
	tar -xzf "$tarball" -C "$scratch" "shrinkbox-$ver/packaging/shrinkbox.spec"
	cp "$scratch/shrinkbox-$ver/packaging/shrinkbox.spec" "$rt/SPECS/"
	specver=$(rpmspec -q --qf '%{version}\n' "$rt/SPECS/shrinkbox.spec" 2>/dev/null | head -n 1)
	[ "$specver" = "$ver" ] || {
		echo "mkpkg: shrinkbox.spec says $specver, the Makefile's VERSION $ver" >&2; exit 1; }
	# --nodeps: on Debian the rpm database is empty, so no BuildRequires is "installed";
	# what the build needs is what scripts/setup.sh installs.
	rpmbuild -bb --nodeps --define "_topdir $rt" "$rt/SPECS/shrinkbox.spec" \
		>"$out/rpm-build.log" 2>&1 || {
		tail -n 40 "$out/rpm-build.log" >&2
		echo "mkpkg: rpmbuild failed (log: $out/rpm-build.log)" >&2
		exit 1
	}
	cp "$rt"/RPMS/*/*.rpm "$out/"
	ls "$out"/shrinkbox-"$ver"-*.rpm
	;;
esac
