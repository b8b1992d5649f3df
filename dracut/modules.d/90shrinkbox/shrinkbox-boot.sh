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
#   rd.shrinkbox.cmd=APPLET,ARG,...     any other applet, words separated by commas
#
# DEVICE may be a path or UUID=, PARTUUID=, LABEL=, PARTLABEL=. SIZE has an
# explicit unit (20GiB, 21474836480B). Once per boot (a guard in /run); never
# reads the keyboard: a command that would ask refuses instead. Output goes
# to the console and /run/initramfs/shrinkbox.log. The boot goes on whatever
# the result; the log says what to do.
#   SHRINKBOX=/usr/sbin/shrinkbox  SHRINKBOX_CMDLINE=/proc/cmdline  (for tests)

SB=${SHRINKBOX:-/usr/sbin/shrinkbox}
LOG=/run/initramfs/shrinkbox.log
GUARD=/run/shrinkbox.ran

sb_say() {
	echo "shrinkbox: $*" | tee -a "$LOG" >/dev/console 2>/dev/null || echo "shrinkbox: $*"
}

# sb_arg NAME: the values of NAME= on the command line, one per line.
sb_arg() {
	for w in $(cat "${SHRINKBOX_CMDLINE:-/proc/cmdline}"); do
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

sb_main() {
	local shrink grow apply cmd dev size lv set rc oldifs
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
		if [ "$apply" = yes ]; then
			set -- "$@" --yes
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
	# stdin from /dev/null: nothing may wait for a keyboard at boot.
	{
		DM_DISABLE_UDEV=1 "$SB" "$@" </dev/null 2>&1
		echo $? >/run/shrinkbox.rc
	} | tee -a "$LOG" >/dev/console
	rc=$(cat /run/shrinkbox.rc 2>/dev/null || echo 1)
	case $rc in
	0) sb_say "done (exit 0). Remove the rd.shrinkbox.* options; a re-run says \"No changes.\"" ;;
	3) sb_say "refused (exit 3); nothing was changed. The reason is above and in $LOG" ;;
	4) sb_say "stopped after changing something (exit 4); the stack is consistent. Boot again with the same options to finish" ;;
	*) sb_say "failed (exit $rc); see $LOG" ;;
	esac
	return 0
}

sb_main
