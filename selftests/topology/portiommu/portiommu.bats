#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "portiommu" topology: the port topology with the Intel IOMMU
# on. The chassis devices keep their own requester IDs, which no IOMMU
# context of the synthetic domain covers: borrow through the adopted port
# must fail with EOPNOTSUPP and say why, never fault, and after release
# the OS drives the chassis NVMe again, behind the IOMMU, data intact.

load ../../host/helpers

PORT=0000:00:04.0
FNS='ser_blk() { local i n; for i in $(seq 300); do for n in /sys/block/nvme*; do [ "$(tr -d " " < $n/device/serial 2>/dev/null)" = "$1" ] && [ -b /dev/${n##*/} ] && { echo /dev/${n##*/}; return 0; }; done; sleep 0.1; done; return 1; }'

setup_file() {
	require_guest
}

@test "the IOMMU translates the port and the chassis NVMe, which the OS drives" {
	run gexec "$FNS; ls /sys/class/iommu; ls -d /sys/bus/pci/devices/$PORT/iommu_group /sys/bus/pci/devices/0000:03:00.0/iommu_group
		b=\$(ser_blk chassis0) && printf smartio-iommu-native | dd of=\$b bs=512 conv=sync 2>/dev/null && sync"
	[ "$status" -eq 0 ]
	[[ "$output" == *dmar0* ]]
}

@test "adopt and scan work; borrow fails with EOPNOTSUPP and one line saying why" {
	run gexec "insmod /smartio/smartio.ko && insmod /smartio/smartio_port.ko && smartio_tool adopt $PORT && smartio_tool scan"
	[ "$status" -eq 0 ]
	[[ "$output" == *"adapter0: 2 devices"* ]]
	run gexec 'f=$(smartio_tool list | awk -F: "/Non-Volatile/ { print \$1 }"); smartio_tool borrow $f'
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "smartio_tool: borrow "*": not supported with the host's IOMMU on: it would block the device's DMA (see smartio(4))" ]]
	run gexec 'dmesg | grep "not borrowed"'
	[[ "$output" == *"not borrowed: the IOMMU translating $PORT would block the DMA and MSI of the devices behind it"* ]]
	run gexec 'smartio_tool list'
	[[ "$output" == *"Non-Volatile"*"[available]"* ]]
	run gexec 'dmesg | grep -c "DMAR: \[DMA\|DMAR: DRHD: handling fault"'
	[ "$output" -eq 0 ]
}

@test "after release the OS drives the chassis NVMe again behind the IOMMU, data intact" {
	run gexec "$FNS; smartio_tool release $PORT && b=\$(ser_blk chassis0) &&
		dd if=\$b bs=512 count=1 2>/dev/null | head -c 20; echo
		printf smartio-iommu-after | dd of=\$b bs=512 conv=sync 2>/dev/null && echo 3 > /proc/sys/vm/drop_caches &&
		dd if=\$b bs=512 count=1 2>/dev/null | head -c 19; echo
		ls -d /sys/bus/pci/devices/0000:03:00.0/iommu_group; rmmod smartio_port && rmmod smartio"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = smartio-iommu-native ]
	[ "${lines[1]}" = smartio-iommu-after ]
}
