#!/bin/bash
# The boot script (dracut/modules.d/90shrinkbox/shrinkbox-boot.sh) without a
# VM: each run is in a private mount namespace (a tmpfs on /run for its guard
# and log, a file over /dev/console, a scratch /sys/block where a case needs
# device-mapper devices) with its command line in a file (--cmdline) and a
# fake shrinkbox (--bin) that records its argv and environment. Cases: a cmd=
# without rd.shrinkbox.apply=yes runs with --dry-run (a --yes or -- in it does
# not undo that), with it as written, read-only applets as they are; the real
# binary through the script changes no byte without consent; a LABEL= or
# PARTLABEL= on two devices is refused naming both; the kernel command line's
# environment (SHRINKBOX_TEST_STOP_AFTER, SHRINKBOX_LOCK_DIR) does not reach the
# binary; a default build ignores the stop variable that a TEST_HOOKS=1 build
# obeys; a device left suspended (or exit 5) stops the boot (exit 10); a
# plymouth splash is hidden before the binary runs; a silent run says it still works.
#   SHRINKBOX_BOOT_SH=FILE  the script under test (to run these against another version)
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap cleanup_loops EXIT

SB=$(realpath "${SHRINKBOX:-./shrinkbox}")
BOOT=$(realpath "${SHRINKBOX_BOOT_SH:-dracut/modules.d/90shrinkbox/shrinkbox-boot.sh}")
W=$TMPD/w
command -v unshare >/dev/null || { skip boot "no unshare (util-linux)"; finish; exit; }

# boot_run CMDLINE [VAR=VALUE...]: the script with that command line and those
# variables in its environment (as init's, from the kernel command line); $W
# holds argv, env (the fake's), rc (the script's exit), log, console.
boot_run() {
	local line=$1
	shift
	mkdir -p "$W"
	rm -f "$W/argv" "$W/env" "$W/rc" "$W/log"
	printf '%s\n' "$line" >"$W/cmdline"
	: >"$W/console"
	# The old script took these two from the environment; this one from its options.
	env "$@" SHRINKBOX="$W/fake" SHRINKBOX_CMDLINE="$W/cmdline" unshare -m sh -c '
		w=$1 boot=$2
		shift 2
		mount -t tmpfs sbboot /run && mount --bind "$w/console" /dev/console || exit 99
		if [ -d "$w/sysblock" ]; then mount --bind "$w/sysblock" /sys/block || exit 99; fi
		sh "$boot" --bin "$w/fake" --cmdline "$w/cmdline" "$@" </dev/null >"$w/out" 2>&1
		echo $? >"$w/rc"
		cp /run/initramfs/shrinkbox.log "$w/log" 2>/dev/null
		exit 0' sh "$W" "$BOOT" "${BOOT_OPTS[@]}"
}
BOOT_OPTS=()	# more options for the script (boot_run)
# The fake: records, then does what $W/fake-do says (a shell line), exits $W/fake-rc.
mkdir -p "$W"
cat >"$W/fake" <<'EOF'
#!/bin/sh
d=$(dirname "$0")
for a in "$@"; do printf '%s\n' "$a"; done >"$d/argv"
env >"$d/env"
[ -f "$d/fake-do" ] && . "$d/fake-do"
exit "$(cat "$d/fake-rc" 2>/dev/null || echo 0)"
EOF
chmod +x "$W/fake"
argv() { [ -f "$W/argv" ] && tr '\n' ' ' <"$W/argv" | sed 's/ $//'; }
rc() { cat "$W/rc" 2>/dev/null; }
log() { cat "$W/log" 2>/dev/null; }

# ---- 1. Consent: cmd= without rd.shrinkbox.apply=yes is a dry run.
boot_run "ro rd.shrinkbox.cmd=defrag,/dev/sbx"
[ "$(argv)" = "defrag --dry-run /dev/sbx" ] && [ "$(rc)" = 0 ] && ok cmd_without_apply_dry_run ||
	bad cmd_without_apply_dry_run "argv '$(argv)' rc $(rc)"
boot_run "rd.shrinkbox.cmd=defrag,/dev/sbx,--yes,-y,--,--yes"
[ "$(argv)" = "defrag --dry-run /dev/sbx --yes -y -- --yes" ] && ok cmd_yes_without_apply_dry_run ||
	bad cmd_yes_without_apply_dry_run "argv '$(argv)'"
boot_run "rd.shrinkbox.cmd=defrag,/dev/sbx,--yes rd.shrinkbox.apply=yes"
[ "$(argv)" = "defrag /dev/sbx --yes" ] && ok cmd_with_apply_as_written ||
	bad cmd_with_apply_as_written "argv '$(argv)'"
boot_run "rd.shrinkbox.cmd=status,--json,/dev/sbx"
a1=$(argv)
boot_run "rd.shrinkbox.cmd=vgcfg,show,sbvg"
[ "$a1" = "status --json /dev/sbx" ] && [ "$(argv)" = "vgcfg show sbvg" ] && ok readonly_applets_as_they_are ||
	bad readonly_applets_as_they_are "argv '$a1', '$(argv)'"
boot_run "rd.shrinkbox.cmd=vgcfg,backup,sbvg"
[ "$(argv)" = "vgcfg --dry-run backup sbvg" ] && ok vgcfg_backup_dry_run || bad vgcfg_backup_dry_run "argv '$(argv)'"
boot_run "rd.shrinkbox.cmd=-y,defrag,/dev/sbx"
[ ! -f "$W/argv" ] && grep -q "applet's name" <<<"$(log)" && ok cmd_option_first_refused ||
	bad cmd_option_first_refused "argv '$(argv)' log: $(log)"
boot_run "rd.shrinkbox.shrink=/dev/sbx:2GiB"
[ "$(argv)" = "shrink /dev/sbx --size 2GiB --dry-run" ] && ok shrink_without_apply_dry_run ||
	bad shrink_without_apply_dry_run "argv '$(argv)'"

# ---- 2. The environment of init (the kernel command line's words without a dot).
boot_run "rd.shrinkbox.cmd=status,/dev/sbx" SHRINKBOX_TEST_STOP_AFTER=commit1 \
	SHRINKBOX_LOCK_DIR=/tmp/sbx SHRINKBOX_TEST_FAIL=reload LVM_SYSTEM_DIR=/tmp/sbx E2FSCK_CONFIG=/x
names=$(cut -d= -f1 "$W/env" 2>/dev/null | sort | tr '\n' ' ')
extra=$(cut -d= -f1 "$W/env" 2>/dev/null | grep -vxE 'PATH|LANG|DM_DISABLE_UDEV|PWD|OLDPWD|SHLVL|_' | tr '\n' ' ')
[ -s "$W/env" ] && [ -z "$extra" ] && grep -qx 'LANG=C' "$W/env" && grep -qx 'DM_DISABLE_UDEV=1' "$W/env" &&
	ok init_environment_does_not_reach_binary ||
	bad init_environment_does_not_reach_binary "the binary saw: $names"

# ---- 3. A device left suspended, or exit 5, stops the boot; one suspended before does not.
rm -rf "$W/sysblock"
mkdir -p "$W/sysblock/dm-0/dm" "$W/sysblock/dm-1/dm"
echo sbvg-root >"$W/sysblock/dm-0/dm/name"; echo 0 >"$W/sysblock/dm-0/dm/suspended"
echo sbvg-other >"$W/sysblock/dm-1/dm/name"; echo 1 >"$W/sysblock/dm-1/dm/suspended"
echo 'echo 1 >/sys/block/dm-0/dm/suspended' >"$W/fake-do"
echo 4 >"$W/fake-rc"
boot_run "rd.shrinkbox.cmd=defrag,/dev/sbx,--yes rd.shrinkbox.apply=yes"
held_log=$(log)
[ "$(rc)" = 10 ] && grep -q "STOP" <<<"$held_log" && grep -q "sbvg-root" <<<"$held_log" &&
	! grep -q "sbvg-other" <<<"$held_log" && ok suspended_lv_stops_boot ||
	bad suspended_lv_stops_boot "rc $(rc), log: $held_log"
chk() { unshare -m sh -c 'mount --bind "$1/sysblock" /sys/block && sh "$2" --check' sh "$W" "$BOOT"; }
chk; c1=$?
echo 0 >"$W/sysblock/dm-0/dm/suspended"; echo 0 >"$W/sysblock/dm-1/dm/suspended"
chk; c2=$?
[ "$c1" = 10 ] && [ "$c2" = 0 ] && ok check_while_suspended || bad check_while_suspended "--check: $c1, then $c2"
rm -f "$W/fake-do"
boot_run "rd.shrinkbox.cmd=defrag,/dev/sbx,--yes rd.shrinkbox.apply=yes"
c1=$(rc)
echo 5 >"$W/fake-rc"
boot_run "rd.shrinkbox.cmd=defrag,/dev/sbx,--yes rd.shrinkbox.apply=yes"
[ "$c1" = 0 ] && [ "$(rc)" = 10 ] && ok exit5_stops_boot_exit4_alone_does_not ||
	bad exit5_stops_boot_exit4_alone_does_not "exit 4: $c1, exit 5: $(rc)"
rm -rf "$W/sysblock" "$W/fake-rc"

# ---- 4. LABEL= and PARTLABEL= on two devices: refused, both named, nothing run.
lab=sbdup$$
d1=$(new_loop 32M); d2=$(new_loop 32M)
for d in "$d1" "$d2"; do
	printf 'label: gpt\nsize=16MiB, name=%s\n' "p$lab" | sfdisk -q "$d" >/dev/null 2>&1
	add_partitions "$d"
	q mkfs.ext4 -q -F -L "$lab" "${d}p1"
done
boot_run "rd.shrinkbox.shrink=LABEL=$lab:8MiB rd.shrinkbox.apply=yes"
dl=$(log)
boot_run "rd.shrinkbox.grow=PARTLABEL=p$lab:max rd.shrinkbox.apply=yes"
[ ! -f "$W/argv" ] && grep -q "${d1}p1" <<<"$dl" && grep -q "${d2}p1" <<<"$dl" && grep -q "matches 2 devices" <<<"$dl" &&
	grep -q "${d1}p1" <<<"$(log)" && grep -q "${d2}p1" <<<"$(log)" && ok duplicate_label_refused ||
	bad duplicate_label_refused "argv '$(argv)'; LABEL: $dl; PARTLABEL: $(log)"
q tune2fs -L "o$lab" "${d2}p1"
boot_run "rd.shrinkbox.shrink=LABEL=$lab:8MiB rd.shrinkbox.apply=yes"
[ "$(argv)" = "shrink ${d1}p1 --size 8MiB --yes" ] && ok unique_label_resolved ||
	bad unique_label_resolved "argv '$(argv)' log: $(log)"
boot_run "rd.shrinkbox.shrink=LABEL=nolabel$$:8MiB rd.shrinkbox.apply=yes"
[ ! -f "$W/argv" ] && grep -q "matches no device" <<<"$(log)" && ok missing_label_refused ||
	bad missing_label_refused "argv '$(argv)' log: $(log)"

# ---- 5. plymouth: a running splash is hidden before the binary runs (a
# fake plymouth first in PATH records its calls); none is asked for when
# plymouth does not answer --ping. Before: only the dracut hook did it, and
# only for a command line, never for initramfs-tools or a scheduled request.
mkdir -p "$W/pbin"
printf '%s\n' '#!/bin/sh' 'echo "$*" >>"$(dirname "$0")/calls"' \
	'[ "$1" != --ping ] || [ ! -e "$(dirname "$0")/down" ]' >"$W/pbin/plymouth"
chmod +x "$W/pbin/plymouth"
rm -f "$W/pbin/calls" "$W/pbin/down" "$W/order"
echo 'grep -q hide-splash "$d/pbin/calls" && echo hidden-first >"$d/order"' >"$W/fake-do"
boot_run "rd.shrinkbox.cmd=status,/dev/sbx" PATH="$W/pbin:$PATH"
calls=$(tr '\n' ' ' <"$W/pbin/calls" 2>/dev/null)
[ "$calls" = "--ping hide-splash " ] && [ -e "$W/order" ] && grep -q "splash hidden" <<<"$(log)" &&
	ok plymouth_splash_hidden_before_the_run ||
	bad plymouth_splash_hidden_before_the_run "calls '$calls', order $(cat "$W/order" 2>/dev/null), log: $(log)"
rm -f "$W/pbin/calls" "$W/fake-do"
touch "$W/pbin/down"
boot_run "rd.shrinkbox.cmd=status,/dev/sbx" PATH="$W/pbin:$PATH"
calls=$(tr '\n' ' ' <"$W/pbin/calls" 2>/dev/null)
[ "$calls" = "--ping " ] && [ "$(argv)" = "status /dev/sbx" ] && ok plymouth_not_running_left_alone ||
	bad plymouth_not_running_left_alone "calls '$calls', argv '$(argv)'"

# ---- 5b. A run that prints nothing for longer than --beat (e2fsck, resize2fs) gets a
# "still working" line (console and log), under both initramfs flavours (the boot script's
# own; before, only the dracut hook had one); one waiting at a prompt (a line not ended)
# gets none, and neither does a quick run.
BOOT_OPTS=(--beat 1)
echo 'sleep 4' >"$W/fake-do"
boot_run "rd.shrinkbox.cmd=status,/dev/sbx"
beats=$(log | grep -c 'still working')
printf '%s\n' 'printf "Enter passphrase: "' 'sleep 4' >"$W/fake-do"
boot_run "rd.shrinkbox.cmd=status,/dev/sbx"
prompt_beats=$(log | grep -c 'still working')
rm -f "$W/fake-do"
boot_run "rd.shrinkbox.cmd=status,/dev/sbx"
quick_beats=$(log | grep -c 'still working')
BOOT_OPTS=()
[ "$beats" -ge 1 ] && [ "$prompt_beats" = 0 ] && [ "$quick_beats" = 0 ] && [ "$(rc)" = 0 ] &&
	ok silent_run_says_still_working ||
	bad silent_run_says_still_working "beats $beats, at a prompt $prompt_beats, quick $quick_beats"

# ---- 6. The real binary through the script: no byte changes without consent.
vg=$(uniq_name bt)
d=$(new_loop 64M)
q pvcreate "$d"; q vgcreate -s 4M "$vg" "$d"
q lvcreate -an -Zn -n a -L 8M "$vg"; q lvcreate -an -Zn -n gap -L 8M "$vg"
q lvcreate -an -Zn -n b -L 8M "$vg"; q lvremove -f "$vg/gap"
before=$(sums "$d")
ln -sf "$SB" "$W/fake"
boot_run "rd.shrinkbox.cmd=defrag,$d,--devices,$d,--yes"
out=$(cat "$W/out" "$W/log" 2>/dev/null)
[ "$(sums "$d")" = "$before" ] && grep -q "Dry run: nothing was changed" <<<"$out" && ok real_binary_cmd_yes_without_apply_writes_nothing ||
	bad real_binary_cmd_yes_without_apply_writes_nothing "rc $(rc); $(tail -n 5 <<<"$out" | tr '\n' ' ')"
boot_run "rd.shrinkbox.cmd=defrag,$d,--devices,$d,--yes rd.shrinkbox.apply=yes"
[ "$(sums "$d")" != "$before" ] && grep -q "^Done: moved 2 extents" "$W/log" && q vgck "$vg" &&
	ok real_binary_cmd_with_apply_writes || bad real_binary_cmd_with_apply_writes "log: $(log)"

# ---- 7. The test stop points: a default build ignores them, a TEST_HOOKS=1 build stops.
# Builds the default binary beside the one under test (only teststop.o and the link differ).
if [ "$SB" = "$(realpath ./shrinkbox)" ] && strings ./shrinkbox | grep SHRINKBOX_TEST_STOP_AFTER >/dev/null; then
	if make -s shrinkbox TEST_HOOKS= >/dev/null 2>&1 && cp ./shrinkbox "$TMPD/sb-plain" &&
		make -s shrinkbox TEST_HOOKS=1 >/dev/null 2>&1; then
		seg() { lvs --noheadings -o lv_size --units b --nosuffix "$vg/a" 2>/dev/null | tr -d ' '; }
		s0=$(seg)
		SHRINKBOX_TEST_STOP_AFTER=text "$SB" lvresize "$vg/a" --extents 1 --fs-checked \
			--devices "$d" --yes >/dev/null 2>&1
		r1=$? s1=$(seg)
		SHRINKBOX_TEST_STOP_AFTER=text SHRINKBOX_TEST_FAIL=reload "$TMPD/sb-plain" lvresize "$vg/a" \
			--extents 1 --fs-checked --devices "$d" --yes >/dev/null 2>&1
		r2=$? s2=$(seg)
		[ "$r1" = 137 ] && [ "$s1" = "$s0" ] && [ "$r2" = 0 ] && [ "$s2" = $((4 << 20)) ] &&
			! strings "$TMPD/sb-plain" | grep SHRINKBOX_TEST >/dev/null && ok default_build_ignores_test_hooks ||
			bad default_build_ignores_test_hooks "hooks build: exit $r1 size $s1 (was $s0); default build: exit $r2 size $s2"
	else
		bad default_build_ignores_test_hooks "make shrinkbox (default, then TEST_HOOKS=1) failed"
	fi
else
	skip default_build_ignores_test_hooks "the binary under test is not ./shrinkbox built with TEST_HOOKS=1"
fi
finish
