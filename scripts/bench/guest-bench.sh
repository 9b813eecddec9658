#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# smartio benchmark, run inside a guest booted with the "basic" fabric:
# fio on the borrowed fabric NVMe against the native NVMe of the same guest,
# remote config reads per scan, and borrow/return latency. Prints numbers
# and ratios; it passes or fails nothing.
set -u

RUNTIME=${BENCH_RUNTIME:-10}
CYCLES=${BENCH_CYCLES:-10}
BUS=/sys/bus/smartio

die() { echo "bench: $*" >&2; exit 1; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

[ -d $BUS ] || insmod /smartio/smartio.ko || die "cannot load smartio"
[ -d /sys/module/smartio_emul ] || insmod /smartio/smartio_emul.ko ||
	die "cannot load smartio_emul"
echo 0 > $BUS/autoborrow_transparent

t0=$(now_ms)
echo 1 > $BUS/scan || die "scan failed"
t1=$(now_ms)
scan_ms=$((t1 - t0))
reads=$(cat /sys/kernel/debug/smartio/adapter0/scan_config_reads 2>/dev/null || echo "?")
ndev=$(ls $BUS/devices | grep -vc '^adapter')

fdid=""
for d in $BUS/devices/*; do
	[ "$(cat "$d/class" 2>/dev/null)" = 0x010802 ] && { fdid=$(basename "$d"); break; }
done
[ -n "$fdid" ] || die "no fabric NVMe in the pool"
dev=$BUS/devices/$fdid

# Waits for the namespace block device of a borrowed NVMe; prints its name.
wait_blk() {
	local i b
	for i in $(seq 200); do
		for b in "$dev"/pci_dev/nvme/nvme*/nvme*n[0-9]*; do
			[ -e "$b" ] && [ -b "/dev/$(basename "$b")" ] && { basename "$b"; return 0; }
		done
		sleep 0.05
	done
	return 1
}

# Borrow and return latency: the sysfs write, and borrow until I/O is possible.
b_sum=0; u_sum=0; r_sum=0
for i in $(seq "$CYCLES"); do
	t0=$(now_ms); echo 1 > "$dev/borrow" || die "borrow failed"; t1=$(now_ms)
	wait_blk >/dev/null || die "no block device after borrow"; t2=$(now_ms)
	echo 1 > "$dev/return" || die "return failed"; t3=$(now_ms)
	b_sum=$((b_sum + t1 - t0)); u_sum=$((u_sum + t2 - t0)); r_sum=$((r_sum + t3 - t2))
done

echo 1 > "$dev/borrow" || die "borrow failed"
fab=$(wait_blk) || die "no block device after borrow"

native=""
for b in /sys/block/nvme*n1; do
	# The fabric's PCI tree hangs below the smartio adapter device.
	case "$(readlink -f "$b")" in
	*/adapter*) ;;
	*) native=$(basename "$b"); break ;;
	esac
done

# fio_run DEV RW BS DEPTH: prints "IOPS MBps"
fio_run() {
	fio --name=b --filename="/dev/$1" --readonly --direct=1 --ioengine=libaio \
	    --rw="$2" --bs="$3" --iodepth="$4" --runtime="$RUNTIME" --time_based \
	    --output-format=terse --terse-version=3 2>/dev/null |
		awk -F';' '{ printf "%d %.1f\n", $8, $7 / 1024 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "== smartio benchmark ($(uname -r), TCG guest: absolute numbers are emulation-bound)"
printf "%-40s %s\n" "fabric devices found by scan" "$ndev"
printf "%-40s %s ms\n" "scan time" "$scan_ms"
printf "%-40s %s\n" "remote config reads in last scan" "$reads"
printf "%-40s %s ms\n" "borrow (sysfs write), mean of $CYCLES" "$((b_sum / CYCLES))"
printf "%-40s %s ms\n" "borrow until block device, mean" "$((u_sum / CYCLES))"
printf "%-40s %s ms\n" "return (sysfs write), mean" "$((r_sum / CYCLES))"

set -- $(fio_run "$fab" randread 4k 32); f_iops=${1:-0}
set -- $(fio_run "$fab" read 128k 8); f_mbps=${2:-0}
if [ -n "$native" ]; then
	set -- $(fio_run "$native" randread 4k 32); n_iops=${1:-0}
	set -- $(fio_run "$native" read 128k 8); n_mbps=${2:-0}
else
	n_iops=0; n_mbps=0
	echo "(no usable native NVMe in this guest: ratios are n/a)"
fi
printf "%-28s %12s %12s %8s\n" "fio (${RUNTIME}s each)" "fabric" "native" "ratio"
printf "%-28s %12s %12s %8s\n" "4k randread IOPS (qd32)" "$f_iops" "$n_iops" "$(ratio "$f_iops" "$n_iops")"
printf "%-28s %12s %12s %8s\n" "128k seq read MB/s (qd8)" "$f_mbps" "$n_mbps" "$(ratio "$f_mbps" "$n_mbps")"

echo 1 > "$dev/return"
