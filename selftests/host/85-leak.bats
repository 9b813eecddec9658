#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side: leak check (issue 9, acceptance item 8). 100 borrow/return
# cycles of the fabric NVMe (83000) and 20 QMP hot-add/remove cycles of an
# NVMe in the empty slot dn1 (84000, autoborrow on), measured two ways:
#
# - kmemleak, if the guest kernel has it (the debug kernel does, the Debian
#   kernels do not): cleared before the cycles, scanned twice after them;
#   any unreferenced object with smartio in its backtrace fails.
#
# - the kmalloc caches' active objects in /proc/slabinfo, on every kernel.
#   Why this is robust enough to fail on: the guests boot with
#   slub_debug=FZPU, which turns off SLUB's per-CPU free lists, so
#   active_objs counts live objects exactly instead of whole per-CPU slabs.
#   One warm-up cycle of each kind runs before the first sample, so lazily
#   created things (the synthetic host bridge, nvme's first controller
#   structures, workqueues) are not counted. Each sample is taken after
#   sync, drop_caches and a pause that lets RCU-deferred frees run. And a
#   leak is linear in the cycles while background noise (the agent's shell,
#   tmpfs files, a cache filling up once) is not: samples are taken before,
#   half way and after each kind of cycle, and a cache fails only if it
#   grew by at least one object per cycle in BOTH halves. Everything that
#   grew is printed either way.

load helpers

# Fewer on the debug kernel (make check sets them), where kmemleak is
# the sharper test and every cycle is ten times slower.
BORROW_CYCLES=${SMARTIO_LEAK_BORROW_CYCLES:-100}
HOTPLUG_CYCLES=${SMARTIO_LEAK_HOTPLUG_CYCLES:-20}
KMEMLEAK=/sys/kernel/debug/kmemleak

# Samples the kmalloc caches into /tmp/slab.NAME in the guest after settling.
slab_sample() {
	gexec "sync; echo 3 > /proc/sys/vm/drop_caches; sleep 3; echo 3 > /proc/sys/vm/drop_caches; sleep 1
		awk '/^(dma-)?kmalloc-/ { print \$1, \$2 }' /proc/slabinfo > /tmp/slab.$1"
}

# slab_check A B C CYCLES [D]: the caches that grew by >= CYCLES/2 from A
# to B and again from B to C, one line each; prints the total growth A to
# C. With D, a sample from the end of the suite, such a cache that gave
# its objects back by then (less than CYCLES above A) is TRANSIENT, not a
# LEAK: a leaked object is never freed.
slab_check() {
	local late=${5:-}
	gexec "awk -v half=$(($4 / 2)) -v late='$late' '
		FILENAME ~ /slab.$1\$/ { a[\$1] = \$2; next }
		FILENAME ~ /slab.$2\$/ { b[\$1] = \$2; next }
		FILENAME ~ /slab.$3\$/ { c[\$1] = \$2; next }
		{ d[\$1] = \$2 }
		END {
			for (k in c) {
				d1 = b[k] - a[k]; d2 = c[k] - b[k]; sum += c[k] - a[k]
				if (c[k] != a[k]) grew = grew sprintf(\" %s%+d\", k, c[k] - a[k])
				if (d1 < half || d2 < half) continue
				if (late != \"\" && d[k] - a[k] < 2 * half)
					print \"TRANSIENT\", k, a[k], b[k], c[k], d[k]
				else
					print \"LEAK\", k, a[k], b[k], c[k]
			}
			print \"total\", sum + 0, \"objects;\" grew
		}' /tmp/slab.$1 /tmp/slab.$2 /tmp/slab.$3 ${late:+/tmp/slab.$late}"
}

# add_nvme ID / del_nvme ID: an NVMe in dn1 backed by a null device.
add_nvme() {
	qmp_ok "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"null-co\",\"node-name\":\"$1\",\"size\":67108864}}" &&
		echo "$1" >> "$BATS_FILE_TMPDIR/added" &&
		qmp_ok "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvme\",\"id\":\"$1\",\"serial\":\"$1\",\"drive\":\"$1\",\"bus\":\"dn1\"}}"
}

del_nvme() {
	qmp_unplug "$1" 20 || return 1
	qmp_ok "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"$1\"}}" || return 1
	sed -i "/^$1\$/d" "$BATS_FILE_TMPDIR/added"
}

# One hot-plug cycle: add, wait for the autoborrowed block device, remove,
# wait until 84000 has left the pool.
hotplug_cycle() {
	add_nvme "$1" || return 1
	gexec "$GUEST_FNS; wait_blk 84000 > /dev/null" || { echo "$1: no block device" >&2; return 1; }
	del_nvme "$1" || { echo "$1: device_del did not complete" >&2; return 1; }
	gexec 'for i in $(seq 100); do test -e /sys/bus/smartio/devices/84000 || exit 0; sleep 0.1; done; exit 1'
}

# borrow_cycles N: N borrow/return cycles of 83000 in the guest, each
# waiting for the namespace's block device.
borrow_cycles() {
	# A cycle takes seconds on the debug kernel (GX_TIMEOUT is longer there).
	GUEST_EXEC_TIMEOUT=${GX_TIMEOUT:-300} gexec "$GUEST_FNS; for i in \$(seq $1); do
		echo 1 > \$D/83000/borrow || { echo \"cycle \$i: borrow failed\"; exit 1; }
		wait_blk 83000 > /dev/null || { echo \"cycle \$i: no block device\"; exit 1; }
		echo 1 > \$D/83000/return || { echo \"cycle \$i: return failed\"; exit 1; }
	done"
}

setup_file() {
	require_guest
	gexec "test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }; $GUEST_FNS; echo 0 > /sys/bus/smartio/autoborrow_transparent; return_all; echo 1 > /sys/bus/smartio/scan"
	: > "$BATS_FILE_TMPDIR/added"
}

teardown_file() {
	local id
	for id in $(cat "$BATS_FILE_TMPDIR/added" 2>/dev/null); do
		qemu_has_device "$id" && qmp_unplug "$id" 30
		"$SMARTIO_TOP/scripts/qmp" "$SMARTIO_RUNDIR" \
			"{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"$id\"}}" > /dev/null 2>&1
	done
	gexec "echo 0 > /sys/bus/smartio/autoborrow_transparent; $GUEST_FNS; return_all; true"
	return 0
}

@test "warm-up: one cycle of each kind, then the first sample (kmemleak cleared)" {
	run borrow_cycles 1
	[ "$status" -eq 0 ]
	gexec 'echo 1 > /sys/bus/smartio/autoborrow_transparent'
	run hotplug_cycle leakwarm
	[ "$status" -eq 0 ]
	gexec 'echo 0 > /sys/bus/smartio/autoborrow_transparent'
	gexec "test -e $KMEMLEAK && echo clear > $KMEMLEAK; true"
	slab_sample b0
}

@test "$BORROW_CYCLES borrow/return cycles of the fabric NVMe, each to a block device" {
	local half=$((BORROW_CYCLES / 2))
	run borrow_cycles $half
	echo "$output"
	[ "$status" -eq 0 ]
	slab_sample b1
	run borrow_cycles $((BORROW_CYCLES - half))
	echo "$output"
	[ "$status" -eq 0 ]
	slab_sample b2
}

@test "$HOTPLUG_CYCLES hot-add/remove cycles in dn1 with autoborrow on" {
	local i half=$((HOTPLUG_CYCLES / 2))
	gexec 'echo 1 > /sys/bus/smartio/autoborrow_transparent'
	for i in $(seq $HOTPLUG_CYCLES); do
		run hotplug_cycle "leak$i"
		echo "$output"
		[ "$status" -eq 0 ]
		[ "$i" -ne "$half" ] || slab_sample h1
	done
	gexec 'echo 0 > /sys/bus/smartio/autoborrow_transparent'
	slab_sample h2
}

@test "kmalloc caches do not grow with borrow/return cycles" {
	slab_counts_meaningful || skip "KASAN quarantine counts freed objects; kmemleak decides on this kernel"
	# h2 ends the hot-plug cycles, which ran after these.
	run slab_check b0 b1 b2 $BORROW_CYCLES h2
	echo "$output"
	echo "# slab, $BORROW_CYCLES borrow cycles: ${lines[-1]}" >&3
	[ "$status" -eq 0 ]
	[[ "$output" != *LEAK* ]]
}

@test "kmalloc caches do not grow with hot-add/remove cycles" {
	slab_counts_meaningful || skip "KASAN quarantine counts freed objects; kmemleak decides on this kernel"
	# Sample h0 is b2: the hot-plug phase starts where the borrow one ended.
	run slab_check b2 h1 h2 $HOTPLUG_CYCLES
	echo "$output"
	echo "# slab, $HOTPLUG_CYCLES hot-plug cycles: ${lines[-1]}" >&3
	[ "$status" -eq 0 ]
	[[ "$output" != *LEAK* ]]
}

@test "kmemleak: no unreferenced object with smartio in its backtrace" {
	if ! gexec "test -e $KMEMLEAK"; then
		skip "no $KMEMLEAK: this kernel lacks CONFIG_DEBUG_KMEMLEAK (boot the debug kernel, scripts/debug-kernel.sh)"
	fi
	# kmemleak reports only objects older than 5 s, and an object must be
	# seen unreferenced by more than one scan: scan twice, 6 s apart.
	run gexec "sleep 6; echo scan > $KMEMLEAK; sleep 6; echo scan > $KMEMLEAK; cat $KMEMLEAK > /tmp/kmemleak.txt
		echo \"\$(grep -c '^unreferenced object' /tmp/kmemleak.txt) unreferenced objects\"
		awk '/^unreferenced object/ { if (hit) printf \"%s\", rec; rec = \"\"; hit = 0 }
		     { rec = rec \$0 \"\\n\" }
		     /^ +\\[<[0-9a-f]+>\\]/ && /smartio/ { hit = 1 }
		     END { if (hit) printf \"%s\", rec }' /tmp/kmemleak.txt"
	echo "$output"
	echo "# kmemleak: ${lines[0]}" >&3
	[ "$status" -eq 0 ]
	[[ "$output" != *"unreferenced object 0x"* ]]
}
