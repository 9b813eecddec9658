#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, against a guest booted with the "big" topology: a two-level
# chassis with 14 endpoints behind one adapter, among them a 4 GiB GPU-class
# BAR (ivshmem-plain backed by RUNDIR/gpumem.bin), a multi-function device
# (e1000e + NVMe) and ten edu devices behind a second switch.

load ../../host/helpers

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	gexec 'smartio_tool scan'
}

local_addr() {	# local_addr FDID: the local PCI address of a borrowed device
	gexec "basename \$(readlink /sys/bus/smartio/devices/$1/pci_dev)"
}

@test "scan finds all 14 endpoints of the two-level chassis and no bridge" {
	run gexec 'cat /sys/bus/smartio/devices/[0-9a-f]*/class'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 14 ]
	[[ "$output" != *0x0604* ]]
	run gexec 'cat /sys/bus/smartio/devices/[0-9a-f]*/remote_address | cut -d: -f1 | sort -u | wc -l'
	[ "$output" -eq 13 ]
}

@test "remote bus numbers stay inside the adapter's range, apart from the host's buses" {
	run gexec 'cat /sys/bus/smartio/devices/adapter0/bus_range'
	[ "$output" = 80-91 ]
	run gexec 'for f in /sys/bus/smartio/devices/[0-9a-f]*/remote_address; do b=$(cut -d: -f1 < $f); [ $((0x$b)) -ge 128 ] && [ $((0x$b)) -le 145 ] || echo "out of range: $b"; done; lspci -D | cut -d" " -f1 | grep "^0000:" | cut -d: -f2 | sort -u | while read b; do [ $((0x$b)) -ge 128 ] && echo "host bus $b"; done; true'
	[ -z "$output" ]
}

@test "aperture accounting: size, used and free; whether each BAR fits" {
	run gexec 'a=/sys/bus/smartio/devices/adapter0; cat $a/aperture_size $a/aperture_used $a/aperture_free'
	[ "${lines[1]}" -eq 0 ]
	[ "${lines[2]}" -eq "${lines[0]}" ]
	run gexec 'cat /sys/bus/smartio/devices/83000/fit'
	[ "$output" = "0 256 fits
2 4294967296 fits" ]
	run gexec 'smartio_tool show 83000'
	[[ "$output" == *"2 4294967296 fits"* ]]
}

@test "a 4 GiB BAR borrowed into the aperture: writes through resource2 reach the host" {
	run gexec 'smartio_tool borrow 83000'
	[ "$status" -eq 0 ]
	addr=$(local_addr 83000)
	# BAR 2: 4 GiB, 64-bit prefetchable, inside the prefetchable window.
	run gexec "sed -n 3p /sys/bus/pci/devices/$addr/resource; grep pref /sys/bus/smartio/devices/adapter0/aperture"
	read -r start end flags <<< "${lines[0]}"
	[ $((end - start + 1)) -eq $((4 << 30)) ]
	[ $((flags & 0x2000)) -ne 0 ]
	window=${lines[1]#pref }
	[ $((start)) -ge $((${window%-*})) ]
	[ $((end)) -le $((${window#*-})) ]
	for off in 0 0x40000000 0xfffff000; do
		run gexec "smartio_bar_rw /sys/bus/pci/devices/$addr/resource2 $off write 0x5a5a5a5a0000$(printf %04x $((off >> 24)))"
		[ "$status" -eq 0 ]
	done
	for off in 0 0x40000000 0xfffff000; do
		[ "$(od -An -tx8 -j $((off)) -N 8 "$SMARTIO_RUNDIR/gpumem.bin" | tr -d ' ')" = "5a5a5a5a0000$(printf %04x $((off >> 24)))" ]
	done
	run gexec 'a=/sys/bus/smartio/devices/adapter0; cat $a/aperture_size $a/aperture_used $a/aperture_free; cat /sys/bus/smartio/devices/83000/fit'
	[ "${lines[1]}" -eq $(((4 << 30) + 256)) ]
	[ "${lines[2]}" -eq $((lines[0] - lines[1])) ]
	[ "${lines[4]}" = "2 4294967296 assigned" ]
	run gexec 'smartio_tool return 83000'
	[ "$status" -eq 0 ]
}

@test "a multi-function device: both functions borrowed, e1000e and nvme bind, link up" {
	run gexec 'smartio_tool borrow 84000 && smartio_tool borrow 84010'
	[ "$status" -eq 0 ]
	nic=$(local_addr 84000)
	disk=$(local_addr 84010)
	[ "${nic%.0}" = "${disk%.1}" ]
	run gexec "basename \$(readlink /sys/bus/pci/devices/$nic/driver); basename \$(readlink /sys/bus/pci/devices/$disk/driver)"
	[ "${lines[0]}" = e1000e ]
	[ "${lines[1]}" = nvme ]
	run gexec "n=\$(ls /sys/bus/pci/devices/$nic/net) && ip link set \$n up && for i in \$(seq 50); do [ \"\$(cat /sys/class/net/\$n/carrier 2>/dev/null)\" = 1 ] && exit 0; sleep 0.2; done; exit 1"
	[ "$status" -eq 0 ]
	run gexec 'smartio_tool return 84010 && smartio_tool return 84000'
	[ "$status" -eq 0 ]
}

@test "devices behind one switch, returned in any order, keep their BARs; bridge windows stay" {
	snapshot='for f in 87000 88000 89000 8a000 8b000; do [ -L /sys/bus/smartio/devices/$f/pci_dev ] && echo "$f $(head -1 /sys/bus/smartio/devices/$f/pci_dev/resource)"; done'
	windows='for p in /sys/bus/pci/devices/1*; do [ -e $p/secondary_bus_number ] && echo "${p##*/} $(sed -n 14,16p $p/resource | tr "\n" " ")"; done'
	run gexec "$windows"
	before_windows=$output
	run gexec 'for f in 87000 88000 89000 8a000 8b000; do smartio_tool borrow $f || exit 1; done'
	[ "$status" -eq 0 ]
	run gexec "$snapshot"
	all=$output
	[ "${#lines[@]}" -eq 5 ]
	run gexec 'smartio_tool return 89000 && smartio_tool return 87000 && smartio_tool return 8b000'
	[ "$status" -eq 0 ]
	run gexec "$snapshot"
	[ "$output" = "$(grep -E '^(88000|8a000) ' <<< "$all")" ]
	run gexec 'smartio_tool borrow 8b000 && smartio_tool borrow 87000 && smartio_tool borrow 89000'
	[ "$status" -eq 0 ]
	run gexec "$snapshot"
	[ "$output" = "$all" ]
	run gexec 'for f in 88000 8b000 87000 8a000 89000; do smartio_tool return $f || exit 1; done'
	[ "$status" -eq 0 ]
	run gexec "$windows"
	[ "$output" = "$before_windows" ]
}
