#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side: what real adapters and chassis do and QEMU does not by itself,
# through the emulated adapter's test-only fault injection: an adapter bound
# while its link is down (module parameter link_down_at_probe), and a power
# cycle of the remote chassis (debugfs power_cycle: link down, a secondary
# bus reset below the remote root port, link up), which clears the switch's
# bus numbers and windows and the NVMe's BARs.

load helpers

DBG=/sys/kernel/debug/smartio/adapter0

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	gexec 'echo 0 > /sys/bus/smartio/autoborrow_transparent; smartio_tool scan'
}

teardown_file() {
	gexec "$GUEST_FNS; return_all; umount -l /mnt/rs 2>/dev/null; test -e /sys/module/smartio_emul/parameters/link_down_at_probe &&
		grep -q Y /sys/module/smartio_emul/parameters/link_down_at_probe && { rmmod smartio_emul; insmod /smartio/smartio_emul.ko; }; true"
}

@test "an adapter bound with its link down has an empty pool and scan says why; link up enumerates it" {
	run gx 'rmmod smartio_emul && insmod /smartio/smartio_emul.ko link_down_at_probe=1 &&
		cat /sys/bus/smartio/devices/adapter0/link; ls /sys/bus/smartio/devices; ls /sys/bus/pci/devices | grep -c "^10000:"; true'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = down ]
	[ "${lines[1]}" = adapter0 ]
	[ "${lines[2]}" = 0 ]
	run gx 'smartio_tool scan'
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: scan: the link of every adapter is down (adapter0)" ]
	# The link comes up: the watcher enumerates the remote tree and scans.
	run gx "$GUEST_FNS; echo 0 > $DBG/link_down
		for i in \$(seq 100); do test -e \$D/83000 && break; sleep 0.1; done
		smartio_tool borrow --no-wait 83000 >/dev/null && b=\$(wait_blk 83000) &&
		dd if=\$b of=/dev/null bs=64k count=16 2>/dev/null && echo read-ok && smartio_tool return 83000"
	[ "$status" -eq 0 ]
	[[ "$output" == *read-ok* ]]
	run gx 'ls /sys/bus/pci/devices | grep -c "^10000:"; rmmod smartio_emul && insmod /smartio/smartio_emul.ko'
	[ "${lines[0]}" = 4 ]
}

@test "a chassis power cycle under a mounted, borrowed NVMe: it is removed, the tree enumerated again, and it borrows again" {
	run gx "$GUEST_FNS; smartio_tool scan >/dev/null; smartio_tool borrow --no-wait 83000 >/dev/null && b=\$(wait_blk 83000) &&
		mkfs.ext4 -F -q \$b && mkdir -p /mnt/rs && mount \$b /mnt/rs && echo data > /mnt/rs/f && sync && echo mounted"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = mounted ]
	run gx "echo 1 > $DBG/power_cycle && for i in \$(seq 100); do
			[ \"\$(cat /sys/bus/smartio/devices/83000/state 2>/dev/null)\" = available ] && break; sleep 0.1; done
		cat /sys/bus/smartio/devices/83000/state; dmesg | grep -c 'remote tree was reset'
		cat /mnt/rs/f 2>&1 || echo read-failed"
	[ "${lines[0]}" = available ]
	[ "${lines[1]}" -ge 1 ]
	# The mounted file system sees a gone device, not a reset one.
	[[ "$output" == *read-failed* || "$output" == *"I/O error"* || "$output" != *"data"* ]]
	gx 'umount -l /mnt/rs'
	# The PCI core gave the switch its bus numbers and windows again.
	run gx 'lspci -D | cut -d" " -f1 | grep "^10000:" | paste -sd" "; setpci -s 10000:81:00.0 SECONDARY_BUS SUBORDINATE_BUS'
	[ "${lines[0]}" = "10000:80:00.0 10000:81:00.0 10000:82:00.0 10000:82:01.0" ]
	[ "${lines[1]}" = 82 ]
	[ "${lines[2]}" = 84 ]
	run gx "$GUEST_FNS; smartio_tool borrow --no-wait 83000 >/dev/null && b=\$(wait_blk 83000) &&
		mount \$b /mnt/rs && cat /mnt/rs/f && umount /mnt/rs && smartio_tool return 83000"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = data ]
}

@test "after a power cycle with nothing borrowed the empty slot still takes a hot-added NVMe" {
	run gx "echo 1 > $DBG/power_cycle; for i in \$(seq 100); do test -e /sys/bus/smartio/devices/83000 && break; sleep 0.1; done; smartio_tool list"
	[[ "$output" == *"83000: "*"[available]"* ]]
	qmp_ok '{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"rs1","size":67108864}}'
	qmp_ok '{"execute":"device_add","arguments":{"driver":"nvme","id":"rs1","serial":"rs1","drive":"rs1","bus":"dn1"}}'
	run gx "$GUEST_FNS; for i in \$(seq 100); do test -e \$D/84000 && break; sleep 0.1; done
		smartio_tool borrow --no-wait 84000 >/dev/null && wait_blk 84000 && smartio_tool return 84000"
	[ "$status" -eq 0 ]
	"$SMARTIO_TOP/scripts/qmp" "$SMARTIO_RUNDIR" '{"execute":"device_del","arguments":{"id":"rs1"}}' --wait-event DEVICE_DELETED 20
	qmp_ok '{"execute":"blockdev-del","arguments":{"node-name":"rs1"}}'
}
