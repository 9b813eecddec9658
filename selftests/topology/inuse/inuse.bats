#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side, against a guest booted with the "inuse" topology: the basic
# fabric (83000, an NVMe of its own) plus two controllers, 85000 and 86000,
# of one NVM subsystem sharing namespace 1, which the guest sees as one
# multipath head disk. The kernel refuses the return of a device while a
# file system, a device-mapper or md holder, a swap area or a process has
# its disk (or the multipath head of its path) open; smartio_tool adds
# processes holding a character device open. Both go ahead once that use
# is gone, or with --force.

load ../../host/helpers

# The end of the tool's line for a disk the kernel says is in use.
IN_USE="is in use; unmount it, swapoff, remove its device-mapper or md holders or stop the processes that have it open first or use --force"

# Guest shell functions (pass "$IN_FNS; ..." to gexec):
#   head            the multipath head disk's name (nvmeXn1)
#   ctrl FDID       the NVMe controller's name (nvmeK) of a borrowed device
#   borrow_all      borrows 83000, 85000 and 86000 and waits for their disks
#                   (and, once setup_file made them, the head's partitions)
#   release         ends every use the tests make and borrows all again
#   st FDID         the state of a fabric device
# shellcheck disable=SC2016
IN_FNS='D=/sys/bus/smartio/devices
export DM_DISABLE_UDEV=1
head() { local h; for h in /sys/devices/virtual/nvme-subsystem/*/nvme*n[0-9]; do [ -b "/dev/${h##*/}" ] && { echo "${h##*/}"; return 0; }; done; return 1; }
ctrl() { local c; for c in $D/$1/pci_dev/nvme/nvme*; do [ -e "$c" ] && { echo "${c##*/}"; return 0; }; done; return 1; }
borrow_all() { local f i h; for f in 83000 85000 86000; do [ "$(cat $D/$f/state)" = borrowed ] || smartio_tool borrow $f || return 1; done; for i in $(seq 300); do h=$(head) && { [ -b /dev/${h}p2 ] || [ ! -e /tmp/parted ]; } && [ -n "$(ls $D/83000/pci_dev/nvme/nvme*/ 2>/dev/null | grep "n1$")" ] && return 0; sleep 0.1; done; return 1; }
release() { [ -s /tmp/holder.pid ] && kill $(cat /tmp/holder.pid) 2>/dev/null; rm -f /tmp/holder.pid; sleep 0.2; umount -l /mnt/inuse 2>/dev/null; umount -l /mnt/dm 2>/dev/null; swapoff -a 2>/dev/null; mdadm --stop /dev/md0 >/dev/null 2>&1; dmsetup remove_all 2>/dev/null; borrow_all; }
st() { cat $D/$1/state; }'

setup_file() {
	require_guest
	gexec 'test -d /sys/module/smartio_emul || { test -d /sys/bus/smartio || insmod /smartio/smartio.ko; insmod /smartio/smartio_emul.ko; }'
	gexec 'smartio_tool scan'
	# Two partitions on the shared namespace: p1 for the holders, p2 an
	# ext4 with a file in it, for mounts and swap.
	gexec "$IN_FNS; borrow_all && h=\$(head) && printf ',32M\n,\n' | sfdisk -q /dev/\$h &&
		for i in \$(seq 100); do [ -b /dev/\${h}p2 ] && break; sleep 0.1; done &&
		mkfs.ext4 -q -F /dev/\${h}p2 && mkdir -p /mnt/inuse /mnt/dm &&
		mount /dev/\${h}p2 /mnt/inuse && echo hello > /mnt/inuse/hello && umount /mnt/inuse &&
		touch /tmp/parted"
}

setup() {
	gexec "$IN_FNS; release"
	HEAD=$(gexec "$IN_FNS; head")
}

teardown() {
	gexec "$IN_FNS; release" || true
}

teardown_file() {
	gexec "$IN_FNS; release; for f in 83000 85000 86000; do smartio_tool return \$f; done" || true
}

@test "a mounted multipath namespace refuses the return of either controller" {
	gexec "mount /dev/${HEAD}p2 /mnt/inuse"
	for f in 85000 86000; do
		run gexec "smartio_tool return $f"
		[ "$status" -eq 1 ]
		[ "$output" = "smartio_tool: return $f: $HEAD $IN_USE" ]
		# The kernel's own refusal, and its answer.
		run gexec "echo 1 > /sys/bus/smartio/devices/$f/return; echo rc=\$?; cat /sys/bus/smartio/devices/$f/in_use"
		[ "$output" = $'rc=1\n'"$HEAD" ] || [[ "$output" == *$'rc=1\n'"$HEAD" ]]
		run gexec "$IN_FNS; st $f; cat /mnt/inuse/hello"
		[ "$output" = $'borrowed\nhello' ]
	done
	# An unrelated device goes.
	run gexec "smartio_tool return 83000"
	[ "$status" -eq 0 ]
	run gexec "umount /mnt/inuse && smartio_tool return 85000 && smartio_tool return 86000 && cat /sys/bus/smartio/devices/85000/state /sys/bus/smartio/devices/86000/state"
	[ "$status" -eq 0 ]
	[ "$output" = $'available\navailable' ]
}

@test "a device-mapper volume on the namespace refuses the return mounted, open, or only present" {
	run gexec "$IN_FNS; dmsetup create inuse-lin --table \"0 \$(cat /sys/class/block/${HEAD}p1/size) linear /dev/${HEAD}p1 0\" &&
		mkfs.ext4 -q /dev/mapper/inuse-lin && mount /dev/mapper/inuse-lin /mnt/dm && basename \$(ls -d /sys/class/block/${HEAD}p1/holders/dm-*)"
	[ "$status" -eq 0 ]
	dm=${lines[-1]}
	run gexec "smartio_tool return 85000"
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: return 85000: $HEAD $IN_USE" ]

	run gexec "umount /mnt/dm && { setsid sleep 1000 < /dev/mapper/inuse-lin > /dev/null 2>&1 & echo \$! > /tmp/holder.pid; } && sleep 0.3 && cat /tmp/holder.pid"
	[ "$status" -eq 0 ]
	pid=$output
	run gexec "smartio_tool return 86000"
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: return 86000: $HEAD $IN_USE" ]

	run gexec "kill $pid; sleep 0.3; smartio_tool return 86000"
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: return 86000: $HEAD $IN_USE" ]
	run gexec "$IN_FNS; st 85000; st 86000"
	[ "$output" = $'borrowed\nborrowed' ]

	run gexec "$IN_FNS; dmsetup remove inuse-lin && smartio_tool return 86000 && smartio_tool return 85000 && st 85000"
	[ "$status" -eq 0 ]
	[ "$output" = available ]
}

@test "an md raid1 on a partition of the namespace refuses the return until stopped" {
	run gexec "mdadm --build /dev/md0 --level=1 --raid-devices=1 --force /dev/${HEAD}p1"
	[ "$status" -eq 0 ]
	run gexec "smartio_tool return 85000"
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: return 85000: $HEAD $IN_USE" ]
	run gexec "$IN_FNS; mdadm --stop /dev/md0 >/dev/null 2>&1 && smartio_tool return 85000 && st 85000"
	[ "$status" -eq 0 ]
	[ "$output" = available ]
}

@test "swap on a partition of the namespace refuses the return until swapoff" {
	run gexec "mkswap /dev/${HEAD}p2 > /dev/null && swapon /dev/${HEAD}p2"
	[ "$status" -eq 0 ]
	run gexec "smartio_tool return 86000"
	[ "$status" -eq 1 ]
	[ "$output" = "smartio_tool: return 86000: $HEAD $IN_USE" ]
	run gexec "$IN_FNS; swapoff /dev/${HEAD}p2 && smartio_tool return 86000 && st 86000"
	[ "$status" -eq 0 ]
	[ "$output" = available ]
	# p2 had the file system; give it back to the next tests.
	gexec "mkfs.ext4 -q -F /dev/${HEAD}p2 && mount /dev/${HEAD}p2 /mnt/inuse && echo hello > /mnt/inuse/hello && umount /mnt/inuse"
}

@test "a process holding a controller or its generic device open refuses the return" {
	run gexec "$GUEST_FNS; $IN_FNS; c=\$(ctrl 85000) && hold /dev/\$c"
	[ "$status" -eq 0 ]
	read -r c pid <<<"$output"
	refused_open 85000 "$c" "$pid"
	# The other controller has no such user.
	run gexec "$IN_FNS; smartio_tool return 86000 && st 86000"
	[ "$status" -eq 0 ]
	[ "$output" = available ]
	run gexec "$IN_FNS; kill $pid; sleep 0.3; smartio_tool return 85000 && st 85000"
	[ "$status" -eq 0 ]
	[ "$output" = available ]

	# 83000, not multipath: its /dev/ngXn1, opened by a process.
	run gexec "$GUEST_FNS; $IN_FNS; ng=\$(basename \$D/83000/pci_dev/nvme/nvme*/ng*) && hold /dev/\$ng"
	[ "$status" -eq 0 ]
	read -r ng pid <<<"$output"
	refused_open 83000 "$ng" "$pid"
	run gexec "$IN_FNS; kill $pid; sleep 0.3; smartio_tool return 83000 && st 83000"
	[ "$status" -eq 0 ]
	[ "$output" = available ]
}

@test "--force returns a controller whose namespace is mounted; the other path keeps it" {
	gexec "mount /dev/${HEAD}p2 /mnt/inuse"
	run gexec "$IN_FNS; smartio_tool return --force 85000 && st 85000 && cat /mnt/inuse/hello"
	[ "$status" -eq 0 ]
	[ "$output" = $'available\nhello' ]
	run gexec "$IN_FNS; smartio_tool return 86000"
	[ "$status" -eq 1 ]
	run gexec "$IN_FNS; smartio_tool return -f 86000 && st 86000 && umount -l /mnt/inuse"
	[ "$status" -eq 0 ]
	[ "$output" = available ]
}
