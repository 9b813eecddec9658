#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "iommu" topology: the basic fabric in a guest with QEMU's
# intel-iommu (intremap=on) and intel_iommu=on. The emulated adapter passes
# its remote devices' requester IDs through, which the IOMMU has no context
# for: before smartio refused, a borrowed NVMe got DMAR faults ("Present bit
# in root entry is clear") and its driver gave up after a timeout.
#
# The virtio NIC in the second slot has ATS (device-iotlb=on in the IOMMU):
# smartio hides ATS of remote functions from the PCI core (last test).
#
# The last tests load the emulated adapter with adapter_id=1 (test only): it
# then claims to rewrite requester IDs to its own function's, as NTB
# adapters do, and smartio makes that function the DMA alias of the domain.
# QEMU does not rewrite them, and in this guest (pci=noacpi) bus 0's window
# spans all of memory, which iommu-dma reserves in every DMA domain of a
# bus 0 device: no device in such a domain gets an IOVA, the native NVMe
# included. So that test checks the wiring, not DMA.

load ../../host/helpers

setup_file() {
	require_guest
	# Plain, even after a run stopped while adapter_id=1 was loaded.
	gexec 'grep -qs Y /sys/module/smartio_emul/parameters/adapter_id && rmmod smartio_emul
		test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
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

@test "autoborrow leaves the devices in the pool with the same reason" {
	run gexec 'dmesg -c > /dev/null; echo 1 > /sys/bus/smartio/autoborrow_transparent; smartio_tool scan; echo 0 > /sys/bus/smartio/autoborrow_transparent
		cat /sys/bus/smartio/devices/83000/state /sys/bus/smartio/devices/84000/state
		dmesg | grep -c "8[34]000: not borrowed: the IOMMU"'
	[ "${lines[0]}" = "adapter0: 2 devices, 0 new, 0 gone, link up" ]
	[ "${lines[1]}" = available ]
	[ "${lines[2]}" = available ]
	[ "${lines[3]}" = 2 ]
}

# Whether the guest's kernel has the DMA alias of struct pci_sysdata
# (CONFIG_VMD, as Debian's kernels; the debug kernel has not).
has_vmd_alias() {
	local k
	k=$(gexec 'uname -r')
	grep -q '^CONFIG_VMD=[ym]' "/lib/modules/$k/build/.config"
}

# Reloads the emulated adapter claiming to rewrite requester IDs.
load_adapter_id() {
	gexec 'rmmod smartio_emul && insmod /smartio/smartio_emul.ko adapter_id=1 && smartio_tool scan > /dev/null'
}

load_plain() {
	gexec 'rmmod smartio_emul && insmod /smartio/smartio_emul.ko && smartio_tool scan > /dev/null'
}

@test "an adapter that rewrites requester IDs: its domain joins the adapter's IOMMU group, MSIs are remapped, borrow goes ahead" {
	has_vmd_alias || skip "the kernel has no DMA alias (CONFIG_VMD); see the next test"
	load_adapter_id
	run gexec 'pxb=$(basename $(readlink /sys/bus/smartio/devices/adapter0/device))
		group=$(basename $(readlink /sys/bus/pci/devices/$pxb/iommu_group)); echo group $group
		for d in /sys/bus/pci/devices/10000:*; do echo ${d##*/} $(basename $(readlink $d/iommu_group)); done
		grep -c "IR-PCI-MSI.*smartio-slot" /proc/interrupts'
	local group
	group=$(sed -n 's/^group //p' <<< "$output")
	[ -n "$group" ]
	# The remote root port, the switch and its two downstream ports.
	[ "$(grep -c "^10000:8[0-2]:..\\.. $group\$" <<< "$output")" -eq 4 ]
	[ "$(grep -c "^10000:" <<< "$output")" -eq 4 ]
	# The slot interrupts of the root port and both downstream ports come
	# from the remapping domain.
	[ "${lines[-1]}" = 3 ]

	# No driver: DMA cannot work here (see above), the alias is what counts.
	run gexec 'dmesg -c > /dev/null; echo 0 > /sys/bus/pci/drivers_autoprobe
		echo 1 > /sys/bus/smartio/devices/83000/borrow; echo borrow $?
		cat /sys/bus/smartio/devices/83000/state
		basename $(readlink /sys/bus/pci/devices/10000:83:00.0/iommu_group)
		echo 1 > /sys/bus/smartio/devices/83000/return; echo return $?
		echo 1 > /sys/bus/pci/drivers_autoprobe; dmesg'
	[ "${lines[0]}" = "borrow 0" ]
	[ "${lines[1]}" = borrowed ]
	[ "${lines[2]}" = "$group" ]
	[ "${lines[3]}" = "return 0" ]
	[[ "$output" == *"10000:83:00.0: Adding to iommu group $group"* ]]
	[[ "$output" != *"not borrowed"* ]]
	[[ "$output" != *"DMAR: [DMA"* ]]

	load_plain
}

@test "without a DMA alias in the kernel, such an adapter's borrow fails with EOPNOTSUPP and says why" {
	! has_vmd_alias || skip "the kernel has the DMA alias (CONFIG_VMD); see the previous test"
	load_adapter_id
	run gexec 'dmesg -c > /dev/null; echo 1 > /sys/bus/smartio/devices/83000/borrow; echo borrow $?
		cat /sys/bus/smartio/devices/83000/state; ls /sys/bus/pci/devices | grep -c "^10000:83"
		test -e /sys/bus/pci/devices/10000:80:00.0/iommu_group && echo grouped; dmesg'
	[[ "${lines[0]}" == *"Operation not supported"* ]]
	[ "${lines[1]}" = "borrow 1" ]
	[ "${lines[2]}" = available ]
	[ "${lines[3]}" = 0 ]
	[[ "$output" != *grouped* ]]
	[ "$(grep -c 'smartio 83000: not borrowed: the IOMMU translating 0000:00:.* does not take it as its DMA alias' <<< "$output")" -eq 1 ]
	[[ "$output" != *"DMAR: [DMA"* ]]

	load_plain
}

# Offset of extended capability $1 (hex, e.g. 000f) in the config file $2, or nothing.
ext_cap='ext_cap() { local pos=256 h i; for i in $(seq 60); do
	h=$(od -An -tx4 -j$pos -N4 $2 | tr -d " "); [ -n "$h" ] && [ "$h" != 00000000 ] || return 1
	[ "${h:4:4}" = "$1" ] && { echo $pos; return 0; }
	pos=$((16#${h:0:3} & 0xffc)); [ $pos -ge 256 ] || return 1; done; return 1; }'

@test "ATS of a remote function stays hidden from the PCI core and the IOMMU: never enabled" {
	has_vmd_alias || skip "the kernel has no DMA alias (CONFIG_VMD): nothing borrows under this IOMMU"
	load_adapter_id
	run gexec "$ext_cap"'
		F=/sys/bus/smartio/devices/84000/config; pos=$(ext_cap 000f $F) || { echo "no ATS in the device"; exit 1; }
		echo ats $pos
		echo 0 > /sys/bus/pci/drivers_autoprobe
		echo 1 > /sys/bus/smartio/devices/84000/borrow; echo borrow $?
		echo "pci_dev $(ext_cap 000f /sys/bus/pci/devices/10000:84:00.0/config || echo none)"
		lspci -s 10000:84:00.0 -vvv | grep -c "Address Translation Service"
		echo ctl $(od -An -tx2 -j$((pos + 6)) -N2 $F | tr -d " ")
		echo 1 > /sys/bus/smartio/devices/84000/return; echo 1 > /sys/bus/pci/drivers_autoprobe'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ats "* ]]
	[ "${lines[1]}" = "borrow 0" ]
	[ "${lines[2]}" = "pci_dev none" ]
	[ "${lines[3]}" = 0 ]
	# ATS Control: Enable (bit 15) clear.
	[ $((16#${lines[4]#ctl } & 0x8000)) -eq 0 ]
	load_plain
}
