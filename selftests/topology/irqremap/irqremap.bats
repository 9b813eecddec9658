#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "irqremap" topology: interrupt remapping on, DMA remapping off
# (intel_iommu=off), as on an Intel machine booted that way. The remote
# devices of the emulated adapter (own requester IDs, a PCI domain no
# remapping unit covers) would send compatibility-format MSIs, which Linux
# blocks at the remapping unit whenever remapping is on: their drivers
# would time out. smartio refuses the borrow and polls the remote slots.
# QEMU's unit lets such MSIs through in xAPIC mode, so the refusal is what
# is tested here, not the blocking.

load ../../host/helpers

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	gexec 'smartio_tool scan'
}

@test "interrupt remapping on, DMA remapping off: remapping enabled, no IOMMU group" {
	run gexec 'cat /proc/cmdline; dmesg | grep -c "Enabled IRQ remapping"; ls /sys/kernel/iommu_groups | wc -l'
	[[ "${lines[0]}" == *intel_iommu=off* ]]
	[ "${lines[1]}" -ge 1 ]
	[ "${lines[2]}" -eq 0 ]
}

@test "the remote slots are polled, not given MSIs that would be blocked" {
	run gexec 'grep -c smartio-slot /proc/interrupts; dmesg | grep -c "slot polled only: interrupt remapping would block its MSIs"'
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" -ge 2 ]
}

@test "borrow fails with EOPNOTSUPP and one line naming interrupt remapping; the device stays available" {
	run gexec 'dmesg -c > /dev/null; echo 1 > /sys/bus/smartio/devices/83000/borrow; echo borrow $?
		cat /sys/bus/smartio/devices/83000/state; ls /sys/bus/pci/devices | grep -c "^10000:83"; dmesg'
	echo "$output"
	[[ "${lines[0]}" == *"Operation not supported"* ]]
	[ "${lines[1]}" = "borrow 1" ]
	[ "${lines[2]}" = available ]
	[ "${lines[3]}" = 0 ]
	[ "$(grep -c 'smartio 83000: not borrowed: interrupt remapping for 0000:00:.* would block its MSIs' <<< "$output")" -eq 1 ]
	[[ "$output" != *"nvme nvme"* ]]
}
