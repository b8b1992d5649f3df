# shellcheck shell=bash
# Helpers for tests on loop devices (sourced). The host kernel has loop devices
# and BLKPG but no device-mapper: lvm2 runs metadata-only (activation = 0),
# with a private config so /etc/lvm is never touched, and a device filter that
# names only this test's loop devices (loop devices may be shared on this host).

# new_loop runs in $(...) subshells, so the list of our loop devices lives in a
# file ($TMPD/loops), not in a shell variable.
loop_env_init() {
	TMPD=$(mktemp -d /tmp/sbtest.XXXXXX)
	export LVM_SYSTEM_DIR=$TMPD/lvm
	mkdir -p "$LVM_SYSTEM_DIR" "$TMPD/lock" "$TMPD/backup" "$TMPD/archive"
}
loop_env_init
export LVM_SUPPRESS_FD_WARNINGS=1
# A script stopped by a signal (the runner's timeout, ^C) still runs its EXIT
# trap, so its loop devices are detached.
trap 'exit 130' INT
trap 'exit 143' TERM

our_loops() {
	cat "$TMPD/loops" 2>/dev/null || true
}

# still_ours DEV: DEV is backed by one of our images (under $TMPD), or by a partition of
# a loop device that is. A device this script detached early may have been given to
# another test since (loop numbers are reused): that one is not ours to detach.
still_ours() {
	local bf base
	bf=$(losetup -nO BACK-FILE "$1" 2>/dev/null) || return 1
	case $bf in
	"$TMPD"/*) return 0 ;;
	/dev/loop*)
		base=$(sed -E 's/p[0-9]+$//' <<<"$bf")
		[ "$base" != "$1" ] && grep -qx "$base" "$TMPD/loops" 2>/dev/null && still_ours "$base"
		;;
	*) return 1 ;;
	esac
}

cleanup_loops() {
	local l
	for l in $(our_loops); do
		still_ours "$l" || continue
		partx -d "$l" >/dev/null 2>&1 || true
		losetup -d "$l" 2>/dev/null || true
	done
	rm -rf "$TMPD"
}

# loop_env_reset: detach everything and start again with a fresh $TMPD.
loop_env_reset() {
	cleanup_loops
	loop_env_init
}

# lvm_config: rewrite lvm.conf so the filter accepts exactly our loop devices.
lvm_config() {
	local filter="" l
	for l in $(our_loops); do
		filter+="\"a|^${l}(p[0-9]+)?\$|\", "
	done
	cat >"$LVM_SYSTEM_DIR/lvm.conf" <<EOC
global { activation = 0 locking_dir = "$TMPD/lock" use_lvmpolld = 0 event_activation = 0 }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
backup { backup = 0 archive = 0 backup_dir = "$TMPD/backup" archive_dir = "$TMPD/archive" }
devices { obtain_device_list_from_udev = 0 use_devicesfile = 0 hints = "none"
	md_component_detection = 0 multipath_component_detection = 0
	global_filter = [ ${filter}"r|.*|" ] }
EOC
}

# new_loop SIZE: a sparse image on a fresh loop device; prints the device.
new_loop() {
	local img
	img=$(mktemp "$TMPD/img.XXXXXX")
	truncate -s "$1" "$img"
	local dev
	dev=$(losetup -f --show "$img")
	echo "$dev" >>"$TMPD/loops"
	lvm_config
	echo "$dev"
}

# Partition nodes for a loop device: the kernel here has no GPT parser, so add them via BLKPG.
add_partitions() {
	partx -a "$1" >/dev/null 2>&1 || partx -u "$1" >/dev/null
}

# lv_extent_loop VG LV: a loop device over an inactive LV's first segment, read
# straight from its PV at pe_start + PE * extent size (no device-mapper here);
# prints the device.
lv_extent_loop() {
	local r pv pe start ext size dev
	r=$(lvs --segments --noheadings --units b --nosuffix -o seg_pe_ranges,seg_size,vg_extent_size "$1/$2" 2>/dev/null | head -n 1)
	read -r r size ext <<<"$r"
	pv=${r%:*}
	pe=${r##*:}
	pe=${pe%-*}
	start=$(pvs --noheadings --units b --nosuffix -o pe_start "$pv" 2>/dev/null | tr -d ' ')
	[ -n "$pv" ] && [ -n "$start" ] && [ -n "$ext" ] || return 1
	dev=$(losetup -f --show -o $((start + pe * ext)) --sizelimit "$size" "$pv") || return 1
	echo "$dev" >>"$TMPD/loops"
	echo "$dev"
}

# Unique names: loop devices and VG names may be shared with other processes.
uniq_name() {
	echo "sb$1$$"
}
