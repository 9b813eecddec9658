#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "hotswitch" topology: a bridge with endpoints behind it
# hot-added into an empty slot, fp1 (root port 80:01.0, buses 85-8d).
#
# QEMU 7.2 cannot hot-add a PCIe switch with its downstream ports: the
# x3130-upstream goes into fp1, but device_add of an xio3130-downstream
# onto it answers "Bus 'ID' does not support hotplugging" (an upstream
# port's bus has no hot-plug controller). What it can do, and what takes
# the same paths in smartio: a pcie-pci-bridge (85:00.0) with an NVMe
# (86:01.0) and a pci-bridge (86:02.0) with a second NVMe (87:01.0) behind
# it, all added while smartio's watcher is paused, so the slot sees one
# card with two levels of bridges arrive at once. device_del of the
# pcie-pci-bridge presses fp1's attention button and removes all of it.

load ../../host/helpers

P=/sys/module/smartio/parameters/hotplug_poll_ms

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	gexec 'echo 0 > /sys/bus/smartio/autoborrow_transparent; smartio_tool scan >/dev/null'
}

# A failed test must not leave its card in a slot for the next one.
teardown() {
	local id
	for id in $(tac "$BATS_FILE_TMPDIR/added" 2>/dev/null); do
		case "$id" in
		blk:*)
			"$SMARTIO_TOP/scripts/qmp" "$SMARTIO_RUNDIR" \
				"{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"${id#blk:}\"}}" > /dev/null 2>&1 ;;
		*)
			qmp_unplug "$id" 20 ;;
		esac
	done
	rm -f "$BATS_FILE_TMPDIR/added"
	gexec "echo 200 > $P; $GUEST_FNS; return_all; true"
}

# add_card ID PORT: while the watcher is paused, a pcie-pci-bridge ID in
# PORT with an NVMe IDa at 1.0 behind it and a pci-bridge IDb at 2.0
# with an NVMe IDc at 1.0 behind that; each NVMe starts with "ID-a" or
# "ID-c". The watcher then finds the whole card at once.
add_card() {
	local id=$1 port=$2 n
	gexec "echo 0 > $P; sleep 0.5"
	qmp_ok "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pcie-pci-bridge\",\"id\":\"$id\",\"bus\":\"$port\"}}" || return 1
	echo "$id" >> "$BATS_FILE_TMPDIR/added"
	qmp_ok "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"pci-bridge\",\"id\":\"${id}b\",\"bus\":\"$id\",\"addr\":\"2\",\"chassis_nr\":30}}" || return 1
	for n in a c; do
		truncate -s 64M "$SMARTIO_RUNDIR/$id$n.img"
		printf '%s' "$id-$n" | dd of="$SMARTIO_RUNDIR/$id$n.img" conv=notrunc status=none
		qmp_ok "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"raw\",\"node-name\":\"$id$n\",\"file\":{\"driver\":\"file\",\"filename\":\"$SMARTIO_RUNDIR/$id$n.img\"}}}" || return 1
		sed -i "1i blk:$id$n" "$BATS_FILE_TMPDIR/added"
	done
	qmp_ok "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvme\",\"id\":\"${id}a\",\"serial\":\"${id}a\",\"drive\":\"${id}a\",\"bus\":\"$id\",\"addr\":\"1\"}}" || return 1
	qmp_ok "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvme\",\"id\":\"${id}c\",\"serial\":\"${id}c\",\"drive\":\"${id}c\",\"bus\":\"${id}b\",\"addr\":\"1\"}}" || return 1
	gexec "echo 200 > $P"
}

# del_card ID: device_del of the card; QEMU deletes the NVMe and bridges
# below it first, so wait until the card itself is gone.
del_card() {
	qmp_unplug "$1" 20 || return 1
	sed -i "/^$1\$/d" "$BATS_FILE_TMPDIR/added"
}

# The guest's view: "<bdf> <secondary> <subordinate>" of every bridge in
# the synthetic domain below the root bus, in hex as setpci prints it.
bridges='for d in /sys/bus/pci/devices/10000:*; do [ "$(cat $d/class)" = 0x060400 ] || [ "$(cat $d/class)" = 0x060000 ] || continue; b=${d##*/10000:}; echo "$b $(setpci -s 10000:$b SECONDARY_BUS) $(setpci -s 10000:$b SUBORDINATE_BUS)"; done'

wait_pool='for i in $(seq 100); do test -e /sys/bus/smartio/devices/86080 && test -e /sys/bus/smartio/devices/87080 && break; sleep 0.1; done'

@test "a card with two levels of bridges and two NVMe in empty fp1: buses from the slot's range, both join the pool, borrow and read; device_del removes it all" {
	local marker="smartio-test-hotswitch-$$-$RANDOM"
	gexec "echo $marker > /dev/kmsg"
	add_card sw1 fp1
	run gexec "$wait_pool; smartio_tool list"
	echo "$output"
	[[ "$output" == *"86080: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available]"* ]]
	[[ "$output" == *"87080: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available]"* ]]
	run gexec "$bridges"
	echo "$output"
	[[ "$output" == *"80:01.0 85 8d"* ]]
	# Each new bridge's buses lie behind its own bus, inside fp1's 85-8d.
	local b sec sub n=0
	while read -r b sec sub; do
		case "$b" in 8[5-9a-d]:*) ;; *) continue ;; esac
		n=$((n + 1))
		[ $((16#$sec)) -gt $((16#${b%%:*})) ]
		[ $((16#$sec)) -ge $((16#85)) ] && [ $((16#$sub)) -le $((16#8d)) ]
		[ $((16#$sec)) -le $((16#$sub)) ]
	done <<< "$output"
	[ "$n" -eq 2 ]
	[[ "$output" == *"85:00.0 86 87"* ]]
	[[ "$output" == *"86:02.0 87 87"* ]]
	# Both at once, each with its own data.
	run gexec "$GUEST_FNS; smartio_tool borrow --no-wait 86080 >/dev/null && smartio_tool borrow --no-wait 87080 >/dev/null &&
		a=\$(wait_blk 86080) && c=\$(wait_blk 87080) && head -c 5 \$a && echo && head -c 5 \$c && echo"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = sw1-a ]
	[ "${lines[1]}" = sw1-c ]
	run gexec 'lspci -D -s 10000:86:01.0; lspci -D -s 10000:87:01.0'
	[ "${#lines[@]}" -eq 2 ]
	# device_del of the card while both are borrowed: they are returned,
	# the pool entries and the bridges go, the slot is off.
	del_card sw1
	run gexec 'for i in $(seq 50); do test -e /sys/bus/smartio/devices/86080 || test -e /sys/bus/smartio/devices/87080 || break; sleep 0.1; done
		ls /sys/bus/smartio/devices; ls /sys/bus/pci/devices | grep "^10000:8[5-9a-d]:"; sed -n "s/^80:01.0 //p" /sys/bus/smartio/devices/adapter0/slots'
	echo "$output"
	[ "$output" = "83000
adapter0
off" ]
	run gexec "dmesg | sed -n '/$marker/,\$p' | grep -E 'smartio (86080|87080): returned'"
	[ "${#lines[@]}" -eq 2 ]
	run kernel_log_since "$marker"
	[[ ! "$output" =~ $SPLAT_RE ]]
}

@test "a second card in the same slot: numbered and in the pool again, reads its own data; held by its button and powered on again; leaves again" {
	add_card sw2 fp1
	run gexec "$wait_pool; $GUEST_FNS; smartio_tool borrow --no-wait 87080 >/dev/null && c=\$(wait_blk 87080) && head -c 5 \$c && echo; $bridges"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = sw2-c ]
	[[ "$output" == *"85:00.0 86 87"* ]]
	# Its button (the emulated adapter's hook), card left in: returned,
	# out of the pool and the domain while held (smartio_tool slots);
	# smartio_tool slot-power-on brings the bridges and both NVMe back.
	run gexec 'A=/sys/bus/smartio/devices/adapter0; echo 80:01.0 > /sys/kernel/debug/smartio/adapter0/attention_button
		for i in $(seq 50); do [ "$(sed -n "s/^80:01.0 //p" $A/slots)" = held ] && break; sleep 0.1; done
		smartio_tool slots | sed -n "s/^adapter0 80:01.0 //p"; ls /sys/bus/smartio/devices; ls /sys/bus/pci/devices | grep -c "^10000:8[5-9a-d]:"'
	echo "$output"
	[ "$output" = "held
83000
adapter0
0" ]
	run gexec "$GUEST_FNS; smartio_tool slot-power-on adapter0 80:01.0 && $wait_pool &&
		smartio_tool borrow --no-wait 86080 >/dev/null && a=\$(wait_blk 86080) && head -c 5 \$a && echo"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = sw2-a ]
	del_card sw2
	run gexec 'for i in $(seq 50); do test -e /sys/bus/smartio/devices/87080 || break; sleep 0.1; done
		ls /sys/bus/smartio/devices; ls /sys/bus/pci/devices | grep -c "^10000:8[5-9a-d]:"'
	[ "$output" = "83000
adapter0
0" ]
}

@test "a bridge in dn1, whose range has no spare bus: a warning, nothing behind it used, its removal is clean" {
	local marker="smartio-test-hotswitch-dn1-$$-$RANDOM"
	gexec "echo $marker > /dev/kmsg"
	add_card sw3 dn1
	# Not even the bridge reaches the PCI core: without buses behind it
	# a driver (shpchp) could not cope with it.
	run gexec 'sleep 2; ls /sys/bus/smartio/devices; ls /sys/bus/pci/devices | grep -c "^10000:84:"'
	echo "$output"
	[ "$output" = "83000
adapter0
0" ]
	run gexec "dmesg | sed -n '/$marker/,\$p' | grep -c 'bridge 10000:84:00.0: no bus number left in the slot.s \[bus 84\]'"
	[ "$output" = 1 ]
	del_card sw3
	run gexec 'sed -n "s/^82:01.0 //p" /sys/bus/smartio/devices/adapter0/slots'
	[ "$output" = off ]
	run kernel_log_since "$marker"
	[[ ! "$output" =~ $SPLAT_RE ]]
}
