#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side: a device whose BARs do not fit the adapter's aperture. QMP
# hot-adds an NVMe with a 512 MiB controller memory buffer (a 64-bit
# prefetchable BAR) into the basic fabric's empty slot; the aperture has
# 256 MiB prefetchable. Then the same for a GPU-class device: an
# ivshmem-plain with a 4 GiB BAR; then one of 64 MiB, which fits the
# aperture but not the small window the firmware left the empty slot.
# Runs last: the device stays in the slot.

load helpers

# add_ivshmem ID BYTES: hot-adds an ivshmem-plain device whose BAR 2 is a
# BYTES-sized host file into the empty slot; waits until a scan has it.
add_ivshmem() {
	qmp_ok "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-file\",\"id\":\"$1\",\"size\":$2,\"mem-path\":\"$SMARTIO_RUNDIR/$1.bin\",\"share\":true}}" || return 1
	qmp_ok "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"ivshmem-plain\",\"id\":\"$1\",\"memdev\":\"$1\",\"bus\":\"dn1\"}}" || return 1
	gexec "for i in \$(seq 20); do echo 1 > /sys/bus/smartio/scan; grep -q '^2 mem64 pref $2\$' /sys/bus/smartio/devices/84000/resources 2>/dev/null && exit 0; sleep 1; done; exit 1"
}

# del_device ID: device_del, and wait until QEMU reports it deleted.
del_device() {
	"$SMARTIO_TOP/scripts/qmp" "$SMARTIO_RUNDIR" "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$1\"}}" \
		--wait-event DEVICE_DELETED 20 > /dev/null
}

# borrow_refused FDID: smartio_tool and the sysfs write both refuse the
# borrow for want of aperture.
borrow_refused() {
	run gexec "smartio_tool borrow $1"
	[ "$status" -ne 0 ] || return 1
	[[ "$output" == *"aperture"* ]] || return 1
	run gexec "echo 1 > /sys/bus/smartio/devices/$1/borrow"
	[ "$status" -ne 0 ] || return 1
	[[ "$output" == *"No space left on device"* ]]
}

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	qmp_ok '{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"bigcmb0","size":268435456}}'
	qmp_ok '{"execute":"device_add","arguments":{"driver":"nvme","id":"bigcmb0","serial":"bigcmb0","drive":"bigcmb0","bus":"dn1","cmb_size_mb":512}}'
}

@test "scan finds the hot-added NVMe in the empty slot" {
	run gexec 'for i in $(seq 20); do echo 1 > /sys/bus/smartio/scan; test -e /sys/bus/smartio/devices/84000 && exit 0; sleep 1; done; exit 1'
	[ "$status" -eq 0 ]
	run gexec 'cat /sys/bus/smartio/devices/84000/resources'
	[[ "$output" == *"2 mem64 pref 536870912"* ]]
}

@test "borrow of a device larger than the aperture fails with ENOSPC and says why" {
	borrow_refused 84000
	run gexec 'dmesg | grep "84000: BARs do not fit the aperture of adapter0"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"need 16.0 KiB non-prefetchable + 512 MiB prefetchable"* ]]
	[[ "$output" == *"aperture has 8.00 MiB + 256 MiB"* ]]
}

@test "a failed borrow leaves nothing half-attached" {
	run gexec 'cat /sys/bus/smartio/devices/84000/state'
	[ "$output" = "available" ]
	run gexec 'test -e /sys/bus/smartio/devices/84000/pci_dev'
	[ "$status" -ne 0 ]
	run gexec 'lspci -D -s 84:00.0'
	[ -z "$output" ]
	# The device that fits still borrows and returns normally.
	run gexec 'echo 1 > /sys/bus/smartio/devices/83000/borrow && echo 1 > /sys/bus/smartio/devices/83000/return'
	[ "$status" -eq 0 ]
}

@test "a GPU-class 4 GiB BAR and a 256 MiB aperture: no-room, then ENOSPC with sizes" {
	del_device bigcmb0
	qmp_ok '{"execute":"blockdev-del","arguments":{"node-name":"bigcmb0"}}'
	add_ivshmem gpusmall 4294967296
	run gexec 'cat /sys/bus/smartio/devices/84000/fit'
	[ "${lines[1]}" = "2 4294967296 no-room" ]
	borrow_refused 84000
	run gexec 'dmesg | grep "84000: BARs do not fit the aperture of adapter0" | tail -n 1'
	[[ "$output" == *"+ 4.00 GiB prefetchable"* ]]
	[[ "$output" == *"aperture has 8.00 MiB + 256 MiB"* ]]
	run gexec 'cat /sys/bus/smartio/devices/84000/state; lspci -D -s 84:00.0'
	[ "$output" = available ]
}

@test "a device larger than its empty slot's window: idle bridge windows re-sized, borrowed ones never" {
	del_device gpusmall
	add_ivshmem gpumid 67108864
	# The firmware gave the empty slot a small window: with the NVMe next
	# to it borrowed, its windows must stay, so there is no room.
	run gexec 'smartio_tool borrow 83000 && head -1 /sys/bus/smartio/devices/83000/pci_dev/resource'
	[ "$status" -eq 0 ]
	nvme_bar=${lines[-1]}
	run gexec 'cat /sys/bus/smartio/devices/84000/fit'
	[ "${lines[1]}" = "2 67108864 no-room" ]
	borrow_refused 84000
	run gexec 'head -1 /sys/bus/smartio/devices/83000/pci_dev/resource; smartio_tool return 83000'
	[ "${lines[0]}" = "$nvme_bar" ]
	[ "$status" -eq 0 ]
	# Nothing borrowed below the root port: the windows below it are sized anew.
	run gexec 'cat /sys/bus/smartio/devices/84000/fit'
	[ "${lines[1]}" = "2 67108864 fits" ]
	run gexec 'smartio_tool borrow 84000 && dmesg | grep "re-sizing bridge windows below" | tail -n 1'
	[ "$status" -eq 0 ]
	[[ "$output" == *"for 10000:84:00.0"* ]]
	run gexec 'p=/sys/bus/smartio/devices/84000/pci_dev; echo 1 > $p/enable && smartio_bar_rw $p/resource2 0x3fff000 write 0xc0ffee0084000000'
	[ "$status" -eq 0 ]
	[ "$(od -An -tx8 -j $((0x3fff000)) -N 8 "$SMARTIO_RUNDIR/gpumid.bin" | tr -d ' ')" = c0ffee0084000000 ]
	# The neighbour slot still works after the re-sizing.
	run gexec 'smartio_tool borrow 83000 && basename $(readlink /sys/bus/smartio/devices/83000/pci_dev/driver)'
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = nvme ]
	run gexec 'smartio_tool return 83000 && smartio_tool return 84000'
	[ "$status" -eq 0 ]
}
