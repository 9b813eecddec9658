#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, "port" topology: the port backend on an ordinary machine. The
# guest boots with ACPI and native pciehp and enumerates everything; root
# port 00:04.0 holds the "chassis" (a switch with an NVMe, an e1000e and an
# empty hot-plug slot dn2), root port 00:05.0 a native NVMe, 00:06.0 is an
# empty slot and 00:07.0 an empty external-facing port. smartio_tool
# adopt/release hand the chassis port to smartio_port and back.

load ../../host/helpers

PORT=0000:00:04.0
# ser_blk SERIAL: the block device of the NVMe with that serial, once there.
# cycles N: adopt, borrow the NVMe, read it, return, release, N times.
PORT_FNS=$(cat <<'FNS'
ser_blk() { local i n; for i in $(seq 300); do for n in /sys/block/nvme*; do [ "$(tr -d ' ' < $n/device/serial 2>/dev/null)" = "$1" ] && [ -b /dev/${n##*/} ] && { echo /dev/${n##*/}; return 0; }; done; sleep 0.1; done; return 1; }
nvme_fdid() { smartio_tool list | awk -F: '/Non-Volatile/ && /adapter0/ { print $1; exit }'; }
FNS
)
FNS="$GUEST_FNS
$PORT_FNS"

setup_file() {
	require_guest
}

# The guest's kernel log from here on, for the one-line reasons.
@test "the OS enumerated the chassis behind the port at boot (ACPI, native pciehp)" {
	run gexec 'cat /proc/cmdline; lspci -D; readlink /sys/bus/pci/devices/0000:00:04.0/driver
		dmesg | grep "0000:00:04.0: pciehp"'
	[ "$status" -eq 0 ]
	[[ "$output" != *"pci=noacpi"* ]]
	[[ "$output" == *"0000:03:00.0 Non-Volatile"* ]]
	[[ "$output" == *"0000:04:00.0 Ethernet"* ]]
	[[ "$output" == *"/pcieport"* ]]
	[[ "$output" == *"Slot #1"* ]]
	run gexec "$FNS; b=\$(ser_blk chassis0) && printf smartio-port-native | dd of=\$b bs=512 conv=sync 2>/dev/null && sync &&
		insmod /smartio/smartio.ko && insmod /smartio/smartio_port.ko"
	[ "$status" -eq 0 ]
}

@test "adopt refuses, with the kernel's reason, a port that is not a root or downstream port; pcieport keeps it" {
	run gexec 'smartio_tool adopt 0000:01:00.0'
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "smartio_tool: adopt 0000:01:00.0: not a root port or switch downstream port" ]]
	run gexec 'readlink /sys/bus/pci/devices/0000:01:00.0/driver; cat /sys/bus/pci/devices/0000:01:00.0/driver_override
		ls /sys/bus/pci/devices/0000:01:00.0/ | grep -c "^0000:02:0[0-2].0$"; lspci -D | grep -c "^0000:0[1-4]:"'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == */pcieport ]]
	[ "${lines[1]}" = "(null)" ]
	[ "${lines[2]}" -eq 3 ]
	[ "${lines[3]}" -eq 6 ]
}

@test "adopt refuses an external-facing root port (firmware's ExternalFacingPort); pcieport and pciehp keep it" {
	run gexec 'smartio_tool adopt 0000:00:07.0'
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: adopt 0000:00:07.0: it is external-facing or untrusted (Thunderbolt/USB4)" ]
	run gexec 'readlink /sys/bus/pci/devices/0000:00:07.0/driver; cat /sys/bus/pci/devices/0000:00:07.0/driver_override
		ls /sys/bus/smartio/devices | grep -c adapter; dmesg | grep -c "0000:00:07.0: smartio_port: cannot adopt: it is external-facing"'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == */pcieport ]]
	[ "${lines[1]}" = "(null)" ]
	[ "${lines[2]}" -eq 0 ]
	[ "${lines[3]}" -eq 1 ]
}

@test "adopt refuses what pcieport does not drive, and the kernel refuses a function that is no PCIe port" {
	run gexec 'smartio_tool adopt 0000:03:00.0'
	[ "$status" -eq 1 ]
	[[ "$output" == "smartio_tool: adopt 0000:03:00.0: not a PCIe port driven by pcieport (driver: nvme)" ]]
	run gexec 'smartio_tool adopt 00:2a.0'
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such PCI device"* ]]
	run gexec 'smartio_tool adopt 0000:00:04'
	[ "$status" -eq 2 ]
	# By hand, as documented: the kernel says why in the log.
	run gexec 'd=0000:00:1f.2; [ -e /sys/bus/pci/devices/$d/driver ] && echo $d > /sys/bus/pci/devices/$d/driver/unbind
		echo smartio_port > /sys/bus/pci/devices/$d/driver_override
		echo $d > /sys/bus/pci/drivers/smartio_port/bind; echo rc=$?
		echo > /sys/bus/pci/devices/$d/driver_override; dmesg | tail -n 3'
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *"0000:00:1f.2: smartio_port: cannot adopt: not a PCI Express device"* ]]
}

@test "the kernel refuses to adopt a port with a disk below it in use, before pcieport lets it go; nothing changes" {
	run gexec "$FNS; b=\$(ser_blk native0) && hold \$b > /dev/null && smartio_tool adopt 0000:00:05.0"
	[ "$status" -eq 1 ]
	[[ "$output" =~ ^"smartio_tool: adopt 0000:00:05.0: nvme"[0-9]+"n1 below it is in use; unmount it, swapoff, remove its device-mapper or md holders or stop the processes that have it open first"$ ]]
	# The plain write is refused the same way; pcieport kept the port
	# throughout: its hot-plug slot was never torn down.
	run gexec 'echo 0000:00:05.0 > /sys/bus/pci/drivers/smartio_port/adopt; echo rc=$?
		dmesg | grep -c "0000:00:05.0: smartio_port: cannot adopt: nvme.*n1 below it is in use"
		kill $(cat /tmp/holder.pid); readlink /sys/bus/pci/devices/0000:00:05.0/driver; lspci -D | grep -c "^0000:0a:00.0"'
	[[ "$output" == *"rc=1"* ]]
	[ "${lines[-3]}" -ge 2 ]
	[[ "${lines[-2]}" == */pcieport ]]
	[ "${lines[-1]}" -eq 1 ]
}

@test "adopt refuses a port with a character device below it open, unless --force" {
	run gexec "$FNS; b=\$(ser_blk native0) && c=\$(basename \$(dirname \$(readlink -f /sys/block/\${b#/dev/}))) && hold /dev/\$c > /dev/null && smartio_tool adopt 0000:00:05.0"
	[ "$status" -eq 1 ]
	[[ "$output" == "smartio_tool: adopt 0000:00:05.0: /dev/nvme"*" is open in process "*" (sleep); stop the processes first or use --force" ]]
	run gexec 'kill $(cat /tmp/holder.pid); readlink /sys/bus/pci/devices/0000:00:05.0/driver'
	[[ "$output" == */pcieport ]]
}

@test "adopt: the OS lets the chassis go, smartio enumerates it; the native NVMe is not disturbed" {
	run gexec "$FNS; b=\$(ser_blk native0) && readlink -f /sys/block/\${b#/dev/}"
	[ "$status" -eq 0 ]
	native=$output
	run gexec "smartio_tool adopt $PORT"
	[ "$status" -eq 0 ]
	[ "$output" = adapter0 ]
	run gexec "smartio_tool adopt $PORT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"adopted already; nothing to do"* ]]
	# The kernel's adopt: an adopted port is a success that changes
	# nothing; a malformed address is refused.
	run gexec "A=/sys/bus/pci/drivers/smartio_port/adopt; echo $PORT > \$A; echo rc=\$?
		for a in garbage ${PORT}x ${PORT#0000:} 0000:00:4.0 0000:00:20.0 0000:100:00.0; do echo \$a > \$A 2>/dev/null; echo rc=\$?; done
		ls /sys/bus/smartio/devices | grep -c adapter"
	[ "$output" = "rc=0
rc=1
rc=1
rc=1
rc=1
rc=1
rc=1
1" ]
	run gexec "readlink /sys/bus/pci/devices/$PORT/driver; lspci -D; smartio_tool adapters"
	[[ "${lines[0]}" == */smartio_port ]]
	[[ "$output" != *"0000:03:00.0"* ]]
	[[ "$output" != *"0000:04:00.0"* ]]
	[[ "$output" == *"0000:0a:00.0 Non-Volatile"* ]]
	[[ "$output" == *"adapter0: port domain 0000 buses 01-09 aperture "*" link up"* ]]
	run gexec "$FNS; b=\$(ser_blk native0) && readlink -f /sys/block/\${b#/dev/} && dd if=\$b of=/dev/null bs=4k count=16 2>&1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$native" ]
}

@test "a rescan, of the bus or of the port, brings nothing back below the adopted port" {
	# Below the port the PCI core sees the chassis's bridges, which smartio
	# presents, and no endpoint until one is borrowed.
	run gexec "lspci -D | grep '^0000:0[1-9]:'; echo 1 > /sys/bus/pci/rescan; echo 1 > /sys/bus/pci/devices/$PORT/rescan; sleep 1
		lspci -D | grep '^0000:0[1-9]:'; readlink /sys/bus/pci/devices/$PORT/driver"
	echo "$output"
	[ "${#lines[@]}" -ge 3 ]
	[ $(( ${#lines[@]} % 2 )) -eq 1 ]
	n=$(( (${#lines[@]} - 1) / 2 ))
	[ "${lines[*]:0:n}" = "${lines[*]:n:n}" ]
	[[ "${lines[*]:0:n}" != *Non-Volatile* && "${lines[*]:0:n}" != *Ethernet* ]]
	[[ "${lines[0]}" == "0000:01:00.0 PCI bridge"* ]]
	[[ "${lines[-1]}" == */smartio_port ]]
}

@test "scan puts the chassis in the pool; the borrowed NVMe has the data written natively; the e1000e borrows" {
	run gexec 'smartio_tool scan && smartio_tool list'
	[ "$status" -eq 0 ]
	[[ "$output" == *"adapter0: 2 devices, 2 new, 0 gone, link up"* ]]
	[[ "$output" == *"Non-Volatile memory controller"*"[available] (adapter0)"* ]]
	[[ "$output" == *"Ethernet controller"*"[available] (adapter0)"* ]]
	run gexec "$FNS; f=\$(nvme_fdid) && smartio_tool borrow \$f > /dev/null && b=\$(wait_blk \$f) &&
		dd if=\$b bs=512 count=1 2>/dev/null | head -c 19; echo
		printf smartio-port-borrow | dd of=\$b bs=512 conv=sync 2>/dev/null && sync"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = smartio-port-native ]
	run gexec 'f=$(smartio_tool list | awk -F: "/Ethernet/ { print \$1 }"); smartio_tool borrow $f && smartio_tool return $f'
	[ "$status" -eq 0 ]
	[[ "$output" == *"driver: e1000e"* ]]
	[[ "$output" == *"net: eth"* ]]
}

@test "system sleep resumes the adopted port before the borrowed NVMe below it, which reads on (s2idle, pm_test=devices)" {
	gexec 'grep -qw freeze /sys/power/state && test -e /sys/power/pm_test && test -e /sys/power/pm_print_times' ||
		skip "this kernel has no s2idle, pm_test or pm_print_times"
	run gexec "$FNS; f=\$(nvme_fdid) && a=\$(basename \$(readlink /sys/bus/smartio/devices/\$f/pci_dev)) && echo \$a &&
		echo 1 > /sys/power/pm_print_times && echo devices > /sys/power/pm_test && echo freeze > /sys/power/state; rc=\$?
		echo none > /sys/power/pm_test; echo 0 > /sys/power/pm_print_times
		b=\$(wait_blk \$f) && echo 3 > /proc/sys/vm/drop_caches && dd if=\$b bs=512 count=1 2>/dev/null | head -c 19; echo
		dmesg | grep -E \"($PORT: (PM: )?pci_pm_resume[+ ].*returned|\$a: (PM: )?calling pci_pm_resume[+ ])\" | tail -n 2; exit \$rc"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = smartio-port-borrow ]
	# The NVMe is the port's descendant: its resume waits for the port's.
	[[ "${lines[2]}" == *"$PORT: "*"pci_pm_resume"*" returned 0 "* ]]
	[[ "${lines[3]}" == *"${lines[0]}: "*"calling pci_pm_resume"*", parent: 0000:02:0"* ]]
}

@test "an NVMe hot-added into the chassis's empty slot joins the pool and borrows" {
	qmp_ok '{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"hotport","size":67108864}}'
	qmp_ok '{"execute":"device_add","arguments":{"driver":"nvme","id":"hotport","serial":"hotport","drive":"hotport","bus":"dn2"}}'
	run gexec "$FNS; for i in \$(seq 300); do smartio_tool list | grep -q '^5000:' && break; sleep 0.1; done
		smartio_tool borrow 5000 && ser_blk hotport && smartio_tool return 5000"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pci_dev: 0000:05:00.0"* ]]
	qmp_unplug hotport
	qmp_ok '{"execute":"blockdev-del","arguments":{"node-name":"hotport"}}'
	run gexec 'for i in $(seq 300); do smartio_tool list | grep -q "^5000:" || break; sleep 0.1; done; smartio_tool list'
	[[ "$output" != *"5000:"* ]]
}

@test "the kernel refuses to release a port while a disk below a borrowed device is in use; the port stays adopted" {
	run gexec "$FNS; f=\$(nvme_fdid) && b=\$(wait_blk \$f) && hold \$b > /dev/null && smartio_tool release $PORT"
	[ "$status" -eq 1 ]
	[[ "$output" =~ ^"smartio_tool: release $PORT: nvme"[0-9]+"n1 below it is in use; unmount it, swapoff, remove its device-mapper or md holders or stop the processes that have it open first or use --force"$ ]]
	# The plain write is refused the same way, with the reason in the log.
	run gexec "echo $PORT > /sys/bus/pci/drivers/smartio_port/release; echo rc=\$?
		dmesg | grep -c '$PORT: smartio_port: cannot release: nvme.*n1 below it is in use'
		kill \$(cat /tmp/holder.pid); readlink /sys/bus/pci/devices/$PORT/driver; ls /sys/bus/smartio/devices"
	[[ "$output" == *"rc=1"* ]]
	[ "${lines[-3]}" -ge 2 ] || [ "${lines[-4]}" -ge 2 ]
	[[ "$output" == *"/smartio_port"* ]]
	[[ "$output" == *adapter0* ]]
	# A malformed name is refused as adopt refuses it, a well-formed one
	# naming no function with ENODEV; the port stays adopted.
	run gexec "R=/sys/bus/pci/drivers/smartio_port/release
		for a in garbage ${PORT}x ${PORT#0000:} 0000:00:20.0 0000:100:00.0 '' 0001:00:00.0; do
			echo \$a > \$R || echo rc=\$?; done 2>&1
		readlink /sys/bus/pci/devices/$PORT/driver; ls /sys/bus/smartio/devices | grep -c adapter"
	[ "$(grep -c 'write error: Invalid argument$' <<< "$output")" -eq 6 ]
	[ "$(grep -c 'write error: No such device$' <<< "$output")" -eq 1 ]
	[ "$(grep -c '^rc=1$' <<< "$output")" -eq 7 ]
	[[ "${lines[-2]}" == */smartio_port ]]
	[ "${lines[-1]}" = 1 ]
}

@test "release returns what is borrowed; the OS enumerates the chassis again with its data; pcieport drives the port" {
	run gexec "smartio_tool release $PORT"
	[ "$status" -eq 0 ]
	run gexec "$FNS; readlink /sys/bus/pci/devices/$PORT/driver; cat /sys/bus/pci/devices/$PORT/driver_override
		ls /sys/bus/smartio/devices; b=\$(ser_blk chassis0) && dd if=\$b bs=512 count=1 2>/dev/null | head -c 19; echo
		lspci -D | grep -c '^0000:0[1-4]:'"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == */pcieport ]]
	[ "${lines[1]}" = "(null)" ]
	[[ "$output" != *adapter0* ]]
	[[ "$output" == *smartio-port-borrow* ]]
	[ "${lines[-1]}" -eq 6 ]
	run gexec "smartio_tool release $PORT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not adopted; nothing to do"* ]]
	# The plain write on a port pcieport drives succeeds and changes nothing.
	run gexec "echo $PORT > /sys/bus/pci/drivers/smartio_port/release && readlink /sys/bus/pci/devices/$PORT/driver"
	[ "$status" -eq 0 ]
	[[ "$output" == */pcieport ]]
}

@test "adopt, borrow, read, return and release ${SMARTIO_PORT_CYCLES:-5} times in a row" {
	# A cycle takes seconds on the Debian kernels and up to a minute on
	# the debug kernel beside another guest: only a hang reaches this.
	GX_TIMEOUT=$((${SMARTIO_PORT_CYCLES:-5} * 120)) run gx "$FNS; for i in \$(seq ${SMARTIO_PORT_CYCLES:-5}); do
		smartio_tool adopt $PORT > /dev/null && smartio_tool scan > /dev/null && f=\$(nvme_fdid) &&
		smartio_tool borrow \$f > /dev/null && b=\$(wait_blk \$f) &&
		[ \"\$(dd if=\$b bs=512 count=1 2>/dev/null | head -c 19)\" = smartio-port-borrow ] &&
		smartio_tool return \$f && smartio_tool release $PORT || { echo cycle \$i failed; exit 1; }
	done; ser_blk chassis0 > /dev/null"
	[ "$status" -eq 0 ]
}

@test "adopt, borrow, read, return and release through sysfs alone ${SMARTIO_PORT_RAW_CYCLES:-5} times in a row" {
	# The kernel's path without the tool's waits, adopting by the
	# driver's adopt attribute and by driver_override and bind in turn,
	# releasing by the driver's release attribute and by unbind:
	# the debug kernel runs
	# 50 of these (check.sh), about 13 s each there.
	GX_TIMEOUT=$((${SMARTIO_PORT_RAW_CYCLES:-5} * 60)) run gx "S=/sys/bus/smartio P=$PORT
		for i in \$(seq ${SMARTIO_PORT_RAW_CYCLES:-5}); do
			if [ \$((i % 2)) -eq 1 ]; then echo \$P > /sys/bus/pci/drivers/smartio_port/adopt
			else echo smartio_port > /sys/bus/pci/devices/\$P/driver_override &&
				echo \$P > /sys/bus/pci/drivers/pcieport/unbind &&
				echo \$P > /sys/bus/pci/drivers/smartio_port/bind; fi && echo 1 > \$S/scan || { echo cycle \$i: adopt failed; exit 1; }
			f=; for d in \$S/devices/[0-9]*; do [ \"\$(cat \$d/class)\" = 0x010802 ] && f=\${d##*/}; done
			[ -n \"\$f\" ] && echo 1 > \$S/devices/\$f/borrow || { echo cycle \$i: borrow failed; exit 1; }
			b=; for j in \$(seq 300); do for d in \$S/devices/\$f/pci_dev/nvme/nvme*/nvme*n[0-9]*; do
				[ -e \"\$d\" ] && [ -b \"/dev/\${d##*/}\" ] && { b=/dev/\${d##*/}; break 2; }; done; sleep 0.1; done
			for j in \$(seq 50); do [ -n \"\$b\" ] && [ \"\$(dd if=\$b bs=512 count=1 2>/dev/null | head -c 19)\" = smartio-port-borrow ] && break; sleep 0.1; done
			[ \$j -lt 50 ] || { echo cycle \$i: no data on \$b; exit 1; }
			echo 1 > \$S/devices/\$f/return || { echo cycle \$i: return failed; exit 1; }
			# release returns once pcieport has the port; unbind before.
			if [ \$((i % 2)) -eq 1 ]; then echo \$P > /sys/bus/pci/drivers/smartio_port/release &&
				case \$(readlink /sys/bus/pci/devices/\$P/driver) in *pcieport) ;; *) false;; esac ||
				{ echo cycle \$i: release failed or returned before pcieport had the port; exit 1; }
			else echo \$P > /sys/bus/pci/drivers/smartio_port/unbind || { echo cycle \$i: unbind failed; exit 1; }
				for j in \$(seq 300); do case \$(readlink /sys/bus/pci/devices/\$P/driver) in *pcieport) break;; esac; sleep 0.1; done
				[ \$j -lt 300 ] || { echo cycle \$i: pcieport did not take the port back; exit 1; }
			fi
		done; echo \$i cycles"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "${SMARTIO_PORT_RAW_CYCLES:-5} cycles" ]
}

@test "the adopted port's own slot: powered, and a card added to it joins the pool by the port's interrupt, not a poll" {
	run gexec "smartio_tool adopt 0000:00:06.0 && dmesg | grep '0000:00:06.0: smartio_port: adopted'"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^adapter[0-9]+$ ]]
	adapter=${lines[0]}
	[[ "${lines[1]}" == *"slot events by interrupt" ]]
	# The next poll is a minute away: only the interrupt is in time.
	gexec 'echo 60000 > /sys/module/smartio/parameters/hotplug_poll_ms'
	qmp_ok '{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"slotirq","size":67108864}}'
	qmp_ok '{"execute":"device_add","arguments":{"driver":"nvme","id":"slotirq","serial":"slotirq","drive":"slotirq","bus":"rp2"}}'
	GX_TIMEOUT=600 run gx "$FNS; t0=\$SECONDS; for i in \$(seq 60); do f=\$(smartio_tool list | grep -F '($adapter)' | awk -F: '/Non-Volatile/ { print \$1; exit }'); [ -n \"\$f\" ] && break; sleep 0.5; done
		echo waited \$((SECONDS - t0))
		echo 200 > /sys/module/smartio/parameters/hotplug_poll_ms
		smartio_tool borrow \$f > /dev/null && ser_blk slotirq && smartio_tool return \$f"
	[ "$status" -eq 0 ]
	[ "${lines[0]#waited }" -lt 50 ]
	# Handed back with the card: the OS enumerates it, and keeps it. QEMU
	# pressed the attention button at the hot-add; a press left latched
	# makes pciehp power the slot off 5 s after it binds.
	run gexec "$FNS; smartio_tool release 0000:00:06.0 && readlink /sys/bus/pci/devices/0000:00:06.0/driver && ser_blk slotirq &&
		sleep 6 && ser_blk slotirq && dmesg | grep -c '00:06.0: pciehp: Slot(5): Attention button pressed'"
	[ "${lines[0]}" != "" ]
	[[ "${lines[0]}" == */pcieport ]]
	[[ "${lines[1]}" == /dev/nvme* ]]
	[ "${lines[2]}" = "${lines[1]}" ]
	[ "${lines[3]}" = 0 ]
}

@test "the attention button of the adopted port's slot removes a borrowed NVMe orderly and powers the slot off; a card added again powers it on" {
	run gexec "$FNS; a=\$(smartio_tool adopt 0000:00:06.0) && smartio_tool scan > /dev/null &&
		f=\$(smartio_tool list | grep -F \"(\$a)\" | awk -F: '/Non-Volatile/ { print \$1; exit }') &&
		smartio_tool borrow \$f > /dev/null && ser_blk slotirq && echo \$f"
	[ "$status" -eq 0 ]
	fdid=${lines[1]}
	# QEMU's device_del presses the button and deletes the card once the
	# slot is powered off: only an orderly removal by smartio gets there.
	qmp_unplug slotirq 60
	run gexec "dmesg | grep -c \"attention button of the adapter's slot: removing its devices, powering off\"
		test -e /sys/bus/smartio/devices/$fdid && echo still in the pool
		dmesg | grep -c 'smartio.*link down: removing its devices'"
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 0 ]
	qmp_ok '{"execute":"blockdev-del","arguments":{"node-name":"slotirq"}}'
	qmp_ok '{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"slotirq2","size":67108864}}'
	qmp_ok '{"execute":"device_add","arguments":{"driver":"nvme","id":"slotirq2","serial":"slotirq2","drive":"slotirq2","bus":"rp2"}}'
	GX_TIMEOUT=600 run gx "$FNS; for i in \$(seq 100); do test -e /sys/bus/smartio/devices/$fdid && break; sleep 0.3; done
		smartio_tool borrow $fdid > /dev/null && ser_blk slotirq2 && smartio_tool return $fdid &&
		dmesg | grep -c \"attention button of the adapter's slot: powering on\" &&
		smartio_tool release 0000:00:06.0 && ser_blk slotirq2"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == /dev/nvme* ]]
	[ "${lines[1]}" = 1 ]
	[[ "${lines[2]}" == /dev/nvme* ]]
}

@test "release --force hands the port back whatever is in use below it" {
	GX_TIMEOUT=600 run gx "$FNS; smartio_tool adopt $PORT > /dev/null && smartio_tool scan > /dev/null && f=\$(nvme_fdid) &&
		smartio_tool borrow \$f > /dev/null && b=\$(wait_blk \$f) && hold \$b > /dev/null &&
		! smartio_tool release $PORT 2> /dev/null && smartio_tool release --force $PORT &&
		readlink /sys/bus/pci/devices/$PORT/driver; kill \$(cat /tmp/holder.pid); ser_blk chassis0"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == */pcieport ]]
	[[ "${lines[1]}" == /dev/nvme* ]]
}

@test "rmmod smartio_port hands every adopted port back to the OS and pcieport, with their slots" {
	run gexec "$FNS; smartio_tool adopt $PORT && smartio_tool adopt 0000:00:05.0 && rmmod smartio_port &&
		readlink /sys/bus/pci/devices/$PORT/driver && readlink /sys/bus/pci/devices/0000:00:05.0/driver &&
		ser_blk chassis0 && ser_blk native0"
	[ "$status" -eq 0 ]
	[[ "${lines[2]}" == */pcieport ]]
	[[ "${lines[3]}" == */pcieport ]]
	[ "${#lines[@]}" -eq 6 ]
	# pciehp took every slot again, the ports' own and the chassis
	# switch's, though adopt destroyed them seconds before.
	run gexec 'dmesg | grep -c "pciehp: Slot initialization failed"'
	[ "$output" = 0 ]
	run gexec 'rmmod smartio'
	[ "$status" -eq 0 ]
}
