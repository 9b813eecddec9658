#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# smartio_tool's own cost, printed, never pass/fail: the wall time of
# list, list --json, show and scan on a fake sysfs tree (the one of
# selftests/tool/fake.bats) holding N fabric devices, on the host, without
# a guest. lspci names the devices from the system's pci.ids. The median
# of BENCH_TOOL_RUNS runs (default 5) for each N of BENCH_TOOL_DEVICES
# (default "2 100 1000"), and the time a device past the first N.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$SMARTIO_TOP" || exit 1

runs=${BENCH_TOOL_RUNS:-5}
counts=${BENCH_TOOL_DEVICES:-2 100 1000}
tool=$SMARTIO_TOP/scripts/smartio_tool
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fakesys.bash's variables: the tree and its bus devices.
SYS=$tmp/sys
DEVS=$SYS/bus/smartio/devices
. selftests/tool/fakesys.bash

# ms CMD...: the median wall time of CMD in milliseconds, output dropped.
ms() {
	local i t0 t1 times=()

	for ((i = 0; i < runs; i++)); do
		t0=${EPOCHREALTIME/[.,]/}
		"$@" > /dev/null
		t1=${EPOCHREALTIME/[.,]/}
		times+=($(((t1 - t0) / 1000)))
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$((runs / 2 + 1))p"
}

mkbus

export SMARTIO_SYSFS=$SYS SMARTIO_BORROW_WAIT=0
have=0 first="" base=()
printf '%-8s %10s %14s %10s %10s\n' devices "list ms" "list --json ms" "show ms" "scan ms"
for n in $counts; do
	# Half NVMe, half Ethernet, as lspci names them.
	for ((i = have; i < n; i++)); do
		id=(0x8086 0x10d3 0x020000)
		((i % 2 == 0)) || id=(0x1b36 0x0010 0x010802)
		mkfdev "$(printf '%x' $((0x80000 + i)))" "${id[@]}" \
			"$(printf '%02x:00.0' $((i % 256)))" available
	done
	have=$n
	row=("$(ms "$tool" list)" "$(ms "$tool" list --json)"
	     "$(ms "$tool" show 80000)" "$(ms "$tool" scan)")
	printf '%-8s %10s %14s %10s %10s\n' "$n" "${row[@]}"
	if [ -z "$first" ]; then
		first=$n base=("${row[@]}")
		continue
	fi
	# What each device past the first N adds, in ms.
	per=()
	for i in 0 1 2 3; do
		per+=("$(awk -v a="${base[i]}" -v b="${row[i]}" -v n=$((n - first)) \
			'BEGIN { printf "%.2f", (b - a) / n }')")
	done
	printf '%-8s %10s %14s %10s %10s\n' "+1 dev" "${per[@]}"
done
