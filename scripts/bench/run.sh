#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boots the "basic" fabric once per supported kernel and runs
# scripts/bench/guest-bench.sh (fio: BENCH_PAIRS alternating fabric/native
# pairs of BENCH_RUNTIME s runs; medians, spreads, the median ratio) and
# hotplug.sh in it, hotplug.sh --native in a "nativehp" guest (native
# pciehp, the reference; fabric/native ratios of the medians are printed),
# hotplug.sh --chassis in a "port" guest (the chassis slot under pciehp,
# then adopted: the port backend against native pciehp on the same slot),
# then scale.sh (scan cost against endpoints, largest BAR per aperture),
# whose plot for the first kernel becomes Documentation/smartio-scale.png;
# first, on the host, tool.sh (smartio_tool's list, show and scan against
# the number of devices of a fake sysfs). Prints numbers and ratios only.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$SMARTIO_TOP" || exit 1

scripts/deps.sh bench
plot=Documentation/smartio-scale.png

echo "== smartio_tool on a fake sysfs (scripts/bench/tool.sh)"
scripts/bench/tool.sh || true

# hotplug_ratio FABRIC NATIVE add|del TEXT [LABEL]: fabric median / native
# median.
hotplug_ratio() {
	local f n label=${5:-fabric/native}
	f=$(sed -n "s/^$3-median-ms //p" <<< "$1")
	n=$(sed -n "s/^$3-median-ms //p" <<< "$2")
	if [ -n "$f" ] && [ -n "$n" ] && [ "$n" -gt 0 ]; then
		printf '%-44s %s\n' "ratio $label, $4" \
			"$(awk -v f="$f" -v n="$n" 'BEGIN { printf "%.2fx (%d ms / %d ms)", f / n, f, n }')"
	else
		printf '%-44s %s\n' "ratio $label, $4" "n/a (a run failed)"
	fi
}
for k in $(scripts/kernels.sh); do
	make matrix KVERS="$k" > /dev/null
	stage=$BUILD/$k/bench-stage run=$BUILD/run/bench-$k
	rm -rf "$stage" && mkdir -p "$stage/bin"
	cp "$BUILD/$k/smartio.ko" "$BUILD/$k/smartio_emul.ko" "$BUILD/$k/smartio_port.ko" "$stage/"
	cp scripts/smartio_tool scripts/bench/guest-bench.sh "$stage/bin/"
	scripts/mkinitramfs.sh "$k" "$stage" "$BUILD/$k/bench-initrd.gz"
	scripts/qemu-run.sh --kernel "$k" --initrd "$BUILD/$k/bench-initrd.gz" \
		--rundir "$run" --agent --timeout 900
	GUEST_EXEC_TIMEOUT=600 scripts/guest-exec "$run" \
		"BENCH_RUNTIME=${BENCH_RUNTIME:-5} BENCH_PAIRS=${BENCH_PAIRS:-5} BENCH_CYCLES=${BENCH_CYCLES:-10} /smartio/bin/guest-bench.sh" || true
	fab=$(scripts/bench/hotplug.sh "$run" "${BENCH_HOTPLUG_CYCLES:-5}") || true
	scripts/guest-exec "$run" poweroff > /dev/null 2>&1 || true
	# The reference from the same run: native pciehp in an ACPI guest.
	nat=""
	if scripts/qemu-run.sh --kernel "$k" --initrd "$BUILD/$k/bench-initrd.gz" \
		--rundir "$run-native" --agent --timeout 900 --topology nativehp; then
		nat=$(scripts/bench/hotplug.sh --native "$run-native" "${BENCH_HOTPLUG_CYCLES:-5}") || true
		scripts/guest-exec "$run-native" poweroff > /dev/null 2>&1 || true
	fi
	printf '%s\n%s\n' "$fab" "$nat" | grep -v -- '-median-ms '
	hotplug_ratio "$fab" "$nat" add "hot-add, device_add -> readable"
	hotplug_ratio "$fab" "$nat" del "orderly removal, device_del -> deleted"
	# The port backend: one slot of an ACPI guest, pciehp's, then smartio's.
	pnat="" padp=""
	if scripts/qemu-run.sh --kernel "$k" --initrd "$BUILD/$k/bench-initrd.gz" \
		--rundir "$run-port" --agent --timeout 900 --topology port; then
		pnat=$(scripts/bench/hotplug.sh --chassis "$run-port" "${BENCH_HOTPLUG_CYCLES:-5}") || true
		if scripts/guest-exec "$run-port" 'insmod /smartio/smartio.ko && insmod /smartio/smartio_port.ko &&
			smartio_tool adopt 0000:00:04.0 && smartio_tool scan' > /dev/null; then
			padp=$(scripts/bench/hotplug.sh --chassis "$run-port" "${BENCH_HOTPLUG_CYCLES:-5}") || true
		fi
		scripts/guest-exec "$run-port" poweroff > /dev/null 2>&1 || true
	fi
	printf '%s\n%s\n' "$pnat" "$padp" | grep -v -- '-median-ms '
	hotplug_ratio "$padp" "$pnat" add "hot-add, device_add -> readable" "adopted/pciehp"
	hotplug_ratio "$padp" "$pnat" del "orderly removal, device_del -> deleted" "adopted/pciehp"
	scripts/bench/scale.sh "$k" "$BUILD/$k/bench-initrd.gz" ${plot:+--plot "$plot"} || true
	plot=""
done
