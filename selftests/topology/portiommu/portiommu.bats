#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "portiommu" topology: the port topology with the Intel IOMMU
# on, DMA and interrupt remapping. The chassis devices keep their own
# requester IDs in PCI segment 0; smartio presents them on the port's own
# bus, where the IOMMU gives a borrowed device a context of its own: it
# reads and writes with its data intact, its MSI-X interrupts arrive
# remapped, and no DMAR fault is logged. After release the OS drives the
# chassis NVMe again, behind the IOMMU, data intact.

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

@test "a borrowed NVMe below the port is the IOMMU's, reads and writes intact, without a DMAR fault" {
	run gexec "insmod /smartio/smartio.ko && insmod /smartio/smartio_port.ko && smartio_tool adopt $PORT && smartio_tool scan"
	[ "$status" -eq 0 ]
	[[ "$output" == *"adapter0: 2 devices"* ]]
	run gexec "$FNS; f=\$(smartio_tool list -n | awk -F: '/Non-Volatile/ { print \$1 }') && smartio_tool borrow --no-wait \$f > /dev/null &&
		a=\$(basename \$(readlink /sys/bus/smartio/devices/\$f/pci_dev)) && echo \$a &&
		basename \$(readlink /sys/bus/pci/devices/\$a/iommu_group) > /dev/null &&
		ls /sys/bus/pci/devices/\$a/msi_irqs | wc -l &&
		b=\$(ser_blk chassis0) && dd if=\$b bs=512 count=1 2>/dev/null | head -c 20; echo
		printf smartio-iommu-borrowed | dd of=\$b bs=512 conv=sync 2>/dev/null && sync &&
		echo 3 > /proc/sys/vm/drop_caches && dd if=\$b bs=512 count=1 2>/dev/null | head -c 22; echo
		for i in \$(ls /sys/bus/pci/devices/\$a/msi_irqs); do grep \"^ *\$i:\" /proc/interrupts; done |
			awk '/IR-PCI-MSI/ { n++; c += \$2 + \$3 } END { print n, (c > 0) }'"
	echo "$output"
	[ "$status" -eq 0 ]
	# In the machine's own segment, below the port, not a synthetic domain.
	[[ "${lines[0]}" == 0000:0[3-9]:00.0 ]]
	[ "${lines[1]}" -ge 2 ]
	[ "${lines[2]}" = smartio-iommu-native ]
	[ "${lines[3]}" = smartio-iommu-borrowed ]
	# Each vector through the remapping unit, and interrupts arrived.
	[[ "${lines[4]}" == "${lines[1]} 1" ]]
	run gexec 'dmesg | grep -c "not borrowed"'
	[ "$output" -eq 0 ]
	run gexec 'f=$(smartio_tool list -n --state borrowed | cut -d: -f1) && smartio_tool return $f && smartio_tool list -n'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Non-Volatile"*"[available]"* ]]
	run gexec 'dmesg | grep -c "DMAR: \[DMA\|DMAR: DRHD: handling fault\|DMAR: \[INTR-REMAP"'
	[ "$output" -eq 0 ]
}

@test "after release the OS drives the chassis NVMe again behind the IOMMU, data intact" {
	run gexec "$FNS; smartio_tool release $PORT && b=\$(ser_blk chassis0) &&
		dd if=\$b bs=512 count=1 2>/dev/null | head -c 22; echo
		printf smartio-iommu-after | dd of=\$b bs=512 conv=sync 2>/dev/null && echo 3 > /proc/sys/vm/drop_caches &&
		dd if=\$b bs=512 count=1 2>/dev/null | head -c 19; echo
		ls -d /sys/bus/pci/devices/0000:03:00.0/iommu_group; rmmod smartio_port && rmmod smartio"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = smartio-iommu-borrowed ]
	[ "${lines[1]}" = smartio-iommu-after ]
}
