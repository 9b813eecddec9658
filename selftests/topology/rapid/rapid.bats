#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "rapid" topology: a user's stress script against a fabric that
# is not the basic one. An NVMe (83000) and an e1000e (84000) present at
# boot, so firmware sized them, left them decoding and ran the NIC's option
# ROM; an NVMe hot-added into the empty third port (85000), fresh from
# reset; a 64 MiB + 2 GiB aperture. Raw "echo 1 > borrow/return" of all
# three back to back, then four parallel loops (borrow, return, scan,
# read). A write that lands where it must not shows as an NVMe that misses
# its admin completions ("Identify Controller failed", a timeout), a
# poisoned slab object, or QEMU's MSI-X table assertion: each fails here.

load ../../host/helpers

CYCLES=${SMARTIO_RAPID_CYCLES:-200}
STORM_SECS=${SMARTIO_RAPID_STORM_SECS:-30}
HOT=hot0
MARK=smartio-rapid-topology-mark

setup_file() {
	require_guest
	gexec "test -d /sys/module/smartio_emul || { insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }
		echo 0 > /sys/bus/smartio/autoborrow_transparent; echo 1 > /sys/bus/smartio/scan"
	qmp_ok '{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"hp0","size":67108864,"read-zeroes":true}}'
	qmp_ok "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvme\",\"id\":\"$HOT\",\"serial\":\"$HOT\",\"drive\":\"hp0\",\"bus\":\"dn2\"}}"
}

teardown_file() {
	gx "$GUEST_FNS; return_all; true"
	qemu_has_device "$HOT" && qmp_unplug "$HOT" 30
	return 0
}

# The problems this suite looks for, in the kernel log after the mark.
bad_log() {
	kernel_log_since "$MARK" |
		grep -E "Identify Controller failed|timeout|Poison overwritten|BUG|Oops|controller is down|Device not ready|genctr mismatch|invalid id"
}

@test "the pool: NVMe and NIC present at boot, the hot-added NVMe cold" {
	run gx 'for i in $(seq 100); do echo 1 > /sys/bus/smartio/scan; test -e /sys/bus/smartio/devices/85000 && break; sleep 0.1; done
		for d in 83000 84000 85000; do echo "$d $(cat /sys/bus/smartio/devices/$d/class) $(cat /sys/bus/smartio/devices/$d/state)"; done'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "83000 0x010802 available" ]
	[ "${lines[1]}" = "84000 0x020000 available" ]
	[ "${lines[2]}" = "85000 0x010802 available" ]
}

@test "a data pattern on the fabric NVMe before the cycles" {
	run gx "$GUEST_FNS"'; echo 1 > $D/83000/borrow && b=$(wait_blk 83000) &&
		dd if=/dev/urandom of=/tmp/rapid.pat bs=64k count=16 2>/dev/null &&
		dd if=/tmp/rapid.pat of=$b bs=64k conv=fsync 2>/dev/null && md5sum < /tmp/rapid.pat &&
		echo 1 > $D/83000/return'
	echo "$output"
	[ "$status" -eq 0 ]
	gx "echo $MARK > /dev/kmsg"
}

@test "$CYCLES back-to-back raw borrow/return cycles of three devices: only EBUSY" {
	GX_TIMEOUT=$((CYCLES * 20)) run gx 'D=/sys/bus/smartio/devices; rm -f /tmp/rapid.err
		for i in $(seq '"$CYCLES"'); do
			for d in 83000 84000 85000; do { echo 1 > $D/$d/borrow; } 2>> /tmp/rapid.err; done
			for d in 83000 84000 85000; do { echo 1 > $D/$d/return; } 2>> /tmp/rapid.err; done
		done
		echo "failed $(grep -c . /tmp/rapid.err), not EBUSY $(grep -vc "Device or resource busy" /tmp/rapid.err)"
		grep -v "Device or resource busy" /tmp/rapid.err | sort | uniq -c | head -n 10'
	echo "$output"
	[ "$status" -eq 0 ]
	echo "# rapid topology: $CYCLES cycles, ${lines[0]}" >&3
	[[ "${lines[0]}" == *"not EBUSY 0" ]]
	run bad_log
	echo "$output"
	[ -z "$output" ]
	qemu_alive
}

@test "$STORM_SECS s of parallel borrow, return, scan and read loops" {
	GX_TIMEOUT=$((STORM_SECS * 20 + 120)) run gx 'D=/sys/bus/smartio/devices; end=$((SECONDS + '"$STORM_SECS"'))
		( while [ $SECONDS -lt $end ]; do for d in 83000 84000 85000; do echo 1 > $D/$d/borrow; done; done ) 2>/dev/null &
		( while [ $SECONDS -lt $end ]; do for d in 83000 84000 85000; do echo 1 > $D/$d/return; done; done ) 2>/dev/null &
		( while [ $SECONDS -lt $end ]; do echo 1 > /sys/bus/smartio/scan; done ) 2>/dev/null &
		( while [ $SECONDS -lt $end ]; do for b in /sys/bus/smartio/devices/8[35]000/pci_dev/nvme/nvme*/nvme*n1; do
			[ -e "$b" ] && dd if=/dev/${b##*/} of=/dev/null bs=64k count=16 2>/dev/null; done
			cat $D/*/state $D/8*/config > /dev/null; done ) 2>/dev/null &
		wait; echo storm over'
	echo "$output"
	[ "$status" -eq 0 ]
	run bad_log
	echo "$output"
	[ -z "$output" ]
	qemu_alive
}

@test "after the cycles: all three return, borrow again and work; the data is intact" {
	run gx "$GUEST_FNS; return_all && cat \$D/83000/state \$D/84000/state \$D/85000/state && { lspci -D | grep -cE '^10000:8[345]:' || true; }"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[3]}" = 0 ]
	[ "${lines[0]}" = available ]
	[ "${lines[1]}" = available ]
	[ "${lines[2]}" = available ]
	run gx "$GUEST_FNS"'; echo 1 > $D/83000/borrow && b=$(wait_blk 83000) &&
		dd if=$b bs=64k count=16 2>/dev/null | md5sum && md5sum < /tmp/rapid.pat &&
		echo 1 > $D/84000/borrow && wait_bound 84000 && basename $(readlink $D/84000/pci_dev/driver) &&
		echo 1 > $D/85000/borrow && c=$(wait_blk 85000) && dd if=$c of=/dev/null bs=1M count=8 2>&1 | grep -c "8+0 records in"; return_all'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	[ "${lines[2]}" = e1000e ]
	[ "${lines[3]}" = 1 ]
	run bad_log
	[ -z "$output" ]
}

@test "the hot-added NVMe leaves: device_del completes and 85000 leaves the pool" {
	run qmp_unplug "$HOT" 30
	[ "$status" -eq 0 ]
	run gx 'for i in $(seq 50); do test -e /sys/bus/smartio/devices/85000 || exit 0; sleep 0.1; done; exit 1'
	[ "$status" -eq 0 ]
	qemu_alive
}
