#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side: the guest as booted, before smartio acts.

load helpers

setup_file() {
	require_guest
}

@test "the guest booted with the fabric hidden from the PCI core" {
	run gexec 'cat /proc/cmdline'
	[[ "$output" == *"pci=noacpi pci=lastbus=127"* ]]
	[[ "$output" == *"panic_on_warn=1"* ]]
	run gexec 'dmesg | grep -E "(MMCONFIG|ECAM) .*for domain 0000 \[bus 00-ff\]"'
	[ "$status" -eq 0 ]
}

@test "the native NVMe is visible in domain 0000" {
	run gexec 'lspci -Dn -d 1b36:0010'
	[ "$status" -eq 0 ]
	[[ "$output" == "0000:00:05.0 "* ]]
	run gexec 'ls /sys/bus/pci/devices/0000:00:05.0/nvme'
	[ "$status" -eq 0 ]
}

@test "the fabric NVMe is not visible before smartio is loaded" {
	run gexec 'test -d /sys/bus/smartio && echo loaded; lspci -Dn'
	[ "$status" -eq 0 ]
	[[ "$output" != *loaded* ]]
	# Only the expander itself, a host bridge [1b36:000b], is seen of the fabric.
	[[ "$output" == *"0000:00:0"?".0 0600: 1b36:000b"* ]]
	# Nothing outside domain 0000 or on a bus >= 0x80.
	run gexec 'lspci -Dn | cut -d" " -f1 | grep -v "^0000:[0-7]"'
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}
