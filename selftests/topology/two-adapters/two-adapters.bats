#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, against a guest booted with the "two-adapters" topology: the
# basic fabric (pxb bus 0x80) and a second emulated adapter (pxb bus 0xa0)
# with one NVMe behind its root port.

load ../../host/helpers

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	gexec 'smartio_tool scan'
}

@test "each emulated adapter gets its own synthetic domain and bus range" {
	run gexec 'smartio_tool adapters'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "adapter0: emul domain 10000 buses 80-84 "* ]]
	[[ "${lines[1]}" == "adapter1: emul domain 10001 buses a0-a1 "* ]]
}

@test "the pools are separate and say which adapter a device is behind" {
	run gexec 'smartio_tool list --json'
	[ "$status" -eq 0 ]
	[[ "$output" == *'"fdid": "83000"'*'"adapter": "adapter0"'* ]]
	[[ "$output" == *'"fdid": "1a1000"'*'"adapter": "adapter1"'*'"remote_address": "a1:00.0"'* ]]
	run gexec 'smartio_tool list -n'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "83000: "*" [available] (adapter0)" ]]
	[[ "${lines[1]}" == "1a1000: "*" [available] (adapter1)" ]]
}

@test "borrowing on one adapter does not disturb the other" {
	run gexec 'smartio_tool borrow 1a1000 > /dev/null && cat /sys/bus/smartio/devices/83000/state && lspci -Dn -s a1:00.0'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = available ]
	[[ "${lines[1]}" == "10001:a1:00.0 "* ]]
	run gexec 'smartio_tool borrow 83000 > /dev/null && smartio_tool return 1a1000 && cat /sys/bus/smartio/devices/83000/state && lspci -Dn -s 83:00.0 && smartio_tool return 83000'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = borrowed ]
	[[ "${lines[1]}" == "10000:83:00.0 "* ]]
}
