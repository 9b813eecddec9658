#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scale benchmark, printed, never pass/fail:
#  1. scan time and remote config reads against the number of endpoints
#     behind one adapter ("scale" topology, one guest per count);
#  2. the largest GPU-class BAR (ivshmem-plain, hot-added over QMP) that
#     borrows into each of five apertures ("apertures" topology, one guest).
# With --plot FILE, draws both with gnuplot into FILE (PNG).
#
# scale.sh KVER INITRD [--plot FILE]; BENCH_ENDPOINTS="4 12 24 48" by default.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$SMARTIO_TOP" || exit 1

kver=$1 initrd=$2 plot=""
[ "${3:-}" = --plot ] && plot=$4
counts=${BENCH_ENDPOINTS:-4 12 24 48}
data=$BUILD/bench-scale-$kver
mkdir -p "$data"

boot() {	# boot RUNDIR TOPOLOGY
	scripts/qemu-run.sh --kernel "$kver" --initrd "$initrd" --rundir "$1" \
		--agent --timeout 900 --topology "$2" > /dev/null 2>> "$data/qemu-run.log"
}
halt() { scripts/guest-exec "$1" poweroff > /dev/null 2>&1 || true; }

# In the guest: the first scan, which registers the pool, then 5 rescans of
# the unchanged fabric. Prints "found first_us first_reads rescan_us rescan_reads".
# shellcheck disable=SC2016
measure='insmod /smartio/smartio.ko && insmod /smartio/smartio_emul.ko || exit 1
b=/sys/bus/smartio d=/sys/kernel/debug/smartio/adapter0
us() { local t=${EPOCHREALTIME/./}; echo $t; }
t0=$(us); echo 1 > $b/scan; t1=$(us)
first=$((t1 - t0)) reads=$(cat $d/scan_config_reads)
sum=0
for i in 1 2 3 4 5; do t0=$(us); echo 1 > $b/scan; t1=$(us); sum=$((sum + t1 - t0)); done
echo "$(ls $b/devices | grep -vc ^adapter) $first $reads $((sum / 5)) $(cat $d/scan_config_reads)"'

echo "== scan against endpoints behind one adapter ($kver, TCG guest)"
printf '%9s %6s %14s %12s %14s %12s %13s\n' endpoints found "first scan ms" "first reads" \
	"rescan ms" "rescan reads" "reads/endpt"
: > "$data/scan.dat"
for n in $counts; do
	run=$BUILD/run/bench-scale-$n
	SMARTIO_ENDPOINTS=$n boot "$run" scale
	out=$(scripts/guest-exec "$run" "$measure") || out=""
	halt "$run"
	read -r found first freads rescan rreads <<< "$out" || true
	if [ -z "${rreads:-}" ]; then
		printf '%9s %6s\n' "$n" failed
		continue
	fi
	echo "$n $found $first $freads $rescan $rreads" >> "$data/scan.dat"
	awk -v n="$n" -v f="$found" -v a="$first" -v b="$freads" -v c="$rescan" -v d="$rreads" \
		'BEGIN { printf "%9d %6d %14.1f %12d %14.1f %12d %13.1f\n", n, f, a / 1000, b, c / 1000, d, d / n }'
done

# Part 2: per adapter, hot-add the largest power-of-two BAR not above the
# aperture, and halve it until a borrow succeeds.
echo
echo "== largest 64-bit prefetchable BAR that borrows, per aperture ($kver)"
run=$BUILD/run/bench-apertures
boot "$run" apertures
scripts/guest-exec "$run" 'insmod /smartio/smartio.ko && insmod /smartio/smartio_emul.ko' > /dev/null
qmp() { scripts/qmp "$run" "$@"; }
printf '%14s %16s %8s %s\n' aperture "largest BAR" ratio "window of the aperture"
: > "$data/bar.dat"
i=0
for ap in 256M 1G 4G 16G 64G; do
	apb=$(numfmt --from=iec "$ap")
	fdid=$(printf %x $(((i << 20) | ((0x83 + 8 * i) << 12))))
	window=$(scripts/guest-exec "$run" "grep pref /sys/bus/smartio/devices/adapter$i/aperture")
	size=$apb best=0
	while [ "$size" -ge $((apb / 16)) ]; do
		id=gpu$i-$size
		qmp "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-file\",\"id\":\"$id\",\"size\":$size,\"mem-path\":\"$run/$id.bin\",\"share\":true}}" > /dev/null
		qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"ivshmem-plain\",\"id\":\"$id\",\"memdev\":\"$id\",\"bus\":\"slot$i\"}}" > /dev/null
		if scripts/guest-exec "$run" "for t in \$(seq 30); do echo 1 > /sys/bus/smartio/scan; grep -q 'pref $size\$' /sys/bus/smartio/devices/$fdid/resources 2>/dev/null && break; sleep 0.5; done; echo 1 > /sys/bus/smartio/devices/$fdid/borrow 2>/dev/null && echo 1 > /sys/bus/smartio/devices/$fdid/return" > /dev/null 2>&1; then
			best=$size
		fi
		qmp "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$id\"}}" --wait-event DEVICE_DELETED 30 > /dev/null || true
		qmp "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"$id\"}}" > /dev/null || true
		rm -f "$run/$id.bin"
		[ "$best" -eq 0 ] || break
		size=$((size / 2))
	done
	echo "$apb $best" >> "$data/bar.dat"
	printf '%14s %16s %8s %s\n' "$(numfmt --to=iec-i --suffix=B "$apb")" \
		"$( [ "$best" -gt 0 ] && numfmt --to=iec-i --suffix=B "$best" || echo "< 1/16")" \
		"$(awk -v a="$best" -v b="$apb" 'BEGIN { printf "%.2f", a / b }')" "${window#pref }"
	i=$((i + 1))
done
halt "$run"
echo "(a BAR is aligned to its size: an aperture that is not aligned to its own"
echo " size holds at most half of it in one BAR)"

[ -n "$plot" ] || exit 0
gnuplot <<EOF
set terminal pngcairo size 1000,420 font ",10"
set output "$plot"
set multiplot layout 1,2 title "smartio scale ($kver, QEMU TCG guest)"
set xlabel "endpoints behind one adapter"
set ylabel "remote config reads per scan"
set y2label "scan time (ms)"
set ytics nomirror
set y2tics
set key top left
set grid
plot "$data/scan.dat" using 1:4 with linespoints title "config reads, first scan", \
     "$data/scan.dat" using 1:6 with linespoints title "config reads, rescan", \
     "$data/scan.dat" using 1:(\$3/1000) axes x1y2 with linespoints title "time, first scan", \
     "$data/scan.dat" using 1:(\$5/1000) axes x1y2 with linespoints title "time, rescan"
unset y2label
unset y2tics
set ytics mirror
set logscale xy 2
set xlabel "prefetchable aperture (GiB)"
set ylabel "largest BAR borrowed (GiB)"
set key top left
plot "$data/bar.dat" using (\$1/2**30):(\$2/2**30) with linespoints title "largest BAR", \
     "$data/bar.dat" using (\$1/2**30):(\$1/2**30) with lines dashtype 2 title "aperture size"
unset multiplot
EOF
echo "plot: $plot"
