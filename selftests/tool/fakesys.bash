# SPDX-License-Identifier: GPL-2.0
#
# The devices of a fake /sys/bus/smartio for smartio_tool, in $SYS with
# its bus devices in $DEVS: sourced by fake.bats and scripts/bench/tool.sh.

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
