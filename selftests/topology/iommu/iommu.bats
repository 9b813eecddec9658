#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "iommu" topology: the basic fabric in a guest with QEMU's
# intel-iommu (intremap=on) and intel_iommu=on. The emulated adapter passes
# its remote devices' requester IDs through, which the IOMMU has no context
# for: before smartio refused, a borrowed NVMe got DMAR faults ("Present bit
# in root entry is clear") and its driver gave up after a timeout.

load ../../host/helpers

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	gexec 'smartio_tool scan'
}

@test "the IOMMU translates the adapter's device" {
	run gexec 'cat /proc/cmdline; basename $(readlink /sys/bus/smartio/devices/adapter0/device); dmesg | grep -c "DMAR: IOMMU enabled"'
	[[ "${lines[0]}" == *intel_iommu=on* ]]
	local pxb=${lines[1]}
	[[ "$pxb" == 0000:00:* ]]
	[ "${lines[2]}" -ge 1 ]
	run gexec "test -e /sys/bus/pci/devices/$pxb/iommu_group && echo grouped"
	[ "$output" = grouped ]
}

@test "borrow fails with EOPNOTSUPP and one clear line, no DMA fault; the device stays available" {
	run gexec 'dmesg -c > /dev/null; smartio_tool borrow 83000'
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: borrow 83000: not supported with the host's IOMMU on: it would block the device's DMA (see smartio(4))" ]
	run gexec 'echo 1 > /sys/bus/smartio/devices/83000/borrow'
	[[ "$output" == *"Operation not supported"* ]]
	run gexec 'sleep 1; dmesg; cat /sys/bus/smartio/devices/83000/state; ls /sys/bus/pci/devices | grep -c "^10000:83"; true'
	[ "$(grep -c 'smartio 83000: not borrowed: the IOMMU translating 0000:00:.* would block the DMA and MSI of the devices behind it' <<< "$output")" -eq 2 ]
	[[ "$output" != *"DMAR: [DMA"* ]]
	[[ "$output" != *"nvme nvme"* ]]
	[ "${lines[-2]}" = available ]
	[ "${lines[-1]}" = 0 ]
}

@test "autoborrow leaves the device in the pool with the same reason" {
	run gexec 'dmesg -c > /dev/null; echo 1 > /sys/bus/smartio/autoborrow_transparent; smartio_tool scan; echo 0 > /sys/bus/smartio/autoborrow_transparent
		cat /sys/bus/smartio/devices/83000/state; dmesg | grep -c "83000: not borrowed: the IOMMU"'
	[ "${lines[0]}" = "adapter0: 1 device, 0 new, 0 gone, link up" ]
	[ "${lines[1]}" = available ]
	[ "${lines[2]}" = 1 ]
}
