#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# smartio_tool on a fake sysfs tree, on the host: every command and error
# path, without a kernel. Writes land in plain files, so a test can check
# exactly what the tool wrote; a read-only file stands in for a refused write.

TOOL="$BATS_TEST_DIRNAME/../../scripts/smartio_tool"

setup() {
	FAKE=$(mktemp -d)
	export SMARTIO_SYSFS=$FAKE/sys SMARTIO_PROC=$FAKE/proc
	local bus=$FAKE/sys/bus/smartio devs=$FAKE/sys/bus/smartio/devices
	mkdir -p "$devs" "$FAKE/proc" "$FAKE/sys/class/block"
	printf '0\n' > "$bus/autoborrow_transparent"
	: > "$bus/scan"

	mkdir -p "$devs/adapter0"
	echo emul > "$devs/adapter0/backend"
	echo 10000 > "$devs/adapter0/domain"
	echo 80-84 > "$devs/adapter0/bus_range"
	echo 276824064 > "$devs/adapter0/aperture_size"
	echo up > "$devs/adapter0/link"

	# 83000: an available NVMe; 84000: a borrowed one with a block device.
	mkfdev 83000 0x1b36 0x0010 0x010802 83:00.0 available
	mkfdev 84000 0x1b36 0x0010 0x010802 84:00.0 borrowed
	local pci=$FAKE/sys/devices/pci10000:80/10000:84:00.0
	mkdir -p "$pci/nvme/nvme1/nvme1n1/nvme1n1p1"
	ln -s "$pci" "$devs/84000/pci_dev"
	ln -s "$pci/nvme/nvme1/nvme1n1" "$FAKE/sys/class/block/nvme1n1"
	ln -s "$pci/nvme/nvme1/nvme1n1/nvme1n1p1" "$FAKE/sys/class/block/nvme1n1p1"
	echo "/dev/sda1 / ext4 rw 0 0" > "$FAKE/proc/mounts"
}

teardown() {
	rm -rf "$FAKE"
}

mkfdev() {	# mkfdev FDID VENDOR DEVICE CLASS REMOTE STATE
	local d=$FAKE/sys/bus/smartio/devices/$1
	mkdir -p "$d"
	echo "$1" > "$d/fdid"
	echo "$2" > "$d/vendor"
	echo "$3" > "$d/device"
	echo 0x1af4 > "$d/subsystem_vendor"
	echo 0x1100 > "$d/subsystem_device"
	echo "$4" > "$d/class"
	echo adapter0 > "$d/adapter"
	echo "$5" > "$d/remote_address"
	echo "$6" > "$d/state"
	echo "0 mem64 nopref 16384" > "$d/resources"
	echo 16384 > "$d/aperture_needed"
	: > "$d/borrow"
	: > "$d/return"
}

@test "--help lists every command" {
	run "$TOOL" --help
	[ "$status" -eq 0 ]
	for c in scan list show borrow return config adapters; do
		[[ "$output" == *"$c"* ]]
	done
	run "$TOOL" help
	[ "$status" -eq 0 ]
}

@test "--version prints the version" {
	run "$TOOL" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "smartio_tool "[0-9]* ]]
}

@test "no command or an unknown one fails with a reason" {
	run "$TOOL"
	[ "$status" -ne 0 ]
	run "$TOOL" frobnicate
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: unknown command: frobnicate (see smartio_tool --help)" ]
}

@test "scan writes 1 to the bus scan attribute" {
	run "$TOOL" scan
	[ "$status" -eq 0 ]
	[ "$(cat "$SMARTIO_SYSFS/bus/smartio/scan")" = 1 ]
}

@test "a refused sysfs write is reported with one line" {
	# A directory where the attribute should be refuses the write, even
	# for root.
	rm "$SMARTIO_SYSFS/bus/smartio/scan"
	mkdir "$SMARTIO_SYSFS/bus/smartio/scan"
	run "$TOOL" scan
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "smartio_tool: scan: "* ]]
}

@test "list prints one Dolphin-style line per fabric device, not adapters" {
	SMARTIO_PCI_IDS=/usr/share/misc/pci.ids run "$TOOL" list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "83000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available]" ]
	[ "${lines[1]}" = "84000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [borrowed]" ]
}

@test "list falls back to hex ids without pci.ids" {
	SMARTIO_PCI_IDS=/nonexistent run "$TOOL" list
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "83000: Class 0108 [1b36:0010] [available]" ]
}

@test "list of an empty pool prints nothing" {
	rm -rf "$SMARTIO_SYSFS/bus/smartio/devices/83000" "$SMARTIO_SYSFS/bus/smartio/devices/84000"
	run "$TOOL" list
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "list --json is valid JSON that agrees with sysfs" {
	run "$TOOL" list --json
	[ "$status" -eq 0 ]
	echo "$output" | python3 -c '
import json, sys
devs = json.load(sys.stdin)
assert [d["fdid"] for d in devs] == ["83000", "84000"], devs
assert devs[0]["state"] == "available" and devs[0]["pci_dev"] is None
assert devs[1]["state"] == "borrowed" and devs[1]["pci_dev"] == "10000:84:00.0"
assert devs[0]["class"] == "0x010802" and devs[0]["adapter"] == "adapter0"
assert devs[0]["remote_address"] == "83:00.0"
'
}

@test "show prints every attribute of a device" {
	run "$TOOL" show 84000
	[ "$status" -eq 0 ]
	[[ "$output" == *"fdid: 84000"* ]]
	[[ "$output" == *"state: borrowed"* ]]
	[[ "$output" == *"remote_address: 84:00.0"* ]]
	[[ "$output" == *"resource: 0 mem64 nopref 16384"* ]]
	[[ "$output" == *"pci_dev: 10000:84:00.0"* ]]
}

@test "fdids are accepted with or without 0x, in any case" {
	run "$TOOL" show 0x83000
	[ "$status" -eq 0 ]
	run "$TOOL" show 0X083000
	[ "$status" -eq 0 ]
	mkfdev abc00 0x8086 0x10d3 0x020000 ab:00.0 available
	run "$TOOL" show ABC00
	[ "$status" -eq 0 ]
	[[ "$output" == *"fdid: abc00"* ]]
}

@test "an unknown or malformed fdid fails with a reason" {
	run "$TOOL" borrow 12345
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: no such fabric device: 12345" ]
	run "$TOOL" show zz
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: not a fabric device id: zz" ]
	run "$TOOL" borrow
	[ "$status" -eq 1 ]
}

@test "borrow writes 1 to the device's borrow attribute" {
	run "$TOOL" borrow 83000
	[ "$status" -eq 0 ]
	[ "$(cat "$SMARTIO_SYSFS/bus/smartio/devices/83000/borrow")" = 1 ]
}

@test "return writes 1 to the return attribute when nothing is mounted" {
	run "$TOOL" return 84000
	[ "$status" -eq 0 ]
	[ "$(cat "$SMARTIO_SYSFS/bus/smartio/devices/84000/return")" = 1 ]
}

@test "return is refused while a block device of it is mounted" {
	echo "/dev/nvme1n1p1 /mnt ext4 rw 0 0" >> "$SMARTIO_PROC/mounts"
	run "$TOOL" return 84000
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: return 84000: mounted: /dev/nvme1n1p1; unmount first or use --force" ]
	[ ! -s "$SMARTIO_SYSFS/bus/smartio/devices/84000/return" ]
}

@test "return --force returns a mounted device" {
	echo "/dev/nvme1n1 /mnt ext4 rw 0 0" >> "$SMARTIO_PROC/mounts"
	run "$TOOL" return --force 84000
	[ "$status" -eq 0 ]
	[ "$(cat "$SMARTIO_SYSFS/bus/smartio/devices/84000/return")" = 1 ]
}

@test "config lists, reads and sets autoborrow_transparent" {
	run "$TOOL" config
	[ "$status" -eq 0 ]
	[ "$output" = "autoborrow_transparent=0" ]
	run "$TOOL" config autoborrow_transparent 1
	[ "$status" -eq 0 ]
	[ "$(cat "$SMARTIO_SYSFS/bus/smartio/autoborrow_transparent")" = 1 ]
	run "$TOOL" config autoborrow_transparent
	[ "$output" = 1 ]
}

@test "config rejects unknown settings" {
	run "$TOOL" config frob 1
	[ "$status" -eq 1 ]
	[[ "$output" == "smartio_tool: unknown setting: frob"* ]]
}

@test "adapters lists domain, buses and aperture" {
	run "$TOOL" adapters
	[ "$status" -eq 0 ]
	[ "$output" = "adapter0: emul domain 10000 buses 80-84 aperture 264 MiB link up" ]
}

@test "every command says so when the module is not loaded" {
	rm -rf "$SMARTIO_SYSFS/bus/smartio"
	for c in scan list "show 83000" "borrow 83000" "return 83000" config adapters; do
		# shellcheck disable=SC2086
		run "$TOOL" $c
		[ "$status" -eq 1 ]
		[[ "$output" == "smartio_tool: smartio module not loaded"* ]]
	done
}
