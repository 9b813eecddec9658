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
# mkbus, mkdev, mkfdev: the fake tree (shared with scripts/bench/tool.sh)
load fakesys

# errno numbers (Linux, all architectures this runs on)
E2BIG=7 EACCES=13 ENODEV=19 EINVAL=22 EBUSY=16 ERANGE=34 ENOLINK=67

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
	export SMARTIO_SYSFS=$SYS SMARTIO_PCI_IDS=$FAKE/pci.ids
	# A borrow does not wait for a driver unless a test asks for it, and
	# the host's udev is not asked.
	export SMARTIO_BORROW_WAIT=0
	mkdir -p "$FAKE/bin"
	printf '#!/bin/sh\necho "$*" >> %s/udevadm.args\n' "$FAKE" > "$FAKE/bin/udevadm"
	chmod +x "$FAKE/bin/udevadm"
	export PATH=$FAKE/bin:$PATH
	mkbus

	# 83000: an available NVMe. 84000: a borrowed NVMe whose local PCI
	# device holds controller nvme1 (/dev/nvme1) with nvme1n1, its two
	# partitions and its generic device ng1n1. Devices with a node in /dev
	# have a "dev" attribute, as in sysfs.
	mkfdev 83000 0x1b36 0x0010 0x010802 83:00.0 available
	mkfdev 84000 0x1b36 0x0010 0x010802 84:00.0 borrowed
	mkconfig "$DEVS/83000/config"
	local pci=$SYS/devices/pci10000:80/10000:80:00.0/10000:84:00.0
	local ctrl=$pci/nvme/nvme1
	DISK=$ctrl/nvme1n1
	mknode "$ctrl" 246:1
	mknode "$ctrl/ng1n1" 245:1
	mknode "$DISK" 259:1
	mknode "$DISK/nvme1n1p1" 259:2
	mknode "$DISK/nvme1n1p2" 259:3
	mkdir -p "$DISK/holders" "$DISK/nvme1n1p1/holders" "$DISK/nvme1n1p2/holders"
	ln -s ../../../pci10000:80/10000:80:00.0/10000:84:00.0 \
		"$SYS/devices/platform/smartio/84000/pci_dev"

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

# The configuration space of the emulated fabric NVMe (QEMU 1b36:0010) as
# smartio read it before a borrow, in the format of lspci -xxxx.
CONFIG=$BATS_TEST_DIRNAME/nvme-1b36-0010.config

mkconfig() {	# mkconfig FILE: FILE holds the 4096 bytes of $CONFIG
	printf "$(sed 's/^[0-9a-f]*://; s/ /\\x/g' "$CONFIG" | tr -d '\n')" > "$1"
}

mknode() {	# mknode DIR MAJOR:MINOR: a device with a node in /dev
	mkdir -p "$1"
	echo "$2" > "$1/dev"
	printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\n' "${2%:*}" "${2#*:}" "${1##*/}" > "$1/uevent"
}

# on_write FILE SCRIPT: each write of FILE (with run_failing) first runs the
# shell commands SCRIPT, as the kernel acts on a write of the attribute.
on_write() {
	[ -e "$FAILWRITE" ] || skip "no gcc to build failwrite.so"
	printf '%s\n' "$2" > "$1.hook"
}

# mkborrowed FDID NAME [DELAY]: a write of FDID's borrow attribute makes
# its local PCI device 10000:NAME (the pci_dev link); DELAY seconds later
# (in the background) the nvme driver binds (the kernel's pci_driver) and
# makes controller nvme2 with disk nvme2n1 and its partition nvme2n1p1.
mkborrowed() {
	local pci=$SYS/devices/pci10000:80/10000:80:00.0/10000:$2
	local ctrl=$pci/nvme/nvme2 later
	later="mkdir -p '$SYS/bus/pci/drivers/nvme' '$ctrl/nvme2n1/nvme2n1p1' '$SYS/class/block' '$SYS/class/nvme'
		ln -s '$SYS/class/nvme' '$ctrl/subsystem'
		ln -s '$SYS/class/block' '$ctrl/nvme2n1/subsystem'
		ln -s '$SYS/class/block' '$ctrl/nvme2n1/nvme2n1p1/subsystem'
		echo 1 > '$ctrl/nvme2n1/nvme2n1p1/partition'
		ln -s '$SYS/bus/pci/drivers/nvme' '$pci/driver'
		echo nvme > '$DEVS/$1/pci_driver'"
	[ -z "${3:-}" ] || later="(sleep $3; $later) >/dev/null 2>&1 &"
	on_write "$DEVS/$1/borrow" "mkdir -p '$pci'
		ln -s '$pci' '$SYS/devices/platform/smartio/$1/pci_dev'
		echo borrowed > '$DEVS/$1/state'
		$later"
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

# A usage error: the same, with status 2.
assert_usage() {	# assert_usage MESSAGE (after a run --separate-stderr)
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "smartio_tool: $1" ]
}

@test "--help, -h and help list every command on stdout" {
	local h c
	for h in --help -h help; do
		run --separate-stderr "$TOOL" "$h"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		for c in scan "list [--json]" "show [--json] FDID" \
			 "lspci FDID [-n|-nn] [-v|-vv|-vvv] [-x|-xxx|-xxxx]" \
			 "borrow [--strict] [--no-wait] FDID" \
			 "return [-f|--force] [--strict] FDID" "config [NAME [VALUE]]" \
			 "adapters [--json]" help --version autoborrow_transparent; do
			[[ "$output" == *"$c"* ]]
		done
	done
	run "$TOOL" borrow --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: smartio_tool borrow [--strict] [--no-wait] FDID" ]]
}

@test "--version prints the version of the project" {
	run "$TOOL" --version
	[ "$status" -eq 0 ]
	[ "$output" = "smartio_tool $(cat "$BATS_TEST_DIRNAME/../../VERSION")" ]
}

@test "no command or an unknown one: one line on stderr, status 2" {
	run --separate-stderr "$TOOL"
	assert_usage "no command given (see smartio_tool --help)"
	run --separate-stderr "$TOOL" frobnicate
	assert_usage "unknown command: frobnicate (see smartio_tool --help)"
}

@test "wrong arguments print the command's usage as the error, status 2" {
	run --separate-stderr "$TOOL" scan now
	assert_usage "usage: smartio_tool scan"
	run --separate-stderr "$TOOL" list --yaml
	assert_usage "usage: smartio_tool list [--json] [-n|--noheadings] [--state STATE] [--adapter ADAPTER] [-d [VENDOR]:[DEVICE]]"
	run --separate-stderr "$TOOL" show
	assert_usage "usage: smartio_tool show [--json] FDID"
	run --separate-stderr "$TOOL" show --yaml 83000
	assert_usage "usage: smartio_tool show [--json] FDID"
	run --separate-stderr "$TOOL" show 83000 84000
	assert_usage "usage: smartio_tool show [--json] FDID"
	run --separate-stderr "$TOOL" lspci
	assert_usage "usage: smartio_tool lspci FDID [-n|-nn] [-v|-vv|-vvv] [-x|-xxx|-xxxx]"
	run --separate-stderr "$TOOL" lspci 83000 -k
	assert_usage "usage: smartio_tool lspci FDID [-n|-nn] [-v|-vv|-vvv] [-x|-xxx|-xxxx]"
	run --separate-stderr "$TOOL" lspci 83000 -s 00:01.0
	assert_usage "usage: smartio_tool lspci FDID [-n|-nn] [-v|-vv|-vvv] [-x|-xxx|-xxxx]"
	run --separate-stderr "$TOOL" borrow 83000 84000
	assert_usage "usage: smartio_tool borrow [--strict] [--no-wait] FDID"
	run --separate-stderr "$TOOL" borrow --now 83000
	assert_usage "usage: smartio_tool borrow [--strict] [--no-wait] FDID"
	run --separate-stderr "$TOOL" return
	assert_usage "usage: smartio_tool return [--force] [--strict] FDID"
	run --separate-stderr "$TOOL" return --now 84000
	assert_usage "usage: smartio_tool return [--force] [--strict] FDID"
	run --separate-stderr "$TOOL" config a b c
	assert_usage "usage: smartio_tool config [NAME [VALUE]]"
	run --separate-stderr "$TOOL" adapters all
	assert_usage "usage: smartio_tool adapters [--json]"
	run --separate-stderr "$TOOL" adapters --json --json
	assert_usage "usage: smartio_tool adapters [--json]"
	[ ! -s "$DEVS/83000/borrow" ]
}

@test "scan writes 1 to the bus scan attribute and reports each adapter" {
	run --separate-stderr "$TOOL" scan
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "adapter0: 2 devices, 0 new, 0 gone, link up" ]
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
	fail_write "$BUS/scan" "$EBUSY"
	run_failing scan
	assert_error "scan: failed with EBUSY"
}

@test "scan says per adapter how many devices the kernel's scan added and dropped" {
	# Behind adapter0, 85000 appears and 83000 vanishes; adapter1 has
	# its link down and keeps its device unscanned. The counts are the
	# kernel's (scan_added, scan_dropped), not the tool's.
	mkdev adapter1
	echo down > "$DEVS/adapter1/link"
	echo 3 > "$DEVS/adapter1/scan_added"
	echo 0 > "$DEVS/adapter1/scan_dropped"
	mkfdev 85000 0x1b36 0x0010 0x010802 85:00.0 available
	mkfdev 103000 0x1b36 0x0010 0x010802 03:00.0 available adapter1
	mv "$DEVS/85000" "$FAKE/85000.link"
	on_write "$BUS/scan" "mv '$FAKE/85000.link' '$DEVS/85000'; rm '$DEVS/83000'
		echo 1 > '$DEVS/adapter0/scan_added'; echo 1 > '$DEVS/adapter0/scan_dropped'
		echo 0 > '$DEVS/adapter1/scan_added'"
	run_failing scan
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "adapter0: 2 devices, 1 new, 1 gone, link up
adapter1: 1 device, 0 new, 0 gone, link down" ]
	[ "$(cat "$BUS/scan")" = 1 ]
	# What the next scan found, as the kernel says it.
	on_write "$BUS/scan" "echo 0 > '$DEVS/adapter0/scan_added'; echo 2 > '$DEVS/adapter0/scan_dropped'"
	rm "$DEVS/103000"
	run_failing scan
	[ "$output" = "adapter0: 2 devices, 0 new, 2 gone, link up
adapter1: 0 devices, 0 new, 0 gone, link down" ]
	# One device; adapters in the order of their numbers.
	mkdev adapter10
	echo up > "$DEVS/adapter10/link"
	mkfdev a03000 0x1b36 0x0010 0x010802 03:00.0 available adapter10
	rm "$DEVS/84000" "$BUS/scan.hook"
	run "$TOOL" scan
	[ "$output" = "adapter0: 1 device, 0 new, 2 gone, link up
adapter1: 0 devices, 0 new, 0 gone, link down
adapter10: 1 device, ? new, ? gone, link up" ]
}

@test "scan fails with the kernel's ENODEV (no adapter) or ENOLINK (every link down)" {
	rm "$DEVS/adapter0"
	fail_write "$BUS/scan" "$ENODEV"
	run_failing scan
	assert_error "scan: no adapter is bound (load the backend module of your adapters)"
	mkdev adapter0
	mkdev adapter1
	fail_write "$BUS/scan" "$ENOLINK"
	run_failing scan
	assert_error "scan: the link of every adapter is down (adapter0, adapter1)"
	# The kernel decides: an adapter whose link reads down is no reason
	# for the tool to refuse.
	rm "$BUS/scan.errno"
	echo down > "$DEVS/adapter0/link"
	echo 0 > "$DEVS/adapter1/scan_added"
	echo 0 > "$DEVS/adapter1/scan_dropped"
	echo up > "$DEVS/adapter1/link"
	run --separate-stderr "$TOOL" scan
	[ "$status" -eq 0 ]
	[ "$(cat "$BUS/scan")" = 1 ]
	[ "${lines[0]}" = "adapter0: 2 devices, 0 new, 0 gone, link down" ]
	[ "${lines[1]}" = "adapter1: 0 devices, 0 new, 0 gone, link up" ]
}

@test "list prints a header, then one Dolphin-style line per fabric device, not the adapters" {
	run --separate-stderr "$TOOL" list
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "FDID: CLASS VENDOR DEVICE [STATE LOCAL-ADDRESS] (ADAPTER)" ]
	[ "${lines[1]}" = "83000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available] (adapter0)" ]
	[ "${lines[2]}" = "84000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [borrowed 10000:84:00.0] (adapter0)" ]
	run "$TOOL" list --noheadings
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "83000: "* ]]
	run "$TOOL" list -n
	[ "${#lines[@]}" -eq 2 ]
}

@test "list filters by state, adapter and vendor:device, as lspci -d" {
	mkfdev 85000 0x8086 0x10d3 0x020000 85:00.0 available
	mkfdev 103000 0x1b36 0x0010 0x010802 03:00.0 available adapter1
	run "$TOOL" list -n --state borrowed
	[ "$output" = "84000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [borrowed 10000:84:00.0] (adapter0)" ]
	run "$TOOL" list -n --state=available --adapter adapter0
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "83000: "* && "${lines[1]}" == "85000: "* ]]
	run "$TOOL" list -n --adapter adapter1
	[[ "$output" == "103000: "* ]]
	run "$TOOL" list -n -d 8086:
	[[ "$output" == "85000: "* ]]
	run "$TOOL" list -n -d 1B36:10
	[ "${#lines[@]}" -eq 3 ]
	run "$TOOL" list -n -d :10d3
	[[ "$output" == "85000: "* ]]
	run "$TOOL" list --json --state borrowed
	[ "$(echo "$output" | jq -r '.[].fdid')" = 84000 ]
	run "$TOOL" list -d 8086:0000
	[ -z "$output" ]
	run --separate-stderr "$TOOL" list -d 8086
	assert_usage "usage: smartio_tool list [--json] [-n|--noheadings] [--state STATE] [--adapter ADAPTER] [-d [VENDOR]:[DEVICE]]"
	run --separate-stderr "$TOOL" list --state
	[ "$status" -eq 2 ]
}

@test "list names devices as lspci does, from SMARTIO_PCI_IDS or the system's" {
	local f ids=""
	for f in /usr/share/misc/pci.ids /usr/share/hwdata/pci.ids; do
		[ -r "$f" ] && { ids=$f; break; }
	done
	[ -n "$ids" ] || skip "no pci.ids on this system"
	# SMARTIO_PCI_IDS names what the system's database does not know.
	printf 'ee11  Fabric Vendor\n\t1234  Fabric Widget\n' > "$FAKE/pci.ids"
	mkfdev 85000 0xee11 0x1234 0x020000 85:00.0 available
	SMARTIO_PCI_IDS=$ids run "$TOOL" list -n
	[ "${lines[0]}" = "83000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available] (adapter0)" ]
	run "$TOOL" list -n
	[ "${lines[2]}" = "85000: Ethernet controller Fabric Vendor Fabric Widget [available] (adapter0)" ]
	# An unreadable SMARTIO_PCI_IDS falls through to the system's.
	SMARTIO_PCI_IDS=$FAKE/nonexistent run "$TOOL" list -n
	[ "${lines[0]}" = "83000: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available] (adapter0)" ]
	# Each name is exactly lspci's for the same IDs.
	[ "${lines[2]}" = "85000: $(printf '00:00.0 x\n00: 11 ee 34 12 00 00 00 00 00 00 00 02\n' |
		lspci -F /dev/stdin -mm | awk -F'"' '{ print $2, $4, $6 }') [available] (adapter0)" ]
}

@test "list falls back to hex ids where no database knows them, or without lspci" {
	mkfdev 86000 0xee11 0x1234 0xff0000 86:00.0 available
	SMARTIO_PCI_IDS=/dev/null run "$TOOL" list -n
	[ "$status" -eq 0 ]
	[ "${lines[2]}" = "86000: Unassigned class [ff00] Vendor ee11 Device 1234 [available] (adapter0)" ]
	# A PATH without lspci.
	mkdir "$BATS_TEST_TMPDIR/bin"
	for f in /usr/bin/* /bin/*; do
		[ "${f##*/}" = lspci ] || ln -sf "$f" "$BATS_TEST_TMPDIR/bin/"
	done
	PATH=$BATS_TEST_TMPDIR/bin run "$TOOL" list -n
	[ "${lines[0]}" = "83000: Class 0108 Vendor 1b36 Device 0010 [available] (adapter0)" ]
	[ "${lines[2]}" = "86000: Class ff00 Vendor ee11 Device 1234 [available] (adapter0)" ]
}

@test "list orders by fdid as a number" {
	mkfdev 103000 0x1b36 0x0010 0x010802 03:00.0 available adapter1
	mkfdev 9000 0x1b36 0x0010 0x010802 09:00.0 available
	run "$TOOL" list -n
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
	echo nvme > "$DEVS/84000/pci_driver"
	echo "borrow 3" > "$DEVS/84000/policy"
	echo nvme1n1 > "$DEVS/84000/in_use"
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
pci_driver: nvme
in_use: nvme1n1
policy: borrow 3
aperture_needed: 1064960
resources: 0 mem64 nopref 16384
resources: 2 mem64 pref 1048576
pci_dev: 10000:84:00.0" ]
	# No driver: an empty pci_driver, not shown.
	echo > "$DEVS/83000/pci_driver"
	run "$TOOL" show 83000
	[ "$status" -eq 0 ]
	[[ "$output" == *"state: available"* ]]
	[[ "$output" != *"pci_dev"* ]]
	[[ "$output" == *$'\npolicy: none\n'* ]]
}

@test "show --json is valid JSON, with numbers as numbers" {
	printf '0 mem64 nopref 16384\n2 mem64 pref 1048576\n' > "$DEVS/84000/resources"
	printf '0 16384 assigned\n2 1048576 assigned\n' > "$DEVS/84000/fit"
	echo 1064960 > "$DEVS/84000/aperture_needed"
	echo 52-54-00-ff-ff-12-34-56 > "$DEVS/84000/serial"
	echo nvme > "$DEVS/84000/pci_driver"
	run --separate-stderr "$TOOL" show --json 84000
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	echo "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d == {
    "description": "Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller",
    "fdid": "84000", "vendor": "0x1b36", "device": "0x0010",
    "subsystem_vendor": "0x1af4", "subsystem_device": "0x1100",
    "class": "0x010802", "adapter": "adapter0",
    "serial": "52-54-00-ff-ff-12-34-56",
    "remote_address": "84:00.0", "state": "borrowed",
    "pci_driver": "nvme", "in_use": None, "policy": "none",
    "aperture_needed": 1064960,
    "resources": [
        {"bar": 0, "type": "mem64", "prefetchable": False, "size": 16384},
        {"bar": 2, "type": "mem64", "prefetchable": True, "size": 1048576}],
    "fit": [{"bar": 0, "size": 16384, "state": "assigned"},
            {"bar": 2, "size": 1048576, "state": "assigned"}],
    "pci_dev": "10000:84:00.0"}, d
'
	# Unreadable attributes are null, an empty one an empty array; the
	# option goes before or after the fdid.
	rm "$DEVS/83000/vendor"
	echo 'x"y\z' > "$DEVS/83000/aperture_needed"
	: > "$DEVS/83000/resources"
	run --separate-stderr "$TOOL" show 83000 --json
	[ "$status" -eq 0 ]
	echo "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["vendor"] is None and d["fit"] is None and d["pci_dev"] is None, d
assert d["pci_driver"] is None, d
assert d["aperture_needed"] is None and d["resources"] == [], d
assert d["state"] == "available" and d["fdid"] == "83000", d
'
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

@test "a malformed fdid is a usage error, refused before sysfs is touched" {
	local id
	for id in zz 0x 83000x adapter0 1234567890abcdef0; do
		run --separate-stderr "$TOOL" show "$id"
		assert_usage "not a fabric device id: $id"
	done
	run --separate-stderr "$TOOL" show ""
	assert_usage "not a fabric device id: (empty)"
	run --separate-stderr "$TOOL" borrow ../83000
	assert_usage "not a fabric device id: ../83000"
	[ ! -s "$DEVS/83000/borrow" ]
}

@test "borrow writes 1 to the device's borrow attribute" {
	run --separate-stderr "$TOOL" borrow --no-wait 83000
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	[ "$(cat "$DEVS/83000/borrow")" = 1 ]
	[ "$(stat -c %s "$DEVS/83000/borrow")" -eq 1 ]
	[ ! -s "$DEVS/84000/borrow" ]
}

@test "borrow prints the local PCI address, the driver and the block devices" {
	mkborrowed 83000 83:00.0
	SMARTIO_BORROW_WAIT=10 run_failing borrow 83000
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "pci_dev: 10000:83:00.0
driver: nvme
block: nvme2n1" ]
	[ "$(cat "$DEVS/83000/borrow")" = 1 ]
}

@test "borrow waits for the driver and its devices, up to SMARTIO_BORROW_WAIT" {
	mkborrowed 83000 83:00.0 0.5
	SMARTIO_BORROW_WAIT=10 run_failing borrow 83000
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "pci_dev: 10000:83:00.0
driver: nvme
block: nvme2n1" ]
}

@test "borrow lists net, drm and framebuffer devices too, and stops waiting at the limit" {
	local pci=$SYS/devices/pci10000:80/10000:80:00.0/10000:83:00.0 d
	mkborrowed 83000 83:00.0 30
	mkdir -p "$pci/net/eth1" "$pci/drm/card1/card1-Virtual-1" "$pci/drm/renderD129" \
		"$pci/graphics/fb1" "$SYS/class/net" "$SYS/class/drm" "$SYS/class/graphics"
	ln -s "$SYS/class/net" "$pci/net/eth1/subsystem"
	# A connector is a drm class device without a device node: not listed.
	for d in card1 card1/card1-Virtual-1 renderD129; do
		ln -s "$SYS/class/drm" "$pci/drm/$d/subsystem"
	done
	echo 226:1 > "$pci/drm/card1/dev"
	echo 226:129 > "$pci/drm/renderD129/dev"
	ln -s "$SYS/class/graphics" "$pci/graphics/fb1/subsystem"
	echo 29:1 > "$pci/graphics/fb1/dev"
	SECONDS=0
	SMARTIO_BORROW_WAIT=1 run_failing borrow 83000
	[ "$status" -eq 0 ]
	[ "$SECONDS" -le 3 ]
	[ "$stderr" = "smartio_tool: borrow 83000: no driver bound to 10000:83:00.0 after 1 s" ]
	[ "$output" = "pci_dev: 10000:83:00.0
drm: card1
drm: renderD129
graphics: fb1
net: eth1" ]
}

@test "borrow waits 2 s for a driver, then up to the limit for its devices" {
	local pci=$SYS/devices/pci10000:80/10000:80:00.0/10000:83:00.0
	# No driver: a note after 2 s, not after SMARTIO_BORROW_WAIT.
	mkborrowed 83000 83:00.0 30
	SECONDS=0
	SMARTIO_BORROW_WAIT=10 run_failing borrow 83000
	[ "$status" -eq 0 ]
	[ "$SECONDS" -le 5 ]
	[ "$output" = "pci_dev: 10000:83:00.0" ]
	[ "$stderr" = "smartio_tool: borrow 83000: no driver bound to 10000:83:00.0 after 2 s" ]
	# A driver at once, its disk 3 s later: the disk of an NVMe
	# controller (or a SCSI host) is waited for.
	rm "$SYS/devices/platform/smartio/83000/pci_dev"
	mkdir -p "$SYS/bus/pci/drivers/nvme" "$SYS/class/nvme" "$pci/nvme/nvme2"
	ln -s "$SYS/class/nvme" "$pci/nvme/nvme2/subsystem"
	on_write "$DEVS/83000/borrow" "ln -s '$pci' '$SYS/devices/platform/smartio/83000/pci_dev'
		ln -s '$SYS/bus/pci/drivers/nvme' '$pci/driver'
		echo nvme > '$DEVS/83000/pci_driver'
		(sleep 3; mkdir -p '$pci/nvme/nvme2/nvme2n1' '$SYS/class/block'
		 ln -s '$SYS/class/block' '$pci/nvme/nvme2/nvme2n1/subsystem') >/dev/null 2>&1 &"
	rm "$FAKE/udevadm.args"
	SMARTIO_BORROW_WAIT=10 run_failing borrow 83000
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "pci_dev: 10000:83:00.0
driver: nvme
block: nvme2n1" ]
	# udev was let load the modules of the new device, then of what its
	# probe made.
	[ "$(cat "$FAKE/udevadm.args")" = "settle --timeout=10
settle --timeout=10" ]
}

# mkbound FDID DRIVER PROBE: a write of FDID's borrow attribute makes its
# local PCI device 10000:83:00.0 and DRIVER's "driver" link at once; PROBE
# seconds later the probe succeeds (pci_driver) and has made DRM card1.
mkbound() {
	local pci=$SYS/devices/pci10000:80/10000:80:00.0/10000:83:00.0

	mkdir -p "$SYS/bus/pci/drivers/$2" "$SYS/class/drm"
	on_write "$DEVS/$1/borrow" "mkdir -p '$pci'
		ln -s '$pci' '$SYS/devices/platform/smartio/$1/pci_dev'
		ln -s '$SYS/bus/pci/drivers/$2' '$pci/driver'
		(sleep $3; mkdir -p '$pci/drm/card1'
		 ln -s '$SYS/class/drm' '$pci/drm/card1/subsystem'
		 echo 226:1 > '$pci/drm/card1/dev'
		 echo $2 > '$DEVS/$1/pci_driver') >/dev/null 2>&1 &"
}

@test "borrow stops waiting when the probe is done, if no disks are to come" {
	local pci=$SYS/devices/pci10000:80/10000:80:00.0/10000:83:00.0
	# A driver that makes no block, net or DRM device (a GPU without
	# its DRM part, an accelerator): done with its probe.
	mkdir -p "$pci" "$SYS/bus/pci/drivers/nvidia"
	on_write "$DEVS/83000/borrow" "ln -s '$pci' '$SYS/devices/platform/smartio/83000/pci_dev'
		ln -s '$SYS/bus/pci/drivers/nvidia' '$pci/driver'
		echo nvidia > '$DEVS/83000/pci_driver'"
	SECONDS=0
	SMARTIO_BORROW_WAIT=30 run_failing borrow 83000
	[ "$status" -eq 0 ]
	[ "$SECONDS" -le 5 ]
	[ -z "$stderr" ]
	[ "$output" = "pci_dev: 10000:83:00.0
driver: nvidia" ]
}

@test "borrow waits for a probe in progress, up to the limit" {
	mkbound 83000 bochs-drm 1
	SMARTIO_BORROW_WAIT=10 run_failing borrow 83000
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "pci_dev: 10000:83:00.0
driver: bochs-drm
drm: card1" ]
	# A probe still running at the limit: said, with what it made so far.
	rm "$SYS/devices/platform/smartio/83000/pci_dev" "$DEVS/83000/pci_driver"
	rm -r "$SYS/devices/pci10000:80"
	mkbound 83000 bochs-drm 30
	SECONDS=0
	SMARTIO_BORROW_WAIT=3 run_failing borrow 83000
	[ "$status" -eq 0 ]
	[ "$SECONDS" -ge 3 ] && [ "$SECONDS" -le 6 ]
	[ "$output" = "pci_dev: 10000:83:00.0" ]
	[ "$stderr" = "smartio_tool: borrow 83000: bochs-drm still probing 10000:83:00.0 after 3 s" ]
}

@test "borrow --no-wait returns right after the write" {
	mkborrowed 83000 83:00.0 30
	SECONDS=0
	SMARTIO_BORROW_WAIT=10 run_failing borrow --no-wait 83000
	[ "$status" -eq 0 ]
	[ "$SECONDS" -le 1 ]
	[ -z "$stderr" ]
	[ "$output" = "pci_dev: 10000:83:00.0" ]
	# Without a pci_dev link it says nothing; waiting, it says so.
	run_failing borrow --no-wait 0x84000
	[ "$status" -eq 0 ]
	rm "$DEVS/83000/borrow.hook" "$SYS/devices/platform/smartio/83000/pci_dev"
	SMARTIO_BORROW_WAIT=1 run --separate-stderr "$TOOL" borrow 83000
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$stderr" = "smartio_tool: borrow 83000: no local PCI device after 1 s" ]
}

@test "SMARTIO_BORROW_WAIT must be a number of seconds" {
	local w
	for w in -1 1.5 ten 3601 0x10 007; do
		SMARTIO_BORROW_WAIT=$w run --separate-stderr "$TOOL" borrow 83000
		assert_usage "SMARTIO_BORROW_WAIT: not a number of seconds (0-3600): $w"
	done
	[ ! -s "$DEVS/83000/borrow" ]
}

@test "borrow of a borrowed device: success with a note, an error with --strict" {
	fail_write "$DEVS/84000/borrow" "$EBUSY"
	run_failing borrow 84000
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$stderr" = "smartio_tool: borrow 84000: already borrowed (local PCI device 10000:84:00.0); nothing to do" ]
	run_failing borrow --strict 84000
	assert_error "borrow 84000: already borrowed (local PCI device 10000:84:00.0)"
	# EBUSY for a device that is not borrowed (yet) stays an error.
	fail_write "$DEVS/83000/borrow" "$EBUSY"
	run_failing borrow 83000
	assert_error "borrow 83000: already borrowed"
}

@test "borrow: ENOSPC names the BARs the kernel has no room for, and the sizes" {
	# /dev/full fails every write with ENOSPC, as a real borrow would.
	rm "$DEVS/83000/borrow"
	ln -s /dev/full "$DEVS/83000/borrow"
	printf '0 16384 fits\n2 536870912 no-room\n' > "$DEVS/83000/fit"
	echo 536887296 > "$DEVS/83000/aperture_needed"
	run --separate-stderr "$TOOL" borrow 83000
	assert_error "borrow 83000: no room for BAR 2 (512 MiB); needs 512.02 MiB of aperture, adapter0 has 264 MiB; see the kernel log"

	# Two without room.
	printf '0 16384 no-room\n2 4294967296 no-room\n' > "$DEVS/83000/fit"
	run --separate-stderr "$TOOL" borrow 83000
	assert_error "borrow 83000: no room for BAR 0 (16 KiB), BAR 2 (4 GiB); needs 512.02 MiB of aperture, adapter0 has 264 MiB; see the kernel log"
	# Every BAR fits by the kernel's hint, yet the PCI core's sizing
	# found no room: the sizes only.
	printf '0 16384 fits\n2 268435456 fits\n' > "$DEVS/83000/fit"
	echo 10485760 > "$DEVS/adapter0/aperture_size"
	run --separate-stderr "$TOOL" borrow 83000
	assert_error "borrow 83000: needs 512.02 MiB of aperture, adapter0 has 10 MiB; see the kernel log"

	# Without sizes to show: the reason and where to look.
	rm "$DEVS/83000/aperture_needed"
	run --separate-stderr "$TOOL" borrow 83000
	assert_error "borrow 83000: its BARs do not fit in the aperture; see the kernel log"
}

@test "borrow: ENODEV, EINVAL, EOPNOTSUPP and EACCES have their own reasons" {
	fail_write "$DEVS/83000/borrow" 95
	run_failing borrow 83000
	assert_error "borrow 83000: not supported with the host's IOMMU on: it would block the device's DMA (see smartio(4))"
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

@test "return of an available device: success with a note, an error with --strict" {
	run_failing return 83000
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$stderr" = "smartio_tool: return 83000: not borrowed; nothing to do" ]
	[ ! -s "$DEVS/83000/return" ]
	fail_write "$DEVS/83000/return" "$EINVAL"
	run_failing return --strict 83000
	assert_error "return 83000: not borrowed"
	fail_write "$DEVS/84000/return" "$EACCES"
	run_failing return 84000
	assert_error "return 84000: permission denied (are you root?)"
}

@test "a return the kernel refuses as in use names the disk from in_use, and says what to do" {
	fail_write "$DEVS/84000/return" "$EBUSY"
	echo nvme1n1 > "$DEVS/84000/in_use"
	run_failing return 84000
	assert_error "return 84000: nvme1n1 is in use; unmount it, swapoff, remove its device-mapper or md holders or stop the processes that have it open first or use --force"
	# A module that does not name it.
	rm "$DEVS/84000/in_use"
	run_failing return 84000
	assert_error "return 84000: a disk below it is in use; unmount it, swapoff, remove its device-mapper or md holders or stop the processes that have it open first or use --force"
}

@test "return --force (or -f) writes force: the kernel returns the device whatever uses it" {
	local f
	for f in --force -f; do
		: > "$DEVS/84000/return"
		run --separate-stderr "$TOOL" return $f 84000
		[ "$status" -eq 0 ]
		[ -z "$output$stderr" ]
		[ "$(cat "$DEVS/84000/return")" = force ]
	done
	: > "$DEVS/84000/return"
	run "$TOOL" return 84000 --force
	[ "$status" -eq 0 ]
	[ "$(cat "$DEVS/84000/return")" = force ]
}

# stub_fuser: fuser prints the pids in $FAKE/fuser/<node with "/" as "_">
# and logs its arguments to $FAKE/fuser.args.
stub_fuser() {
	mkdir -p "$FAKE/fuser"
	printf '#!/bin/bash\necho "$*" >> %s/fuser.args\nfor f; do cat "%s/fuser/${f//\\//_}" 2>/dev/null; done\n' \
		"$FAKE" "$FAKE" > "$FAKE/bin/fuser"
	chmod +x "$FAKE/bin/fuser"
}

@test "return asks fuser about the character devices only, and is refused while a process has one open" {
	stub_fuser
	run "$TOOL" return 84000
	[ "$status" -eq 0 ]
	[ "$(cat "$DEVS/84000/return")" = 1 ]
	# The controller and its generic namespace: the disks are the kernel's.
	[ "$(tr ' ' '\n' < "$FAKE/fuser.args" | sort | tr '\n' ' ')" = "/dev/ng1n1 /dev/nvme1 " ]
	: > "$DEVS/84000/return"
	sleep 100 & local pid=$!
	echo " $pid" > "$FAKE/fuser/_dev_nvme1"
	echo " $pid" > "$FAKE/fuser/_dev_ng1n1"
	run --separate-stderr "$TOOL" return 84000
	kill $pid
	assert_error "return 84000: /dev/nvme1 is open in process $pid (sleep), /dev/ng1n1 is open in process $pid (sleep); stop the processes first or use --force"
	[ ! -s "$DEVS/84000/return" ]
	rm "$FAKE/fuser.args"
	run "$TOOL" return -f 84000
	[ "$status" -eq 0 ]
	[ "$(cat "$DEVS/84000/return")" = force ]
	[ ! -e "$FAKE/fuser.args" ]
}

@test "without fuser the open check refuses, and says --force goes ahead" {
	local c
	mkdir "$FAKE/minbin"
	for c in bash cat find sort readlink tr mktemp; do
		ln -s "$(command -v $c)" "$FAKE/minbin/$c"
	done
	PATH=$FAKE/minbin run --separate-stderr "$FAKE/minbin/bash" "$TOOL" return 84000
	assert_error "return 84000: cannot tell whether its devices are open without fuser (install psmisc); use --force to go ahead"
	[ ! -s "$DEVS/84000/return" ]
	PATH=$FAKE/minbin run "$FAKE/minbin/bash" "$TOOL" return --force 84000
	[ "$status" -eq 0 ]
	[ "$(cat "$DEVS/84000/return")" = force ]
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

@test "config also lists, reads and sets the module's writable parameters" {
	local P=$SYS/module/smartio/parameters
	mkdir -p "$P"
	echo 200 > "$P/hotplug_poll_ms"
	echo 0 > "$P/button_cancel_ms"
	run --separate-stderr "$TOOL" config
	[ "$status" -eq 0 ]
	[ "$output" = "autoborrow_transparent=0
hotplug_poll_ms=200
button_cancel_ms=0" ]
	run --separate-stderr "$TOOL" config button_cancel_ms 5000
	[ "$status" -eq 0 ]
	[ "$(cat "$P/button_cancel_ms")" = 5000 ]
	run "$TOOL" config hotplug_poll_ms
	[ "$output" = 200 ]
	fail_write "$P/hotplug_poll_ms" "$EINVAL"
	run_failing config hotplug_poll_ms 60001
	assert_usage "config hotplug_poll_ms: invalid value '60001' (use milliseconds, 0 to 60000)"
}

@test "config: an invalid value or an unknown setting is refused" {
	fail_write "$BUS/autoborrow_transparent" "$EINVAL"
	run_failing config autoborrow_transparent 2
	assert_usage "config autoborrow_transparent: invalid value '2' (use 0 or 1)"
	fail_write "$BUS/autoborrow_transparent" "$ERANGE"
	run_failing config autoborrow_transparent 99999999999
	assert_usage "config autoborrow_transparent: invalid value '99999999999' (use 0 or 1)"
	fail_write "$BUS/autoborrow_transparent" "$EACCES"
	run_failing config autoborrow_transparent 1
	assert_error "config autoborrow_transparent: permission denied (are you root?)"
	[ "$(cat "$BUS/autoborrow_transparent")" = 0 ]
	run --separate-stderr "$TOOL" config frob
	assert_usage "unknown setting: frob (settings: autoborrow_transparent hotplug_poll_ms button_cancel_ms)"
	run --separate-stderr "$TOOL" config scan 1
	assert_usage "unknown setting: scan (settings: autoborrow_transparent hotplug_poll_ms button_cancel_ms)"
	[ ! -s "$BUS/scan" ]
}

@test "adapters lists backend, domain, buses, aperture and link" {
	run --separate-stderr "$TOOL" adapters
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "adapter0: emul domain 10000 buses 80-84 aperture 264 MiB link up" ]
}

@test "adapters --json is valid JSON, with numbers as numbers" {
	echo 16384 > "$DEVS/adapter0/aperture_used"
	echo 276807680 > "$DEVS/adapter0/aperture_free"
	mkdev adapter1
	echo 'emul "2"' > "$DEVS/adapter1/backend"
	echo down > "$DEVS/adapter1/link"
	run --separate-stderr "$TOOL" adapters --json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	echo "$output" | python3 -c '
import json, sys
a = json.load(sys.stdin)
assert a == [
    {"name": "adapter0", "backend": "emul", "domain": "10000",
     "bus_range": "80-84",
     "aperture": [
         {"type": "mem", "start": "0xc0000000", "end": "0xc07fffff"},
         {"type": "pref", "start": "0x800000000", "end": "0x80fffffff"}],
     "aperture_size": 276824064, "aperture_used": 16384,
     "aperture_free": 276807680, "link": "up"},
    {"name": "adapter1", "backend": "emul \"2\"", "domain": None,
     "bus_range": None, "aperture": None, "aperture_size": None,
     "aperture_used": None, "aperture_free": None, "link": "down"}], a
'
	rm "$DEVS/adapter0" "$DEVS/adapter1"
	run "$TOOL" adapters --json
	[ "$output" = "[]" ]
	run "$TOOL" adapters
	[ -z "$output" ]
}

# The dump lspci -F reads of the fixture: a line naming the device at ADDR,
# then the fixture itself.
fixture_lspci() {	# fixture_lspci ADDR LSPCI-OPTIONS...
	local addr=$1
	shift
	{ echo "$addr x"; cat "$CONFIG"; } > "$BATS_TEST_TMPDIR/fixture.dump"
	lspci -F "$BATS_TEST_TMPDIR/fixture.dump" -i "$SMARTIO_PCI_IDS" "$@" 2>/dev/null
}

@test "lspci shows an available device as lspci does, at its future address" {
	command -v lspci >/dev/null || skip "lspci not installed"
	[ "$(stat -c %s "$DEVS/83000/config")" -eq 4096 ]
	run --separate-stderr "$TOOL" lspci 83000
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "10000:83:00.0 Non-Volatile memory controller: Red Hat, Inc. QEMU NVM Express Controller (rev 02)" ]
	run --separate-stderr "$TOOL" lspci 0x83000 -n
	[ "$output" = "10000:83:00.0 0108: 1b36:0010 (rev 02)" ]
	run --separate-stderr "$TOOL" lspci -vv 83000
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[0]}" = "10000:83:00.0 Non-Volatile memory controller: Red Hat, Inc. QEMU NVM Express Controller (rev 02) (prog-if 02 [NVM Express])" ]
	[[ "$output" == *$'\n\tCapabilities: [40] MSI-X: Enable- Count=65 Masked-\n'* ]]
	[[ "$output" == *$'\n\tCapabilities: [80] Express (v2) Endpoint, MSI 00\n'* ]]
	[[ "$output" == *$'\n\tCapabilities: [60] Power Management version 3\n'* ]]
	[ "$output" = "$(fixture_lspci 10000:83:00.0 -vv)" ]
	# Nothing was borrowed.
	[ ! -s "$DEVS/83000/borrow" ]
	[ "$(cat "$DEVS/83000/state")" = available ]
}

@test "lspci passes each option on; -xxxx prints the 4096 bytes of config" {
	local o
	command -v lspci >/dev/null || skip "lspci not installed"
	for o in -nn -v -vvv -x -xxx "-vv -nn" "-v -xxx"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$TOOL" lspci 83000 $o
		[ "$status" -eq 0 ]
		# shellcheck disable=SC2086
		[ "$output" = "$(fixture_lspci 10000:83:00.0 $o)" ]
	done
	run --separate-stderr "$TOOL" lspci 83000 -xxxx
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 257 ]
	[ "$(printf '%s\n' "${lines[@]:1}")" = "$(cat "$CONFIG")" ]
}

@test "lspci without the adapter's domain shows the remote address" {
	command -v lspci >/dev/null || skip "lspci not installed"
	rm "$DEVS/adapter0/domain"
	run --separate-stderr "$TOOL" lspci 83000
	[ "$status" -eq 0 ]
	[ "$output" = "83:00.0 Non-Volatile memory controller: Red Hat, Inc. QEMU NVM Express Controller (rev 02)" ]
}

@test "lspci failures name the device" {
	mkdir "$FAKE/empty" "$FAKE/tmp"
	export TMPDIR=$FAKE/tmp
	run --separate-stderr env PATH="$FAKE/empty" "$TOOL" lspci 83000
	assert_error "lspci 83000: lspci not found (install pciutils)"
	command -v lspci >/dev/null || skip "lspci not installed"
	run --separate-stderr "$TOOL" lspci 84000
	assert_error "lspci 84000: cannot read its configuration space: no such attribute (a smartio module without it?)"
	mkdir "$DEVS/84000/config"
	run --separate-stderr "$TOOL" lspci 84000
	assert_error "lspci 84000: cannot read its configuration space: Is a directory"
	rmdir "$DEVS/84000/config"
	head -c 32 "$DEVS/83000/config" > "$DEVS/84000/config"
	run --separate-stderr "$TOOL" lspci 84000
	assert_error "lspci 84000: its configuration space is 32 bytes, not 4096"
	head -c 4096 /dev/zero | tr '\0' '\377' > "$DEVS/84000/config"
	run --separate-stderr "$TOOL" lspci 84000
	assert_error "lspci 84000: the device does not answer (its configuration space reads all ones)"
	echo 84:00 > "$DEVS/84000/remote_address"
	run --separate-stderr "$TOOL" lspci 84000
	assert_error "lspci 84000: no remote address (remote_address: '84:00')"
	run --separate-stderr "$TOOL" lspci 12345 -vv
	assert_error "no such fabric device: 0x12345"
	# No temporary file is left behind, whatever the outcome.
	run "$TOOL" lspci 83000 -vv
	[ "$status" -eq 0 ]
	run "$TOOL" lspci 83000 -xxxx
	[ "$(compgen -G "$TMPDIR/smartio_tool.*")" = "" ]
}

@test "every failure of a command on a device names the device" {
	local c
	fail_write "$DEVS/83000/borrow" "$EACCES"
	fail_write "$DEVS/84000/return" "$EACCES"
	for c in "borrow 83000" "borrow --strict 83000" "return 84000" "lspci 84000"; do
		# shellcheck disable=SC2086
		run_failing $c
		[ "$status" -eq 1 ]
		[[ "$stderr" == "smartio_tool: "*" ${c##* }: "* ]]
	done
	for c in show "show --json" borrow return lspci; do
		# shellcheck disable=SC2086
		run --separate-stderr "$TOOL" $c 0x9999
		assert_error "no such fabric device: 0x9999"
	done
}

@test "every command says so when the module is not loaded" {
	local c
	rm -rf "$BUS"
	for c in scan list "list --json" "show 83000" "show --json 83000" \
		 "lspci 83000" "lspci 83000 -vv" "borrow 83000" "return 83000" \
		 "return --force 83000" config "config autoborrow_transparent" \
		 "config autoborrow_transparent 1" adapters "adapters --json"; do
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
	run "$TOOL" show --json 84000
	run "$TOOL" lspci 83000 -vv
	run "$TOOL" lspci 83000 -xxxx
	run "$TOOL" adapters
	run "$TOOL" adapters --json
	run "$TOOL" config
	run "$TOOL" config autoborrow_transparent
	after=$(cd "$FAKE" && find . -exec ls -ld --time-style=+%s.%N {} + | sort)
	[ "$before" = "$after" ]
}

# A policy file for apply; its lines are the arguments.
mkpolicy() {
	POLICY_FILE=$FAKE/policy
	printf '%s\n' "$@" > "$POLICY_FILE"
}

# The kernel's decisions: decide FDID "borrow LINE" | "ignore LINE" | none.
decide() {
	echo "$2" > "$DEVS/$1/policy"
}

# A dmesg whose last autoborrow_policy line is $1.
fake_dmesg() {
	mkdir -p "$FAKE/bin"
	printf '#!/bin/sh\necho "[ 1.0] smartio: scan"\necho "[ 2.0] smartio: autoborrow_policy %s"\n' \
		"$1" > "$FAKE/bin/dmesg"
	chmod +x "$FAKE/bin/dmesg"
}

@test "apply --dry-run says what the kernel would do, borrows nothing, and puts the loaded policy back" {
	local before after
	mkfdev 85000 0x8086 0x10d2 0x020000 85:00.0 available
	echo "borrow vendor=1b36" > "$BUS/autoborrow_policy"
	mkpolicy "# lab chassis" "ignore vendor=0x8086   # the NIC stays" "borrow class=0x0108*"
	decide 83000 "borrow 3"
	decide 84000 "borrow 3"
	decide 85000 "ignore 2"
	# What the kernel holds as each write opens it: the file while the
	# tool read the decisions.
	on_write "$BUS/autoborrow_policy" "cat '$BUS/autoborrow_policy' >> '$BATS_TEST_TMPDIR/loaded'"
	before=$(cd "$FAKE" && find . ! -name 'autoborrow_policy*' \
		-exec ls -ld --time-style=+%s.%N {} + | sort)
	run_failing apply --dry-run --policy "$POLICY_FILE"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "83000: would borrow (line 3)
84000: already borrowed (line 3)
85000: ignored (line 2)" ]
	after=$(cd "$FAKE" && find . ! -name 'autoborrow_policy*' \
		-exec ls -ld --time-style=+%s.%N {} + | sort)
	[ "$before" = "$after" ]
	[ "$(cat "$BATS_TEST_TMPDIR/loaded")" = "borrow vendor=1b36
$(cat "$POLICY_FILE")" ]
	[ "$(cat "$BUS/autoborrow_policy")" = "borrow vendor=1b36" ]
}

@test "apply loads the file, scans, and borrows what each device's policy attribute says" {
	mkfdev 85000 0x8086 0x10d2 0x020000 85:00.0 available
	mkfdev 86000 0x1b36 0x0010 0x010802 86:00.0 available
	mkborrowed 83000 83:00.0
	mkpolicy "ignore fdid=0x086000" "borrow class=0108* adapter=adapter0"
	decide 83000 "borrow 2"
	decide 84000 "borrow 2"
	decide 86000 "ignore 1"
	SMARTIO_POLICY=$POLICY_FILE run_failing apply
	[ "$status" -eq 0 ]
	[ "$output" = "83000: borrowed as 10000:83:00.0 (line 2)
84000: already borrowed (line 2)
85000: no rule matches; left as it is
86000: ignored (line 1)" ]
	[ "$(cat "$BUS/scan")" = 1 ]
	[ "$(cat "$DEVS/83000/borrow")" = 1 ]
	[ ! -s "$DEVS/85000/borrow" ]
	[ ! -s "$DEVS/86000/borrow" ]
	# The kernel gets the file as it is: its lines are the rules' numbers.
	cmp "$POLICY_FILE" "$BUS/autoborrow_policy"
}

@test "apply with every link down: the kernel's scan refusal is a note, the policy applies to the pool as it is" {
	mkpolicy "borrow vendor=1b36"
	decide 83000 "borrow 1"
	decide 84000 "borrow 1"
	mkborrowed 83000 83:00.0
	fail_write "$BUS/scan" "$ENOLINK"
	SMARTIO_POLICY=$POLICY_FILE run_failing apply
	[ "$status" -eq 0 ]
	[ "$stderr" = "smartio_tool: apply: scan: the link of every adapter is down (adapter0)" ]
	[ "$output" = "83000: borrowed as 10000:83:00.0 (line 1)
84000: already borrowed (line 1)" ]
	fail_write "$BUS/scan" "$EBUSY"
	SMARTIO_POLICY=$POLICY_FILE run_failing apply
	assert_error "apply: scan: failed with EBUSY"
}

@test "apply does no matching of its own: the kernel's decision stands whatever the file looks like" {
	# A rule the kernel reads differently from a shell ([^0] is not a
	# negation in glob_match()): the tool reports the kernel's reading.
	mkpolicy "borrow class=[^0]*" "ignore"
	decide 83000 "ignore 2"
	run --separate-stderr "$TOOL" apply --dry-run --policy "$POLICY_FILE" 83000
	[ "$status" -eq 0 ]
	[ "$output" = "83000: ignored (line 2)" ]
	decide 83000 none
	run --separate-stderr "$TOOL" apply --dry-run --policy "$POLICY_FILE" 83000
	[ "$output" = "83000: no rule matches; left as it is" ]
	# Nothing in the tool knows the keys or the pattern syntax.
	! grep -qE 'POLICY_KEYS|policy_match|glob' "$TOOL"
}

@test "policy loads, shows and clears the kernel's autoborrow filter" {
	mkpolicy "# lab" "ignore vendor=0x8086  # NICs stay" "" "borrow class=0x0108*"
	run --separate-stderr "$TOOL" policy
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$stderr" = "smartio_tool: no autoborrow policy loaded: autoborrow takes every available device" ]
	SMARTIO_POLICY=$POLICY_FILE run_failing policy load
	[ "$status" -eq 0 ]
	[ "$output" = "autoborrow policy: 2 rules from $POLICY_FILE" ]
	cmp "$POLICY_FILE" "$BUS/autoborrow_policy"
	# show prints what the kernel shows.
	printf '\nignore vendor=8086\n\nborrow class=0108*\n' > "$BUS/autoborrow_policy"
	run --separate-stderr "$TOOL" policy show
	[ "$status" -eq 0 ]
	[ "$output" = "
ignore vendor=8086

borrow class=0108*" ]
	# Loading it changes only the filter: nothing is scanned or borrowed.
	[ ! -s "$BUS/scan" ]
	[ ! -s "$DEVS/83000/borrow" ]
	run_failing policy clear
	[ "$status" -eq 0 ]
	[ "$output" = "autoborrow policy cleared: autoborrow takes every available device" ]
	[ -z "$(cat "$BUS/autoborrow_policy")" ]
	mkpolicy "# nothing yet"
	run_failing policy load --policy "$POLICY_FILE"
	[ "$output" = "autoborrow policy: 0 rules from $POLICY_FILE" ]
}

@test "policy: a policy the kernel refuses fails with the kernel's reason, naming the line; usage errors" {
	mkpolicy "borrow class=0108*"
	fake_dmesg "line 65: more than 64 rules"
	fail_write "$BUS/autoborrow_policy" "$E2BIG"
	PATH=$FAKE/bin:$PATH run_failing policy load --policy "$POLICY_FILE"
	assert_error "$POLICY_FILE: too large for the kernel's autoborrow filter: line 65: more than 64 rules (64 rules and 4 KiB at most)"
	# apply stops before it scans or borrows anything.
	PATH=$FAKE/bin:$PATH run_failing apply --policy "$POLICY_FILE"
	assert_error "$POLICY_FILE: too large for the kernel's autoborrow filter: line 65: more than 64 rules (64 rules and 4 KiB at most)"
	[ ! -s "$BUS/scan" ]
	[ ! -s "$DEVS/83000/borrow" ]
	fake_dmesg "line 4: unknown key 'colour' (class, vendor, device, serial, adapter, fdid)"
	fail_write "$BUS/autoborrow_policy" "$EINVAL"
	PATH=$FAKE/bin:$PATH run_failing apply --dry-run --policy "$POLICY_FILE"
	assert_error "$POLICY_FILE: refused by the kernel's autoborrow filter: line 4: unknown key 'colour' (class, vendor, device, serial, adapter, fdid)"
	fail_write "$BUS/autoborrow_policy" "$EACCES"
	run_failing policy clear
	assert_error "policy clear: permission denied (are you root?)"
	rm "$BUS/autoborrow_policy.errno"
	run --separate-stderr "$TOOL" apply --policy "$FAKE/none"
	assert_error "apply: no policy file $FAKE/none (see smartio_tool(8))"
	run --separate-stderr "$TOOL" apply --policy
	[ "$status" -eq 2 ]
	for args in "frob" "show --policy x" "load --policy" "clear now"; do
		# shellcheck disable=SC2086 # the words are the arguments
		run --separate-stderr "$TOOL" policy $args
		assert_usage "usage: smartio_tool policy [show | load [--policy FILE] | clear]"
	done
}

@test "apply with a module without autoborrow_policy or the policy attribute says to update it" {
	mkpolicy "borrow vendor=1b36"
	rm "$DEVS/83000/policy"
	run_failing apply --policy "$POLICY_FILE" 83000
	assert_error "apply: this smartio module has no policy attribute: update it"
	[ ! -s "$DEVS/83000/borrow" ]
	rm "$BUS/autoborrow_policy"
	run_failing apply --policy "$POLICY_FILE" 83000
	assert_error "apply: this smartio module has no autoborrow_policy: update it"
}

@test "apply FDID applies the policy to that device only" {
	mkfdev 86000 0x1b36 0x0010 0x010802 86:00.0 available
	mkpolicy "borrow vendor=1B36"
	decide 83000 "borrow 1"
	decide 86000 "borrow 1"
	run_failing apply --policy "$POLICY_FILE" 0x86000
	[ "$status" -eq 0 ]
	[ "$output" = "86000: borrowed (line 1)" ]
	[ "$(cat "$DEVS/86000/borrow")" = 1 ]
	[ ! -s "$DEVS/83000/borrow" ]
	[ ! -s "$BUS/scan" ]
}

@test "apply: a borrow that fails names the device and fails the command" {
	mkpolicy "borrow"
	decide 83000 "borrow 1"
	decide 84000 "borrow 1"
	fail_write "$DEVS/83000/borrow" "$ENODEV"
	run_failing apply --policy "$POLICY_FILE"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "84000: already borrowed (line 1)" ]
	[[ "$stderr" == "smartio_tool: apply 83000: borrow failed: "*"
smartio_tool: apply: some borrows failed (see above)" ]]
}

@test "COMMAND -h prints that command's usage; --opt=value and -- work" {
	run --separate-stderr "$TOOL" return -h
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: smartio_tool return [-f|--force] [--strict] FDID" ]
	[ "${lines[1]}" = "    give a borrowed device back; refused while in use, unless --force" ]
	[ "${#lines[@]}" -eq 2 ]
	! grep -q "borrow \[" <<< "$output"
	run --separate-stderr "$TOOL" config --help
	[ "${lines[0]}" = "usage: smartio_tool config [NAME [VALUE]]" ]
	[[ "${lines[1]}" == "    print every setting, print one or set one"* ]]
	run --separate-stderr "$TOOL" frob -h
	assert_usage "unknown command: frob (see smartio_tool --help)"
	# Every command of --help has its own -h.
	cmds=$("$TOOL" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p' | grep -v '^help$')
	[ "$(wc -w <<< "$cmds")" -eq 15 ]
	for c in $cmds; do
		run "$TOOL" "$c" -h
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "usage: smartio_tool $c"* ]]
	done
	mkfdev 86000 0x1b36 0x0010 0x010802 86:00.0 available
	mkpolicy "borrow vendor=1b36"
	decide 86000 "borrow 1"
	run_failing apply --policy="$POLICY_FILE" -- 86000
	[ "$status" -eq 0 ]
	[ "$output" = "86000: borrowed (line 1)" ]
	run --separate-stderr "$TOOL" list --json=yes
	assert_usage "usage: smartio_tool list [--json] [-n|--noheadings] [--state STATE] [--adapter ADAPTER] [-d [VENDOR]:[DEVICE]]"
}

# procs ARGS...: how many processes the tool starts for "smartio_tool ARGS".
procs() {
	strace -f -qq -e trace=clone,clone3,fork,vfork -o "$BATS_TEST_TMPDIR/strace" \
		"$TOOL" "$@" > /dev/null
	grep -cE '^[0-9]+ +(clone|clone3|fork|vfork)\(' "$BATS_TEST_TMPDIR/strace"
}

@test "list and list --json start as many processes for 100 devices as for 2" {
	local few many i json_few
	command -v strace || skip "no strace (scripts/deps.sh)"
	few=$(procs list)
	json_few=$(procs list --json)
	for i in $(seq 100 197); do
		mkfdev "${i}000" 0x8086 0x10d3 0x020000 "$((i % 256)):00.0" available
	done
	[ "$("$TOOL" list -n | wc -l)" -eq 100 ]
	[ "$("$TOOL" list --json | grep -c '"fdid"')" -eq 100 ]
	many=$(procs list)
	echo "list: $few processes for 2 devices, $many for 100"
	[ "$few" -eq "$many" ]
	many=$(procs list --json)
	echo "list --json: $json_few processes for 2 devices, $many for 100"
	[ "$json_few" -eq "$many" ]
}

@test "monitor prints one line per pool event, from udevadm" {
	mkdir -p "$FAKE/bin"
	# udevadm monitor --kernel --property, as it prints two events.
	cat > "$FAKE/bin/udevadm" <<-'EOF'
	#!/bin/sh
	[ "$*" = "monitor --kernel --property --subsystem-match=smartio" ] || exit 9
	printf 'monitor will print the received events for:\nKERNEL - the kernel uevent\n\n'
	printf 'KERNEL[12.5] add      /devices/smartio/adapter0/83000 (smartio)\nACTION=add\nDEVPATH=/devices/smartio/adapter0/83000\nSUBSYSTEM=smartio\nSMARTIO_FDID=83000\nSMARTIO_ADAPTER=adapter0\nPCI_ID=1B36:0010\nPCI_CLASS=010802\nSEQNUM=1\n\n'
	printf 'KERNEL[13.0] change   /devices/smartio/adapter0/83000 (smartio)\nACTION=change\nDEVPATH=/devices/smartio/adapter0/83000\nSUBSYSTEM=smartio\nSMARTIO_STATE=borrowed\nSMARTIO_FDID=83000\nSMARTIO_ADAPTER=adapter0\nPCI_ID=1B36:0010\nPCI_CLASS=010802\n\n'
	printf 'KERNEL[14.0] change   /devices/smartio/adapter0 (smartio)\nACTION=change\nDEVPATH=/devices/smartio/adapter0\nSUBSYSTEM=smartio\nSMARTIO_AUTOBORROW=1\n\n'
	printf 'KERNEL[15.0] change   /devices/smartio/adapter0 (smartio)\nACTION=change\nDEVPATH=/devices/smartio/adapter0\nSUBSYSTEM=smartio\nSMARTIO_SLOT=85:00.0\nSMARTIO_SLOT_POWER=off\nSEQNUM=4\n\n'
	printf 'KERNEL[16.0] change   /devices/smartio/adapter0 (smartio)\nACTION=change\nDEVPATH=/devices/smartio/adapter0\nSUBSYSTEM=smartio\nSMARTIO_SLOT=85:00.0\nSMARTIO_SLOT_POWER=on\n\n'
	EOF
	chmod +x "$FAKE/bin/udevadm"
	PATH=$FAKE/bin:$PATH run --separate-stderr "$TOOL" monitor
	[ "$status" -eq 0 ]
	[ "$output" = "add 83000 adapter=adapter0 fdid=83000 pci_id=1B36:0010 pci_class=010802
change 83000 adapter=adapter0 fdid=83000 state=borrowed pci_id=1B36:0010 pci_class=010802
change adapter0 autoborrow=1
change adapter0 slot=85:00.0 slot_power=off
change adapter0 slot=85:00.0 slot_power=on" ]
	# --json: one object a line, every variable of smartio's by its name.
	PATH=$FAKE/bin:$PATH run --separate-stderr "$TOOL" monitor --json
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "$(jq -c . <<< "${lines[1]}")" = '{"action":"change","device":"83000","adapter":"adapter0","fdid":"83000","state":"borrowed","pci_id":"1B36:0010","pci_class":"010802"}' ]
	[ "$(jq -r '.slot + " " + .slot_power' <<< "${lines[3]}")" = "85:00.0 off" ]
	[ "$(jq -r .autoborrow <<< "${lines[2]}")" = 1 ]
	run --separate-stderr "$TOOL" monitor now
	[ "$status" -eq 2 ]
}

@test "slots lists each adapter's hot-plug slots; slot-power-on writes the slot's address" {
	mkdev adapter1
	printf '82:00.0 on\n85:00.0 held\n' > "$DEVS/adapter0/slots"
	: > "$DEVS/adapter0/slot_power_on"
	printf '02:01.0 pending\n' > "$DEVS/adapter1/slots"
	run --separate-stderr "$TOOL" slots
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "adapter0 82:00.0 on
adapter0 85:00.0 held
adapter1 02:01.0 pending" ]
	run --separate-stderr "$TOOL" slot-power-on adapter0 85:00.0
	[ "$status" -eq 0 ]
	[ "$(cat "$DEVS/adapter0/slot_power_on")" = 85:00.0 ]
	run --separate-stderr "$TOOL" slot-power-on adapter1 02:01.0
	assert_error "slot-power-on: no such adapter: adapter1"
	run --separate-stderr "$TOOL" slot-power-on adapter0
	assert_usage "usage: smartio_tool slot-power-on ADAPTER SLOT"
	run --separate-stderr "$TOOL" slots now
	assert_usage "usage: smartio_tool slots"
	[ -e "$FAILWRITE" ] || skip "no gcc to build failwrite.so"
	fail_write "$DEVS/adapter0/slot_power_on" "$ENODEV"
	run_failing slot-power-on adapter0 86:00.0
	assert_error "slot-power-on adapter0 86:00.0: no hot-plug slot there, or the link is down (see smartio_tool slots)"
	fail_write "$DEVS/adapter0/slot_power_on" "$EINVAL"
	run_failing slot-power-on adapter0 86:00
	assert_usage "slot-power-on: not a slot address: 86:00 (as slots prints it, e.g. 82:00.0)"
}

@test "the tool benchmark prints a row per device count and what a device adds" {
	run env BENCH_TOOL_DEVICES="2 4" BENCH_TOOL_RUNS=1 \
		"$BATS_TEST_DIRNAME/../../scripts/bench/tool.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" == "devices "*"list ms"*"scan ms" ]]
	[[ "${lines[1]}" =~ ^2\ +[0-9]+\ +[0-9]+\ +[0-9]+\ +[0-9]+$ ]]
	[[ "${lines[2]}" =~ ^4\ +[0-9]+\ +[0-9]+\ +[0-9]+\ +[0-9]+$ ]]
	[[ "${lines[3]}" =~ ^\+1\ dev(\ +-?[0-9]+\.[0-9]{2}){4}$ ]]
}
