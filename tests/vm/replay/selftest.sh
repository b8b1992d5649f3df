#!/bin/bash
# The replayer against QEMU's own blklogwrites driver, without a guest:
# qemu-io writes known patterns through blklogwrites, and every state the
# replayer builds must match an image built independently (the same qemu-io
# commands up to that flush, on a plain raw image): each flush boundary
# exactly; a torn variant sector by sector either its boundary or the next
# one, and equal to neither. Prints "PASS replayer ..." or "FAIL replayer: why".
set -uo pipefail
RP=$(cd "$(dirname "$0")" && pwd)/replay.py
t=$(mktemp -d /var/tmp/sbreplay-self.XXXXXX)
trap 'rm -rf "$t"' EXIT
# Three epochs: a 4 KiB write; an 8 KiB write and one overwriting a flushed
# sector; a 16 KiB write across five 4 KiB units and a zero write over data.
e1=(-c "write -P 0x11 0 4k")
e2=(-c "write -P 0x22 4k 8k" -c "write -P 0x33 0 512")
e3=(-c "write -P 0x44 62k 16k" -c "write -z 4k 4k")
truncate -s 1M "$t/img" && : >"$t/log"
qemu-io --image-opts "driver=blklogwrites,file.driver=file,file.filename=$t/img,log.driver=file,log.filename=$t/log,log-sector-size=512" \
	"${e1[@]}" -c flush "${e2[@]}" -c flush "${e3[@]}" >/dev/null || { echo "FAIL replayer: qemu-io"; exit 1; }
# The independent images after each epoch (0: the start; 3: everything).
truncate -s 1M "$t/x0"
cp "$t/x0" "$t/x1"; qemu-io -f raw "${e1[@]}" "$t/x1" >/dev/null
cp "$t/x1" "$t/x2"; qemu-io -f raw "${e2[@]}" "$t/x2" >/dev/null
cp "$t/x2" "$t/x3"; qemu-io -f raw "${e3[@]}" "$t/x3" >/dev/null
cmp -s "$t/x3" "$t/img" || { echo "FAIL replayer: qemu-io raw and blklogwrites images differ"; exit 1; }
info=$(python3 "$RP" info "$t/log") || { echo "FAIL replayer: info"; exit 1; }
bad=""
# Which epoch ends at each flush: the entries before it name the writes it covers.
nb=0
for s in $(python3 "$RP" states "$t/log" --torn 12 --prefix 6 --seed 5); do
	cp "$t/x0" "$t/st"
	python3 "$RP" apply "$t/log" "$t/st" "$s" >/dev/null || { bad+="apply $s failed; "; continue; }
	d=$(python3 "$RP" describe "$t/log" "$s")
	case $s in
	b:* | e)
		nb=$((nb + 1))
		# The writes before boundary K, counted by the log: the epoch it ends.
		w=$(python3 "$RP" info "$t/log" --limit "$(python3 "$RP" list "$t/log" |
			awk -v k="${s#b:}" '$2 == "flush" && ++n == k {print $1 + 1; exit}')" |
			awk '{print $4}')
		[ "$s" = e ] && w=5
		case $w in 0) x=0 ;; 1) x=1 ;; 2 | 3) x=2 ;; *) x=3 ;; esac
		cmp -s "$t/st" "$t/x$x" || bad+="$s ($w writes) differs from epoch $x; "
		;;
	t:* | p:*)
		k=$(sed -n 's/^boundary \([0-9]*\) .*/\1/p' <<<"$d")
		w=$(python3 "$RP" info "$t/log" --limit "$(python3 "$RP" list "$t/log" |
			awk -v k="$k" 'k == 0 {print 0; exit} $2 == "flush" && ++n == k {print $1 + 1; exit}')" |
			awk '{print $4}')
		case $w in 0) x=0 ;; 1) x=1 ;; *) x=2 ;; esac
		python3 - "$t/st" "$t/x$x" "$t/x$((x + 1))" <<'EOF' || bad+="$s ($d): not a mix of epoch $x and $((x + 1)); "
import sys
st, a, b = (open(p, "rb").read() for p in sys.argv[1:])
ok = all(st[i:i + 512] in (a[i:i + 512], b[i:i + 512]) for i in range(0, len(st), 512))
sys.exit(0 if ok and st != a and st != b else 1)
EOF
		;;
	esac
done
[ "$nb" -ge 2 ] || bad+="only $nb boundaries; "
if [ -n "$bad" ]; then
	echo "FAIL replayer: $bad"; exit 1
fi
echo "PASS replayer: $info; every boundary, 12 torn and 6 prefix variants as expected"
