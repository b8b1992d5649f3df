#!/bin/bash
# Builds every library shrinkbox links, from Debian bookworm source packages,
# as static musl libraries in OUTDIR/sysroot, for "make static". Cached: each
# library is rebuilt only when its source version or its recipe below changes.
# Facts and flags: ../shared/reference/static-build.md (measured on this kind of
# machine); the crypto backend choice is explained in the README.
#
#   scripts/build-static-deps.sh OUTDIR
#   SHRINKBOX_CRYPTO_BACKEND=nettle|kernel   (default nettle)
set -euo pipefail

out=$(mkdir -p "$1" && cd "$1" && pwd)
backend=${SHRINKBOX_CRYPTO_BACKEND:-nettle}
src=$out/src sys=$out/sysroot kinc=$out/kinc stamps=$out/stamps
jobs=$(nproc)
mkdir -p "$src" "$sys/lib/pkgconfig" "$sys/include" "$kinc" "$stamps"

log() { printf 'build-static-deps: %s\n' "$*" >&2; }

# ---- tools and sources -------------------------------------------------------
need_pkgs=(musl-tools dpkg-dev autoconf automake libtool autopoint gettext pkg-config cmake
	bison flex file make gcc)
missing=()
for p in "${need_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
	log "enabling bookworm deb-src"
	cat >/etc/apt/sources.list.d/shrinkbox-src.sources <<EOS
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# musl-gcc hides the kernel UAPI headers (-nostdinc); expose only those (static-build.md #1).
for d in linux asm-generic mtd; do ln -sfn "/usr/include/$d" "$kinc/$d"; done
ln -sfn /usr/include/x86_64-linux-gnu/asm "$kinc/asm"

export CC="musl-gcc -isystem $kinc"
export CFLAGS="-Os -ffunction-sections -fdata-sections"
export PKG_CONFIG_LIBDIR=$sys/lib/pkgconfig PKG_CONFIG_PATH=
export PKG_CONFIG_SYSROOT_DIR=
# Autoconf checks compile with musl-gcc, which sees no /usr/include: point it at the sysroot.
export CPPFLAGS="-I$sys/include" LDFLAGS="-L$sys/lib"

# fetch PKG: the unpacked source directory of Debian's source package (cached).
fetch() {
	local pkg=$1 dir
	dir=$(ls -d "$src/$pkg"-*/ 2>/dev/null | head -n 1 || true)
	if [ -z "$dir" ]; then
		(cd "$src" && apt-get source -qq "$pkg" >/dev/null 2>&1) || {
			log "apt-get source $pkg failed"; exit 1; }
		dir=$(ls -d "$src/$pkg"-*/ | head -n 1)
	fi
	echo "${dir%/}"
}

# build NAME PKG FUNCTION: runs FUNCTION in a fresh copy of PKG's source unless the stamp
# for (source version, recipe) exists.
build() {
	local name=$1 pkg=$2 fn=$3 dir ver recipe stamp t0 rc
	dir=$(fetch "$pkg")
	ver=$(basename "$dir")
	recipe=$(declare -f "$fn" | sha256sum | cut -c1-12)
	stamp=$stamps/$name-$ver-$recipe-$backend
	if [ -e "$stamp" ]; then
		log "$name: cached ($ver)"
		return
	fi
	t0=$(date +%s)
	rm -rf "$out/work-$name"
	cp -a "$dir" "$out/work-$name"
	# A subshell outside any "if" or "||", so that set -e stops the recipe at its first failure.
	set +e
	(set -e; cd "$out/work-$name"; "$fn") >"$out/$name.log" 2>&1
	rc=$?
	set -e
	if [ $rc != 0 ]; then
		log "$name failed; see $out/$name.log"
		tail -n 20 "$out/$name.log" >&2
		exit 1
	fi
	rm -rf "$out/work-$name"
	rm -f "$stamps/$name"-*
	touch "$stamp"
	log "$name: built in $(($(date +%s) - t0)) s ($ver)"
}

# ---- recipes -----------------------------------------------------------------
popt() {
	./configure --prefix="$sys" --disable-shared --enable-static --disable-nls \
		ac_cv_func_iconv=no am_cv_func_iconv=no	# else musl's iconv is linked in
	make -j"$jobs" -C src install
	install -m 0644 popt.pc "$sys/lib/pkgconfig/" 2>/dev/null || make install-pkgconfigDATA
}

jsonc() {
	mkdir build && cd build
	cmake .. -DCMAKE_INSTALL_PREFIX="$sys" -DCMAKE_C_COMPILER=musl-gcc \
		-DCMAKE_C_FLAGS="$CFLAGS -isystem $kinc" -DBUILD_SHARED_LIBS=OFF \
		-DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF -DDISABLE_EXTRA_LIBS=ON -DBUILD_APPS=OFF \
		-DCMAKE_INSTALL_LIBDIR=lib
	make -j"$jobs" install
}

utillinux() {
	./configure --prefix="$sys" --disable-shared --enable-static --disable-all-programs \
		--enable-libuuid --enable-libblkid --enable-libfdisk --disable-nls \
		--disable-asciidoc --disable-bash-completion --without-udev --without-selinux \
		--without-audit --without-systemd --without-python --without-readline \
		--without-ncursesw --without-tinfo --without-libz --without-libmagic \
		--without-cap-ng --without-btrfs
	make -j"$jobs" libuuid.la libblkid.la libfdisk.la
	make install-usrlib_execLTLIBRARIES install-uuidincHEADERS install-nodist_blkidincHEADERS \
		install-nodist_fdiskincHEADERS install-pkgconfigDATA
}

devmapper() {
	./configure --prefix="$sys" --enable-static_link --enable-pkgconfig --disable-selinux \
		--disable-blkid_wiping --disable-udev_sync --disable-readline --disable-dmeventd \
		--disable-cmdlib --disable-nls
	make -j"$jobs" -C libdm ioctl/libdevmapper.a libdevmapper.pc
	install -m 0644 libdm/ioctl/libdevmapper.a "$sys/lib/"
	install -m 0644 libdm/libdevmapper.h "$sys/include/"
	sed -e "s|^prefix=.*|prefix=$sys|" -e 's|^libdir=.*|libdir=${prefix}/lib|' \
		-e 's|^includedir=.*|includedir=${prefix}/include|' libdm/libdevmapper.pc \
		>"$sys/lib/pkgconfig/devmapper.pc"
}

nettle() {
	./configure --prefix="$sys" --libdir="$sys/lib" --disable-shared --enable-static \
		--disable-public-key --disable-documentation --disable-openssl
	make -j"$jobs" libnettle.a
	make install-headers
	install -m 0644 libnettle.a "$sys/lib/"
	sed -e "s|@prefix@|$sys|" -e "s|@exec_prefix@|$sys|" -e "s|@libdir@|$sys/lib|" \
		-e "s|@includedir@|$sys/include|" -e "s|@PACKAGE_VERSION@|3.8.1|" \
		-e "s|@IF_NOT_SHARED@||" -e 's|@LIBS@||' -e 's|@LIBNETTLE_LIBS@||' \
		nettle.pc.in >"$sys/lib/pkgconfig/nettle.pc"
}

cryptsetup() {
	./autogen.sh
	local be=--with-crypto_backend=$backend
	./configure --prefix="$sys" --disable-shared --enable-static --disable-asciidoc \
		--disable-ssh-token --disable-external-tokens --disable-nls --disable-udev \
		--disable-selinux --enable-blkid --disable-cryptsetup --disable-veritysetup \
		--disable-integritysetup --disable-pwquality --disable-passwdqc --disable-fips \
		--enable-internal-argon2 --enable-internal-sse-argon2 "$be"
	make -j"$jobs" libcryptsetup.la
	make install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA
}

t0=$(date +%s)
build popt popt popt
build json-c json-c jsonc
build util-linux util-linux utillinux
build devmapper lvm2 devmapper
[ "$backend" = nettle ] && build nettle nettle nettle
build cryptsetup cryptsetup cryptsetup
log "all libraries ready in $(($(date +%s) - t0)) s"

cat >"$out/env.mk" <<EOM
STATIC_CC := musl-gcc -isystem $kinc
STATIC_PKG_CONFIG_LIBDIR := $sys/lib/pkgconfig
EOM
