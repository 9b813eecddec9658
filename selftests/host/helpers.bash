# SPDX-License-Identifier: GPL-2.0
# Shared by the host-side bats suites: they drive a running agent-mode guest
# (SMARTIO_RUNDIR, set by scripts/check.sh) and its QEMU over QMP.

SMARTIO_TOP=${SMARTIO_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

require_guest() {
	if [ -z "${SMARTIO_RUNDIR:-}" ] || [ ! -d "$SMARTIO_RUNDIR" ]; then
		echo "SMARTIO_RUNDIR does not name a running guest" >&2
		return 1
	fi
}

# Run a shell command in the guest; its output and status are the guest's.
gexec() {
	"$SMARTIO_TOP/scripts/guest-exec" "$SMARTIO_RUNDIR" "$@"
}

# Send one QMP command and fail unless QEMU answers with "return".
qmp_ok() {
	local reply

	reply=$("$SMARTIO_TOP/scripts/qmp" "$SMARTIO_RUNDIR" "$1") || return 1
	case "$reply" in
	*'"return"'*) return 0 ;;
	*) echo "QMP: $reply" >&2; return 1 ;;
	esac
}

# True while the QEMU of SMARTIO_RUNDIR runs.
qemu_alive() {
	kill -0 "$(cat "$SMARTIO_RUNDIR/qemu.pid" 2>/dev/null)" 2>/dev/null
}

# True while QEMU has a device with this id (it is gone once deleted).
qemu_has_device() {
	"$SMARTIO_TOP/scripts/qmp" "$SMARTIO_RUNDIR" \
		"{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/$1\",\"property\":\"type\"}}" \
		> /dev/null 2>&1
}

# qmp_unplug ID [SECONDS]: device_del, then wait until QEMU reports it
# deleted; a DEVICE_DELETED missed by this connection is caught by polling.
qmp_unplug() {
	local i
	"$SMARTIO_TOP/scripts/qmp" "$SMARTIO_RUNDIR" \
		"{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$1\"}}" \
		--wait-event DEVICE_DELETED "${2:-20}" > /dev/null 2>&1 && return 0
	for i in $(seq "${2:-20}"); do
		qemu_has_device "$1" || return 0
		sleep 1
	done
	return 1
}

# Kernel log lines written to the serial console after MARKER (a line the
# suite wrote to /dev/kmsg). The host's copy survives a guest crash.
kernel_log_since() {
	awk -v m="$1" 'index($0, m) { f = 1 } f' "$SMARTIO_RUNDIR/serial.log"
}

# What counts as a kernel splat in those lines.
SPLAT_RE='WARNING:|BUG[: ]|Oops|KASAN|lockdep|possible (circular|recursive) locking|inconsistent lock state|list_(add|del) corruption|Poison overwritten|general protection|Kernel panic|UBSAN|blocked for more than|Call Trace'

# Guest shell functions for the suites (pass "$GUEST_FNS; ..." to gexec):
#   wait_blk FDID   prints the block device of a borrowed NVMe once usable
#   wait_bound FDID waits until a borrowed device has a driver bound
#   return_all      returns every borrowed pool device, retrying on EBUSY
#   hold DEV        a process (sleep) holding DEV open, its PID in
#                   /tmp/holder.pid; prints "DEV PID"
GUEST_FNS='D=/sys/bus/smartio/devices
hold() { { setsid sleep 1000 < "$1" > /dev/null 2>&1 & echo $! > /tmp/holder.pid; }; sleep 0.3; echo "$1 $(cat /tmp/holder.pid)"; }
wait_blk() { local i b; for i in $(seq 300); do for b in $D/$1/pci_dev/nvme/nvme*/nvme*n[0-9]*; do [ -e "$b" ] && [ -b "/dev/${b##*/}" ] && { echo "/dev/${b##*/}"; return 0; }; done; sleep 0.1; done; return 1; }
wait_bound() { local i; for i in $(seq 300); do [ -e $D/$1/pci_dev/driver ] && return 0; sleep 0.1; done; return 1; }
return_all() { local d i; for i in $(seq 100); do local left=0; for d in $D/*; do [ "$(cat $d/state 2>/dev/null)" = borrowed ] || continue; echo 1 > $d/return 2>/dev/null || left=1; done; [ $left = 0 ] && return 0; sleep 0.1; done; return 1; }'

# refused_open FDID DEV PID: smartio_tool return FDID fails, naming DEV as
# open in process PID (a sleep), and the device stays borrowed.
refused_open() {
	run gx "smartio_tool return $1"
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: return $1: $2 is open in process $3 (sleep); stop the processes first or use --force" ]
	run gx "cat /sys/bus/smartio/devices/$1/state"
	[ "$output" = borrowed ]
}

# gx CMD: gexec with a time limit (GX_TIMEOUT, default 120 s). The guest
# agent runs one command at a time, so a command stuck in the kernel blocks
# every later one: after the first timeout the guest is marked wedged and
# the remaining checks fail at once instead of waiting 300 s each.
gx() {
	local rc
	if [ -e "$BATS_FILE_TMPDIR/wedged" ]; then
		echo "guest wedged: an earlier command hung in the kernel" >&2
		return 124
	fi
	GUEST_EXEC_TIMEOUT=${GX_TIMEOUT:-120} gexec "$@"
	rc=$?
	[ $rc -ne 124 ] || touch "$BATS_FILE_TMPDIR/wedged"
	return $rc
}

# guest_state: what a failed check needs to be understood (bats shows a
# test's output only when it fails): modules, adapters, pool, smartio's
# kernel messages.
guest_state() {
	gx 'echo "modules: $(lsmod | grep -o "^smartio[a-z_]*" | paste -sd" ")"
		echo "adapters: $(ls /sys/kernel/debug/smartio 2>/dev/null | paste -sd" ")"
		echo "pool: $(ls /sys/bus/smartio/devices 2>/dev/null | paste -sd" ")"
		dmesg | grep -iE "smartio|adapter[0-9]|pci 10000" | tail -n 40' 2>&1
}

not_wedged() {
	[ ! -e "$BATS_FILE_TMPDIR/wedged" ] || { echo "guest wedged: an earlier command hung in the kernel"; return 1; }
}

# Whether /proc/slabinfo can show a leak: not on the debug kernel, whose
# KASAN quarantine keeps freed objects counted; kmemleak decides there
# (85-leak, and the kmemleak scan after every guest in make check).
slab_counts_meaningful() {
	! gexec 'test -e /sys/kernel/debug/kmemleak' 2>/dev/null
}
