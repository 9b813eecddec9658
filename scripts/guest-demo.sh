#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The steps of "make demo", run inside the guest: what a user sees, from
# loading the module to a mounted fabric NVMe and back. Stops at the first
# failing step with its status.
set -euo pipefail

step() { printf '\n### %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "The guest kernel and its PCI devices: no fabric NVMe yet"
run uname -r
run lspci

step "Load smartio, then its emulated adapter backend: adapter0 appears on /sys/bus/smartio"
run insmod /smartio/smartio.ko
run insmod /smartio/smartio_emul.ko
run ls /sys/bus/smartio/devices
for a in backend domain bus_range aperture aperture_size link; do
	printf '%s: %s\n' "$a" "$(tr '\n' ' ' < /sys/bus/smartio/devices/adapter0/$a)"
done
run smartio_tool adapters

step "Scan the fabric and list the pool"
run smartio_tool scan
run smartio_tool list
fdid=$(smartio_tool list | awk -F: '/Non-Volatile memory controller/ { print $1; exit }')
[ -n "$fdid" ] || { echo "no fabric NVMe found"; exit 1; }
run smartio_tool show "$fdid"

step "Borrow it: a local NVMe in domain 10000, bound to the nvme driver"
run smartio_tool borrow "$fdid"
run lspci -tv
for _ in $(seq 100); do
	blk=$(ls -d /sys/bus/smartio/devices/"$fdid"/pci_dev/nvme/nvme*/nvme*n[0-9]* 2>/dev/null | head -n1)
	[ -n "$blk" ] && [ -b "/dev/$(basename "$blk")" ] && break
	sleep 0.1
done
dev=/dev/$(basename "$blk")
run nvme list
run grep -A1 "PCI Bus 10000:83" /proc/iomem

step "Use it: mkfs, mount, write 16 MiB, checksum, unmount"
run mkfs.ext4 -F -q "$dev"
mkdir -p /mnt/fabric
run mount "$dev" /mnt/fabric
run dd if=/dev/urandom of=/mnt/fabric/data bs=1M count=16 status=none
run sha256sum /mnt/fabric/data
run df -h /mnt/fabric
run umount /mnt/fabric

step "Return it: gone from lspci, available again"
run smartio_tool return "$fdid"
run lspci -s 10000:83:00.0
run smartio_tool list

step "Borrow it again: the data is still there"
run smartio_tool borrow "$fdid"
sleep 1
for _ in $(seq 100); do
	[ -b "$dev" ] && break
	sleep 0.1
done
run mount "$dev" /mnt/fabric
run sha256sum /mnt/fabric/data
run umount /mnt/fabric
run smartio_tool return "$fdid"
echo
echo "demo finished"
