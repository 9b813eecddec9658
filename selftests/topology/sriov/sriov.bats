#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "sriov" topology: the basic fabric plus dn2 with an SR-IOV
# NVMe (85000, two VFs). A borrowed PF creates its VFs with sriov_numvfs;
# they appear in the synthetic domain (10000:85:00.1, .2), stay out of the
# pool, bind to nvme once the PF gave their secondary controllers queues
# and interrupts ("nvme virt-mgmt", QEMU's SR-IOV model) and serve I/O.
# Returning the PF removes its VFs before the PF, without the PCI core's
# "driver left SR-IOV enabled" warning; so do unbinding the adapter and an
# attention button press on the PF's slot (last: the PF leaves QEMU).

load ../../host/helpers

PF=/sys/bus/pci/devices/10000:85:00.0
MARK=smartio-sriov-bats-start

# The guest's kernel log since the suite last started (the serial console
# may lag behind it).
log_since_mark() {
	gx "dmesg | awk '/$MARK/ { o = \"\" } { o = o \$0 \"\\n\" } END { printf \"%s\", o }'"
}

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	gexec "smartio_tool scan >/dev/null; echo $MARK > /dev/kmsg"
}

teardown() {
	[ -n "$BATS_TEST_COMPLETED" ] || guest_state
}

@test "the SR-IOV NVMe is one pool device" {
	run gx 'ls /sys/bus/smartio/devices'
	[[ "$output" == *85000* ]]
	[[ "$output" != *85010* ]]
}

@test "the scan, before any borrow, turns on ARI forwarding at the port of the PF (it has ARI)" {
	# Functions above 7 of an ARI device answer only through a port that
	# forwards ARI; the PCI core turns it on only when it scans function 0.
	run gx 'test -e /sys/bus/smartio/devices/85000/pci_dev && echo borrowed
		lspci -s 10000:82:02.0 -vv | grep DevCtl2:; lspci -s 10000:82:00.0 -vv | grep DevCtl2:'
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *ARIFwd+* ]]
	# dn0's NVMe has no ARI: its port is left alone.
	[[ "${lines[1]}" == *ARIFwd-* ]]
}

@test "a borrowed PF creates two VFs in domain 10000 with sriov_numvfs" {
	run gx "$GUEST_FNS; smartio_tool borrow --no-wait 85000 >/dev/null && wait_bound 85000 &&
		cat $PF/sriov_totalvfs && echo 0 > $PF/sriov_drivers_autoprobe &&
		echo 2 > $PF/sriov_numvfs && echo enabled && cat $PF/sriov_numvfs &&
		readlink /sys/bus/pci/devices/10000:85:00.1/physfn && readlink /sys/bus/pci/devices/10000:85:00.2/physfn"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 2 ]
	[ "${lines[1]}" = enabled ]
	[ "${lines[2]}" = 2 ]
	[ "${lines[3]}" = ../10000:85:00.0 ]
	[ "${lines[4]}" = ../10000:85:00.0 ]
}

@test "a scan leaves the VFs out of the pool" {
	run gx 'smartio_tool scan >/dev/null && ls /sys/bus/smartio/devices'
	[ "$status" -eq 0 ]
	[[ "$output" == *85000* ]]
	[[ "$output" != *85010* ]]
	[[ "$output" != *85020* ]]
}

@test "the VFs bind to nvme once online, and a namespace of VF 1 reads" {
	# Secondary controllers 1 and 2: 2 queues (admin + I/O) and 1
	# interrupt each, then online; namespace 2 for controller 1 only.
	run gx "n=\$(ls $PF/nvme) &&
		for c in 1 2; do nvme virt-mgmt /dev/\$n -c \$c -r 0 -a 8 -n 2 && nvme virt-mgmt /dev/\$n -c \$c -r 1 -a 8 -n 1 && nvme virt-mgmt /dev/\$n -c \$c -a 9 || exit 1; done >/dev/null &&
		nvme attach-ns /dev/\$n -n 2 -c 1 >/dev/null &&
		for f in 1 2; do echo nvme > /sys/bus/pci/devices/10000:85:00.\$f/driver_override && echo 10000:85:00.\$f > /sys/bus/pci/drivers/nvme/bind || exit 1; done &&
		for i in \$(seq 100); do b=\$(ls -d /sys/bus/pci/devices/10000:85:00.1/nvme/nvme*/nvme*n2 2>/dev/null) && break; sleep 0.1; done &&
		basename \$(readlink /sys/bus/pci/devices/10000:85:00.1/driver) && basename \$(readlink /sys/bus/pci/devices/10000:85:00.2/driver) &&
		ns=\$(basename \$b) && d=/dev/\$(echo \$ns | sed 's/c[0-9]*n/n/') &&
		for i in \$(seq 100); do [ -b \$d ] && break; sleep 0.1; done &&
		dd if=\$d of=/dev/null bs=64k count=16 2>/dev/null && echo read-ok"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = nvme ]
	[ "${lines[1]}" = nvme ]
	[ "${lines[-1]}" = read-ok ]
}

@test "returning the PF removes its VFs first, without a warning; the PF is back in the pool" {
	run gx 'smartio_tool return 85000 && cat /sys/bus/smartio/devices/85000/state && ls /sys/bus/pci/devices | grep -c "^10000:85:"'
	[ "${lines[0]}" = available ]
	[ "${lines[1]}" = 0 ]
	run log_since_mark
	[[ "$output" != *"left SR-IOV enabled"* ]]
	! [[ "$output" =~ $SPLAT_RE ]]
	# The VFs went before the PF was returned.
	vfs=$(grep -n 'SR-IOV disabled before the PF is returned' <<< "$output" | tail -1 | cut -d: -f1)
	ret=$(grep -n '85000: returned' <<< "$output" | tail -1 | cut -d: -f1)
	[ -n "$vfs" ] && [ -n "$ret" ] && [ "$vfs" -lt "$ret" ]
}

@test "the PF borrows again, and returns with VFs enabled but unbound" {
	run gx "$GUEST_FNS; smartio_tool borrow --no-wait 85000 >/dev/null && wait_bound 85000 &&
		cat $PF/sriov_numvfs && echo 0 > $PF/sriov_drivers_autoprobe && echo 2 > $PF/sriov_numvfs &&
		ls /sys/bus/pci/devices | grep -c '^10000:85:' &&
		smartio_tool return 85000 && ls /sys/bus/pci/devices | grep -c '^10000:85:'; cat /sys/bus/smartio/devices/85000/state"
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 3 ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = available ]
	run log_since_mark
	[[ "$output" != *"left SR-IOV enabled"* ]]
	! [[ "$output" =~ $SPLAT_RE ]]
}

@test "unbinding the adapter with VFs enabled removes them before their PF; it binds again" {
	run gx "smartio_tool borrow 85000 >/dev/null && echo 0 > $PF/sriov_drivers_autoprobe && echo 2 > $PF/sriov_numvfs &&
		d=\$(ls /sys/bus/pci/drivers/smartio_emul | grep '^0000:') && echo \$d > /sys/bus/pci/drivers/smartio_emul/unbind &&
		for i in \$(seq 100); do [ -e /sys/bus/smartio/devices/adapter0 ] || break; sleep 0.1; done;
		ls /sys/bus/pci/devices | grep -c '^10000:'; echo \$d > /sys/bus/pci/drivers/smartio_emul/bind && smartio_tool scan >/dev/null &&
		cat /sys/bus/smartio/devices/85000/state"
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = available ]
	run log_since_mark
	[[ "$output" != *"left SR-IOV enabled"* ]]
	! [[ "$output" =~ $SPLAT_RE ]]
}

# Last: the PF leaves QEMU.
@test "an attention button press on dn2 with VFs enabled removes them before their PF" {
	run gx "smartio_tool borrow 85000 >/dev/null && echo 0 > $PF/sriov_drivers_autoprobe && echo 2 > $PF/sriov_numvfs &&
		ls /sys/bus/pci/devices | grep -c '^10000:85:'"
	[ "$output" = 3 ]
	qmp_unplug fabnvme2
	run gx "ls /sys/bus/pci/devices | grep -c '^10000:85:'; ls /sys/bus/smartio/devices | grep -c 85000"
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	run log_since_mark
	[[ "$output" != *"left SR-IOV enabled"* ]]
	! [[ "$output" =~ $SPLAT_RE ]]
}
