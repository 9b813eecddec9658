#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "portpm" topology: the basic fabric plus dn2, a downstream
# port without hot-plug holding an NVMe (85000), in a guest booted with
# pcie_port_pm=force. The PCI core would runtime-suspend dn2 (D3hot) while
# its NVMe is only in the pool; smartio holds every remote bridge awake so
# that it can still read the devices behind them. The guest also boots with
# pcie_ports=native, with which the port driver would give the remote slots
# to pciehp, which then powers off a slot whose hot-added card it cannot
# see (smartio keeps endpoints hidden until they are borrowed).

load ../../host/helpers

# The runtime PM state of every bridge in the synthetic domain, one line
# each: "<address> <runtime_status> <power_state>".
bridges='for d in /sys/bus/pci/devices/10000:*; do [ "$(cat $d/class)" = 0x060400 ] || continue; echo "${d##*/} $(cat $d/power/runtime_status) $(cat $d/power_state)"; done'

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	gexec 'smartio_tool scan'
}

@test "the guest lets the PCI core suspend ports: pcie_port_pm=force, dn2 without hot-plug" {
	run gexec 'cat /proc/cmdline; cat /sys/bus/pci/devices/10000:82:02.0/power/control'
	[[ "${lines[0]}" == *pcie_port_pm=force* ]]
	# portdrv allowed runtime PM on it, as on a host with a recent BIOS.
	[ "${lines[1]}" = auto ]
}

@test "pcie_ports=native: pciehp drives no remote slot; smartio takes their interrupts" {
	run gexec 'cat /proc/cmdline; for s in /sys/bus/pci_express/devices/10000:*; do
			[ -e $s/driver ] && echo "${s##*/} $(basename $(readlink $s/driver))"; done; true'
	echo "$output"
	[[ "${lines[0]}" == *pcie_ports=native* ]]
	[[ "$output" != *pciehp* ]]
	# The services the host bridge does not allow still bind: AER and PME
	# of the remote root port.
	[[ "$output" == *"10000:80:00.0:pcie002 aer"* ]]
	# Slot interrupts: the root port, dn0 and dn1 (dn2 has no hot-plug).
	run gexec 'grep -c smartio-slot /proc/interrupts'
	[ "$output" = 3 ]
}

@test "pcie_ports=native: an NVMe hot-added into dn1 joins the pool, borrows and reads" {
	qmp_ok '{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"pp1","size":67108864}}'
	qmp_ok '{"execute":"device_add","arguments":{"driver":"nvme","id":"pp1","serial":"pp1","drive":"pp1","bus":"dn1"}}'
	run gexec "$GUEST_FNS"'; for i in $(seq 100); do test -e $D/84000 && break; sleep 0.1; done
		smartio_tool borrow --no-wait 84000 > /dev/null && b=$(wait_blk 84000) &&
		dd if=$b of=/dev/null bs=64k count=16 2>/dev/null && echo read-ok; smartio_tool return 84000'
	echo "$output"
	[[ "$output" == *read-ok* ]]
	qmp_unplug pp1 30
	qmp_ok '{"execute":"blockdev-del","arguments":{"node-name":"pp1"}}'
	run gexec 'for i in $(seq 100); do test -e /sys/bus/smartio/devices/84000 || exit 0; sleep 0.1; done; exit 1'
	[ "$status" -eq 0 ]
}

@test "every remote bridge stays active and in D0 after time to suspend, and both NVMe stay in the pool" {
	sleep 3
	run gexec "$bridges"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[[ "$output" != *suspended* ]]
	[[ "$output" != *D3* ]]
	run gexec 'smartio_tool scan >/dev/null; ls /sys/bus/smartio/devices'
	[[ "$output" == *83000* ]]
	[[ "$output" == *85000* ]]
}

@test "the NVMe behind the port without hot-plug borrows, reads and returns; the ports stay awake" {
	run gexec "$GUEST_FNS; smartio_tool borrow --no-wait 85000 >/dev/null && b=\$(wait_blk 85000) &&
		dd if=\$b of=/dev/null bs=64k count=16 2>/dev/null && echo read-ok"
	[ "$status" -eq 0 ]
	[ "$output" = read-ok ]
	run gexec 'smartio_tool return 85000 && sleep 3 && cat /sys/bus/smartio/devices/85000/state'
	[ "${lines[-1]}" = available ]
	run gexec "$bridges"
	[ "${#lines[@]}" -eq 5 ]
	[[ "$output" != *suspended* ]]
	# It borrows again after that idle time.
	run gexec "$GUEST_FNS; smartio_tool borrow --no-wait 85000 >/dev/null && wait_blk 85000 && smartio_tool return 85000"
	[ "$status" -eq 0 ]
}

@test "unloading smartio removes the bridges with their references; loading again holds them anew" {
	run gexec 'rmmod smartio_emul && rmmod smartio && ls /sys/bus/pci/devices | grep -c "^10000:"'
	[ "$output" = 0 ]
	run gexec 'insmod /smartio/smartio.ko && insmod /smartio/smartio_emul.ko && smartio_tool scan >/dev/null && sleep 3'
	[ "$status" -eq 0 ]
	run gexec "$bridges; dmesg | grep -ci 'usage count underflow'"
	[ "${lines[-1]}" = 0 ]
	[[ "$output" != *suspended* ]]
}
