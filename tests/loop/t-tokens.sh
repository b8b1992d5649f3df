#!/bin/bash
# LUKS2 tokens and the partition table: a systemd-tpm2 token bound to PCR 5
# (which measures the GPT) stops unlocking once the table changes. partresize
# says so with the command that enrols it again, refuses (nothing written)
# when the token's keyslot is the only one, and leaves a token that is not
# bound to PCR 5 alone. The token JSON is imported with cryptsetup token
# import (no TPM needed: only the plan reads it). Also the table backup that
# partresize leaves before its first write, restored by sfdisk, and LUKS2 with
# dm-integrity (a header marked so by tests/lib/luks2-integrity.py: formatting
# one needs device-mapper) refused as content that cannot shrink.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/loop-env.sh
trap 'cleanup_loops' EXIT

SB=${SHRINKBOX:-./shrinkbox}
printf 'pw0' >"$TMPD/k0"; printf 'pw1' >"$TMPD/k1"
pb=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)

# mkimg NAME SLOTS PCRS: a GPT image, partition 1 (40 MiB, then 20 MiB free)
# holding LUKS2 with keyslot 0 (and 1 when SLOTS=2) and a systemd-tpm2 token
# naming the last keyslot, its policy over PCRS (e.g. 5,7).
mkimg() {
	local img=$TMPD/$1.img hdr=$TMPD/$1.luks slot=$(($2 - 1))
	truncate -s 64M "$img"
	printf 'label: gpt\nstart=2048, size=81920, type=L\n' | q sfdisk "$img"
	truncate -s 40M "$hdr"
	q cryptsetup luksFormat -q --type luks2 "${pb[@]}" --key-file "$TMPD/k0" "$hdr"
	[ "$2" = 2 ] && q cryptsetup luksAddKey -q "${pb[@]}" --key-file "$TMPD/k0" "$hdr" "$TMPD/k1"
	printf '{"type":"systemd-tpm2","keyslots":["%s"],"tpm2-blob":"AAAA","tpm2-pcrs":[%s],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00","tpm2-pin":false}' \
		"$slot" "$3" >"$TMPD/tok.json"
	q cryptsetup token import --json-file "$TMPD/tok.json" "$hdr"
	dd if="$hdr" of="$img" bs=1M seek=1 conv=notrunc status=none
	rm -f "$hdr"
	echo "$img"
}

# ---- bound to PCR 5, a passphrase keyslot beside it: warned, re-enrol command, done ----
img=$(mkimg pcr5 2 5,7)
table0=$(sfdisk -d "$img")
before=$(sha256sum <"$img")
psum() { dd if="$1" bs=1M skip=1 count=40 status=none | sha256sum; }
luks0=$(psum "$img")
dry=$("$SB" partresize "$img" --partition 1 --size 50MiB --dry-run 2>&1); rc_dry=$?
dry_same=$([ "$(sha256sum <"$img")" = "$before" ] && echo yes)
out=$("$SB" partresize "$img" --partition 1 --size 50MiB --yes --backup-dir "$TMPD/bk" 2>&1); rc=$?
bk=$(sed -n 's/^  table saved: \([^ ]*\) .*/\1/p' <<<"$out")
cp "$img" "$TMPD/restored.img"
[ -n "$bk" ] && q sfdisk --no-reread "$TMPD/restored.img" <"$bk"
begin tpm2_pcr5_token_warned_with_reenrol_command
same rc_dry_run "$rc_dry" 0
holds dry_run_bytes "the dry run changed the image" [ "$dry_same" = yes ]
holds dry_says "said: $dry" grep -q "is bound to PCR 5, the partition table" <<<"$dry"
holds command "said: $out" grep -qF "systemd-cryptenroll --wipe-slot=tpm2 --tpm2-device=auto --tpm2-pcrs=5+7" <<<"$out"
holds tokens_line "said: $out" grep -q "1 LUKS2 token(s): systemd-tpm2; 1 keyslot(s) open by passphrase" <<<"$out"
same rc "$rc" 0
same size "$(sfdisk -d "$img" | awk '/start=/ {gsub(",", ""); for (i = 1; i <= NF; i++) if ($i == "size=") print $(i + 1)}')" 102400
holds verify "sfdisk --verify" sfdisk --verify "$img"
holds backup "no backup named: $out" [ -s "$bk" ]
same restored "$(sfdisk -d "$TMPD/restored.img" | grep -v "^device:" | sed "s#$TMPD/restored.img#IMG#")" "$(grep -v "^device:" <<<"$table0" | sed "s#$TMPD/pcr5.img#IMG#")"
same luks_bytes "$(psum "$img")" "$luks0"
end_case
out=$("$SB" status "$img" 2>&1)
begin status_shows_the_token
holds status "said: $out" grep -q "1 token(s): systemd-tpm2; 1 keyslot(s) open by passphrase or key file; TPM2 keyslot 1, PCRs 5+7" <<<"$out"
end_case

# ---- the token's keyslot is the only one: refused before any write, dry run alike ----
img=$(mkimg only 1 5,7)
before=$(sha256sum <"$img")
out=$("$SB" partresize "$img" --partition 1 --size 50MiB --yes --backup-dir "$TMPD/bk2" 2>&1); rc=$?
dry=$("$SB" partresize "$img" --partition 1 --size 50MiB --dry-run 2>&1); rc_dry=$?
begin tpm2_only_keyslot_refused_nothing_written
same rc "$rc" 3
same rc_dry_run "$rc_dry" 3
holds message "said: $out" grep -q "nothing could unlock it on the next boot; add a passphrase first" <<<"$out"
holds bytes "the image changed" [ "$(sha256sum <"$img")" = "$before" ]
holds no_backup "a backup was written before the refusal" [ ! -e "$TMPD/bk2" ]
end_case

# ---- a token over PCR 7 only: the table change does not concern it ----
img=$(mkimg pcr7 1 7)
out=$("$SB" partresize "$img" --partition 1 --size 50MiB --yes --backup-dir "$TMPD/bk3" 2>&1); rc=$?
begin tpm2_pcr7_token_left_alone
same rc "$rc" 0
holds says "said: $out" grep -q "is not bound to PCR 5: changing the partition table keeps it working" <<<"$out"
end_case

# ---- LUKS2 with dm-integrity: named by status, refused as shrinking content ----
img=$TMPD/integ.img hdr=$TMPD/integ.luks
truncate -s 64M "$img"
printf 'label: gpt\nstart=2048, size=81920, type=L\n' | q sfdisk "$img"
truncate -s 40M "$hdr"
q cryptsetup luksFormat -q --type luks2 "${pb[@]}" --key-file "$TMPD/k0" "$hdr"
python3 tests/lib/luks2-integrity.py "$hdr"
dd if="$hdr" of="$img" bs=1M seek=1 conv=notrunc status=none
before=$(sha256sum <"$img")
st=$("$SB" status "$img" 2>&1)
out=$("$SB" partresize "$img" --partition 1 --size 30MiB --yes --force-unknown-content 2>&1); rc=$?
begin luks2_integrity_named_and_refused
holds status "said: $st" grep -q "dm-integrity hmac(sha256) under dm-crypt" <<<"$st"
same rc "$rc" 3
holds message "said: $out" grep -q "LUKS2 with dm-integrity (hmac(sha256)), which shrinkbox does not resize" <<<"$out"
holds bytes "the image changed" [ "$(sha256sum <"$img")" = "$before" ]
end_case
finish
