#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "dmalimit" topology: the basic fabric in a guest with 5 GiB of
# memory and a bounce buffer below 4 GiB. The emulated adapter is loaded
# with dma_limit=0xffffffff (test only), as an NTB adapter whose inbound
# window reaches the first 4 GiB: smartio makes that the bus DMA limit of
# the remote devices, so the DMA API bounces what lies above it. QEMU's
# window reaches all of memory, so what shows it is the kernel's view: the
# NVMe's largest request shrinks to what the bounce buffer maps, and data
# written from memory above the window reads back intact.

load ../../host/helpers

# The controller with serial $1: its max_hw_sectors_kb and block device.
nvme_by_serial='for c in /sys/class/nvme/nvme*; do read -r s < $c/serial; [ "$s" = "$1" ] || continue; for b in $c/nvme*n1; do [ -e "$b" ] && echo "$(cat $b/queue/max_hw_sectors_kb) ${b##*/}"; done; done'

setup_file() {
	require_guest
	gexec 'test -d /sys/bus/smartio || insmod /smartio/smartio.ko
		test -d /sys/module/smartio_emul || insmod /smartio/smartio_emul.ko dma_limit=0xffffffff'
	gexec 'smartio_tool scan && smartio_tool borrow 83000'
}

@test "the guest has memory above 4 GiB and a bounce buffer below it; the adapter's window ends at 4 GiB" {
	run gexec 'cat /sys/module/smartio_emul/parameters/dma_limit; sed -n "s/^MemTotal: *\([0-9]*\) kB/\1/p" /proc/meminfo
		dmesg | grep "software IO TLB: mapped"'
	[ "${lines[0]}" = 4294967295 ]
	[ "${lines[1]}" -gt 4500000 ]
	[[ "${lines[2]}" == *"mapped [mem 0x00000000"* ]]
}

@test "a borrowed NVMe behind the window gets requests the bounce buffer can map; the native one does not" {
	run gexec "set -- fabric0; $nvme_by_serial; set -- native0; $nvme_by_serial"
	[ "${#lines[@]}" -eq 2 ]
	local fab=${lines[0]%% *} nat=${lines[1]%% *}
	# QEMU's NVMe takes 512 KiB (MDTS); the bounce buffer maps 256 KiB.
	[ "$nat" -eq 512 ]
	[ "$fab" -le 256 ]
}

@test "data written from memory above the window reads back intact" {
	run gexec "set -- fabric0; $nvme_by_serial"
	local dev=${output##* }
	[[ "$dev" == nvme*n1 ]]
	run gexec "head -c 33554432 /dev/urandom > /tmp/pat
		dd if=/tmp/pat of=/dev/$dev bs=1M oflag=direct 2> /dev/null || echo write failed
		echo 3 > /proc/sys/vm/drop_caches
		dd if=/dev/$dev bs=1M count=32 iflag=direct 2> /dev/null | md5sum; md5sum < /tmp/pat; rm /tmp/pat
		dmesg | grep -ci 'swiotlb buffer is full\\|I/O error' || true"
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	[ "${lines[2]}" = 0 ]
}
