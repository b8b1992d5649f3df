#!/bin/bash
# The defrag benchmark of issue 6, in one VM run on a real kernel: the same
# 512 MiB of extents (one LV behind a hole, moved into the hole through
# dm-crypt) copied three ways, each from the same starting layout:
#   - shrinkbox defrag, at several --chunk sizes;
#   - dd iflag=direct oflag=direct at several block sizes (the bytes alone,
#     no metadata: the upper bound for a synchronous copy);
#   - lvm2's pvmove --alloc anywhere with the equivalent PE ranges.
# Between runs the layout is put back with vgcfgrestore of the first metadata:
# every copy goes into free space, so the old extents still hold the data.
# Each run is checked: the LV's checksum after it equals the one before.
# Prints MiB/s per run and the ratios; it is a benchmark, not a test: it fails
# only when a run fails or data changes, never because of a time.
#   VM_SMP=2 bench/defrag-vm.sh     two virtual CPUs (default 1)
#   CHUNKS="1MiB 4MiB"  BLOCKS="1M 4M"  REPEAT=2
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/vm/lib.sh
. tests/vm/gen.sh

CHUNKS=${CHUNKS:-256KiB 512KiB 1MiB 2MiB 4MiB 16MiB}
DEFAULT_CHUNK=1MiB	# MOVE_CHUNK_DEFAULT in src/plan/move.h; always measured
BLOCKS=${BLOCKS:-256K 1M 4M 16M 64M}
case " $CHUNKS " in *" $DEFAULT_CHUNK "*) ;; *) CHUNKS="$DEFAULT_CHUNK $CHUNKS" ;; esac
REPEAT=${REPEAT:-2}

for tool in qemu-system-x86_64 dracut debugfs; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is not installed (scripts/setup.sh)"; exit 1; }
done
make -s static >/dev/null || { echo "bench: make static failed"; exit 1; }
vm_kernel && vm_initrd || exit 1

work=$(mktemp -d /var/tmp/sbbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/layout.scn" <<'EOS'
disk 2G
table gpt
part 1MiB 21686148-6449-6E6F-744E-656564454649
part 1500MiB 0FC63DAF-8483-4772-8E79-3D69D8477DE4
luks 2 luks2 cr --pbkdf pbkdf2 --pbkdf-force-iterations 1000
pv /dev/mapper/cr
vg vg1
lv lvhead 64M none
gap 512M
lv lvdata 512M none
filllv lvdata
EOS
vm_make defrag-bench "$work/layout.scn" || exit 1

# The guest: lvhead is PE 0-15, the hole PE 16-143, lvdata PE 144-271 (4 MiB extents).
{
	gen_prologue
	cat <<EOS
CHUNKS="$CHUNKS"; BLOCKS="$BLOCKS"; REPEAT=$REPEAT
EOS
	cat <<'EOS'
set -u
cryptsetup open --key-file $KEY $(part 2) cr
lvm vgcfgbackup -q -f /run/orig.vg vg1 >/dev/null
ext=$((4 * 1048576))
pe0=$(lvm pvs --noheadings --units b --nosuffix -o pe_start /dev/mapper/cr | tr -d ' ')
now() { date +%s%N; }
lvsum() { lvm lvchange -q -ay vg1/lvdata && sha256sum </dev/vg1/lvdata | cut -d' ' -f1; lvm lvchange -q -an vg1/lvdata; }
want=$(lvsum)
restore() { lvm vgcfgrestore -q -f /run/orig.vg vg1 >/dev/null 2>&1 || echo "BENCH-ERROR vgcfgrestore"; }
# result NAME BYTES NS: one line per run, on the console and the result disk.
result() { echo "BENCH $1 $2 $3" | tee -a /result/bench.txt; }
check() { [ "$(lvsum)" = "$want" ] || echo "BENCH-ERROR $1: lvdata changed" | tee -a /result/bench.txt; }
bytes=$((128 * ext))
for r in $(seq $REPEAT); do
	for c in $CHUNKS; do
		restore
		t=$(now)
		shrinkbox defrag /dev/mapper/cr --yes --chunk $c >/run/defrag.out 2>&1 ||
			{ echo "BENCH-ERROR defrag --chunk $c"; cat /run/defrag.out; }
		result "shrinkbox-defrag-chunk-$c" $bytes $(($(now) - t))
		check "defrag --chunk $c"
	done
	for b in $BLOCKS; do
		restore
		t=$(now)
		dd if=/dev/mapper/cr of=/dev/mapper/cr bs=$b iflag=direct,skip_bytes,count_bytes \
			oflag=direct,seek_bytes conv=notrunc,fsync skip=$((pe0 + 144 * ext)) \
			seek=$((pe0 + 16 * ext)) count=$bytes status=none || echo "BENCH-ERROR dd bs=$b"
		result "dd-bs-$b" $bytes $(($(now) - t))
	done
done
restore
t=$(now)
lvm pvmove -q -i 0 --alloc anywhere /dev/mapper/cr:144-271 /dev/mapper/cr:16-143 >/run/pvmove.out 2>&1 ||
	{ echo "BENCH-ERROR pvmove"; cat /run/pvmove.out; }
result pvmove $bytes $(($(now) - t))
check pvmove
lvm pvs --segments --noheadings -o pvseg_start,pvseg_size,lv_name /dev/mapper/cr
lvm vgchange -q -an >/dev/null 2>&1
sync
echo SBTEST-OK
EOS
} >"$work/bench.sh"

cp --sparse=always "$MK/disk.img" "$work/disk.img"
vm_result_disk "$work/result.img"
echo "bench: booting (vCPUs ${VM_SMP:-1}); 512 MiB per run, $REPEAT rounds"
vm_run "$work/disk.img" "$work/result.img" "$work/bench.sh" "$work/console.log" 3600
if ! grep -q SBTEST-OK "$work/console.log"; then
	echo "bench: the guest did not finish; console:"; tr -d '\r' <"$work/console.log" | tail -n 30
	exit 1
fi
res=$(vm_result "$work/result.img" bench.txt)
if grep -q BENCH-ERROR "$work/console.log"; then
	tr -d '\r' <"$work/console.log" | grep -A5 BENCH-ERROR
	exit 1
fi
# Best of the rounds per configuration, in MiB/s.
best=$(awk '$1 == "BENCH" {r = $3 / 1048576 / ($4 / 1e9); if (r > b[$2]) b[$2] = r}
	END {for (k in b) printf "%s %.2f\n", k, b[k]}' <<<"$res" | sort)
echo "MiB/s, best of $REPEAT (512 MiB through dm-crypt aes-xts-plain64, TCG, ${VM_SMP:-1} vCPU):"
sed 's/^/  /' <<<"$best"
sb=$(awk -v d="shrinkbox-defrag-chunk-$DEFAULT_CHUNK" '$1 == d {print $2}' <<<"$best")
sbmax=$(awk '$1 ~ /^shrinkbox/ && $2 > m {m = $2} END {print m}' <<<"$best")
dd=$(awk '$1 ~ /^dd-/ && $2 > m {m = $2} END {print m}' <<<"$best")
pv=$(awk '$1 == "pvmove" {print $2}' <<<"$best")
awk -v sb="$sb" -v sbmax="$sbmax" -v dd="$dd" -v pv="$pv" 'BEGIN {
	printf "shrinkbox (default '"$DEFAULT_CHUNK"' chunk) / best dd:  %.2f  (goal >= 0.95)\n", sb / dd
	printf "shrinkbox (best chunk) / best dd:          %.2f\n", sbmax / dd
	printf "shrinkbox (default '"$DEFAULT_CHUNK"' chunk) / pvmove:   %.2f  (goal >= 2)\n", sb / pv }'
