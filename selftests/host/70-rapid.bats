#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side: rapid borrow/return (issue 9, acceptance item 3). An e1000e NIC
# is hot-added into the basic fabric's empty slot dn1 (fdid 84000) next to
# the fabric NVMe (83000); then both are borrowed and returned back to back
# with no waiting, and a return is raced against the nvme probe. Any write
# may fail with EBUSY; nothing may crash or leave a half-probed device.

load helpers

NIC=nic0
# 200 on the distribution kernels; check.sh may ask fewer of the debug
# kernel, where one cycle takes seconds under TCG.
CYCLES=${SMARTIO_RAPID_CYCLES:-200}

setup_file() {
	require_guest
	gexec "test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }; $GUEST_FNS; return_all"
	gexec 'echo 0 > /sys/bus/smartio/autoborrow_transparent; echo 1 > /sys/bus/smartio/scan'
	qmp_ok "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"e1000e\",\"id\":\"$NIC\",\"bus\":\"dn1\"}}"
}

teardown_file() {
	gx "$GUEST_FNS; echo 0 > /sys/bus/smartio/autoborrow_transparent; return_all; true"
	qemu_has_device "$NIC" && qmp_unplug "$NIC" 30
	gx 'echo 0 > /sys/kernel/debug/smartio/adapter0/link_down 2>/dev/null; test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }; true'
	return 0
}

@test "the hot-added NIC joins the pool as 84000, available" {
	run gx 'for i in $(seq 100); do echo 1 > /sys/bus/smartio/scan; test -e /sys/bus/smartio/devices/84000 && break; sleep 0.1; done; cat /sys/bus/smartio/devices/84000/class /sys/bus/smartio/devices/84000/state'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0x020000 ]
	[ "${lines[1]}" = available ]
	run gx 'cat /sys/bus/smartio/devices/83000/state'
	[ "$output" = available ]
}

@test "$CYCLES back-to-back borrow/return cycles of two devices: only EBUSY, no crash" {
	# Every write's error goes to a file per fdid and operation.
	GX_TIMEOUT=$((CYCLES * 15)) run gx 'D=/sys/bus/smartio/devices; rm -f /tmp/rapid.*; start=$EPOCHREALTIME
		for i in $(seq '"$CYCLES"'); do
			{ echo 1 > $D/83000/borrow; } 2>> /tmp/rapid.83000.borrow
			{ echo 1 > $D/84000/borrow; } 2>> /tmp/rapid.84000.borrow
			{ echo 1 > $D/83000/return; } 2>> /tmp/rapid.83000.return
			{ echo 1 > $D/84000/return; } 2>> /tmp/rapid.84000.return
		done
		echo "elapsed ${start%.*} ${EPOCHREALTIME%.*}"
		for f in /tmp/rapid.*; do echo "$f $(grep -c . $f) failed, $(grep -vc "Device or resource busy" $f) not EBUSY"; done
		cat /tmp/rapid.* | grep -v "Device or resource busy" | sort | uniq -c | head -n 20'
	echo "$output"
	[ "$status" -eq 0 ]
	set -- ${lines[0]}
	echo "# rapid: $CYCLES cycles in $(($3 - $2)) s; $(echo "$output" | grep -o '[0-9]* failed' | paste -sd' ')" >&3
	# Every failure was EBUSY.
	[ "$(echo "$output" | grep -c ' 0 not EBUSY$')" -eq 4 ]
}

@test "after the cycles: guest and QEMU alive, both devices available, no fabric endpoint left" {
	qemu_alive
	# A return refused with EBUSY at the end of the loop may leave one
	# borrowed: return what is left (with retries) before judging.
	run gx "$GUEST_FNS; return_all"
	[ "$status" -eq 0 ]
	run gx 'cat /sys/bus/smartio/devices/83000/state /sys/bus/smartio/devices/84000/state'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = available ]
	[ "${lines[1]}" = available ]
	run gx 'test ! -e /sys/bus/smartio/devices/83000/pci_dev && test ! -e /sys/bus/smartio/devices/84000/pci_dev'
	[ "$status" -eq 0 ]
	run gx 'lspci -D | grep -E "^10000:8[34]:"'
	[ -z "$output" ]
	run gx 'ls -d /sys/bus/pci/devices/10000:8[34]:* 2>/dev/null'
	[ -z "$output" ]
	qemu_alive
}

@test "after the cycles: the fabric NVMe still borrows and its block device reads" {
	run gx "$GUEST_FNS; echo 1 > \$D/83000/borrow && b=\$(wait_blk 83000) && dd if=\$b of=/dev/null bs=1M count=8 2>&1 && echo 1 > \$D/83000/return"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"8+0 records in"* ]]
	# The NIC still works as a device too: borrowed, e1000e binds.
	run gx "$GUEST_FNS; echo 1 > \$D/84000/borrow && wait_bound 84000 && basename \$(readlink \$D/84000/pci_dev/driver); echo 1 > \$D/84000/return"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = e1000e ]
}

@test "return racing the nvme probe, 50 times: returned and gone, or EBUSY and bound to nvme" {
	# After each return exactly one of: it succeeded, the device is
	# available, has no pci_dev link and no 10000:83:00.0 exists; or it
	# failed with EBUSY and the device is borrowed with nvme bound. A
	# probe that is under way when EBUSY is answered may take a moment
	# to bind: wait for the driver link, but never for a state change.
	GX_TIMEOUT=600 run gx "$GUEST_FNS"'
		P=/sys/bus/pci/devices/10000:83:00.0; ok=0; busy=0; bad=0
		for i in $(seq 50); do
			echo 1 > $D/83000/borrow || { echo "cycle $i: borrow failed"; bad=$((bad + 1)); return_all; continue; }
			err=$( { echo 1 > $D/83000/return; } 2>&1 ); rc=$?
			state=$(cat $D/83000/state)
			if [ $rc -eq 0 ]; then
				if [ "$state" = available ] && [ ! -e $D/83000/pci_dev ] && [ ! -e $P ]; then
					ok=$((ok + 1))
				else
					echo "cycle $i: return ok but state=$state link=$(ls $D/83000/pci_dev 2>&1 | head -1) pci=$(ls -d $P 2>&1)"
					bad=$((bad + 1))
				fi
			elif [[ "$err" == *"Device or resource busy"* ]]; then
				if [ "$state" = borrowed ] && wait_bound 83000 &&
				   [ "$(basename "$(readlink $P/driver)")" = nvme ] && [ "$(cat $D/83000/state)" = borrowed ]; then
					busy=$((busy + 1))
				else
					echo "cycle $i: EBUSY but state=$state driver=$(readlink $P/driver)"
					bad=$((bad + 1))
				fi
				return_all || { echo "cycle $i: cannot return after EBUSY"; bad=$((bad + 1)); }
			else
				echo "cycle $i: return failed: $err (state=$state)"
				bad=$((bad + 1))
				return_all
			fi
		done
		echo "returned=$ok ebusy=$busy bad=$bad"
		[ $bad -eq 0 ]'
	echo "$output"
	echo "# probe race: ${lines[-1]}" >&3
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == *"bad=0" ]]
	qemu_alive
}

@test "the NIC leaves again: device_del completes and 84000 leaves the pool" {
	run qmp_unplug "$NIC" 30
	[ "$status" -eq 0 ]
	run gx 'for i in $(seq 50); do test -e /sys/bus/smartio/devices/84000 || exit 0; sleep 0.1; done; exit 1'
	[ "$status" -eq 0 ]
	# Only the switch's bridges stay in domain 10000, no endpoint.
	run gx 'lspci -Dn | awk "\$1 ~ /^10000:/ && \$2 !~ /^0604/"; cat /sys/bus/smartio/devices/83000/state'
	[ "$output" = available ]
	qemu_alive
}
