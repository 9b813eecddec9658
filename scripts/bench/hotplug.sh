#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hot-plug latency over QMP from the host: device_add of an NVMe -> its
# block device readable in the guest, and device_del -> QEMU reports the
# device deleted. Prints numbers only. The guest side of the hot-add, which
# waits for the block device, is started before device_add (its console
# mark tells when it runs), so the time excludes starting a command in the
# guest; it still includes the QMP call and the agent's reply.
#
# hotplug.sh RUNDIR [CYCLES]: the smartio fabric slot (dn1) of an
#   agent-mode guest with the "basic" topology and smartio loaded
#   (autoborrow on for the run).
# hotplug.sh --native RUNDIR [CYCLES]: the native pciehp slot (nrp0) of a
#   guest with the "nativehp" topology, the reference.
# hotplug.sh --chassis RUNDIR [CYCLES]: the chassis's empty slot (dn2) of a
#   "port" guest, driven by pciehp (before adopt) or, once 00:04.0 is
#   adopted and scanned, by smartio (autoborrow on for the run): the same
#   slot in the same guest, both ways.
# All print "add-median-ms N" and "del-median-ms N" last, for run.sh.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

mode=fabric
case "${1:-}" in
--native) mode=native; shift ;;
--chassis) mode=chassis; shift ;;
esac
run=$1 cycles=${2:-5}
qmp() { "$SMARTIO_TOP/scripts/qmp" "$run" "$@" > /dev/null; }
gexec() { "$SMARTIO_TOP/scripts/guest-exec" "$run" "$@"; }
now() { date +%s%N; }

autoborrow=0
case $mode in
native) bus=nrp0 what="native pciehp slot (root port on pcie.0)" ;;
fabric) bus=dn1 what="smartio fabric slot (autoborrow on)" autoborrow=1 ;;
chassis)
	bus=dn2
	if gexec 'readlink /sys/bus/pci/devices/0000:00:04.0/driver' | grep -q smartio_port; then
		what="adopted port's chassis slot, smartio (autoborrow on)" autoborrow=1
	else
		what="chassis slot before adopt, native pciehp"
	fi ;;
esac
[ $autoborrow = 0 ] || gexec 'echo 1 > /sys/bus/smartio/autoborrow_transparent'
# The waiter in the guest: logs a mark to the console once it runs, then
# polls for the controller with this serial and reads its namespace once.
# Only shell builtins in the loop, but for the sleep: a process started
# under TCG costs tens of ms, so the loop would see the device late.
waiter() {
	gexec "echo hotplug-bench-waiting-$1 > /dev/kmsg
		for i in \$(seq 2000); do
			for c in /sys/class/nvme/nvme*; do
				read -r s < \$c/serial 2>/dev/null && [ \"\$s\" = $1 ] || continue
				for b in \$c/nvme*n[0-9]*; do
					[ -e \"\$b\" ] && [ -b \"/dev/\${b##*/}\" ] && dd if=\"/dev/\${b##*/}\" of=/dev/null bs=4k count=1 2>/dev/null && exit 0
				done
			done
			sleep 0.01
		done; exit 1"
}
add_ms=() del_ms=()
for i in $(seq "$cycles"); do
	id=bench$i
	qmp "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"null-co\",\"node-name\":\"$id\",\"size\":67108864}}"
	# Started first, so that starting a command in the guest is not timed.
	waiter "$id" > /dev/null &
	w=$!
	for _ in $(seq 200); do
		grep -qw "hotplug-bench-waiting-$id" "$run/serial.log" && break
		sleep 0.05
	done
	t0=$(now)
	qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvme\",\"id\":\"$id\",\"serial\":\"$id\",\"drive\":\"$id\",\"bus\":\"$bus\"}}"
	wait "$w"
	t1=$(now)
	qmp "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$id\"}}" --wait-event DEVICE_DELETED 30
	t2=$(now)
	qmp "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"$id\"}}"
	add_ms+=($(( (t1 - t0) / 1000000 )))
	del_ms+=($(( (t2 - t1) / 1000000 )))
done
[ $autoborrow = 0 ] || gexec 'echo 0 > /sys/bus/smartio/autoborrow_transparent'

stats() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1; s += $1 } END { printf "median %d ms (mean %d, min %d, max %d, n=%d)", v[int((NR + 1) / 2)], s / NR, v[1], v[NR], NR }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "== hot-plug latency, $what (host clock, includes the QMP call and the agent reply)"
printf '%-44s %s\n' "device_add -> block device readable" "$(stats "${add_ms[@]}")"
printf '%-44s %s\n' "device_del -> DEVICE_DELETED" "$(stats "${del_ms[@]}")"
echo "add-median-ms $(median "${add_ms[@]}")"
echo "del-median-ms $(median "${del_ms[@]}")"
