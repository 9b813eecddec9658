#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, basic topology: what happens to the adapter itself and to
# returned devices. The adapter is unbound from its backend driver and its
# PCI device (the pxb-pcie expander) is removed and found again by a
# rescan, each time with the fabric NVMe borrowed and under I/O: none of it
# may deadlock (the PCI core holds its rescan lock around the remove and the
# rescan, not around an unbind), and lockdep must stay silent (check.sh
# fails the guest on any WARNING in its kernel log). A returned device must
# neither decode its old BAR range nor master the bus.

load helpers

S=/sys/bus/smartio

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	gexec 'echo 0 > /sys/bus/smartio/autoborrow_transparent; smartio_tool scan'
	# The tests start with nothing borrowed.
	gexec 'for d in /sys/bus/smartio/devices/*; do case ${d##*/} in adapter*) continue ;; esac
		[ "$(cat $d/state)" = borrowed ] && echo 1 > $d/return; done; true'
}

teardown() {
	gexec 'kill $(cat /tmp/io.pid 2>/dev/null) 2>/dev/null; rm -f /tmp/io.pid; true'
	# Whatever a failed test left: the adapter bound and scanned, nothing borrowed.
	gexec 'pxb=$(cat /tmp/pxb 2>/dev/null); [ -n "$pxb" ] || exit 0
		[ -e /sys/bus/pci/devices/$pxb ] || echo 1 > /sys/bus/pci/rescan
		[ -e /sys/bus/pci/devices/$pxb/driver ] || echo $pxb > /sys/bus/pci/drivers/smartio_emul/bind
		smartio_tool scan; true'
	gexec 'for d in /sys/bus/smartio/devices/[0-9a-f]*; do [ "$(cat $d/state 2>/dev/null)" = borrowed ] && echo 1 > $d/return; done; true'
}

@test "smartio.ko alone has no adapter; smartio_emul.ko binds the expander as adapter0" {
	run gexec 'rmmod smartio_emul && rmmod smartio && insmod /smartio/smartio.ko &&
		ls /sys/bus/smartio/devices; ls /sys/bus/pci/drivers'
	[ "$status" -eq 0 ]
	[[ "$output" != *adapter* ]]
	[[ "$output" != *smartio_emul* ]]
	run gexec 'insmod /smartio/smartio_emul.ko && cat /sys/bus/smartio/devices/adapter0/backend &&
		basename $(readlink /sys/bus/smartio/devices/adapter0/device) &&
		basename $(readlink /sys/bus/smartio/devices/adapter0/device/driver)'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = emul ]
	[[ "${lines[1]}" == 0000:00:* ]]
	[ "${lines[2]}" = smartio_emul ]
	run gexec 'smartio_tool scan && test -d /sys/bus/smartio/devices/83000'
	[ "$status" -eq 0 ]
}

@test "reading the adapter's attributes while smartio_emul unloads is safe" {
	# The adapter device outlives the backend module a little (its teardown
	# is a work item): nothing it shows may point into the module.
	run gexec 'a=/sys/bus/smartio/devices/adapter0
		(while [ ! -e /tmp/stop-reader ]; do read -r x < $a/backend; read -r x < $a/bus_range; done 2>/dev/null &)
		sleep 0.5
		for i in 1 2 3 4 5; do
			rmmod smartio_emul || exit 1
			sleep 0.5
			insmod /smartio/smartio_emul.ko || exit 1
			sleep 0.5
		done
		touch /tmp/stop-reader; sleep 0.5; rm -f /tmp/stop-reader
		smartio_tool scan && cat $a/backend'
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = emul ]
	run gexec 'dmesg | grep -E "BUG:|Oops|general protection"'
	[ "$status" -eq 1 ]
}

@test "rmmod refuses while the NVMe is borrowed: a mounted file system keeps its disk" {
	# Without the module reference of a borrowed device the backend's exit
	# would pull the disk from under the mounted, written file system.
	run gexec 'set -e; smartio_tool scan > /dev/null; smartio_tool borrow 83000 > /dev/null
		blk=""; for i in $(seq 100); do
			for b in /sys/bus/smartio/devices/83000/pci_dev/nvme/nvme*/nvme*n[0-9]*; do
				[ -b /dev/${b##*/} ] && blk=/dev/${b##*/}
			done
			[ -n "$blk" ] && break; sleep 0.1
		done
		mkfs.ext4 -F -q $blk; mkdir -p /mnt/pin; mount $blk /mnt/pin
		dd if=/dev/urandom of=/mnt/pin/data bs=64k count=16 2>/dev/null; sync; md5sum < /mnt/pin/data > /tmp/pin.md5
		for m in smartio_emul smartio; do
			if rmmod $m 2> /tmp/pin.err; then echo "$m: unloaded"; exit 1; fi
			# kmod says "in use", busybox the errno (EWOULDBLOCK).
			grep -qE "in use|temporarily unavailable" /tmp/pin.err || { cat /tmp/pin.err; exit 1; }
		done
		test "$(cat /sys/bus/smartio/devices/83000/state)" = borrowed
		# The log names the device that holds the module.
		dmesg | grep -q "smartio 83000: borrowed as 10000:83:00.0, holding smartio_emul until returned"
		echo 3 > /proc/sys/vm/drop_caches
		md5sum < /mnt/pin/data | cmp - /tmp/pin.md5
		umount /mnt/pin
		smartio_tool return 83000
		rmmod smartio_emul
		insmod /smartio/smartio_emul.ko
		smartio_tool scan > /dev/null'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "rmmod smartio_emul returns with its adapter gone; insmod at once brings back adapter0" {
	# Back to back, the NVMe borrowed and returned each time: once rmmod
	# returns, nothing of the adapter is left, so the next insmod reuses
	# its name.
	run gexec 'for i in 1 2 3; do
			smartio_tool scan > /dev/null && echo 1 > /sys/bus/smartio/devices/83000/borrow || exit 1
			echo 1 > /sys/bus/smartio/devices/83000/return || exit 1
			rmmod smartio_emul || exit 1
			left=$(ls /sys/bus/smartio/devices; ls /sys/kernel/debug/smartio; ls /sys/bus/pci/devices | grep "^10000:")
			[ -z "$left" ] || { echo "left after rmmod $i:" $left; exit 1; }
			insmod /smartio/smartio_emul.ko || exit 1
			echo "after insmod $i:" $(ls /sys/bus/smartio/devices) $(ls /sys/kernel/debug/smartio/*/link_down)
		done
		smartio_tool scan > /dev/null'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	for l in "${lines[@]}"; do
		[[ "$l" == "after insmod "[123]": adapter0 /sys/kernel/debug/smartio/adapter0/link_down" ]]
	done
}

# Borrows the fabric NVMe and starts reading it in a loop in the background.
borrow_with_io='
	echo $(basename $(readlink /sys/bus/smartio/devices/adapter0/device)) > /tmp/pxb
	echo 1 > /sys/bus/smartio/devices/83000/borrow || exit 1
	for i in $(seq 150); do
		for b in /sys/bus/smartio/devices/83000/pci_dev/nvme/nvme*/nvme*n[0-9]*; do
			[ -e "$b" ] && [ -b /dev/${b##*/} ] && break 2
		done
		sleep 0.1
	done
	blk=/dev/${b##*/}
	[ -b "$blk" ] || { echo "no block device"; exit 1; }
	(bash -c "echo \$\$ > /tmp/io.pid; while dd if=$blk of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null; do :; done; echo ended > /tmp/io-ended" &)
	sleep 1
	[ ! -e /tmp/io-ended ] || { echo "I/O did not start"; exit 1; }
'

# Waits until the I/O loop saw its device go and no domain 10000 device is left.
expect_gone='
	for i in $(seq 100); do
		[ -e /tmp/io-ended ] && ! ls /sys/bus/pci/devices | grep -q "^10000:" && break
		sleep 0.1
	done
	[ -e /tmp/io-ended ] || { echo "I/O still running"; exit 1; }
	ls /sys/bus/pci/devices | grep "^10000:" && { echo "domain 10000 left"; exit 1; }
	[ ! -e /sys/bus/smartio/devices/83000 ] || { echo "pool device left"; exit 1; }
	rm -f /tmp/io-ended
'

# The adapter is back: rescanned, the NVMe borrowed, its disk readable.
expect_back='
	smartio_tool scan || exit 1
	[ "$(cat /sys/bus/smartio/devices/adapter0/domain)" = 10000 ] || exit 1
	smartio_tool borrow 83000 || exit 1
	for i in $(seq 150); do
		for b in /sys/bus/smartio/devices/83000/pci_dev/nvme/nvme*/nvme*n[0-9]*; do
			[ -e "$b" ] && [ -b /dev/${b##*/} ] && break 2
		done
		sleep 0.1
	done
	dd if=/dev/${b##*/} of=/dev/null bs=4k count=16 iflag=direct || exit 1
	smartio_tool return 83000
'

@test "unbinding the adapter under I/O removes its devices, quiesced; binding it again restores them" {
	run gexec "rm -f /tmp/io-ended; $borrow_with_io"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run gexec 'timeout 60 sh -c "echo $(cat /tmp/pxb) > /sys/bus/pci/drivers/smartio_emul/unbind"'
	[ "$status" -eq 0 ] || { echo "unbind: $output"; false; }
	run gexec "$expect_gone"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run gexec '[ ! -e /sys/bus/smartio/devices/adapter0 ]'
	[ "$status" -eq 0 ]
	# Bound again and scanned, before anything borrows it: PCI_COMMAND as
	# the unbind left it (decoding and bus mastering off), read through the
	# pool device's config.
	run gexec 'timeout 60 sh -c "echo $(cat /tmp/pxb) > /sys/bus/pci/drivers/smartio_emul/bind" &&
		smartio_tool scan > /dev/null && od -An -tx2 -j4 -N2 /sys/bus/smartio/devices/83000/config | tr -d " "'
	echo "$output"
	[ "$status" -eq 0 ] || { echo "bind: $output"; false; }
	[ $((16#${lines[-1]} & 7)) -eq 0 ]
	run gexec "$expect_back"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "PCI remove of the expander under I/O, then a rescan: no deadlock, the adapter comes back" {
	run gexec "rm -f /tmp/io-ended; $borrow_with_io"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run gexec 'timeout 60 sh -c "echo 1 > /sys/bus/pci/devices/$(cat /tmp/pxb)/remove"'
	[ "$status" -eq 0 ] || { echo "remove: $output"; false; }
	run gexec "$expect_gone"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run gexec 'timeout 60 sh -c "echo 1 > /sys/bus/pci/rescan"'
	[ "$status" -eq 0 ] || { echo "rescan: $output"; false; }
	run gexec '[ -e /sys/bus/pci/devices/$(cat /tmp/pxb)/driver ]'
	[ "$status" -eq 0 ]
	run gexec "$expect_back"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "a scan and a borrow during an adapter unbind neither hang nor fail badly" {
	run gexec 'echo $(basename $(readlink /sys/bus/smartio/devices/adapter0/device)) > /tmp/pxb
		(for i in $(seq 20); do echo 1 > /sys/bus/smartio/scan; echo 1 > /sys/bus/smartio/devices/83000/borrow; echo 1 > /sys/bus/smartio/devices/83000/return; done 2>/dev/null; echo done > /tmp/storm-ended) &
		sleep 0.5
		timeout 60 sh -c "echo $(cat /tmp/pxb) > /sys/bus/pci/drivers/smartio_emul/unbind" || exit 1
		for i in $(seq 600); do [ -e /tmp/storm-ended ] && break; sleep 0.1; done
		[ -e /tmp/storm-ended ] || { echo "loop hung"; exit 1; }
		rm -f /tmp/storm-ended
		timeout 60 sh -c "echo $(cat /tmp/pxb) > /sys/bus/pci/drivers/smartio_emul/bind" || exit 1'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run gexec "$expect_back"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

# PCI_COMMAND of the remote function, from the pool device's config attribute.
command_reg='cmd() { od -An -tx2 -j4 -N2 /sys/bus/smartio/devices/83000/config | tr -d " "; }'

@test "a returned device decodes no memory and masters no DMA" {
	run gexec "$command_reg"'
		smartio_tool borrow 83000 || exit 1
		echo borrowed $(cmd)
		smartio_tool return 83000 || exit 1
		echo returned $(cmd)'
	echo "$output"
	[ "$status" -eq 0 ]
	# Borrowed and bound: memory decode (bit 1) and bus master (bit 2) on.
	[ $((16#$(echo "$output" | awk '/^borrowed/ { print $2 }') & 6)) -eq 6 ]
	[ $((16#$(echo "$output" | awk '/^returned/ { print $2 }') & 7)) -eq 0 ]
}

@test "the old BAR range of a returned device no longer reaches it" {
	gexec 'test -c /dev/mem' || skip "this kernel has no /dev/mem (CONFIG_DEVMEM)"
	# BAR 0 of the NVMe starts with its CAP register, never 0 or all-ones.
	run gexec 'smartio_tool borrow 83000 || exit 1
		pci=$(readlink -f /sys/bus/smartio/devices/83000/pci_dev)
		start=$(awk "NR == 1 { print \$1 }" $pci/resource)
		# The driver claims BAR 0, so read it with the driver unbound.
		echo ${pci##*/} > $pci/driver/unbind || exit 1
		echo 1 > $pci/enable || exit 1
		echo cap $(smartio_bar_rw $pci/resource0 0 read)
		smartio_tool return 83000 || exit 1
		# Released, so /dev/mem may read it: nothing must answer there.
		echo after $(devmem $start 64)'
	echo "$output"
	[ "$status" -eq 0 ]
	cap=$(echo "$output" | awk '/^cap/ { print $2 }')
	after=$(echo "$output" | awk '/^after/ { print $2 }')
	[ -n "$cap" ] && [ -n "$after" ]
	[ $((cap)) -ne 0 ] && [ $((cap)) -ne -1 ]
	[ $((after)) -ne $((cap)) ]
}

@test "a device removed through the PCI core's own remove is quiesced too" {
	run gexec "$command_reg"'
		smartio_tool borrow 83000 || exit 1
		echo 1 > /sys/bus/smartio/devices/83000/pci_dev/remove || exit 1
		[ "$(cat /sys/bus/smartio/devices/83000/state)" = available ] || exit 1
		echo returned $(cmd)'
	echo "$output"
	[ "$status" -eq 0 ]
	[ $((16#$(echo "$output" | awk '/^returned/ { print $2 }') & 7)) -eq 0 ]
}

@test "the synthetic tree is ordered after the adapter's own device for system sleep and runtime PM" {
	run gexec 'pxb=$(basename $(readlink /sys/bus/smartio/devices/adapter0/device))
		for l in /sys/bus/pci/devices/$pxb/consumer:*; do
			[ -e "$l" ] && echo "$(basename $(readlink -f $l/consumer)) $(cat $l/runtime_pm)"
		done'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pci10000:80 1"* ]]
}

@test "an s2idle cycle (pm_test=devices) with a borrowed NVMe under I/O: the disk reads on after resume" {
	gexec 'grep -qw freeze /sys/power/state && test -e /sys/power/pm_test' ||
		skip "this kernel has no s2idle or no pm_test"
	run gexec "rm -f /tmp/io-ended; $borrow_with_io"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run gexec 'echo devices > /sys/power/pm_test && echo freeze > /sys/power/state; rc=$?
		echo none > /sys/power/pm_test; sleep 1
		[ ! -e /tmp/io-ended ] || { echo "I/O loop ended"; exit 1; }
		b=$(ls -d /sys/bus/smartio/devices/83000/pci_dev/nvme/nvme*/nvme*n[0-9]* | head -1)
		dd if=/dev/${b##*/} of=/dev/null bs=64k count=16 iflag=direct 2>&1 | grep -c "16+0 records in"; exit $rc'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = 1 ]
	gexec 'kill $(cat /tmp/io.pid) 2>/dev/null; rm -f /tmp/io.pid; sleep 0.5; echo 1 > /sys/bus/smartio/devices/83000/return'
}
