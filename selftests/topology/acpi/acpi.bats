#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "acpi" topology: the basic fabric in a guest booted with ACPI,
# whose kernel enumerates the pxb-pcie expander's tree itself. Loading the
# emulated adapter backend there must bind nothing and log no error.

load ../../host/helpers

setup_file() {
	require_guest
}

@test "the kernel enumerated the expander's tree itself (ACPI boot)" {
	run gexec 'cat /proc/cmdline; lspci -Dn'
	[ "$status" -eq 0 ]
	[[ "$output" != *"pci=noacpi"* ]]
	[[ "$output" == *"0000:00:06.0 "* ]]
}

@test "smartio_emul leaves an enumerated expander alone, with a note and no error" {
	run gexec 'insmod /smartio/smartio.ko && insmod /smartio/smartio_emul.ko &&
		ls /sys/bus/smartio/devices; ls /sys/bus/pci/drivers/smartio_emul'
	[ "$status" -eq 0 ]
	[[ "$output" != *adapter* ]]
	[[ "$output" != *0000:* ]]
	run gexec 'dmesg | grep -E "smartio|1b36:000b|00:0[0-9a-f].0"'
	[[ "$output" == *"buses 80-"*" already enumerated by the OS, not an emulated adapter"* ]]
	[[ "$output" != *"no hidden PCI tree"* ]]
	[[ "$output" != *"no q35 ECAM"* ]]
	run gexec 'rmmod smartio_emul && rmmod smartio'
	[ "$status" -eq 0 ]
}

@test "smartio_port refuses a port whose hot-plug the firmware owns; pcieport keeps it" {
	run gexec 'insmod /smartio/smartio.ko && insmod /smartio/smartio_port.ko && smartio_tool adopt 0000:00:06.0'
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: adopt 0000:00:06.0: its hot-plug belongs to the firmware (ACPI hot-plug)" ]
	run gexec 'readlink /sys/bus/pci/devices/0000:00:06.0/driver; lspci -D | grep -c "^0000:00:06.0 "
		ls /sys/bus/smartio/devices | wc -l; rmmod smartio_port && rmmod smartio'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == */pcieport ]]
	[ "${lines[1]}" -eq 1 ]
	[ "${lines[2]}" -eq 0 ]
}
