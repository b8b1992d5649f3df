#!/bin/sh
# shrinkbox before the root filesystem mounts: the one script both initramfs
# generators run (dracut: pre-mount hook; initramfs-tools: local-premount), after
# the LUKS device was unlocked and the LVs activated by their own modules.
# POSIX sh (dash, busybox ash). Driven by the kernel command line:
#
#   rd.shrinkbox.shrink=DEVICE:SIZE     shrinkbox shrink DEVICE --size SIZE
#   rd.shrinkbox.grow=DEVICE[:SIZE|:max]  shrinkbox grow DEVICE [--size SIZE | --max]
#   rd.shrinkbox.lv=VG/LV=SIZE          an --lv target (repeatable)
#   rd.shrinkbox.apply=yes              consent; without it: --dry-run, nothing changes
#   rd.shrinkbox.key=PATH[:KEYDEV]      the LUKS key file for cryptresize (as rd.luks.key)
#   rd.shrinkbox.cmd=APPLET,ARG,...     any other applet, words separated by commas
#
# DEVICE may be a path or UUID=, PARTUUID=, LABEL=, PARTLABEL=. SIZE has an
# explicit unit (20GiB, 21474836480B). Once per boot (a guard in /run). The
# only thing ever asked is the LUKS passphrase, and only when resizing a
# mapping whose volume key is in the kernel keyring (cryptsetup's LUKS2
# default, which dracut and cryptroot use): the kernel needs the key again to
# reload the table, and the initramfs has no copy of it. Give rd.shrinkbox.key
# to answer from a file; otherwise the console asks. Output goes to the
# console and /run/initramfs/shrinkbox.log. The boot goes on whatever the
# result; the log says what to do.
#   SHRINKBOX=/usr/sbin/shrinkbox  SHRINKBOX_CMDLINE=/proc/cmdline  (for tests)

set -f	# words of the command line are never globs
SB=${SHRINKBOX:-/usr/sbin/shrinkbox}
LOG=/run/initramfs/shrinkbox.log
GUARD=/run/shrinkbox.ran

sb_say() {
	echo "shrinkbox: $*" | tee -a "$LOG" >/dev/console 2>/dev/null || echo "shrinkbox: $*"
}

# The command line, read once with a builtin: with no rd.shrinkbox.* on it (every
# ordinary boot) the script ends here, having started no other program.
read -r SB_CMDLINE <"${SHRINKBOX_CMDLINE:-/proc/cmdline}" || true
case " $SB_CMDLINE " in
*" rd.shrinkbox."*) ;;
*) exit 0 ;;
esac

# sb_arg NAME: the values of NAME= on the command line, one per line.
sb_arg() {
	for w in $SB_CMDLINE; do
		case $w in
		"$1"=*) echo "${w#*=}" ;;
		esac
	done
}

sb_dev() {
	case $1 in
	UUID=* | PARTUUID=* | LABEL=* | PARTLABEL=*)
		blkid -l -o device -t "$1" 2>/dev/null || echo "$1"
		;;
	*) echo "$1" ;;
	esac
}

# sb_key PATH[:KEYDEV]: copies the key file to tmpfs (0600) and prints its path.
sb_key() {
	local path=${1%%:*} dev="" mnt=/run/shrinkbox.keydev out=/run/shrinkbox.key
	case $1 in *:*) dev=$(sb_dev "${1#*:}") ;; esac
	(
		umask 077
		if [ -n "$dev" ]; then
			# busybox's mount (initramfs-tools) tries only the types in
			# /proc/filesystems, which lacks one whose module is not loaded
			# yet (ext4 before the root mounts): name the type.
			mkdir -p "$mnt" &&
				mount -t "$(blkid -o value -s TYPE "$dev")" -o ro "$dev" "$mnt" || exit 1
			cat "$mnt$path" >"$out"
			r=$?
			umount "$mnt"
			exit $r
		fi
		cat "$path" >"$out"
	) || { rm -f "$out"; return 1; }
	echo "$out"
}

# sb_wipe FILE: overwrite a key copy before removing it (tmpfs, but still).
sb_wipe() {
	[ -f "$1" ] || return 0
	dd if=/dev/zero of="$1" bs=1 count="$(wc -c <"$1")" conv=notrunc 2>/dev/null
	rm -f "$1"
}

sb_main() {
	local shrink grow apply cmd dev size lv set rc oldifs key keyfile="" in=/dev/null
	shrink=$(sb_arg rd.shrinkbox.shrink | tail -n 1)
	grow=$(sb_arg rd.shrinkbox.grow | tail -n 1)
	cmd=$(sb_arg rd.shrinkbox.cmd | tail -n 1)
	apply=$(sb_arg rd.shrinkbox.apply | tail -n 1)
	[ -n "$shrink$grow$cmd" ] || return 0
	[ -e "$GUARD" ] && return 0
	mkdir -p /run/initramfs
	: >"$GUARD"
	if [ -n "$shrink" ] && [ -n "$grow" ]; then
		sb_say "both rd.shrinkbox.shrink and rd.shrinkbox.grow given: doing neither"
		return 0
	fi
	set --
	if [ -n "$shrink$grow" ]; then
		set=${shrink:-$grow}
		dev=$(sb_dev "${set%%:*}")
		size=${set#"${set%%:*}"}
		size=${size#:}
		if [ -n "$shrink" ]; then
			[ -n "$size" ] || { sb_say "rd.shrinkbox.shrink=$shrink: write DEVICE:SIZE"; return 0; }
			set -- shrink "$dev" --size "$size"
		elif [ "$size" = max ]; then
			set -- grow "$dev" --max
		elif [ -n "$size" ]; then
			set -- grow "$dev" --size "$size"
		else
			set -- grow "$dev"
		fi
		for lv in $(sb_arg rd.shrinkbox.lv); do
			set -- "$@" --lv "$lv"
		done
		key=$(sb_arg rd.shrinkbox.key | tail -n 1)
		if [ -n "$key" ]; then
			keyfile=$(sb_key "$key") || sb_say "rd.shrinkbox.key=$key: cannot read it"
		fi
		if [ "$apply" = yes ]; then
			set -- "$@" --yes
			# Without a key file, cryptresize may have to ask for the passphrase.
			if [ -n "$keyfile" ]; then
				set -- "$@" --key-file "$keyfile"
			elif [ -c /dev/console ]; then
				in=/dev/console
			fi
		else
			set -- "$@" --dry-run
			sb_say "no rd.shrinkbox.apply=yes: printing the plan only (--dry-run)"
		fi
	else
		oldifs=$IFS
		IFS=,
		# shellcheck disable=SC2086 # split on commas on purpose
		set -- $cmd
		IFS=$oldifs
	fi
	sb_say "running: shrinkbox $*"
	# stdin is /dev/null unless a passphrase may be needed (see the top).
	{
		DM_DISABLE_UDEV=1 "$SB" "$@" <"$in" 2>&1
		echo $? >/run/shrinkbox.rc
	} | tee -a "$LOG" >/dev/console
	rc=$(cat /run/shrinkbox.rc 2>/dev/null || echo 1)
	sb_wipe "$keyfile"
	case $rc in
	0)
		if [ "$apply" = yes ] || [ -n "$cmd" ]; then
			sb_say "done (exit 0). Remove the rd.shrinkbox.* options; a re-run says \"No changes.\""
		else
			sb_say "plan printed, nothing changed (exit 0). Add rd.shrinkbox.apply=yes to apply it"
		fi
		;;
	3) sb_say "refused (exit 3); nothing was changed. The reason is above and in $LOG" ;;
	4) sb_say "stopped after changing something (exit 4); the stack is consistent. Boot again with the same options to finish" ;;
	*) sb_say "failed (exit $rc); see $LOG" ;;
	esac
	return 0
}

sb_main
