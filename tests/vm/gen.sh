# shellcheck shell=bash
# Turns a scenario file (data: see tests/vm/README.md) into the two guest
# scripts: the maker, which builds the disk with the real tools, and the test,
# which runs the steps and records what the oracles say. Sourced by run.sh.

# The prologue both stages share: lvm without udev, the test key, helpers.
gen_prologue() {
	cat <<'EOS'
set -u
export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
mkdir -p /etc/lvm /run/sbtest /mnt
cat >/etc/lvm/lvm.conf <<EOC
global { use_lvmpolld = 0 event_activation = 0 }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
devices { obtain_device_list_from_udev = 0 use_devicesfile = 0 hints = "none" }
backup { backup = 0 archive = 0 }
EOC
KEY=/run/sbtest/key
printf 'sbtest-passphrase' >$KEY
D=/dev/vda
part() { case $D in *[0-9]) echo "${D}p$1" ;; *) echo "$D$1" ;; esac; }
settle() { udevadm settle 2>/dev/null; sleep 1; }
out() { echo "SBOUT $*"; }
# Sectors written to the test disk so far (/sys/block/vda/stat, field 7), after a sync: equal
# before and after a command, the command wrote nothing (a whole-disk checksum, without
# reading the disk).
writes() { sync; awk '{print $7}' /sys/block/${D#/dev/}/stat; }
EOS
}

# gen_maker SCENARIO: the first boot, which lays the disk out and fills it.
gen_maker() {
	local f=$1 key val rest parts="" table=gpt lvs_after="" gapn=0 closes=""
	gen_prologue
	echo 'set -e'
	while read -r key val rest; do
		case $key in
		table) table=$val ;;
		part) parts+=",$val,${rest%% *}\n" ;;
		esac
	done < <(grep -v '^\s*#' "$f")
	printf "printf 'label: %s\\\\n%b' | sfdisk -q \$D\nsettle\n" "$table" "$parts"
	while read -r key val rest; do
		case $key in
		luks)
			set -- $rest
			local ver=$1 name=$2
			shift 2
			echo "cryptsetup luksFormat -q --type $ver $* --key-file \$KEY \$(part $val)"
			echo "cryptsetup open --key-file \$KEY \$(part $val) $name"
			;;
		pv) echo "lvm pvcreate -q $val $rest"; PV=$val ;;
		vg) echo "lvm vgcreate -q $val $PV"; VG=$val ;;
		lv)
			set -- $rest
			echo "lvm lvcreate -q -y -n $val -L $1 $VG"
			case ${2:-none} in
			ext4) echo "mkfs.ext4 -q /dev/$VG/$val" ;;
			xfs) echo "mkfs.xfs -q -f /dev/$VG/$val" ;;
			swap) echo "mkswap -L $val /dev/$VG/$val >/dev/null" ;;
			esac
			;;
		gap)
			gapn=$((gapn + 1))
			echo "lvm lvcreate -q -y -n sbgap$gapn -L $val $VG"
			lvs_after+="lvm lvremove -q -y $VG/sbgap$gapn\n"
			;;
		extend) echo "lvm lvextend -q -L +$rest $VG/$val" ;;
		filllv)
			echo "yes '$val raw' | head -c \$(blockdev --getsize64 /dev/$VG/$val) | dd of=/dev/$VG/$val bs=1M iflag=fullblock conv=fsync status=none"
			echo "sha256sum </dev/$VG/$val | cut -d' ' -f1 >/result/sum-raw-$val"
			;;
		rootfs | rootfsdev)
			# A minimal real root: busybox, shrinkbox, and an init that runs the
			# scenario's rootstep lines, records the data checksums, powers off.
			# "rootfsdev DEVICE [SUBVOLUME]": in a filesystem with no LV (Fedora's
			# btrfs subvolume root).
			if [ "$key" = rootfs ]; then
				echo "mount /dev/$VG/$val /mnt"
			else
				echo "mount ${rest:+-o subvol=$rest} $val /mnt"
			fi
			echo "mkdir -p /mnt/bin /mnt/sbin /mnt/proc /mnt/sys /mnt/dev /mnt/result /mnt/run"
			echo "cp /usr/lib/sbtest/busybox /mnt/bin/busybox; cp /usr/sbin/shrinkbox /mnt/sbin/shrinkbox"
			# e2fsck and resize2fs with their libraries (a plan made in the
			# booted root, as schedule does, asks resize2fs -P).
			echo "mkdir -p /mnt/usr/lib/x86_64-linux-gnu /mnt/lib64; ln -sfn usr/lib /mnt/lib"
			echo "for l in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu; do [ -d \$l ] && cp -a \$l/. /mnt/usr/lib/x86_64-linux-gnu/ || :; done"
			echo "[ -d /lib64 ] && cp -a /lib64/. /mnt/lib64/ || :"
			echo "cp \$(command -v e2fsck) \$(command -v resize2fs) /mnt/sbin/"
			# btrfs and xfs_growfs where the image has them: an online grow in the root.
			echo "for t in btrfs xfs_growfs; do command -v \$t >/dev/null && cp \$(command -v \$t) /mnt/sbin/ || :; done"
			echo "cat >/mnt/sbin/init <<'EOI'"
			gen_rootinit "$f"
			echo "EOI"
			echo "chmod 755 /mnt/sbin/init; umount /mnt"
			;;
		mkfs)
			# "mkfs N TYPE [ARGS]": a filesystem on partition N (a /boot).
			set -- $rest
			local t=$1
			shift
			echo "mke2fs -q -t $t $* \$(part $val)"
			;;
		cryptswap)
			# "cryptswap N": Pop!_OS's swap: plain dm-crypt with a random key on partition
			# N, swap inside, closed: no signature is left that anything can name.
			echo "cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 --key-file /dev/urandom \$(part $val) sbcryptswap"
			echo "mkswap /dev/mapper/sbcryptswap >/dev/null; cryptsetup close sbcryptswap"
			echo "dd if=\$(part $val) bs=1M status=none | sha256sum | cut -d' ' -f1 >/result/sum-part$val"
			;;
		luksdev)
			# "luksdev DEVICE VERSION NAME OPTIONS": LUKS on a device such as an LV, opened as NAME.
			set -- $rest
			local lver=$1 lname=$2
			shift 2
			echo "cryptsetup luksFormat -q --type $lver $* --key-file \$KEY $val"
			echo "cryptsetup open --key-file \$KEY $val $lname"
			closes+="cryptsetup close $lname\n"
			;;
		mkfsdev)
			# "mkfsdev DEVICE TYPE [SUBVOLUME...]": a filesystem on a device with no LV
			# (a LUKS mapping); btrfs with the subvolumes named (Fedora: root, home).
			set -- $rest
			case $1 in
			btrfs)
				# Labelled, so that a real boot finds it as root=LABEL=sbbtrfs.
				echo "mkfs.btrfs -q -f -L sbbtrfs $val >/dev/null"
				shift
				if [ $# -gt 0 ]; then
					echo "mount $val /mnt"
					for sv in "$@"; do echo "btrfs -q subvolume create /mnt/$sv"; done
					echo "umount /mnt"
				fi
				;;
			xfs) echo "mkfs.xfs -q -f $val" ;;
			*) echo "mke2fs -q -t $1 $val" ;;
			esac
			;;
		filldev)
			# "filldev DEVICE NAME SIZE": data in DEVICE's filesystem, checked as NAME.
			set -- $rest
			echo "mount $val /mnt"
			echo "yes '$1 data' | head -c $2 >/mnt/data"
			echo "sha256sum </mnt/data | cut -d' ' -f1 >/result/sum-$1"
			echo "umount /mnt"
			;;
		fillpart)
			echo "yes 'partition $val' | head -c $rest | dd of=\$(part $val) bs=1M conv=notrunc,fsync status=none"
			echo "dd if=\$(part $val) bs=1M status=none | sha256sum | cut -d' ' -f1 >/result/sum-part$val"
			;;
		fill)
			set -- $rest
			echo "mount /dev/$VG/$val /mnt"
			echo "yes '$val data' | head -c $1 >/mnt/data"
			echo "sha256sum </mnt/data | cut -d' ' -f1 >/result/sum-$val"
			echo "umount /mnt"
			;;
		esac
	done < <(grep -v '^\s*#' "$f")
	printf '%b' "$lvs_after"
	# LUKS inside an LV closes before its VG deactivates.
	printf '%b' "$closes"
	cat <<'EOS'
lvm vgchange -q -an
for m in $(dmsetup ls --target crypt 2>/dev/null | awk '$2 ~ /^\(/ {print $1}'); do cryptsetup close "$m"; done
sync
echo SBMAKER-OK
EOS
}

# gen_test SCENARIO: the steps, each with its exit code and output, then the oracles.
gen_test() {
	local f=$1 key val rest n=0 q
	gen_prologue
	while read -r key val rest; do
		case $key in
		luks)
			set -- $rest
			echo "LUKSPART=\$(part $val); LUKSNAME=$2"
			;;
		vg) echo "VG=$val" ;;
		fill) echo "FILLS=\"\${FILLS:-} $val\"" ;;
		filldev) echo "DEVFILLS=\"\${DEVFILLS:-} ${rest%% *}:$val\"" ;;
		luksdev)
			set -- $rest
			echo "LUKSDEVS=\"\${LUKSDEVS:-} $2:$val\""
			;;
		fillpart | cryptswap) echo "PARTS=\"\${PARTS:-} $val\"" ;;
		filllv) echo "RAWS=\"\${RAWS:-} $val\"" ;;
		esac
	done < <(grep -v '^\s*#' "$f")
	while read -r key rest; do
		[ "$key" = step ] || continue
		n=$((n + 1))
		q=${rest//\'/\'\\\'\'}	# the step, single-quoted for echo
		echo "echo \"SBSTEP $n at \$(cut -d' ' -f1 /proc/uptime) s\"; echo 'SBSTEP $n: $q'"
		# Live on the console too: the power-cut helper watches it for markers.
		echo "( $rest ) 2>&1 | tee /result/step-$n.out; echo \${PIPESTATUS[0]} >/result/step-$n.rc"
		echo "echo \"SBSTEP $n rc=\$(cat /result/step-$n.rc) at \$(cut -d' ' -f1 /proc/uptime) s\""
	done < <(grep -v '^\s*#' "$f")
	cat <<'EOS'
# Oracles, in the same guest: the real tools' view, fsck, data.
settle
sfdisk -J $D >/result/sfdisk.json 2>/dev/null
if [ -n "${LUKSPART:-}" ]; then
	cryptsetup luksDump --dump-json-metadata $LUKSPART >/result/luks2.json 2>/dev/null
	cryptsetup luksDump $LUKSPART >/result/luksdump.txt 2>/dev/null
	[ -e /dev/mapper/$LUKSNAME ] || cryptsetup open --key-file $KEY $LUKSPART $LUKSNAME
	cryptsetup status $LUKSNAME >/result/cryptstatus.txt 2>&1
	blockdev --getsz /dev/mapper/$LUKSNAME >/result/mapping.sectors
fi
if [ -n "${VG:-}" ]; then
	lvm vgchange -q -ay >/dev/null 2>&1
	lvm vgck $VG >/result/vgck.out 2>&1; echo $? >/result/vgck.rc
	lvm lvs --reportformat json --units b --nosuffix -o lv_name,lv_size,seg_start_pe,seg_size_pe,seg_pe_ranges --segments $VG >/result/lvs.json 2>/dev/null
fi
for l in ${LUKSDEVS:-}; do
	[ -e /dev/mapper/${l%%:*} ] || cryptsetup open --key-file $KEY ${l#*:} ${l%%:*}
done
# Each filesystem checked by its own tool; its size as the tool reads the superblock.
for f in ${DEVFILLS:-}; do
	n=${f%%:*} dev=${f#*:}
	case $(blkid -p -o value -s TYPE $dev) in
	btrfs)
		btrfs check --readonly $dev >/result/fsck-$n.out 2>&1; echo $? >/result/fsck-$n.rc
		btrfs inspect-internal dump-super $dev | awk '$1 == "dev_item.total_bytes" {print $2}' >/result/fsbytes-$n
		;;
	xfs)
		xfs_repair -n $dev >/result/fsck-$n.out 2>&1; echo $? >/result/fsck-$n.rc
		xfs_db -r -c "sb 0" -c "p dblocks blocksize" $dev | awk '{v[$1]=$3} END {print v["dblocks"] * v["blocksize"]}' >/result/fsbytes-$n
		;;
	*)
		e2fsck -fn $dev >/result/fsck-$n.out 2>&1; echo $? >/result/fsck-$n.rc
		dumpe2fs -h $dev 2>/dev/null | awk -F: '/^Block count/ {c=$2} /^Block size/ {b=$2} END {print c*b}' >/result/fsbytes-$n
		;;
	esac
	mount -o ro $dev /mnt && sha256sum </mnt/data | cut -d' ' -f1 >/result/now-$n && umount /mnt
done
lvm pvs --reportformat json --units b --nosuffix -o pv_name,pv_size,pe_start,pv_pe_count,pv_pe_alloc_count >/result/pvs.json 2>/dev/null
for lv in ${FILLS:-}; do
	# XFS by its own checker (RHEL's layout), ext2/3/4 by e2fsck.
	if [ "$(blkid -p -o value -s TYPE /dev/$VG/$lv)" = xfs ]; then
		xfs_repair -n /dev/$VG/$lv >/result/fsck-$lv.out 2>&1; echo $? >/result/fsck-$lv.rc
	else
		e2fsck -fn /dev/$VG/$lv >/result/fsck-$lv.out 2>&1; echo $? >/result/fsck-$lv.rc
	fi
	mount -o ro /dev/$VG/$lv /mnt && sha256sum </mnt/data | cut -d' ' -f1 >/result/now-$lv && umount /mnt
done
for lv in ${RAWS:-}; do
	sha256sum </dev/$VG/$lv | cut -d' ' -f1 >/result/now-raw-$lv
done
for p in ${PARTS:-}; do
	dd if=$(part $p) bs=1M status=none | sha256sum | cut -d' ' -f1 >/result/now-part$p
done
for p in $(ls /sys/class/block/ | grep "^vda[0-9]"); do
	echo "$p $(cat /sys/class/block/$p/size)" >>/result/kernel-sizes
done
lvm vgchange -q -an >/dev/null 2>&1
sync
echo SBTEST-OK
EOS
}

# gen_rootinit SCENARIO: /sbin/init of a "rootfs" LV. It runs as PID 1 after
# switch_root: records that the real root came up, the checksum of each "fill"
# file in this root, and each "rootstep" (exit code and output, as
# step-rN.*), on the result disk; then powers off without unmounting the root
# (a forced power-off: the next shrink meets a filesystem that was not
# cleanly unmounted, as after a crash).
gen_rootinit() {
	local f=$1 key rest n=0 q
	cat <<'EOS'
#!/bin/busybox sh
export PATH=/sbin:/bin DM_DISABLE_UDEV=1
for a in mount umount sha256sum cut cat tee grep sync poweroff findfs mkdir sleep ls; do
	/bin/busybox ln -sf busybox /bin/$a 2>/dev/null
done
mount -t proc proc /proc 2>/dev/null; mount -t sysfs sys /sys 2>/dev/null; mount -t devtmpfs dev /dev 2>/dev/null
mount -t ext4 "$(findfs LABEL=sbresult)" /result
echo "SBROOT: up" >/dev/console
echo ok >/result/root-ok
[ -f /data ] && sha256sum </data | cut -d' ' -f1 >/result/rootsum
EOS
	while read -r key rest; do
		[ "$key" = rootstep ] || continue
		n=$((n + 1))
		q=${rest//\'/\'\\\'\'}
		echo "echo 'SBROOTSTEP $n: $q' >/dev/console"
		echo "( $rest ) >/result/step-r$n.out 2>&1; echo \$? >/result/step-r$n.rc"
		echo "cat /result/step-r$n.out >/dev/console; echo \"SBROOTSTEP $n rc=\$(cat /result/step-r$n.rc)\" >/dev/console"
	done < <(grep -v '^\s*#' "$f")
	cat <<'EOS'
sync; umount /result; sync
echo "SBROOT: done" >/dev/console
poweroff -f
EOS
}
