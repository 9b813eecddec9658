#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hot-plug latency of the smartio fabric slot, driven over QMP from the host:
# device_add -> block device usable in the guest (autoborrow on), and
# device_del -> QEMU reports the device deleted. Prints numbers only.
#
# hotplug.sh RUNDIR [CYCLES]: RUNDIR is an agent-mode guest with the
# "basic" topology and smartio loaded.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

run=$1 cycles=${2:-5}
qmp() { "$SMARTIO_TOP/scripts/qmp" "$run" "$@" > /dev/null; }
gexec() { "$SMARTIO_TOP/scripts/guest-exec" "$run" "$@"; }
now() { date +%s%N; }

gexec 'echo 1 > /sys/bus/smartio/autoborrow_transparent'
add_ms=() del_ms=()
for i in $(seq "$cycles"); do
	id=bench$i
	qmp "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"null-co\",\"node-name\":\"$id\",\"size\":67108864}}"
	t0=$(now)
	qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvme\",\"id\":\"$id\",\"serial\":\"$id\",\"drive\":\"$id\",\"bus\":\"dn1\"}}"
	gexec 'for i in $(seq 600); do for b in /sys/bus/smartio/devices/84000/pci_dev/nvme/nvme*/nvme*n[0-9]*; do [ -e "$b" ] && [ -b "/dev/${b##*/}" ] && dd if="/dev/${b##*/}" of=/dev/null bs=4k count=1 2>/dev/null && exit 0; done; sleep 0.01; done; exit 1'
	t1=$(now)
	qmp "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$id\"}}" --wait-event DEVICE_DELETED 30
	t2=$(now)
	qmp "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"$id\"}}"
	add_ms+=($(( (t1 - t0) / 1000000 )))
	del_ms+=($(( (t2 - t1) / 1000000 )))
done
gexec 'echo 0 > /sys/bus/smartio/autoborrow_transparent'

stats() { printf '%s\n' "$@" | awk '{ s += $1; if (NR == 1 || $1 < mn) mn = $1; if ($1 > mx) mx = $1 } END { printf "mean %d ms (min %d, max %d, n=%d)", s / NR, mn, mx, NR }'; }
echo "== hot-plug latency, smartio fabric slot (host clock, includes QMP and guest-exec round trips)"
printf '%-44s %s\n' "device_add -> block device readable" "$(stats "${add_ms[@]}")"
printf '%-44s %s\n' "device_del -> DEVICE_DELETED" "$(stats "${del_ms[@]}")"
echo "native pciehp root port: n/a -- under pci=noacpi the guest kernel cannot claim"
echo "  firmware windows on bus 0 (ACPI host bridge windows are already in iomem), so it"
echo "  reassigns root port windows and MSI-X BARs onto 0xfec00000-0xffffffff (IOAPIC, LAPIC,"
echo "  BIOS), where MSIs and MSI-X programming are lost; pciehp then sees no slot event."
echo "  pciehp's own orderly removal waits 5 s after the attention button by design."
