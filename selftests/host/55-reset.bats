#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side: what real adapters and chassis do and QEMU does not by itself,
# through the emulated adapter's test-only fault injection: an adapter bound
# while its link is down (module parameter link_down_at_probe), a device
# slow to answer after its function level reset (flr_busy_ms), a power
# cycle of the remote chassis (debugfs power_cycle: link down, a secondary
# bus reset below the remote root port, link up), which clears the switch's
# bus numbers and windows and the NVMe's BARs, a link flap of one slot with
# its card left in (debugfs link_flap), and a card swapped between two
# polls of the watcher.

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

@test "a borrow's function level reset does not hold the PCI core's rescan lock" {
	# The NVMe answers no config read for 900 ms after its reset (the hook
	# flr_busy_ms); a PCI rescan started meanwhile, which takes the rescan
	# lock, ends while the borrow is still waiting for the device.
	run gx "smartio_tool scan > /dev/null; smartio_tool borrow 83000 > /dev/null; smartio_tool return 83000
		P=/sys/module/smartio_emul/parameters/flr_busy_ms; echo 900 > \$P; rm -f /tmp/flr.rc
		(echo 1 > /sys/bus/smartio/devices/83000/borrow; echo \$? > /tmp/flr.rc) &
		sleep 0.2
		echo 1 > /sys/bus/pci/rescan
		cat /sys/bus/smartio/devices/83000/state; test -e /tmp/flr.rc && echo finished || echo resetting
		wait; cat /tmp/flr.rc; echo 0 > \$P
		cat /sys/bus/smartio/devices/83000/state; smartio_tool return 83000"
	echo "$output"
	[ "${lines[0]}" = available ]
	[ "${lines[1]}" = resetting ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = borrowed ]
}

@test "a chassis power cycle under a mounted, borrowed NVMe: it is removed, the tree enumerated again, and borrowed again" {
	run gx "$GUEST_FNS; smartio_tool scan >/dev/null; smartio_tool borrow --no-wait 83000 >/dev/null && b=\$(wait_blk 83000) &&
		mkfs.ext4 -F -q \$b && mkdir -p /mnt/rs && mount \$b /mnt/rs && echo data > /mnt/rs/f && sync && echo mounted"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = mounted ]
	# Messages are counted after a mark: the kernel's log buffer wraps.
	run gx "M=smartio-reset-$RANDOM$RANDOM; echo \$M > /dev/kmsg; since() { dmesg | sed -n \"/\$M/,\\\$p\"; }
		echo 1 > $DBG/power_cycle && for i in \$(seq 150); do
			since | grep -q '83000: the same device answers again' && break; sleep 0.1; done
		cat /sys/bus/smartio/devices/83000/state; since | grep -c 'remote tree was reset'
		cat /mnt/rs/f 2>&1 || echo read-failed"
	# Removed, not left bound to the reset NVMe, and borrowed again.
	[ "${lines[0]}" = borrowed ]
	[ "${lines[1]}" -ge 1 ]
	# The mounted file system sees a gone device, not a reset one.
	[[ "$output" == *read-failed* || "$output" == *"I/O error"* || "$output" != *"data"* ]]
	gx 'umount -l /mnt/rs'
	# The PCI core gave the switch its bus numbers and windows again.
	run gx 'lspci -D | cut -d" " -f1 | grep "^10000:" | paste -sd" "; setpci -s 10000:81:00.0 SECONDARY_BUS SUBORDINATE_BUS'
	[ "${lines[0]}" = "10000:80:00.0 10000:81:00.0 10000:82:00.0 10000:82:01.0 10000:83:00.0" ]
	[ "${lines[1]}" = 82 ]
	[ "${lines[2]}" = 84 ]
	run gx "$GUEST_FNS; b=\$(wait_blk 83000) && mount \$b /mnt/rs && cat /mnt/rs/f && umount /mnt/rs && smartio_tool return 83000"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = data ]
}

@test "a link flap of a slot under a borrowed NVMe: its driver lets go of the reset card, which is borrowed again" {
	run gx "$GUEST_FNS; smartio_tool borrow --no-wait 83000 >/dev/null && b=\$(wait_blk 83000) &&
		mkfs.ext4 -F -q \$b && mkdir -p /mnt/rs && mount \$b /mnt/rs && echo flap > /mnt/rs/f && umount /mnt/rs"
	[ "$status" -eq 0 ]
	run gx "M=smartio-reset-$RANDOM$RANDOM; echo \$M > /dev/kmsg; since() { dmesg | sed -n \"/\$M/,\\\$p\"; }
		echo 82:00.0 > $DBG/link_flap && for i in \$(seq 150); do
			since | grep -q '83000: borrowed as' && break; sleep 0.1; done
		since | grep -c 'link change of slot below 82:00.0 with a card in: removing its devices'
		since | grep -c '83000: the same device answers again: borrowed again'"
	[ "${lines[0]}" -ge 1 ]
	[ "${lines[1]}" -ge 1 ]
	# The new binding works at once: the old one would wait on a reset card.
	run gx "$GUEST_FNS; b=\$(wait_blk 83000) && mount \$b /mnt/rs && timeout 20 cat /mnt/rs/f && umount /mnt/rs && smartio_tool return 83000"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = flap ]
}

@test "a card swapped between two polls: the borrowed NVMe is removed and the new card joins the pool, not borrowed" {
	qmp_ok '{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"sw0","size":67108864}}'
	qmp_ok '{"execute":"device_add","arguments":{"driver":"nvme","id":"sw0","serial":"sw0","drive":"sw0","bus":"dn1"}}'
	run gx "$GUEST_FNS; for i in \$(seq 100); do test -e \$D/84000 && break; sleep 0.1; done
		smartio_tool borrow --no-wait 84000 >/dev/null && wait_blk 84000 >/dev/null &&
		echo 0 > /sys/module/smartio/parameters/hotplug_poll_ms && cat \$D/84000/vendor"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = 0x1b36 ]
	# With the watcher paused the card is pulled (device_del, and the
	# slot's power switched off by hand) and a NIC put in its place.
	qmp_ok '{"execute":"device_del","arguments":{"id":"sw0"}}'
	gx 'setpci -s 10000:82:01.0 CAP_EXP+0x18.w=0x0700:0x0700'
	for i in $(seq 50); do qemu_has_device sw0 || break; sleep 0.2; done
	run qemu_has_device sw0
	[ "$status" -ne 0 ]
	qmp_ok '{"execute":"device_add","arguments":{"driver":"e1000e","id":"sw1","bus":"dn1"}}'
	run gx "D=/sys/bus/smartio/devices; M=smartio-reset-$RANDOM$RANDOM; echo \$M > /dev/kmsg; since() { dmesg | sed -n \"/\$M/,\\\$p\"; }
		echo 200 > /sys/module/smartio/parameters/hotplug_poll_ms
		for i in \$(seq 150); do [ \"\$(cat \$D/84000/vendor 2>/dev/null)\" = 0x8086 ] && break; sleep 0.1; done
		cat \$D/84000/vendor \$D/84000/state; ls /sys/bus/pci/drivers/nvme | grep -c 10000:84:00.0
		since | grep -c 'presence change of slot below 82:01.0 with a card in: removing its devices'
		since | grep -c '84000: another device (8086:10d3) is in the place of the borrowed 1b36:0010: not borrowed again'"
	[ "${lines[0]}" = 0x8086 ]
	[ "${lines[1]}" = available ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" -ge 1 ]
	[ "${lines[4]}" -ge 1 ]
	qmp_unplug sw1
	qmp_ok '{"execute":"blockdev-del","arguments":{"node-name":"sw0"}}'
	run gx 'for i in $(seq 100); do test -e /sys/bus/smartio/devices/84000 || break; sleep 0.1; done; ls /sys/bus/smartio/devices'
	[[ "$output" != *84000* ]]
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

@test "a power cycle ends the hold of a slot its attention button powered off with the card left in" {
	run gx "A=/sys/bus/smartio/devices/adapter0; echo 82:00.0 > $DBG/attention_button
		for i in \$(seq 100); do grep -qx '82:00.0 held' \$A/slots && break; sleep 0.1; done
		sed -n 's/^82:00.0 //p' \$A/slots; test -e /sys/bus/smartio/devices/83000 || echo not-in-pool"
	[ "${lines[0]}" = held ]
	[ "${lines[1]}" = not-in-pool ]
	run gx "A=/sys/bus/smartio/devices/adapter0; echo 1 > $DBG/power_cycle
		for i in \$(seq 150); do test -e /sys/bus/smartio/devices/83000 && break; sleep 0.1; done
		sed -n 's/^82:00.0 //p' \$A/slots; cat /sys/bus/smartio/devices/83000/state"
	[ "${lines[0]}" = on ]
	[ "${lines[1]}" = available ]
}
