#!/bin/bash
# The manual and the help, through the binary as a user runs it: the man page
# lists exactly the applets "shrinkbox --list" prints and is what "make man"
# generates; it renders without groff warnings; every APPLET --help shows the
# synopsis, the options and two examples; a short option means one thing in
# every applet's --help; an option with a value given twice is exit 2 naming
# it, in every applet; --version, --quiet and --debug everywhere. Then lvm2's
# +SIZE/-SIZE in lvresize, lvgrow and lvshrink, with lvm2 (lvs, vgck), e2fsck
# and dumpe2fs as the oracles. Last, every JSON document (status of a GPT disk,
# a LUKS2 device and a PV; defrag; bench device and cipher) carries
# "schema_version": 1, and every numeric key names its unit.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap cleanup_loops EXIT

SB=${SHRINKBOX:-./shrinkbox}
PAGE=man/shrinkbox.8
mapfile -t APPLETS < <("$SB" --list)

# ---- 1. The page and --list.
listed=$(printf '%s\n' "${APPLETS[@]}")
in_page=$(sed -n 's/^\.SS \([a-z0-9]*\)$/\1/p' "$PAGE")
if [ "${#APPLETS[@]}" -ge 16 ] && [ "$listed" = "$in_page" ]; then
	ok man_lists_every_applet
else
	bad man_lists_every_applet "--list: $(echo $listed); page: $(echo $in_page)"
fi
gen=$(mktemp)
"$SB" --man man/shrinkbox.8.in >"$gen"; rc=$?
[ $rc = 0 ] && cmp -s "$gen" "$PAGE" && ok man_page_is_generated ||
	bad man_page_is_generated "rc $rc; $(diff "$PAGE" "$gen" | head -n 4 | tr '\n' ' ') (run make man)"
warn=$(groff -man -ww -z "$PAGE" 2>&1)
[ -z "$warn" ] && ok man_page_renders_clean || bad man_page_renders_clean "$warn"
rm -f "$gen"

# ---- 2. Every applet: --help, --version, the common options, a repeated option.
version=$("$SB" --version)
help_bad=() ver_bad=() rep_bad=() common_bad=()
declare -A short_of
short_bad=()
for a in "${APPLETS[@]}"; do
	h=$("$SB" "$a" --help 2>&1); rc=$?
	# Usage first; two example commands after "Examples:".
	n_ex=$(sed -n '/^Examples:$/,$p' <<<"$h" | grep -c "^  shrinkbox $a ")
	if [ $rc != 0 ] || ! head -n 1 <<<"$h" | grep -q "^Usage: shrinkbox $a " ||
		[ "$n_ex" != 2 ] || ! grep -q -- '--quiet' <<<"$h" || ! grep -q -- '--debug' <<<"$h"; then
		help_bad+=("$a (rc $rc, $n_ex examples)")
	fi
	# The same through a link named after the applet, as busybox applets run.
	mkdir -p "$TMPD/bin" && ln -sf "$(realpath "$SB")" "$TMPD/bin/$a"
	[ "$("$TMPD/bin/$a" --version)" = "$version" ] && [ "$("$SB" "$a" -V)" = "$version" ] ||
		ver_bad+=("$a")
	while read -r letter long; do
		cur=${short_of[$letter]:-}
		if [ -z "$cur" ]; then
			short_of[$letter]="$long $a"
		elif [ "${cur%% *}" != "$long" ]; then
			short_bad+=("-$letter: --${cur%% *} in ${cur#* } but --$long in $a")
		fi
	done < <(sed -n 's/^  -\(.\), --\([a-z0-9-]*\).*/\1 \2/p' <<<"$h")
	# The first option with a value, given twice: exit 2, the message naming it.
	opt=$(sed -n 's/^  \(-., \)\{0,1\} *--\([a-z0-9-]*\)=.*/\2/p' <<<"$h" | head -n 1)
	if [ -n "$opt" ]; then
		err=$("$SB" "$a" x --"$opt" 1 --"$opt" 2 2>&1 >/dev/null); rc=$?
		[ $rc = 2 ] && grep -q -- "--$opt.*given more than once" <<<"$err" ||
			rep_bad+=("$a --$opt: rc $rc: $err")
	fi
	err=$("$SB" "$a" --quiet --debug 2>&1); rc=$?
	[ $rc = 2 ] && grep -q "give one of them" <<<"$err" || common_bad+=("$a: rc $rc: $err")
done
[ ${#help_bad[@]} = 0 ] && ok help_synopsis_options_two_examples ||
	bad help_synopsis_options_two_examples "${help_bad[*]}"
[ ${#ver_bad[@]} = 0 ] && [[ $version =~ ^shrinkbox\ [0-9] ]] && ok version_in_every_applet ||
	bad version_in_every_applet "'$version'; wrong in: ${ver_bad[*]}"
[ ${#short_of[@]} -ge 10 ] && [ ${#short_bad[@]} = 0 ] && ok short_option_one_meaning ||
	bad short_option_one_meaning "${#short_of[@]} letters; ${short_bad[*]}"
[ ${#rep_bad[@]} = 0 ] && ok repeated_option_refused_everywhere ||
	bad repeated_option_refused_everywhere "${rep_bad[*]}"
[ ${#common_bad[@]} = 0 ] && ok quiet_and_debug_everywhere || bad quiet_and_debug_everywhere "${common_bad[*]}"
err=$("$SB" lvresize vg/lv -s 1GiB --size=2GiB 2>&1); rc=$?
[ $rc = 2 ] && grep -q -- "--size (-s) given more than once" <<<"$err" && ok repeated_short_and_long ||
	bad repeated_short_and_long "rc $rc: $err"

# ---- 3. +SIZE / -SIZE (lvm2's lvresize -L/-l), with lvm2 as the oracle.
d=$(new_loop 128M)
vg=$(uniq_name hl)
sb() { "$SB" "$@" --devices "$d" --backup-dir "$TMPD/bk"; }
lv_bytes() { lvs --noheadings --units b --nosuffix -o lv_size "$vg/$1" 2>/dev/null | tr -d ' '; }
lv_loop() {
	local pe n start
	read -r pe n < <(lvs --noheadings --segments -o seg_pe_ranges,seg_size_pe "$vg/$1" 2>/dev/null |
		awk '{split($1, p, "[:-]"); print p[2], $2}')
	start=$(pvs --noheadings --units b --nosuffix -o pe_start "$d" 2>/dev/null | tr -d ' ')
	losetup -f --show -o $((start + pe * 4194304)) --sizelimit $((n * 4194304)) "$d"
}
fs_bytes() {
	dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Block count/ {c = $2} /^Block size/ {s = $2} END {print c * s}'
}
MiB=1048576
q pvcreate "$d"; q vgcreate "$vg" "$d"
q lvcreate -an -Zn -n data -L 12M "$vg"

out=$(sb lvresize "$vg/data" --size +8MiB --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(lv_bytes data)" = $((20 * MiB)) ] && q vgck "$vg" && ok lvresize_plus_size ||
	bad lvresize_plus_size "rc $rc size $(lv_bytes data): $out"
out=$(sb lvresize "$vg/data" --extents +1 --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(lv_bytes data)" = $((24 * MiB)) ] && ok lvresize_plus_extents ||
	bad lvresize_plus_extents "rc $rc size $(lv_bytes data): $out"
before=$(sha256sum <"$d")
out=$(sb lvresize "$vg/data" --size -4MiB --yes 2>&1); rc=$?
[ $rc = 3 ] && grep -q -- --fs-checked <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok lvresize_minus_needs_fs_checked || bad lvresize_minus_needs_fs_checked "rc $rc: $out"
out=$(sb lvresize "$vg/data" --size -1MiB --fs-checked --yes 2>&1); rc=$?
# 23 MiB asked: rounded up to whole extents, 24 MiB, which it has.
[ $rc = 0 ] && grep -qx "No changes." <<<"$out" && [ "$(lv_bytes data)" = $((24 * MiB)) ] &&
	ok lvresize_minus_rounds_up || bad lvresize_minus_rounds_up "rc $rc size $(lv_bytes data): $out"
out=$(sb lvresize "$vg/data" --extents -2 --fs-checked --yes 2>&1); rc=$?
[ $rc = 0 ] && [ "$(lv_bytes data)" = $((16 * MiB)) ] && q vgck "$vg" && ok lvresize_minus_extents ||
	bad lvresize_minus_extents "rc $rc size $(lv_bytes data): $out"
before=$(sha256sum <"$d")
out=$(sb lvresize "$vg/data" --size -16MiB --fs-checked --yes 2>&1); rc=$?
[ $rc = 2 ] && grep -q "the LV has only" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok lvresize_minus_all_refused ||
	bad lvresize_minus_all_refused "rc $rc: $out"

q lvcreate -an -Zn -n root -L 16M "$vg"
l=$(lv_loop root); mkfs.ext4 -q "$l"; losetup -d "$l"
out=$(sb lvgrow "$vg/root" --size +8MiB --yes 2>&1); rc=$?
l=$(lv_loop root)
[ $rc = 0 ] && [ "$(lv_bytes root)" = $((24 * MiB)) ] && [ "$(fs_bytes "$l")" = $((24 * MiB)) ] &&
	q e2fsck -fn "$l" && q vgck "$vg" && ok lvgrow_plus_size ||
	bad lvgrow_plus_size "rc $rc LV $(lv_bytes root) fs $(fs_bytes "$l"): $out"
losetup -d "$l"
before=$(sha256sum <"$d")
out=$(sb lvgrow "$vg/root" --size -4MiB --yes 2>&1); rc=$?
[ $rc = 2 ] && grep -q "use lvshrink" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok lvgrow_minus_refused || bad lvgrow_minus_refused "rc $rc: $out"
out=$(sb lvshrink "$vg/root" --size +4MiB --yes 2>&1); rc=$?
[ $rc = 2 ] && grep -q "use lvgrow" <<<"$out" && [ "$(sha256sum <"$d")" = "$before" ] &&
	ok lvshrink_plus_refused || bad lvshrink_plus_refused "rc $rc: $out"
out=$(sb lvshrink "$vg/root" --size -4MiB --yes 2>&1); rc=$?
l=$(lv_loop root)
[ $rc = 0 ] && [ "$(lv_bytes root)" = $((20 * MiB)) ] && [ "$(fs_bytes "$l")" = $((20 * MiB)) ] &&
	q e2fsck -fn "$l" && q vgck "$vg" && ok lvshrink_minus_size ||
	bad lvshrink_minus_size "rc $rc LV $(lv_bytes root) fs $(fs_bytes "$l"): $out"
losetup -d "$l"
# vgcfg backup --dry-run (what the boot script runs without rd.shrinkbox.apply=yes) saves nothing.
out=$("$SB" vgcfg --dry-run backup "$vg" --devices "$d" --backup-dir "$TMPD/bk2" 2>&1); rc=$?
out2=$("$SB" vgcfg backup "$vg" --devices "$d" --backup-dir "$TMPD/bk3" 2>&1); rc2=$?
f=$(ls "$TMPD"/bk3/* 2>/dev/null | head -n 1)
[ $rc = 0 ] && [ ! -e "$TMPD/bk2" ] && [ $rc2 = 0 ] && [ -n "$f" ] &&
	q vgcfgrestore --test -f "$f" "$vg" && ok vgcfg_backup_dry_run_saves_nothing ||
	bad vgcfg_backup_dry_run_saves_nothing "rc $rc/$rc2: $out / $out2"

# ---- 4. JSON: schema_version, and every number's key names its unit (or is a count of one).
# A unit may be followed by _before or _after (lvshrink's lv_bytes_before).
UNIT='^(pe_|le_)|_(bytes|sectors?|pe|bits|ms|kb|mib_s|seconds|ratio)(_before|_after)?$'
COUNT='^(extents|blocks|free_blocks|seqno|number|version|keyslots|passphrase_keyslots|tokens|stripe_count|schema_version|next_partition|iterations|iterations_per_second|parallel_threads)$|^(extents|seqno)_(before|after)$'
json_bad=()
# json_check NAME JSON: schema_version 1 at the top; the numeric keys without a unit.
json_check() {
	local v keys
	v=$(jq -r '.schema_version' <<<"$2" 2>/dev/null)
	[ "$v" = 1 ] || json_bad+=("$1: schema_version '$v'")
	keys=$(jq -r '[paths(numbers) | .[-1] | strings] | unique | .[]' <<<"$2" 2>/dev/null |
		grep -vE "$UNIT" | grep -vE "$COUNT")
	[ -z "$keys" ] || json_bad+=("$1: $(echo $keys)")
}
img=$TMPD/gpt.img
truncate -s 64M "$img"
printf 'label: gpt\n,16M\n,16M\n' | sfdisk -q "$img" >/dev/null 2>&1
j=$("$SB" status "$img" --json 2>/dev/null)
json_check status-gpt "$j"
[ "$(jq -r '.volume.partition_table.partitions[0].start_sector' <<<"$j")" = 2048 ] ||
	json_bad+=("status-gpt: partition 1 start_sector $(jq -c '.volume.partition_table.partitions[0]' <<<"$j")")
lk=$(new_loop 32M)
echo -n pass | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	"$lk" - >/dev/null 2>&1
j=$("$SB" status "$lk" --json 2>/dev/null)
json_check status-luks2 "$j"
[ "$(jq -r '.volume.luks.sector_size_bytes' <<<"$j")" = "$(cryptsetup luksDump --dump-json-metadata "$lk" | jq -r '.segments."0".sector_size')" ] ||
	json_bad+=("status-luks2: sector_size_bytes $(jq -c '.volume.luks' <<<"$j")")
json_check status-pv "$("$SB" status "$d" --json 2>/dev/null)"
json_check defrag "$("$SB" defrag "$d" --json --dry-run --devices "$d" 2>/dev/null)"
json_check bench-device "$("$SB" bench device "$d" --size 1MiB --json 2>/dev/null)"
json_check bench-cipher "$("$SB" bench cipher --iter-time 50 --json 2>/dev/null)"
# The plans of lvresize, lvshrink and fsresize (dry runs: nothing changes).
before=$(sha256sum <"$d")
j=$(sb lvresize "$vg/data" --size +4MiB --dry-run --json 2>/dev/null)
json_check lvresize "$j"
[ "$(jq -r '[.extents_before, .extents_after, .lv_bytes_after, (.segments_after | map(.extents) | add)] | @tsv' <<<"$j")" = "$(printf '4\t5\t%s\t5' $((20 * MiB)))" ] ||
	json_bad+=("lvresize: $(jq -c . <<<"$j")")
json_check lvshrink "$(sb lvshrink "$vg/root" --size -4MiB --dry-run --json 2>/dev/null)"
[ "$(sha256sum <"$d")" = "$before" ] || json_bad+=("the --json dry runs changed the PV")
fsd=$(new_loop 32M)
mkfs.ext4 -q "$fsd"
j=$("$SB" fsresize "$fsd" --size 16MiB --dry-run --json 2>/dev/null)
json_check fsresize "$j"
[ "$(jq -r '[.content, .content_bytes_before, .content_bytes_after, .changes] | @tsv' <<<"$j")" = "$(printf 'ext4\t%s\t%s\ttrue' $((32 * MiB)) $((16 * MiB)))" ] ||
	json_bad+=("fsresize: $(jq -c . <<<"$j")")
[ ${#json_bad[@]} = 0 ] && ok json_schema_version_and_units || bad json_schema_version_and_units "${json_bad[*]}"

finish
