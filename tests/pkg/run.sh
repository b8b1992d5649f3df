#!/bin/bash
# Package level: builds the Debian package from a clean tree (make deb: a git archive of HEAD,
# dpkg-buildpackage -us -uc -b) and, where rpmbuild is installed, the RPM (make rpm); lints
# the .deb (a lintian error fails); installs it with dpkg into a scratch root with its own
# database and checks that dpkg -L lists exactly the files the README names, that they are
# the repository's files, and that the installed binary runs; removes it again. The RPM's
# rpm -qlp must list the same files less the initramfs-tools parts, and it installs into a
# scratch rpm root too. One line per check ("PASS name", "FAIL name: why", "SKIP name: why"),
# closing "N passed, N failed, N skipped".
#   SHRINKBOX_PKG_KEEP=1    keep the scratch roots (their path is printed)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
skipped() { echo "SKIP $1"; skip=$((skip + 1)); }
finish() {
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit
}
# check NAME CMD...: PASS when CMD succeeds, else FAIL with what it printed.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else bad "$name: $(tail -n 5 <<<"$out" | tr '\n' ' ')"; fi
}

t0=$(date +%s)
ver=$(make -s --no-print-directory print-version)
out=$top/build/pkg
scratch=$(mktemp -d "${TMPDIR:-/tmp}/shrinkbox-pkgtest.XXXXXX")
if [ "${SHRINKBOX_PKG_KEEP:-}" = 1 ]; then
	echo "scratch: $scratch"
else
	trap 'rm -rf "$scratch"' EXIT
fi

if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	skipped "pkg: dpkg-buildpackage or debhelper not installed (scripts/setup.sh)"
	finish
fi
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "note: the packages are built from HEAD; uncommitted changes are not tested"
fi

# The libraries of the static build, in this tree's build/static (cached: quick when built,
# once a few minutes); both package builds are seeded from them (packaging/mkpkg.sh).
if ! scripts/build-static-deps.sh "$top/build/static" >"$scratch/deps.log" 2>&1; then
	bad "static libraries: scripts/build-static-deps.sh failed: $(tail -n 3 "$scratch/deps.log")"
	finish
fi

# ---- what the README says the packages contain -------------------------------------------
applets= # set from the installed binary, below
expect_common() {
	printf '%s\n' /usr/sbin/shrinkbox /usr/lib/shrinkbox/shrinkbox-boot.sh \
		/usr/lib/dracut/modules.d/90shrinkbox/module-setup.sh \
		/usr/lib/dracut/modules.d/90shrinkbox/shrinkbox-boot.sh \
		/usr/lib/dracut/modules.d/90shrinkbox/shrinkbox-cmdline.sh \
		/usr/lib/dracut/modules.d/90shrinkbox/shrinkbox-hook.sh \
		/usr/lib/dracut/dracut.conf.d/50-shrinkbox.conf \
		/usr/share/bash-completion/completions/shrinkbox \
		/usr/lib/systemd/system/shrinkbox-grow.service
	for a in $applets; do echo "/usr/lib/shrinkbox/bin/$a"; done
	git ls-tree --name-only HEAD man/ | grep '\.8$' | sed 's|^man/|/usr/share/man/man8/|'
}
expect_deb() {
	expect_common
	printf '%s\n' /usr/share/initramfs-tools/hooks/shrinkbox \
		/usr/share/initramfs-tools/scripts/local-premount/shrinkbox \
		/usr/share/doc/shrinkbox/README.md /usr/share/doc/shrinkbox/changelog \
		/usr/share/doc/shrinkbox/copyright /usr/share/lintian/overrides/shrinkbox
}
expect_rpm() {
	expect_common
	echo /usr/share/doc/shrinkbox/README.md
}
# A package's file list, directories left out, compressed man pages and docs by their name.
files_only() { # ROOT: reads paths on stdin
	while read -r p; do
		[ -d "$1$p" ] && [ ! -L "$1$p" ] && continue
		echo "$p"
	done | sed -e 's/\.gz$//' -e 's|^/usr/share/doc/shrinkbox-[^/]*/|/usr/share/doc/shrinkbox/|' |
		sort
}

# ---- the Debian package ------------------------------------------------------------------
deb=$out/shrinkbox_${ver}_amd64.deb
rm -f "$deb"
t=$(date +%s)
if make -s deb >"$scratch/deb.log" 2>&1 && [ -f "$deb" ]; then
	ok "deb: make deb built $(basename "$deb") from a clean tree in $(($(date +%s) - t)) s"
else
	bad "deb: make deb: $(tail -n 5 "$scratch/deb.log" | tr '\n' ' ')"
	finish
fi

if command -v lintian >/dev/null; then
	lintian --fail-on error "$deb" \
		>"$scratch/lintian.log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "deb: lintian reports no error ($(grep -c '^W:' "$scratch/lintian.log") warnings)"
	else
		bad "deb: lintian: $(grep -E '^E:' "$scratch/lintian.log" | tr '\n' ' ') (exit $rc)"
	fi
	sed -n 's/^\([WE]\): /  lintian \1: /p' "$scratch/lintian.log"
else
	skipped "deb: lintian not installed"
fi

# The binary is the static, hook-free build: the test hooks read SHRINKBOX_TEST_* variables
# (src/util/teststop.c), which only a TEST_HOOKS=1 build contains.
x=$scratch/deb-x
dpkg-deb -x "$deb" "$x"
check "deb: the binary is statically linked" sh -c "file -L '$x/usr/sbin/shrinkbox' | grep -q 'statically linked'"
check "deb: the binary has no test hooks" sh -c "! grep -aq SHRINKBOX_TEST_ '$x/usr/sbin/shrinkbox'"
check "deb: Built-Using names the linked libraries' sources" sh -c \
	"dpkg-deb -f '$deb' Built-Using | grep -q 'cryptsetup (= .*lvm2 (= .*util-linux (='"
check "deb: installing it triggers update-initramfs" sh -c \
	"dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./triggers | grep -qx 'activate-noawait update-initramfs'"
# It changes disks: the package installs shrinkbox-grow.service and never enables or starts it.
check "deb: shrinkbox-grow.service is installed, not enabled or started" sh -c \
	"grep -q '^ExecStart=/usr/sbin/shrinkbox grow ' '$x/usr/lib/systemd/system/shrinkbox-grow.service' &&
	 ! dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./postinst ./prerm ./postrm 2>/dev/null |
	   grep -q 'shrinkbox-grow'"

# Installed with dpkg into a scratch root with its own database, as on a system: dpkg -L
# then reads that database. No maintainer script to run; the scratch root has no e2fsprogs.
root=$scratch/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
if dpkg --root="$root" --force-script-chrootless --force-depends -i "$deb" \
	>"$scratch/dpkg-i.log" 2>&1; then
	ok "deb: dpkg -i into a scratch root"
else
	bad "deb: dpkg -i: $(tail -n 3 "$scratch/dpkg-i.log" | tr '\n' ' ')"
	finish
fi
sb=$root/usr/sbin/shrinkbox
applets=$("$sb" --list 2>/dev/null)
if [ -n "$applets" ] && [ "$("$sb" --version)" = "shrinkbox $ver" ]; then
	ok "deb: the installed binary runs: shrinkbox $ver, $(wc -w <<<"$applets") applets"
else
	bad "deb: the installed binary: --list '$applets', --version '$("$sb" --version 2>&1)'"
fi
dpkg --root="$root" -L shrinkbox | files_only "$root" >"$scratch/deb.list"
expect_deb | sort >"$scratch/deb.expect"
if diff -u "$scratch/deb.expect" "$scratch/deb.list" >"$scratch/deb.diff"; then
	ok "deb: dpkg -L lists exactly the README's files ($(wc -l <"$scratch/deb.list"))"
else
	bad "deb: dpkg -L differs from the README's list: $(grep '^[-+]/' "$scratch/deb.diff" | tr '\n' ' ')"
fi

# Each applet link leads to the binary, and the binary runs as that applet through it.
badlinks=
for a in $applets; do
	l=$root/usr/lib/shrinkbox/bin/$a
	h=$("$l" --help 2>/dev/null)
	[ -L "$l" ] && [ "$(realpath "$l")" = "$(realpath "$sb")" ] &&
		[[ ${h%%$'\n'*} == "Usage: shrinkbox $a "* ]] || badlinks+=" $a"
done
if [ -z "$badlinks" ]; then
	ok "deb: every applet link leads to the binary and runs as its applet"
else
	bad "deb: applet links wrong:$badlinks"
fi

# The installed files are the repository's, byte for byte.
same() { # INSTALLED REPO_PATH
	local a b
	a=$(if [[ $1 == *.gz ]]; then zcat "$1"; else cat "$1"; fi | sha256sum)
	b=$(git show "HEAD:$2" | sha256sum)
	[ "$a" = "$b" ] || { echo "$1 is not $2"; return 1; }
}
same_all() {
	local r=$1 rc=0 m
	for f in module-setup.sh shrinkbox-boot.sh shrinkbox-hook.sh shrinkbox-cmdline.sh; do
		same "$r/usr/lib/dracut/modules.d/90shrinkbox/$f" "dracut/modules.d/90shrinkbox/$f" || rc=1
	done
	same "$r/usr/lib/shrinkbox/shrinkbox-boot.sh" dracut/modules.d/90shrinkbox/shrinkbox-boot.sh ||
		rc=1
	same "$r/usr/lib/dracut/dracut.conf.d/50-shrinkbox.conf" dracut/dracut.conf.d/50-shrinkbox.conf ||
		rc=1
	for m in $(git ls-tree --name-only HEAD man/ | grep '\.8$'); do
		same "$(ls "$r/usr/share/man/man8/$(basename "$m")"*)" "$m" || rc=1
	done
	if [ "${2:-}" = itools ]; then
		same "$r/usr/share/initramfs-tools/hooks/shrinkbox" initramfs/hooks/shrinkbox || rc=1
		same "$r/usr/share/initramfs-tools/scripts/local-premount/shrinkbox" \
			initramfs/scripts/local-premount/shrinkbox || rc=1
	fi
	return $rc
}
check "deb: boot scripts, dracut module, initramfs-tools parts and manual are the repository's" \
	same_all "$root" itools
check "deb: dracut module, boot script, hook and local-premount script are executable" \
	test -x "$root/usr/lib/dracut/modules.d/90shrinkbox/module-setup.sh" -a \
	-x "$root/usr/share/initramfs-tools/hooks/shrinkbox" -a \
	-x "$root/usr/share/initramfs-tools/scripts/local-premount/shrinkbox"

# The completion: applets as the first word, then the applet's long options (some named
# here, so a completion that offers nothing, or the wrong applet's options, fails).
# (Grep reads what was captured: grep -q exiting early would fail the pipe under pipefail.)
has() { grep -qx -- "$2" <<<"$1"; }
complete_words() { # COMPLETION_FILE WORD...: what _shrinkbox offers for the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _shrinkbox
		printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
completion_ok() { # COMPLETION_FILE
	local c=$1 got a o
	got=$(complete_words "$c" shrinkbox "" | sort | tr '\n' ' ')
	[ "$got" = "$(printf '%s\n' $applets --help --list --version | sort | tr '\n' ' ')" ] ||
		{ echo "first word: $got"; return 1; }
	[ "$(complete_words "$c" shrinkbox partr)" = partresize ] || { echo "partr"; return 1; }
	for o in --free --lv --key-file --size --dry-run; do
		has "$(complete_words "$c" shrinkbox shrink --)" "$o" || { echo "shrink $o"; return 1; }
	done
	has "$(complete_words "$c" shrinkbox partresize --force-)" --force-unknown-content ||
		{ echo "partresize --force-unknown-content"; return 1; }
	has "$(complete_words "$c" shrinkbox status --)" --free && { echo "status --free"; return 1; }
	for a in $applets; do
		has "$(complete_words "$c" shrinkbox "$a" --)" --help || { echo "$a --help"; return 1; }
	done
}
check "deb: bash completion offers the applets, then each applet's options" \
	completion_ok "$root/usr/share/bash-completion/completions/shrinkbox"

if dpkg --root="$root" -r shrinkbox >"$scratch/dpkg-r.log" 2>&1 &&
	[ -z "$(find "$root/usr" ! -type d 2>/dev/null)" ]; then
	ok "deb: dpkg -r leaves no file behind"
else
	bad "deb: dpkg -r: $(find "$root/usr" ! -type d | head -n 3 | tr '\n' ' ')"
fi

# ---- the RPM -------------------------------------------------------------------------------
if ! command -v rpmbuild >/dev/null; then
	skipped "rpm: rpmbuild not installed"
	echo "pkg level: $(($(date +%s) - t0)) s"
	finish
fi
rpmf=$out/shrinkbox-$ver-1.x86_64.rpm
rm -f "$rpmf"
t=$(date +%s)
if make -s rpm >"$scratch/rpm.log" 2>&1 && [ -f "$rpmf" ]; then
	ok "rpm: make rpm built $(basename "$rpmf") from a clean tree in $(($(date +%s) - t)) s"
else
	bad "rpm: make rpm: $(tail -n 5 "$scratch/rpm.log" | tr '\n' ' ')"
	finish
fi
rroot=$scratch/rpmroot
mkdir -p "$rroot"
# Directories are told apart by the rpm's own file modes (the scratch root has none yet).
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmf" 2>/dev/null |
	awk '$1 !~ /^d/ { print $2 }' | sed -e 's/\.gz$//' \
	-e 's|^/usr/share/doc/shrinkbox-[^/]*/|/usr/share/doc/shrinkbox/|' | sort >"$scratch/rpm.list"
expect_rpm | sort >"$scratch/rpm.expect"
if diff -u "$scratch/rpm.expect" "$scratch/rpm.list" >"$scratch/rpm.diff"; then
	ok "rpm: rpm -qlp lists the same files less the initramfs-tools parts ($(wc -l <"$scratch/rpm.list"))"
else
	bad "rpm: rpm -qlp differs: $(grep '^[-+]/' "$scratch/rpm.diff" | tr '\n' ' ')"
fi
check "rpm: requires e2fsprogs" sh -c "rpm -qp --requires '$rpmf' | grep -qx e2fsprogs"
if rpm --root="$rroot" --initdb >/dev/null 2>&1 &&
	rpm --root="$rroot" -i --nodeps --noscripts "$rpmf" >"$scratch/rpm-i.log" 2>&1 &&
	[ "$("$rroot/usr/sbin/shrinkbox" --list 2>/dev/null)" = "$applets" ]; then
	ok "rpm: installs into a scratch rpm root; the binary runs and lists the same applets"
else
	bad "rpm: rpm -i into a scratch root: $(tail -n 3 "$scratch/rpm-i.log" 2>/dev/null | tr '\n' ' ')"
fi
check "rpm: its binary is the Debian package's" cmp "$x/usr/sbin/shrinkbox" "$rroot/usr/sbin/shrinkbox"
check "rpm: dracut module, boot script and manual are the repository's" same_all "$rroot"
check "rpm: bash completion offers the applets, then each applet's options" \
	completion_ok "$rroot/usr/share/bash-completion/completions/shrinkbox"

echo "pkg level: $(($(date +%s) - t0)) s"
finish
