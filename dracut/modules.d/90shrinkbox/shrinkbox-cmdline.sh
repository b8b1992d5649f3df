#!/bin/sh
# dracut cmdline hook: checks the rd.shrinkbox.* options early, before any
# disk is touched, and says what is wrong with each (dracut-lib.sh's warn: the
# console and, under systemd, the journal), so that a typo shows at the start
# of the boot and not only as a plan that does nothing at pre-mount. Sourced
# by dracut's init, or under systemd by /bin/dracut-cmdline from
# dracut-cmdline.service (98dracut-systemd), so the words come from getcmdline
# (dracut-lib.sh: /etc/cmdline.d/*.conf, which "dracut --kernel-cmdline"
# writes, /etc/cmdline and /proc/cmdline). It changes nothing and decides
# nothing: shrinkbox-boot.sh reads the options again and its own checks stand.
# What it said is also in /run/initramfs/shrinkbox.log, and in
# /run/shrinkbox.cmdline-warnings, which the pre-mount hook prints again after
# a splash screen has gone (the warnings may have been hidden behind it).

# sb_cl_size VALUE: VALUE is a size as shrinkbox reads one (src/util/units.c,
# size_parse): digits, an optional fraction, and a unit.
sb_cl_size() {
	local n="${1%%[!0-9.]*}"
	local u="${1#"$n"}"
	case $n in
	"" | .* | *. | *.*.*) return 1 ;;
	esac
	case $u in
	B | s | e | [KkMmGgTtPpEe][Ii][Bb] | [KkMmGgTtPpEe][Bb]) return 0 ;;
	esac
	return 1
}

# sb_cl_dev VALUE: a device as shrinkbox-boot.sh names one (a path or a tag).
sb_cl_dev() {
	case $1 in
	/?* | UUID=?* | PARTUUID=?* | LABEL=?* | PARTLABEL=?*) return 0 ;;
	esac
	return 1
}

sb_cl_warn() {
	warn "shrinkbox: $*"
	mkdir -p /run/initramfs
	echo "shrinkbox: $*" >>/run/initramfs/shrinkbox.log
	echo "shrinkbox: $*" >>/run/shrinkbox.cmdline-warnings
}

sb_cl_check() {
	local w k v d s noglob="" n_shrink=0 n_grow=0 n_cmd=0 lvs="" key=""
	local why="the boot goes on; shrinkbox-boot.sh decides with its own checks"
	case $- in *f*) noglob=1 ;; esac
	set -f
	# shellcheck disable=SC2046 # words, never globs (set -f)
	set -- $(getcmdline)
	[ -n "$noglob" ] || set +f
	for w in "$@"; do
		case $w in
		rd.shrinkbox.*) ;;
		*) continue ;;
		esac
		k=${w#rd.shrinkbox.}
		k=${k%%=*}
		case $w in
		*=*) v=${w#*=} ;;
		*)
			sb_cl_warn "$w: has no value (write rd.shrinkbox.$k=...); it is ignored"
			continue
			;;
		esac
		case $k in
		shrink | grow)
			[ "$k" = shrink ] && n_shrink=$((n_shrink + 1))
			[ "$k" = grow ] && n_grow=$((n_grow + 1))
			d=${v%%:*}
			s=${v#"$d"}
			s=${s#:}
			sb_cl_dev "$d" || sb_cl_warn "$w: \"$d\" is not a device (a path, UUID=," \
				"PARTUUID=, LABEL= or PARTLABEL=)"
			if [ "$k" = shrink ] && [ -z "$s" ]; then
				sb_cl_warn "$w: no size; write rd.shrinkbox.shrink=DEVICE:SIZE (e.g. 20GiB)"
			elif [ -n "$s" ] && [ "$s" != max ] && ! sb_cl_size "$s"; then
				sb_cl_warn "$w: \"$s\" is not a size (digits and a unit: B, s, e, MiB, GiB," \
					"GB, ...; a lone K, M or G is ambiguous)"
			fi
			;;
		lv)
			lvs=1
			case $v in
			?*/?*=?*) ;;
			*)
				sb_cl_warn "$w: write rd.shrinkbox.lv=VG/LV=SIZE"
				continue
				;;
			esac
			s=${v#*=}
			sb_cl_size "$s" || sb_cl_warn "$w: \"$s\" is not a size (digits and a unit," \
				"e.g. 10GiB)"
			;;
		apply)
			[ "$v" = yes ] || sb_cl_warn "$w: only rd.shrinkbox.apply=yes consents;" \
				"this boot prints the plan only (--dry-run)"
			;;
		key)
			key=1
			case ${v%%:*} in
			/?*) ;;
			*) sb_cl_warn "$w: the key file must be an absolute path (PATH[:KEYDEV])" ;;
			esac
			case $v in
			*:*) sb_cl_dev "${v#*:}" || sb_cl_warn "$w: \"${v#*:}\" is not a device (a path," \
				"UUID=, PARTUUID=, LABEL= or PARTLABEL=)" ;;
			esac
			;;
		cmd)
			n_cmd=$((n_cmd + 1))
			case ${v%%,*} in
			"" | *[!a-z0-9]*)
				sb_cl_warn "$w: the first word must be an applet's name (e.g." \
					"rd.shrinkbox.cmd=status); nothing runs"
				;;
			esac
			;;
		*)
			sb_cl_warn "$w: unknown option rd.shrinkbox.$k (known: shrink, grow, lv, apply," \
				"key, cmd); it is ignored"
			;;
		esac
	done
	[ $n_shrink -gt 0 ] && [ $n_grow -gt 0 ] &&
		sb_cl_warn "both rd.shrinkbox.shrink and rd.shrinkbox.grow given: the boot does neither"
	[ $n_shrink -gt 1 ] && sb_cl_warn "rd.shrinkbox.shrink given $n_shrink times: the last counts"
	[ $n_grow -gt 1 ] && sb_cl_warn "rd.shrinkbox.grow given $n_grow times: the last counts"
	[ $n_cmd -gt 1 ] && sb_cl_warn "rd.shrinkbox.cmd given $n_cmd times: the last counts"
	if [ $((n_shrink + n_grow)) = 0 ]; then
		[ -n "$lvs" ] && sb_cl_warn "rd.shrinkbox.lv without rd.shrinkbox.shrink or grow: ignored"
		[ -n "$key" ] && sb_cl_warn "rd.shrinkbox.key without rd.shrinkbox.shrink or grow: ignored"
	fi
	[ -e /run/shrinkbox.cmdline-warnings ] && warn "shrinkbox: $why"
	return 0
}

rm -f /run/shrinkbox.cmdline-warnings
sb_cl_check
unset -f sb_cl_size sb_cl_dev sb_cl_warn sb_cl_check
