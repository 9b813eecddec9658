#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boots the "basic" fabric once per supported kernel and runs
# scripts/bench/guest-bench.sh and hotplug.sh in it, then scale.sh (scan
# cost against endpoints, largest BAR per aperture), whose plot for the
# first kernel becomes Documentation/smartio-scale.png. Prints numbers and
# ratios only.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$SMARTIO_TOP" || exit 1

scripts/deps.sh bench
plot=Documentation/smartio-scale.png
for k in $(scripts/kernels.sh); do
	make matrix KVERS="$k" > /dev/null
	stage=$BUILD/$k/bench-stage run=$BUILD/run/bench-$k
	rm -rf "$stage" && mkdir -p "$stage/bin"
	cp "$BUILD/$k/smartio.ko" "$BUILD/$k/smartio_emul.ko" "$stage/"
	cp scripts/smartio_tool scripts/bench/guest-bench.sh "$stage/bin/"
	scripts/mkinitramfs.sh "$k" "$stage" "$BUILD/$k/bench-initrd.gz"
	scripts/qemu-run.sh --kernel "$k" --initrd "$BUILD/$k/bench-initrd.gz" \
		--rundir "$run" --agent --timeout 900
	GUEST_EXEC_TIMEOUT=600 scripts/guest-exec "$run" \
		"BENCH_RUNTIME=${BENCH_RUNTIME:-10} BENCH_CYCLES=${BENCH_CYCLES:-10} /smartio/bin/guest-bench.sh" || true
	scripts/bench/hotplug.sh "$run" "${BENCH_HOTPLUG_CYCLES:-5}" || true
	scripts/guest-exec "$run" poweroff > /dev/null 2>&1 || true
	scripts/bench/scale.sh "$k" "$BUILD/$k/bench-initrd.gz" ${plot:+--plot "$plot"} || true
	plot=""
done
