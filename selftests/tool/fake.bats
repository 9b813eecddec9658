#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# smartio_tool on a fake sysfs tree, on the host, without a kernel module:
# every command and every error path. Attributes are plain files, so a test
# can check exactly what the tool wrote. A sysfs write that fails with an
# errno is simulated by failwrite.so (LD_PRELOAD, built from failwrite.c):
# it makes the open for writing of FILE fail with the errno in FILE.errno.
# /dev/full stands in for an attribute that fails with ENOSPC.

bats_require_minimum_version 1.5.0

TOOL="$BATS_TEST_DIRNAME/../../scripts/smartio_tool"

# errno numbers (Linux, all architectures this runs on)
EACCES=13 ENODEV=19 EINVAL=22 EBUSY=16 ERANGE=34

setup_file() {
	FAILWRITE=$BATS_FILE_TMPDIR/failwrite.so
	if command -v gcc >/dev/null; then
		gcc -Wall -Werror -shared -fPIC -o "$FAILWRITE" \
			"$BATS_TEST_DIRNAME/failwrite.c" -ldl
	fi
	export FAILWRITE
}

setup() {
	FAKE=$BATS_TEST_TMPDIR/fake
	SYS=$FAKE/sys
	BUS=$SYS/bus/smartio
	DEVS=$BUS/devices
	export SMARTIO_SYSFS=$SYS SMARTIO_PROC=$FAKE/proc SMARTIO_PCI_IDS=$FAKE/pci.ids
	mkdir -p "$DEVS" "$FAKE/proc" "$SYS/devices/platform/smartio"
	echo 0 > "$BUS/autoborrow_transparent"
	: > "$BUS/scan"

	# As in sysfs, bus/smartio/devices/* are links to the device dirs.
	mkdev adapter0
	local a=$DEVS/adapter0
	echo emul > "$a/backend"
	echo 10000 > "$a/domain"
	echo 80-84 > "$a/bus_range"
	printf 'mem 0xc0000000-0xc07fffff\npref 0x800000000-0x80fffffff\n' > "$a/aperture"
	echo 276824064 > "$a/aperture_size"
	echo up > "$a/link"

	# 83000: an available NVMe. 84000: a borrowed NVMe whose local PCI
	# device holds nvme1n1 with two partitions and a device-mapper holder.
	mkfdev 83000 0x1b36 0x0010 0x010802 83:00.0 available
	mkfdev 84000 0x1b36 0x0010 0x010802 84:00.0 borrowed
	local pci=$SYS/devices/pci10000:80/10000:80:00.0/10000:84:00.0
	local disk=$pci/nvme/nvme1/nvme1n1
	mkdir -p "$disk/nvme1n1p1" "$disk/nvme1n1p2" "$disk/holders" \
		"$SYS/devices/virtual/block/dm-0"
	ln -s ../../../../../../../virtual/block/dm-0 "$disk/holders/dm-0"
	ln -s ../../../pci10000:80/10000:80:00.0/10000:84:00.0 \
		"$SYS/devices/platform/smartio/84000/pci_dev"

	cat > "$FAKE/proc/mounts" <<-EOF
	/dev/sda1 / ext4 rw,relatime 0 0
	proc /proc proc rw 0 0
	tmpfs /tmp tmpfs rw 0 0
	/dev/nvme1n11 /mnt/other ext4 rw 0 0
	EOF
	printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' > "$FAKE/proc/swaps"

	cat > "$FAKE/pci.ids" <<-EOF
	# a few lines in the format of pci.ids
	1b36  Red Hat, Inc.
	${TAB}0001  QEMU PCI-PCI bridge
	${TAB}0010  QEMU NVM Express Controller
	${TAB}${TAB}1af4 1100  QEMU Virtual Machine
	8086  Intel Corporation
	${TAB}10d2  82571EB Gigabit Ethernet Controller
	C 01  Mass storage controller
	${TAB}08  Non-Volatile memory controller
	${TAB}${TAB}02  NVM Express
	C 02  Network controller
	${TAB}00  Ethernet controller
	C 12  Processing accelerators
	EOF
}

TAB=$'\t'

mkdev() {	# mkdev NAME: a device dir and its bus link
	mkdir -p "$SYS/devices/platform/smartio/$1"
	ln -s "../../../devices/platform/smartio/$1" "$DEVS/$1"
}

mkfdev() {	# mkfdev FDID VENDOR DEVICE CLASS REMOTE STATE [ADAPTER]
	local d=$DEVS/$1
	mkdev "$1"
	echo "$1" > "$d/fdid"
	echo "$2" > "$d/vendor"
	echo "$3" > "$d/device"
	echo 0x1af4 > "$d/subsystem_vendor"
	echo 0x1100 > "$d/subsystem_device"
	echo "$4" > "$d/class"
	echo "${7:-adapter0}" > "$d/adapter"
	echo "$5" > "$d/remote_address"
	echo "$6" > "$d/state"
	echo "0 mem64 nopref 16384" > "$d/resources"
	echo 16384 > "$d/aperture_needed"
	: > "$d/borrow"
	: > "$d/return"
}

fail_write() {	# fail_write FILE ERRNO: the next writes of FILE fail
	[ -e "$FAILWRITE" ] || skip "no gcc to build failwrite.so"
	echo "$2" > "$1.errno"
}

# Runs the tool with failwrite.so preloaded, stdout and stderr apart.
run_failing() {
	LD_PRELOAD=$FAILWRITE run --separate-stderr "$TOOL" "$@"
}

# The one-line error of a failed command: status 1, nothing on stdout.
assert_error() {	# assert_error MESSAGE (after a run --separate-stderr)
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "smartio_tool: $1" ]
}

@test "--help, -h and help list every command on stdout" {
	local h c
	for h in --help -h help; do
		run --separate-stderr "$TOOL" "$h"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		for c in scan "list [--json]" "show FDID" "borrow FDID" \
			 "return [--force] FDID" "config [NAME [VALUE]]" adapters \
			 help --version autoborrow_transparent; do
			[[ "$output" == *"$c"* ]]
		done
	done
	run "$TOOL" borrow --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: smartio_tool COMMAND [ARGS]" ]]
}

@test "--version prints the version of the project" {
	run "$TOOL" --version
	[ "$status" -eq 0 ]
	[ "$output" = "smartio_tool $(cat "$BATS_TEST_DIRNAME/../../VERSION")" ]
}

@test "no command or an unknown one: one line on stderr, status 1" {
	run --separate-stderr "$TOOL"
	assert_error "no command given (see smartio_tool --help)"
	run --separate-stderr "$TOOL" frobnicate
	assert_error "unknown command: frobnicate (see smartio_tool --help)"
}

@test "wrong arguments print the command's usage as the error" {
	run --separate-stderr "$TOOL" scan now
	assert_error "usage: smartio_tool scan"
	run --separate-stderr "$TOOL" list --yaml
	assert_error "usage: smartio_tool list [--json]"
	run --separate-stderr "$TOOL" show
	assert_error "usage: smartio_tool show FDID"
	run --separate-stderr "$TOOL" borrow 83000 84000
	assert_error "usage: smartio_tool borrow FDID"
	run --separate-stderr "$TOOL" return
	assert_error "usage: smartio_tool return [--force] FDID"
	run --separate-stderr "$TOOL" return --now 84000
	assert_error "usage: smartio_tool return [--force] FDID"
	run --separate-stderr "$TOOL" config a b c
	assert_error "usage: smartio_tool config [NAME [VALUE]]"
	run --separate-stderr "$TOOL" adapters all
	assert_error "usage: smartio_tool adapters"
}

@test "scan writes 1 to the bus scan attribute" {
	run --separate-stderr "$TOOL" scan
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	[ "$(cat "$BUS/scan")" = 1 ]
	[ "$(stat -c %s "$BUS/scan")" -eq 1 ]
}

@test "a refused scan is reported in one line" {
	rm "$BUS/scan"
	mkdir "$BUS/scan"
	run --separate-stderr "$TOOL" scan
	assert_error "scan: Is a directory"
	rmdir "$BUS/scan"
	: > "$BUS/scan"
	fail_write "$BUS/scan" "$ENODEV"
	run_failing scan
	assert_error "scan: failed with ENODEV"
}

@test "list prints one Dolphin-style line per fabric device, not the adapters" {
	run --separate-stderr "$TOOL" list
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "83000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available] (adapter0)" ]
	[ "${lines[1]}" = "84000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [borrowed] (adapter0)" ]
}

@test "list names the NVMe from the system's pci.ids too" {
	local f ids=""
	for f in /usr/share/misc/pci.ids /usr/share/hwdata/pci.ids; do
		[ -r "$f" ] && { ids=$f; break; }
	done
	[ -n "$ids" ] || skip "no pci.ids on this system"
	SMARTIO_PCI_IDS=$ids run "$TOOL" list
	[ "${lines[0]}" = "83000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available] (adapter0)" ]
	# An unreadable SMARTIO_PCI_IDS falls through to the system's.
	SMARTIO_PCI_IDS=$FAKE/nonexistent run "$TOOL" list
	[ "${lines[0]}" = "83000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available] (adapter0)" ]
}

@test "list falls back to hex ids where pci.ids has no name" {
	SMARTIO_PCI_IDS=/dev/null run "$TOOL" list
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "83000: Class 0108 [1b36:0010] [available] (adapter0)" ]
	mkfdev 85000 0x8086 0x10d3 0x020000 85:00.0 available
	mkfdev 86000 0xabcd 0x1234 0x020000 86:00.0 available
	mkfdev 87000 0xabcd 0x1234 0x120000 87:00.0 available
	mkfdev 88000 0xabcd 0x1234 0xff0000 88:00.0 available
	run "$TOOL" list
	[ "${lines[2]}" = "85000: Ethernet controller Intel Corporation Device 10d3 [available] (adapter0)" ]
	[ "${lines[3]}" = "86000: Ethernet controller [abcd:1234] [available] (adapter0)" ]
	[ "${lines[4]}" = "87000: Processing accelerators [abcd:1234] [available] (adapter0)" ]
	[ "${lines[5]}" = "88000: Class ff00 [abcd:1234] [available] (adapter0)" ]
}

@test "list orders by fdid as a number" {
	mkfdev 103000 0x1b36 0x0010 0x010802 03:00.0 available adapter1
	mkfdev 9000 0x1b36 0x0010 0x010802 09:00.0 available
	run "$TOOL" list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "9000: "* ]]
	[[ "${lines[1]}" == "83000: "* ]]
	[[ "${lines[2]}" == "84000: "* ]]
	[[ "${lines[3]}" == "103000: "* ]]
}

@test "list of an empty pool prints nothing; --json prints []" {
	rm "$DEVS/83000" "$DEVS/84000"
	run --separate-stderr "$TOOL" list
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	run --separate-stderr "$TOOL" list --json
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
	echo "$output" | python3 -m json.tool > /dev/null
}

@test "list --json is valid JSON that agrees with sysfs" {
	run --separate-stderr "$TOOL" list --json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	echo "$output" | python3 -m json.tool > /dev/null
	echo "$output" | SYS="$DEVS" python3 -c '
import json, os, sys
devs = json.load(sys.stdin)
keys = ["fdid", "vendor", "device", "class", "adapter", "remote_address",
        "state", "pci_dev"]
assert [d["fdid"] for d in devs] == ["83000", "84000"], devs
for d in devs:
    assert sorted(d) == sorted(keys), d
    for k in keys[:-1]:
        with open(os.path.join(os.environ["SYS"], d["fdid"], k)) as f:
            assert d[k] == f.read().strip(), (k, d)
assert devs[0]["pci_dev"] is None
assert devs[1]["pci_dev"] == "10000:84:00.0"
assert devs[0]["class"] == "0x010802" and devs[0]["vendor"] == "0x1b36"
'
}

@test "show prints every attribute, one name: value a line, and pci_dev" {
	printf '0 mem64 nopref 16384\n2 mem64 pref 1048576\n' > "$DEVS/84000/resources"
	echo 1064960 > "$DEVS/84000/aperture_needed"
	run --separate-stderr "$TOOL" show 84000
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "description: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller
fdid: 84000
vendor: 0x1b36
device: 0x0010
subsystem_vendor: 0x1af4
subsystem_device: 0x1100
class: 0x010802
adapter: adapter0
remote_address: 84:00.0
state: borrowed
aperture_needed: 1064960
resources: 0 mem64 nopref 16384
resources: 2 mem64 pref 1048576
pci_dev: 10000:84:00.0" ]
	run "$TOOL" show 83000
	[ "$status" -eq 0 ]
	[[ "$output" == *"state: available"* ]]
	[[ "$output" != *"pci_dev"* ]]
}

@test "fdids are accepted with or without 0x, in any case, with leading zeros" {
	local id
	for id in 83000 0x83000 0X83000 083000 0x00083000; do
		run "$TOOL" show "$id"
		[ "$status" -eq 0 ]
		[[ "${lines[1]}" == "fdid: 83000" ]]
	done
	mkfdev abc00 0x8086 0x10d2 0x020000 ab:c0.0 available
	for id in ABC00 0XABC00 0xAbC00; do
		run "$TOOL" show "$id"
		[ "$status" -eq 0 ]
		[[ "${lines[1]}" == "fdid: abc00" ]]
	done
	run "$TOOL" borrow 0XABC00
	[ "$status" -eq 0 ]
	[ "$(cat "$DEVS/abc00/borrow")" = 1 ]
}

@test "an unknown fdid: no such fabric device, status 1, for every command" {
	local c id
	for c in show borrow return "return --force"; do
		for id in 12345 0x12345 0X012345; do
			# shellcheck disable=SC2086
			run --separate-stderr "$TOOL" $c "$id"
			assert_error "no such fabric device: 0x12345"
		done
	done
	[ ! -e "$DEVS/12345" ]
}

@test "a malformed fdid is refused before sysfs is touched" {
	local id
	for id in zz 0x 83000x adapter0 -1 1234567890abcdef0; do
		run --separate-stderr "$TOOL" show "$id"
		assert_error "not a fabric device id: $id"
	done
	run --separate-stderr "$TOOL" show ""
	assert_error "not a fabric device id: (empty)"
	run --separate-stderr "$TOOL" borrow ../83000
	assert_error "not a fabric device id: ../83000"
	[ ! -s "$DEVS/83000/borrow" ]
}

@test "borrow writes 1 to the device's borrow attribute" {
	run --separate-stderr "$TOOL" borrow 83000
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	[ "$(cat "$DEVS/83000/borrow")" = 1 ]
	[ "$(stat -c %s "$DEVS/83000/borrow")" -eq 1 ]
	[ ! -s "$DEVS/84000/borrow" ]
}

@test "borrow: EBUSY is already borrowed, with the local PCI address" {
	fail_write "$DEVS/84000/borrow" "$EBUSY"
	run_failing borrow 84000
	assert_error "borrow 84000: already borrowed (local PCI device 10000:84:00.0)"
	fail_write "$DEVS/83000/borrow" "$EBUSY"
	run_failing borrow 83000
	assert_error "borrow 83000: already borrowed"
}

@test "borrow: ENOSPC says how much aperture is needed and how much there is" {
	# /dev/full fails every write with ENOSPC, as a real borrow would.
	rm "$DEVS/83000/borrow"
	ln -s /dev/full "$DEVS/83000/borrow"
	printf '0 mem64 nopref 16384\n2 mem64 pref 536870912\n' > "$DEVS/83000/resources"
	echo 536887296 > "$DEVS/83000/aperture_needed"
	run --separate-stderr "$TOOL" borrow 83000
	assert_error "borrow 83000: needs 512.02 MiB of aperture (16 KiB non-prefetchable + 512 MiB prefetchable), adapter0 has 264 MiB (8 MiB non-prefetchable + 256 MiB prefetchable); see the kernel log"

	# Only prefetchable BARs, an adapter without window details.
	echo "0 mem64 pref 268435456" > "$DEVS/83000/resources"
	echo 268435456 > "$DEVS/83000/aperture_needed"
	rm "$DEVS/adapter0/aperture"
	echo 10485760 > "$DEVS/adapter0/aperture_size"
	run --separate-stderr "$TOOL" borrow 83000
	assert_error "borrow 83000: needs 256 MiB of aperture (256 MiB prefetchable), adapter0 has 10 MiB; see the kernel log"

	# Without sizes to show: the reason and where to look.
	rm "$DEVS/83000/aperture_needed"
	run --separate-stderr "$TOOL" borrow 83000
	assert_error "borrow 83000: its BARs do not fit in the aperture; see the kernel log"
}

@test "borrow: ENODEV, EINVAL and EACCES have their own reasons" {
	fail_write "$DEVS/83000/borrow" "$ENODEV"
	run_failing borrow 83000
	assert_error "borrow 83000: the device does not answer or the adapter's link is down; scan again"
	fail_write "$DEVS/83000/borrow" "$EINVAL"
	run_failing borrow 83000
	assert_error "borrow 83000: the module refused the request (EINVAL)"
	fail_write "$DEVS/83000/borrow" "$EACCES"
	run_failing borrow 83000
	assert_error "borrow 83000: permission denied (are you root?)"
	[ ! -s "$DEVS/83000/borrow" ]
}

@test "return writes 1 to the return attribute when nothing is mounted" {
	run --separate-stderr "$TOOL" return 84000
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	[ "$(cat "$DEVS/84000/return")" = 1 ]
	[ "$(stat -c %s "$DEVS/84000/return")" -eq 1 ]
}

@test "return: EINVAL is not borrowed" {
	fail_write "$DEVS/83000/return" "$EINVAL"
	run_failing return 83000
	assert_error "return 83000: not borrowed"
	fail_write "$DEVS/84000/return" "$EACCES"
	run_failing return 84000
	assert_error "return 84000: permission denied (are you root?)"
}

@test "return is refused while a partition is mounted" {
	echo '/dev/nvme1n1p1 /mnt/data ext4 rw 0 0' >> "$SMARTIO_PROC/mounts"
	run --separate-stderr "$TOOL" return 84000
	assert_error "return 84000: /dev/nvme1n1p1 is mounted on /mnt/data; unmount first or use --force"
	[ ! -s "$DEVS/84000/return" ]
}

@test "return is refused while the disk, a holder or a swap uses it" {
	printf '%s\n' '/dev/nvme1n1 /mnt/my\040disk ext4 rw 0 0' >> "$SMARTIO_PROC/mounts"
	run --separate-stderr "$TOOL" return 0x84000
	assert_error "return 84000: /dev/nvme1n1 is mounted on /mnt/my disk; unmount first or use --force"

	sed -i '$d' "$SMARTIO_PROC/mounts"
	echo '/dev/dm-0 /srv xfs rw 0 0' >> "$SMARTIO_PROC/mounts"
	printf '/dev/nvme1n1p2\tpartition\t1048572\t0\t-2\n' >> "$SMARTIO_PROC/swaps"
	run --separate-stderr "$TOOL" return 84000
	assert_error "return 84000: /dev/dm-0 is mounted on /srv, /dev/nvme1n1p2 is used as swap; unmount first or use --force"
	[ ! -s "$DEVS/84000/return" ]
}

@test "return ignores mounts of other devices, and of an available device" {
	# /dev/nvme1n11 is mounted (setup); it is not nvme1n1.
	echo '/dev/nvme0n1 /mnt ext4 rw 0 0' >> "$SMARTIO_PROC/mounts"
	run "$TOOL" return 84000
	[ "$status" -eq 0 ]
	[ "$(cat "$DEVS/84000/return")" = 1 ]
	run "$TOOL" return 83000
	[ "$status" -eq 0 ]
	[ "$(cat "$DEVS/83000/return")" = 1 ]
}

@test "return --force (or -f) returns a mounted device" {
	echo '/dev/nvme1n1p1 /mnt ext4 rw 0 0' >> "$SMARTIO_PROC/mounts"
	run --separate-stderr "$TOOL" return --force 84000
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	[ "$(cat "$DEVS/84000/return")" = 1 ]
	: > "$DEVS/84000/return"
	run "$TOOL" return 84000 --force
	[ "$status" -eq 0 ]
	[ "$(cat "$DEVS/84000/return")" = 1 ]
	: > "$DEVS/84000/return"
	run "$TOOL" return -f 84000
	[ "$status" -eq 0 ]
	[ "$(cat "$DEVS/84000/return")" = 1 ]
}

@test "config lists, reads and sets autoborrow_transparent" {
	run --separate-stderr "$TOOL" config
	[ "$status" -eq 0 ]
	[ "$output" = "autoborrow_transparent=0" ]
	run --separate-stderr "$TOOL" config autoborrow_transparent
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	run --separate-stderr "$TOOL" config autoborrow_transparent 1
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	[ "$(cat "$BUS/autoborrow_transparent")" = 1 ]
	run "$TOOL" config autoborrow_transparent
	[ "$output" = 1 ]
	run "$TOOL" config
	[ "$output" = "autoborrow_transparent=1" ]
}

@test "config: an invalid value or an unknown setting is refused" {
	fail_write "$BUS/autoborrow_transparent" "$EINVAL"
	run_failing config autoborrow_transparent 2
	assert_error "config autoborrow_transparent: invalid value '2' (use 0 or 1)"
	fail_write "$BUS/autoborrow_transparent" "$ERANGE"
	run_failing config autoborrow_transparent 99999999999
	assert_error "config autoborrow_transparent: invalid value '99999999999' (use 0 or 1)"
	fail_write "$BUS/autoborrow_transparent" "$EACCES"
	run_failing config autoborrow_transparent 1
	assert_error "config autoborrow_transparent: permission denied (are you root?)"
	[ "$(cat "$BUS/autoborrow_transparent")" = 0 ]
	run --separate-stderr "$TOOL" config frob
	assert_error "unknown setting: frob (settings: autoborrow_transparent)"
	run --separate-stderr "$TOOL" config scan 1
	assert_error "unknown setting: scan (settings: autoborrow_transparent)"
	[ ! -s "$BUS/scan" ]
}

@test "adapters lists backend, domain, buses, aperture and link" {
	run --separate-stderr "$TOOL" adapters
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "adapter0: emul domain 10000 buses 80-84 aperture 264 MiB link up" ]
}

@test "every command says so when the module is not loaded" {
	local c
	rm -rf "$BUS"
	for c in scan list "list --json" "show 83000" "borrow 83000" "return 83000" \
		 "return --force 83000" config "config autoborrow_transparent" \
		 "config autoborrow_transparent 1" adapters; do
		# shellcheck disable=SC2086
		run --separate-stderr "$TOOL" $c
		assert_error "smartio module not loaded"
	done
	run "$TOOL" --help
	[ "$status" -eq 0 ]
	run "$TOOL" --version
	[ "$status" -eq 0 ]
}

@test "reading commands change nothing in the tree" {
	local before after
	before=$(cd "$FAKE" && find . -exec ls -ld --time-style=+%s.%N {} + | sort)
	run "$TOOL" list
	run "$TOOL" list --json
	run "$TOOL" show 84000
	run "$TOOL" adapters
	run "$TOOL" config
	run "$TOOL" config autoborrow_transparent
	after=$(cd "$FAKE" && find . -exec ls -ld --time-style=+%s.%N {} + | sort)
	[ "$before" = "$after" ]
}
