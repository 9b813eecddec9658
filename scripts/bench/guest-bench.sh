#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# smartio benchmark, run inside a guest booted with the "basic" fabric:
# fio on the borrowed fabric NVMe against the native NVMe of the same guest
# (BENCH_PAIRS alternating pairs of BENCH_RUNTIME-second runs, medians),
# remote config reads per scan, and borrow/return latency. Prints numbers
# and ratios; it passes or fails nothing.
set -u

RUNTIME=${BENCH_RUNTIME:-5}
PAIRS=${BENCH_PAIRS:-5}
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

# stats V...: "median min max" of the numbers given.
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%g %g %g\n", m, v[1], v[NR] }'
}

# spread MEDIAN MIN MAX: the range around the median, in percent of it.
spread() { awk -v m="$1" -v lo="$2" -v hi="$3" 'BEGIN { if (m > 0) printf "-%.0f%%/+%.0f%%", (m - lo) * 100 / m, (hi - m) * 100 / m; else print "n/a" }'; }

# pairs NAME RW BS DEPTH FIELD: PAIRS fabric and native runs, alternating
# (and which goes first alternates too, so that a drift of the host
# favours neither side); prints the medians with their spread, and the
# median of the per-pair ratios with its range. TCG's speed wanders by
# a factor of two between runs: a difference smaller than the spreads
# is noise.
pairs() {
	local name=$1 rw=$2 bs=$3 depth=$4 field=$5 i f n fs=() ns=() rs=() r
	for i in $(seq "$PAIRS"); do
		if [ $((i % 2)) = 1 ]; then
			set -- $(fio_run "$fab" "$rw" "$bs" "$depth"); f=${!field:-0}
			set -- $(fio_run "$native" "$rw" "$bs" "$depth"); n=${!field:-0}
		else
			set -- $(fio_run "$native" "$rw" "$bs" "$depth"); n=${!field:-0}
			set -- $(fio_run "$fab" "$rw" "$bs" "$depth"); f=${!field:-0}
		fi
		fs+=("$f"); ns+=("$n")
		rs+=("$(awk -v a="$f" -v b="$n" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print 0 }')")
	done
	set -- $(stats "${fs[@]}"); local fm=$1 fsp; fsp=$(spread "$@")
	set -- $(stats "${ns[@]}"); local nm=$1 nsp; nsp=$(spread "$@")
	set -- $(stats "${rs[@]}"); r=$1
	printf "%-26s %10s %-11s %10s %-11s %6sx (%s-%s)\n" "$name" "$fm" "$fsp" "$nm" "$nsp" \
		"$(printf %.2f "$r")" "$(printf %.2f "$2")" "$(printf %.2f "$3")"
}

echo "== smartio benchmark ($(uname -r), TCG guest: absolute numbers are emulation-bound)"
printf "%-40s %s\n" "fabric devices found by scan" "$ndev"
printf "%-40s %s ms\n" "scan time" "$scan_ms"
printf "%-40s %s\n" "remote config reads in last scan" "$reads"
printf "%-40s %s ms\n" "borrow (sysfs write), mean of $CYCLES" "$((b_sum / CYCLES))"
printf "%-40s %s ms\n" "borrow until block device, mean" "$((u_sum / CYCLES))"
printf "%-40s %s ms\n" "return (sysfs write), mean" "$((r_sum / CYCLES))"

if [ -n "$native" ]; then
	echo "fio, $PAIRS fabric/native pairs of ${RUNTIME} s runs, alternating: medians, their spread (min/max), and the median fabric/native ratio of the pairs (its range)"
	printf "%-26s %10s %-11s %10s %-11s %s\n" "" fabric spread native spread ratio
	pairs "4k randread IOPS (qd32)" randread 4k 32 1
	pairs "128k seq read MB/s (qd8)" read 128k 8 2
else
	echo "(no usable native NVMe in this guest: no fio comparison)"
fi

echo 1 > "$dev/return"
