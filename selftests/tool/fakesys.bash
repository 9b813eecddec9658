# SPDX-License-Identifier: GPL-2.0
#
# A fake /sys/bus/smartio for smartio_tool, in $SYS with its bus devices
# in $DEVS: sourced by fake.bats and scripts/bench/tool.sh.

mkbus() {	# mkbus: the bus, its attributes and adapter0
	local a=$DEVS/adapter0 bus=${DEVS%/devices}

	mkdir -p "$DEVS" "$SYS/devices/platform/smartio"
	echo 0 > "$bus/autoborrow_transparent"
	: > "$bus/autoborrow_policy"
	: > "$bus/scan"
	# As in sysfs, bus/smartio/devices/* are links to the device dirs.
	mkdev adapter0
	echo emul > "$a/backend"
	echo 10000 > "$a/domain"
	echo 80-84 > "$a/bus_range"
	printf 'mem 0xc0000000-0xc07fffff\npref 0x800000000-0x80fffffff\n' > "$a/aperture"
	echo 276824064 > "$a/aperture_size"
	echo up > "$a/link"
	echo 0 > "$a/scan_added"
	echo 0 > "$a/scan_dropped"
}

mkdev() {	# mkdev NAME: a device dir and its bus link
	mkdir -p "$SYS/devices/platform/smartio/$1"
	ln -s "../../../devices/platform/smartio/$1" "$DEVS/$1"
}

mkfdev() {	# mkfdev FDID VENDOR DEVICE CLASS REMOTE STATE [ADAPTER]
	local d=$DEVS/$1
	mkdev "$1"
	echo "$1" > "$d/fdid"
	echo "$2" > "$d/vendor"
	echo "$3" > "$d/device"
	echo 0x1af4 > "$d/subsystem_vendor"
	echo 0x1100 > "$d/subsystem_device"
	echo "$4" > "$d/class"
	echo "${7:-adapter0}" > "$d/adapter"
	echo "$5" > "$d/remote_address"
	echo "$6" > "$d/state"
	echo "0 mem64 nopref 16384" > "$d/resources"
	echo 16384 > "$d/aperture_needed"
	echo none > "$d/policy"
	: > "$d/in_use"
	: > "$d/borrow"
	: > "$d/return"
}
