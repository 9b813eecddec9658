#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-run.sh --kernel KVER --initrd FILE --rundir DIR [--topology NAME]
#             [--timeout SECS] [--append WORDS] (--agent | --cmd COMMAND)
#
# Boots one test guest under TCG. DIR gets serial.log (the whole kernel
# log), qmp.sock (QMP), agent.sock (scripts/guest-exec) and qemu.pid.
#   --agent  boots in the background and returns once the guest agent
#            answers; stop it with: scripts/guest-exec DIR poweroff
#   --cmd    runs COMMAND in the guest and exits with its status
# QEMU is killed after --timeout seconds (default 1800) in either mode; an
# --agent guest that does not answer within BOOT_TIMEOUT seconds (default
# 300) is booted once more.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver="" initrd="" rundir="" topology=basic timeout=1800 mode="" cmd="" append=""
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kver=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--rundir) rundir=$2; shift 2 ;;
	--topology) topology=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--agent) mode=agent; shift ;;
	--cmd) mode=cmd; cmd=$2; shift 2 ;;
	*) die "unknown option $1" ;;
	esac
done
[ -n "$kver" ] && [ -n "$initrd" ] && [ -n "$rundir" ] && [ -n "$mode" ] ||
	die "usage: see the head of $0"
vmlinuz=$KERNELS_DIR/$kver/root/boot/vmlinuz-$kver
[ -e "$vmlinuz" ] || die "no kernel $vmlinuz: run scripts/deps.sh"
[ -e "$SMARTIO_TOP/scripts/topologies/$topology" ] || die "no topology $topology"

mkdir -p "$rundir"
RUNDIR=$(cd "$rundir" && pwd)
rm -f "$RUNDIR"/{qmp.sock,agent.sock,qemu.pid,serial.log}

# The debug kernel logs every kobject release at KERN_INFO (kobject release
# debugging); through a TCG serial port that alone slows the guest to a
# crawl, so its console shows notices and worse only (dmesg has it all).
loglevel=7
case "$kver" in *-smartio-debug) loglevel=6 ;; esac
# nokaslr: a stalled guest's RIP (dumped below) matches System.map.
kargs="nokaslr console=ttyS0 pci=noacpi pci=lastbus=127 panic_on_warn=1 slub_debug=FZPU"
# A device that lost config writes to a link drop during its driver's probe
# is given up at the driver's first command timeout: 15 s for nvme here,
# so the storm's queue of borrows behind such a probe stays far from the
# hung-task limit (nvme's default is 60 s).
kargs="$kargs sysctl.kernel.hung_task_timeout_secs=120 nvme_core.admin_timeout=15"
kargs="$kargs panic=-1 loglevel=$loglevel $append"
if [ "$mode" = agent ]; then
	kargs="$kargs sio_mode=agent"
else
	kargs="$kargs sio_cmd=$(printf '%s' "$cmd" | base64 -w0)"
fi

QEMU_ARGS=(
	-M q35 -accel "tcg,thread=${SMARTIO_TCG_THREAD:-single}" -cpu max -smp 2 -m 1536 -display none -no-reboot
	-kernel "$vmlinuz" -initrd "$initrd" -append "$kargs"
	-serial "file:$RUNDIR/serial.log"
	-serial "unix:$RUNDIR/agent.sock,server=on,wait=off"
	-monitor none -nic none
	-qmp "unix:$RUNDIR/qmp.sock,server=on,wait=off"
	-device isa-debug-exit,iobase=0xf4,iosize=0x01
	-pidfile "$RUNDIR/qemu.pid"
)
# shellcheck source=/dev/null
. "$SMARTIO_TOP/scripts/topologies/$topology"
# Extra QEMU options for an investigation, e.g. trace events:
# SMARTIO_QEMU_EXTRA="-trace pci_update_mappings* -D FILE".
# shellcheck disable=SC2206
[ -z "${SMARTIO_QEMU_EXTRA:-}" ] || QEMU_ARGS+=($SMARTIO_QEMU_EXTRA)

if [ "$mode" = cmd ]; then
	set +e
	timeout --signal=KILL "$timeout" qemu-system-x86_64 "${QEMU_ARGS[@]}" \
		</dev/null >"$RUNDIR/qemu.out" 2>&1
	rc=$?
	set -e
	[ $rc -eq 137 ] && { log "guest timed out after ${timeout}s"; exit 124; }
	# isa-debug-exit: (status << 1) | 1; a plain poweroff is 0.
	[ $rc -eq 0 ] && { log "guest ended without a status"; exit 125; }
	exit $((rc >> 1))
fi

# A guest normally answers within a minute or two (the debug kernel takes
# longest). Under TCG on a loaded host, early boot can stall for good (a TSC
# calibrated against a starved PIT); such a guest is dumped for the record,
# killed and booted again (five tries) instead of costing the whole guest
# timeout.
# A stalled boot prints nothing more: a console silent for STALL_SECS
# (default 90) before the agent answers counts as stalled at once.
boot_timeout=${BOOT_TIMEOUT:-300} stall_secs=${STALL_SECS:-90}
for attempt in 1 2 3 4 5; do
	rm -f "$RUNDIR"/{qmp.sock,agent.sock,qemu.pid}
	[ "$attempt" -eq 1 ] || mv -f "$RUNDIR/serial.log" "$RUNDIR/serial-stalled.log" || true
	setsid timeout --signal=KILL "$timeout" qemu-system-x86_64 "${QEMU_ARGS[@]}" \
		</dev/null >"$RUNDIR/qemu.out" 2>&1 &
	echo $! > "$RUNDIR/timeout.pid"
	deadline=$((SECONDS + boot_timeout))
	size=-1 quiet_since=$SECONDS
	while [ $SECONDS -lt $deadline ]; do
		if [ -S "$RUNDIR/agent.sock" ] &&
		   GUEST_EXEC_TIMEOUT=5 "$SMARTIO_TOP/scripts/guest-exec" "$RUNDIR" true 2>/dev/null; then
			log "guest $kver ready ($RUNDIR)"
			exit 0
		fi
		kill -0 "$(cat "$RUNDIR/timeout.pid")" 2>/dev/null || break
		now=$(stat -c %s "$RUNDIR/serial.log" 2>/dev/null || echo 0)
		if [ "$now" != "$size" ]; then
			size=$now quiet_since=$SECONDS
		elif [ $((SECONDS - quiet_since)) -ge "$stall_secs" ]; then
			log "guest $kver: console silent for ${stall_secs}s"
			break
		fi
		sleep 1
	done
	log "guest $kver did not come up (attempt $attempt); last kernel messages:"
	tail -n 30 "$RUNDIR/serial.log" >&2 || true
	if [ -S "$RUNDIR/qmp.sock" ]; then
		log "vCPU state:"
		"$SMARTIO_TOP/scripts/qmp" "$RUNDIR" \
			'{"execute":"human-monitor-command","arguments":{"command-line":"info registers -a"}}' \
			2>&1 | tr -d '\r' | grep -oE '(RIP|RSP|CR0|CR2|CR3)=[0-9a-f]+' | tr '\n' ' ' >&2 || true
		log ""
	fi
	kill -KILL "$(cat "$RUNDIR/timeout.pid")" 2>/dev/null || true
	pkill -KILL -F "$RUNDIR/qemu.pid" 2>/dev/null || true
	wait 2>/dev/null || true
done
exit 1
