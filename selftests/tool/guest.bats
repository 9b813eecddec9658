#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# smartio_tool against the real module, inside the guest booted with the
# "basic" fabric (one NVMe behind the adapter's switch, one empty slot).

setup_file() {
	[ -d /sys/bus/smartio ] || insmod /smartio/smartio.ko
	smartio_tool config autoborrow_transparent 0
	smartio_tool scan
}

teardown() {
	umount /mnt/tool 2>/dev/null || true
	smartio_tool config autoborrow_transparent 0
	for d in /sys/bus/smartio/devices/*; do
		[ "$(cat "$d/state" 2>/dev/null)" = borrowed ] && echo 1 > "$d/return"
	done
	return 0
}

nvme_fdid() {
	local d
	for d in /sys/bus/smartio/devices/*; do
		[ "$(cat "$d/class" 2>/dev/null)" = 0x010802 ] && { basename "$d"; return; }
	done
}

wait_blockdev() {	# wait_blockdev FDID: prints the namespace block device
	local i b
	for i in $(seq 200); do
		for b in /sys/bus/smartio/devices/"$1"/pci_dev/nvme/nvme*/nvme*n1; do
			[ -b "/dev/$(basename "$b")" ] && { echo "/dev/$(basename "$b")"; return 0; }
		done
		sleep 0.05
	done
	return 1
}

@test "--help lists every command" {
	run smartio_tool --help
	[ "$status" -eq 0 ]
	for c in scan list show borrow return config; do
		[[ "$output" == *"$c"* ]]
	done
}

@test "scan then list shows exactly the fabric NVMe, available, Dolphin style" {
	run smartio_tool scan
	[ "$status" -eq 0 ]
	run smartio_tool list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "${lines[0]}" = "$(nvme_fdid): Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available]" ]
}

@test "list --json agrees with sysfs" {
	run smartio_tool list --json
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"fdid\": \"$(nvme_fdid)\""* ]]
	[[ "$output" == *'"state": "available"'* ]]
	[[ "$output" == *'"remote_address": "83:00.0"'* ]]
	[[ "$output" == *'"pci_dev": null'* ]]
}

@test "show prints the device's attributes" {
	run smartio_tool show "0x$(nvme_fdid)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vendor: 0x1b36"* ]]
	[[ "$output" == *"adapter: adapter0"* ]]
	[[ "$output" == *"resource: 0 mem64 nopref 16384"* ]]
}

@test "borrow makes a local NVMe in a 1xxxx domain; borrow again is refused" {
	local fdid addr blk
	fdid=$(nvme_fdid)
	run smartio_tool borrow "$fdid"
	[ "$status" -eq 0 ]
	[ "$(cat /sys/bus/smartio/devices/$fdid/state)" = borrowed ]
	addr=$(basename "$(readlink /sys/bus/smartio/devices/$fdid/pci_dev)")
	[[ "$addr" == 1[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:83:00.0 ]]
	run lspci -Dn -s "$addr"
	[[ "$output" == *"1b36:0010"* ]]
	blk=$(wait_blockdev "$fdid")
	[ -b "$blk" ]
	run smartio_tool show "$fdid"
	[[ "$output" == *"pci_dev: $addr"* ]]
	run smartio_tool borrow "$fdid"
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: borrow $fdid: already borrowed" ]
}

@test "return is refused while mounted, works after umount, and only once" {
	local fdid blk addr
	fdid=$(nvme_fdid)
	smartio_tool borrow "$fdid"
	addr=$(basename "$(readlink /sys/bus/smartio/devices/$fdid/pci_dev)")
	blk=$(wait_blockdev "$fdid")
	mkfs.ext4 -F -q "$blk"
	mkdir -p /mnt/tool
	mount "$blk" /mnt/tool
	run smartio_tool return "$fdid"
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: return $fdid: mounted: $blk; unmount first or use --force" ]
	[ "$(cat /sys/bus/smartio/devices/$fdid/state)" = borrowed ]
	umount /mnt/tool
	run smartio_tool return "$fdid"
	[ "$status" -eq 0 ]
	[ "$(cat /sys/bus/smartio/devices/$fdid/state)" = available ]
	run lspci -D -s "$addr"
	[ -z "$output" ]
	run smartio_tool return "$fdid"
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: return $fdid: not borrowed" ]
}

@test "return --force returns a mounted device" {
	local fdid blk
	fdid=$(nvme_fdid)
	smartio_tool borrow "$fdid"
	blk=$(wait_blockdev "$fdid")
	mkfs.ext4 -F -q "$blk"
	mkdir -p /mnt/tool
	mount "$blk" /mnt/tool
	run smartio_tool return --force "$fdid"
	[ "$status" -eq 0 ]
	[ "$(cat /sys/bus/smartio/devices/$fdid/state)" = available ]
	umount -l /mnt/tool 2>/dev/null || true
}

@test "config autoborrow_transparent 1 then scan borrows the NVMe" {
	local fdid
	fdid=$(nvme_fdid)
	run smartio_tool config autoborrow_transparent 1
	[ "$status" -eq 0 ]
	run smartio_tool config
	[ "$output" = "autoborrow_transparent=1" ]
	smartio_tool scan
	[ "$(cat /sys/bus/smartio/devices/$fdid/state)" = borrowed ]
	run smartio_tool list
	[[ "${lines[0]}" == *"[borrowed]" ]]
	run smartio_tool config autoborrow_transparent 2
	[ "$status" -eq 1 ]
	[[ "$output" == "smartio_tool: config autoborrow_transparent: invalid value '2'"* ]]
	[ "$(smartio_tool config autoborrow_transparent)" = 1 ]
}

@test "unknown fdids fail with a one-line reason" {
	run smartio_tool borrow 0xfffff
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: no such fabric device: 0xfffff" ]
	run smartio_tool return nope
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: not a fabric device id: nope" ]
}

@test "adapters shows the synthetic domain and the aperture" {
	run smartio_tool adapters
	[ "$status" -eq 0 ]
	[[ "$output" == "adapter0: emul domain 1"[0-9a-f][0-9a-f][0-9a-f][0-9a-f]" buses 80-84 aperture 264 MiB link up" ]]
}
