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
# With none of these, a request left by "shrinkbox schedule" runs, once: when
# the image records where requests live (/etc/shrinkbox/request-fs, the UUID
# of the /boot or ESP filesystem, written by the hooks when the image was
# built), that filesystem is mounted read-only; if it holds
# shrinkbox/request, it is remounted read-write, the request renamed to
# request.taken and flushed before anything runs (so no later boot runs it
# again, whatever happens), run with --yes (the schedule was the consent),
# and its exit code, log and words left as shrinkbox/last.rc, last.log,
# last.request (src/applet/schedule.c; docs/schedule.md).
#
# Without rd.shrinkbox.apply=yes nothing is written, whatever the other words
# say: shrink and grow get --dry-run, and so does every applet of a cmd= but
# the read-only ones (status, vgcfg show, bench cipher), right after the
# applet's name, where no word of the cmd can undo it (the applets check
# --dry-run before --yes: src/applet/common.c, applet_consent).
#
# DEVICE may be a path or UUID=, PARTUUID=, LABEL=, PARTLABEL=; one that more
# than one device carries (a cloned disk, a USB copy) is refused, naming them.
# SIZE has an explicit unit (20GiB, 21474836480B). Once per boot (a guard in
# /run). The only thing ever asked is the LUKS passphrase, and only when
# resizing a mapping whose volume key is in the kernel keyring (cryptsetup's
# LUKS2 default, which dracut and cryptroot use): the kernel needs the key
# again to reload the table, and the initramfs has no copy of it. Give
# rd.shrinkbox.key to answer from a file; otherwise the console asks. Output
# goes to the console and /run/initramfs/shrinkbox.log.
#
# The binary runs with a clean environment (env -i): the kernel command line's
# words without a dot are init's environment, and none of them may reach it.
#
# Exit status, for the hooks: 0, the boot goes on whatever the result (the log
# says what to do); 10, the boot must stop before the root is mounted: an LV
# was left suspended, or (exit 5: E_DM_STALE, src/layer/lvdm.h) active on a
# table that no longer matches its committed metadata, after a table reload
# failed (src/plan/move.c). The hooks
# then open the emergency shell; "shrinkbox-boot.sh --check" exits 10 while a
# device-mapper device is still suspended.
#
# Options, for the tests and the hooks only (never taken from the environment):
#   --bin PATH  the binary (/usr/sbin/shrinkbox)  --cmdline FILE  (/proc/cmdline)
#   --request-fs FILE  the record of the request filesystem (/etc/shrinkbox/request-fs)
#   --beat N    seconds of silence before a "still working" line (10)
#   --check     only the suspended-device check above

set -f	# words of the command line are never globs
SB=/usr/sbin/shrinkbox
CMDLINE=/proc/cmdline
LOG=/run/initramfs/shrinkbox.log
GUARD=/run/shrinkbox.ran
RC=/run/shrinkbox.rc
REQ_FS=/etc/shrinkbox/request-fs
REQ_MNT=/run/shrinkbox.req
RUNLOG=/run/shrinkbox.run.log
STOP=10
# e2fsck and resize2fs print nothing until they end: after BEAT seconds without output, a line
# says the work goes on, so that nobody resets a machine that seems to hang (sb_beat).
BEAT=10
# What the binary's environment holds: the initramfs's PATH, C messages, and
# libdevmapper making the /dev/mapper nodes itself (no udev to wait for).
SB_ENV="PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C DM_DISABLE_UDEV=1"

sb_say() {
	{ echo "shrinkbox: $*" | tee -a "$LOG" >/dev/console; } 2>/dev/null || echo "shrinkbox: $*" >&2
}

# sb_suspended: the names of the device-mapper devices that are suspended now.
sb_suspended() {
	local d s n
	set +f
	set -- /sys/block/dm-*
	set -f
	for d in "$@"; do
		[ -r "$d/dm/suspended" ] || continue
		read -r s <"$d/dm/suspended" || continue
		[ "$s" = 1 ] || continue
		read -r n <"$d/dm/name" || n=${d##*/}
		echo "$n"
	done
}

check=""
while [ $# -gt 0 ]; do
	case $1 in
	--bin) SB=$2; shift 2 ;;
	--cmdline) CMDLINE=$2; shift 2 ;;
	--request-fs) REQ_FS=$2; shift 2 ;;
	--beat) BEAT=$2; shift 2 ;;
	--check) check=1; shift ;;
	*) echo "shrinkbox-boot.sh: unknown option $1" >&2; exit 0 ;;
	esac
done
if [ -n "$check" ]; then
	[ -z "$(sb_suspended)" ] || exit $STOP
	exit 0
fi

# The command line, read once with a builtin: with no rd.shrinkbox.* on it and
# no record of a request filesystem in the image (every ordinary boot) the
# script ends here, having started no other program.
read -r SB_CMDLINE <"$CMDLINE" || true
MODE=cmdline
case " $SB_CMDLINE " in
*" rd.shrinkbox."*) ;;
*)
	[ -s "$REQ_FS" ] || exit 0
	MODE=request
	;;
esac

# sb_arg NAME: the values of NAME= on the command line, one per line.
sb_arg() {
	for w in $SB_CMDLINE; do
		case $w in
		"$1"=*) echo "${w#*=}" ;;
		esac
	done
}

# sb_dev WHAT DEVICE: the device path; UUID= and the like must name exactly one
# device. blkid probes afresh (no cache file: a stale one may name a device
# that is gone), and lists every match, not the first (-l).
sb_dev() {
	local devs n=0 d
	case $2 in
	UUID=* | PARTUUID=* | LABEL=* | PARTLABEL=*)
		devs=$(blkid -c /dev/null -o device -t "$2" 2>/dev/null)
		for d in $devs; do n=$((n + 1)); done
		if [ "$n" = 1 ]; then
			echo "$devs"
			return 0
		fi
		if [ "$n" = 0 ]; then
			sb_say "$1: $2 matches no device: doing nothing"
		else
			# shellcheck disable=SC2086,SC2116 # the names on one line
			sb_say "$1: $2 matches $n devices ($(echo $devs)), a copied disk? Refused," \
				"doing nothing: name the device by its path or an ID only it has"
		fi
		return 1
		;;
	*) echo "$2" ;;
	esac
}

# sb_key PATH[:KEYDEV]: copies the key file to tmpfs (0600) and prints its path.
sb_key() {
	local path=${1%%:*} dev="" mnt=/run/shrinkbox.keydev out=/run/shrinkbox.key
	case $1 in *:*) dev=$(sb_dev "rd.shrinkbox.key=$1" "${1#*:}") || return 1 ;; esac
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

# sb_readonly APPLET ARGS...: the applet changes nothing, with any arguments.
sb_readonly() {
	case $1 in
	status) return 0 ;;
	vgcfg) [ "${2:-}" = show ] ;;
	bench) [ "${2:-}" = cipher ] ;;
	*) return 1 ;;
	esac
}

sb_main() {
	local shrink grow apply cmd dev size lv set rc oldifs key keyfile="" in=/dev/null
	local applet
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
		dev=$(sb_dev "rd.shrinkbox.${shrink:+shrink}${grow:+grow}=$set" "${set%%:*}") ||
			return 0
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
		# The dry run checks the key as the real run does (before its first write), so
		# both get it. Without a key file, the passphrase may be asked on the console.
		if [ -n "$keyfile" ]; then
			set -- "$@" --key-file "$keyfile"
		elif [ -c /dev/console ]; then
			in=/dev/console
		fi
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
		applet=${1:-}
		case $applet in
		"" | *[!a-z0-9]*)
			sb_say "rd.shrinkbox.cmd=$cmd: the first word must be an applet's name; doing nothing"
			return 0
			;;
		esac
		shift
		if [ "$apply" != yes ] && ! sb_readonly "$applet" "$@"; then
			set -- "$applet" --dry-run "$@"
			sb_say "no rd.shrinkbox.apply=yes: $applet runs with --dry-run, nothing changes"
		else
			set -- "$applet" "$@"
		fi
	fi
	sb_run "$in" "$@"
	rc=$SB_RC
	sb_wipe "$keyfile"
	case $rc in
	0)
		if [ "$apply" = yes ] || sb_readonly "$@"; then
			sb_say "done (exit 0). Remove the rd.shrinkbox.* options; a re-run says \"No changes.\""
		else
			sb_say "plan printed, nothing changed (exit 0). Add rd.shrinkbox.apply=yes to apply it"
		fi
		;;
	3) sb_say "refused (exit 3); nothing was changed. The reason is above and in $LOG" ;;
	4) sb_say "stopped after changing something (exit 4); what is on the disks is consistent. Boot again with the same options to finish" ;;
	5) sb_say "an LV is active on a table that does not match its committed metadata (exit 5)" ;;
	*) sb_say "failed (exit $rc); see $LOG" ;;
	esac
	sb_held
}

# sb_console IN: a plymouth splash (rhgb, splash; dracut's plymouth module,
# Ubuntu's initramfs-tools hook) would hide everything shrinkbox prints. While
# it works the splash is hidden; when the passphrase may be asked (IN is the
# console) plymouth quits, as dracut-emergency.sh does before it hands the
# console to a shell, so the prompt and what is typed reach the console.
sb_console() {
	command -v plymouth >/dev/null 2>&1 && plymouth --ping 2>/dev/null || return 0
	if [ "$1" = /dev/console ]; then
		plymouth quit && sb_say "plymouth quit: the passphrase may be asked on the console"
	else
		plymouth hide-splash && sb_say "plymouth splash hidden while shrinkbox works"
	fi
}

# sb_beat FLAG: while the file FLAG exists, a line (console and $LOG) when $RUNLOG has not
# grown for $BEAT seconds (by /proc/uptime); not while its last line is unfinished (a prompt).
sb_beat() {
	local size last=-1 up start said
	read -r start _ </proc/uptime
	start=${start%.*} said=$start
	while [ -e "$1" ]; do
		sleep 1
		read -r up _ </proc/uptime
		up=${up%.*}
		size=$(wc -c <"$RUNLOG" 2>/dev/null || echo 0)
		if [ "$size" != "$last" ]; then
			last=$size said=$up
			continue
		fi
		[ $((up - said)) -ge "$BEAT" ] || continue
		[ -z "$(tail -c 1 "$RUNLOG" 2>/dev/null)" ] || continue
		said=$up
		[ -e "$1" ] && sb_say "still working ($((up - start)) s; e2fsck and resize2fs" \
			"print nothing until they end). Do not power off."
	done
}

# sb_run IN ARGS...: the binary with ARGS (stdin IN), output to the console, $LOG
# and $RUNLOG; its exit code in SB_RC. Notes the suspended devices first (sb_held).
sb_run() {
	local in=$1 n beat
	shift
	sb_console "$in"
	SB_BEFORE=" "
	for n in $(sb_suspended); do SB_BEFORE="$SB_BEFORE$n "; done
	sb_say "running: shrinkbox $*"
	: >"$RUNLOG"
	: >"$RUNLOG.beat"
	sb_beat "$RUNLOG.beat" &
	beat=$!
	# stdin is /dev/null unless a passphrase may be needed (see the top).
	{
		# shellcheck disable=SC2086 # SB_ENV is words on purpose
		env -i $SB_ENV "$SB" "$@" <"$in" 2>&1
		echo $? >"$RC"
	} | tee -a "$LOG" "$RUNLOG" >/dev/console
	rm -f "$RUNLOG.beat"
	kill "$beat" 2>/dev/null
	wait "$beat" 2>/dev/null
	SB_RC=$(cat "$RC" 2>/dev/null || echo 1)
}

# sb_held: $STOP when a device was left suspended or an LV's table is stale (exit 5).
sb_held() {
	local held="" n
	# A suspended device would hang the mount; one whose table is stale must not be written.
	for n in $(sb_suspended); do
		case $SB_BEFORE in *" $n "*) ;; *) held="$held $n" ;; esac
	done
	if [ -n "$held" ] || [ "$SB_RC" = 5 ]; then
		sb_say "STOP: the boot stops before the root is mounted${held:+: left suspended:$held}." \
			"Reboot (activation then follows the committed metadata), or in the shell run" \
			"the command the message above names; leaving the shell goes on with the boot"
		return $STOP
	fi
	return 0
}

# sb_request: the request "shrinkbox schedule" left, run once (see the top).
sb_request() {
	local uuid dev type dir line key="" keyfile="" in=/dev/null ok=1 rc
	read -r uuid <"$REQ_FS" || return 0
	[ -e "$GUARD" ] && return 0
	dev=$(blkid -c /dev/null -o device -t "UUID=$uuid" 2>/dev/null)
	case $dev in "" | *"
"*) return 0 ;; esac	# not here (another disk), or copies of it: never guess
	type=$(blkid -c /dev/null -o value -s TYPE "$dev")
	mkdir -p "$REQ_MNT" && mount -t "$type" -o ro "$dev" "$REQ_MNT" 2>/dev/null || return 0
	dir=$REQ_MNT/shrinkbox
	if [ ! -f "$dir/request" ]; then
		umount "$REQ_MNT"
		return 0
	fi
	mkdir -p /run/initramfs
	: >"$GUARD"
	if ! mount -o remount,rw "$REQ_MNT" 2>/dev/null; then
		sb_say "the request on $dev cannot be taken (read-only): it is left, not run"
		umount "$REQ_MNT"
		return 0
	fi
	# Taken, and on the disk, before anything runs: it never runs on a second boot.
	if ! mv "$dir/request" "$dir/request.taken" || ! sync; then
		sb_say "the request on $dev cannot be taken: not run"
		umount "$REQ_MNT"
		return 0
	fi
	set --
	while IFS= read -r line; do
		case $line in
		"shrinkbox-request 1" | "created "*) ;;
		"key "*) key=${line#key } ;;
		"arg "*) set -- "$@" "${line#arg }" ;;
		*) ok="" ;;
		esac
	done <"$dir/request.taken"
	[ "$(head -n 1 "$dir/request.taken")" = "shrinkbox-request 1" ] || ok=""
	case ${1:-} in shrink | grow) ;; *) ok="" ;; esac
	if [ -z "$ok" ]; then
		sb_say "the request on $dev is not one this shrinkbox reads: not run"
		echo "not a request this shrinkbox reads" >"$RUNLOG"
		SB_RC=2
	else
		if [ -n "$key" ]; then
			keyfile=$(sb_key "$key") || sb_say "the request's key $key: cannot read it"
		fi
		if [ -n "$keyfile" ]; then
			set -- "$@" --key-file "$keyfile"
		elif [ -c /dev/console ]; then
			in=/dev/console
		fi
		sb_say "the request scheduled on $dev (shrinkbox schedule)"
		sb_run "$in" "$@" --yes
		sb_wipe "$keyfile"
	fi
	rc=$SB_RC
	cp "$RUNLOG" "$dir/last.log"
	echo "$rc" >"$dir/last.rc"
	mv "$dir/request.taken" "$dir/last.request"
	sync
	umount "$REQ_MNT"
	case $rc in
	0) sb_say "the scheduled $1 is done (exit 0); \"shrinkbox schedule --status\" shows its log" ;;
	3) sb_say "the scheduled $1 was refused (exit 3); nothing was changed; it does not run again" ;;
	4) sb_say "the scheduled $1 stopped after a change (exit 4); the disks are consistent; schedule it again to finish" ;;
	*) sb_say "the scheduled ${1:-request} failed (exit $rc); it does not run again; see $LOG" ;;
	esac
	sb_held
}

if [ "$MODE" = request ]; then
	sb_request
else
	sb_main
fi
