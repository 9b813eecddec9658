#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# smartio_tool against the real module, inside the QEMU guest booted with
# the "basic" topology: one NVMe behind the emulated adapter's switch, one
# empty hot-plug slot, and a native NVMe in domain 0000. smartio_tool is on
# PATH (/smartio/bin); the modules are /smartio/smartio.ko and
# /smartio/smartio_emul.ko.
#
# The suite leaves the guest as it found it: it loads the module only if
# it is not loaded (and then unloads it), restores autoborrow_transparent,
# returns what it borrowed and borrows again what was borrowed before.

bats_require_minimum_version 1.5.0

SIO=/sys/bus/smartio
MNT=/mnt/smartio-tool

setup_file() {
	LOADED_HERE=0
	if [ ! -d $SIO ]; then
		insmod /smartio/smartio.ko
		insmod /smartio/smartio_emul.ko
		LOADED_HERE=1
	fi
	AUTOBORROW_BEFORE=$(cat $SIO/autoborrow_transparent)
	BORROWED_BEFORE=$(borrowed_fdids)
	export LOADED_HERE AUTOBORROW_BEFORE BORROWED_BEFORE
	echo 0 > $SIO/autoborrow_transparent
	echo 1 > $SIO/scan

	FDID=$(nvme_fdid)
	[ -n "$FDID" ] || { echo "no fabric NVMe (class 0x010802) in the pool" >&2; return 1; }
	export FDID
	# The tests start from an available NVMe.
	if [ "$(cat $SIO/devices/"$FDID"/state)" = borrowed ]; then
		echo 1 > $SIO/devices/"$FDID"/return
	fi
}

teardown() {
	if grep -q " $MNT " /proc/mounts; then
		umount $MNT 2>/dev/null || umount -l $MNT
	fi
	echo 0 > $SIO/autoborrow_transparent
	return_ours
}

teardown_file() {
	local f

	[ -d $SIO ] || return 0
	return_ours
	echo "$AUTOBORROW_BEFORE" > $SIO/autoborrow_transparent
	for f in $BORROWED_BEFORE; do
		[ "$(cat $SIO/devices/"$f"/state 2>/dev/null)" = borrowed ] ||
			echo 1 > $SIO/devices/"$f"/borrow
	done
	if [ "$LOADED_HERE" = 1 ]; then
		rmmod smartio_emul
		rmmod smartio
	fi
}

# The fdids of the borrowed fabric devices, one a line.
borrowed_fdids() {
	local d

	for d in "$SIO"/devices/*; do
		[ -e "$d/fdid" ] || continue
		[ "$(cat "$d/state")" = borrowed ] && cat "$d/fdid"
	done
	return 0
}

# The number of fabric devices in the pool.
pool_size() {
	local d n=0

	for d in "$SIO"/devices/*; do
		[ -e "$d/fdid" ] && n=$((n + 1))
	done
	echo $n
}

# Returns every borrowed device that was not borrowed before the suite.
return_ours() {
	local f

	for f in $(borrowed_fdids); do
		grep -qxF "$f" <<<"$BORROWED_BEFORE" && continue
		echo 1 > $SIO/devices/"$f"/return
	done
}

# The fdid of the fabric NVMe, found by its class in smartio_tool list --json.
nvme_fdid() {
	smartio_tool list --json | jq -r '.[] | select(.class == "0x010802") | .fdid'
}

state() {
	cat $SIO/devices/"$FDID"/state
}

# Waits up to 10 s for the namespace block device of the borrowed NVMe;
# prints /dev/<name> once its sysfs path is below the pci_dev link.
wait_blockdev() {
	local pci b i

	pci=$(readlink -f $SIO/devices/"$FDID"/pci_dev) || return 1
	for i in $(seq 100); do
		for b in /sys/class/block/nvme*n[0-9]; do
			[ -e "$b" ] || continue
			case "$(readlink -f "$b")" in
			"$pci"/*)
				if [ -b "/dev/${b##*/}" ]; then
					echo "/dev/${b##*/}"
					return 0
				fi ;;
			esac
		done
		[ "$i" -lt 100 ] && sleep 0.1
	done
	echo "no block device below $pci after 10 s" >&2
	return 1
}

# lspci -Dn lines of 1b36:0010 devices in a synthetic domain (>= 0x10000).
fabric_lspci() {
	lspci -Dn | grep -E '^[0-9a-f]{5,}:' | grep ' 1b36:0010' || true
}

# The lines of lspci -vv output that do not depend on the kernel: without
# BAR sizes and the driver and module lines.
lspci_comparable() {
	sed -e 's/ \[size=[^]]*\]$//' -e "/^${TAB}Kernel driver in use:/d" \
		-e "/^${TAB}Kernel modules:/d"
}

# The identity and capability list of lspci -vv output, without what a
# driver changes (enable bits and the like).
lspci_caps() {
	grep -E "^[0-9a-f]|^${TAB}(Subsystem|Capabilities):" |
		sed "s/^\(${TAB}Capabilities: \[[0-9a-f]*\] [^:,]*\).*/\1/"
}

TAB=$'\t'

# The local PCI address the fabric NVMe has once borrowed.
future_address() {
	local a

	a=$(cat $SIO/devices/"$FDID"/adapter)
	echo "$(cat $SIO/devices/"$a"/domain):$(cat $SIO/devices/"$FDID"/remote_address)"
}

@test "--help lists every command" {
	local c
	run --separate-stderr smartio_tool --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	for c in scan list show lspci borrow --no-wait return --force config adapters --json --version; do
		[[ "$output" == *"$c"* ]]
	done
}

@test "scan then list shows exactly the fabric NVMe, available" {
	run --separate-stderr smartio_tool scan
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# setup_file scanned already: nothing is new.
	[ "$output" = "adapter0: 1 device, 0 new, 0 gone, link up" ]
	run --separate-stderr smartio_tool list
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "FDID: CLASS VENDOR DEVICE [STATE LOCAL-ADDRESS] (ADAPTER)" ]
	[ "${lines[1]}" = "$FDID: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [available] (adapter0)" ]
	[ "$(cat $SIO/devices/"$FDID"/remote_address)" = 83:00.0 ]
}

@test "list --json agrees with sysfs" {
	local f k n=0 d
	run --separate-stderr smartio_tool list --json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	for f in $(jq -r '.[].fdid' <<< "$output"); do
		d=$SIO/devices/$f
		[ -e "$d/fdid" ]
		for k in fdid vendor device class adapter remote_address state; do
			[ "$(jq -r ".[] | select(.fdid == \"$f\") | .$k" <<< "$output")" = "$(cat "$d/$k")" ]
		done
		[ "$(jq ".[] | select(.fdid == \"$f\") | .pci_dev" <<< "$output")" = null ]
		n=$((n + 1))
	done
	[ "$n" -eq "$(pool_size)" ]
	[ "$n" -eq 1 ]
}

@test "show prints every attribute of the device" {
	local a
	run --separate-stderr smartio_tool show "0x$FDID"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	for a in fdid vendor device subsystem_vendor subsystem_device class adapter \
		 remote_address state policy aperture_needed resources fit; do
		[[ "$output" == *"$a: $(head -n1 $SIO/devices/"$FDID"/$a)"* ]]
	done
	[[ "$output" == *"vendor: 0x1b36"* ]]
	[[ "$output" != *"pci_dev:"* ]]
	# No driver while available: pci_driver is empty, and not shown.
	[ -z "$(cat $SIO/devices/"$FDID"/pci_driver)" ]
	[[ "$output" != *"pci_driver:"* ]]
}

@test "borrow makes a local NVMe in a synthetic domain; borrow again is a no-op, an error with --strict" {
	local addr dom blk out
	run --separate-stderr smartio_tool borrow "$FDID"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	out=("${lines[@]}")
	[ "$(state)" = borrowed ]
	[ -L $SIO/devices/"$FDID"/pci_dev ]
	addr=$(basename "$(readlink $SIO/devices/"$FDID"/pci_dev)")
	dom=$(cat $SIO/devices/"$(cat $SIO/devices/"$FDID"/adapter)"/domain)
	[ $((16#$dom)) -ge $((0x10000)) ]
	[ "$addr" = "$dom:$(cat $SIO/devices/"$FDID"/remote_address)" ]

	run fabric_lspci
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "$addr 0108: 1b36:0010"* ]]

	blk=$(wait_blockdev)
	[ -b "$blk" ]
	# borrow printed the address, the driver and the disk.
	[ "${#out[@]}" -eq 3 ]
	[ "${out[0]}" = "pci_dev: $addr" ]
	[ "${out[1]}" = "driver: nvme" ]
	[ "${out[2]}" = "block: ${blk#/dev/}" ]

	run smartio_tool show "$FDID"
	[[ "$output" == *"state: borrowed"* ]]
	[[ "$output" == *"pci_driver: nvme"* ]]
	[[ "$output" == *"pci_dev: $addr"* ]]
	run smartio_tool list --json
	[ "$(jq -r '.[0].pci_dev' <<< "$output")" = "$addr" ]
	run smartio_tool list -n --state borrowed
	[ "${lines[0]}" = "$FDID: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [borrowed $addr] (adapter0)" ]

	run --separate-stderr smartio_tool borrow "$FDID"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$stderr" = "smartio_tool: borrow $FDID: already borrowed (local PCI device $addr); nothing to do" ]
	run --separate-stderr smartio_tool borrow --strict "$FDID"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "smartio_tool: borrow $FDID: already borrowed (local PCI device $addr)" ]
	[ "$(state)" = borrowed ]
	[ "$(basename "$(readlink $SIO/devices/"$FDID"/pci_dev)")" = "$addr" ]
}

@test "borrow --no-wait returns after the write with the PCI address" {
	run --separate-stderr smartio_tool borrow --no-wait "$FDID"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[0]}" = "pci_dev: $(future_address)" ]
	[ "$(state)" = borrowed ]
	wait_blockdev > /dev/null
}

@test "lspci shows an available device as lspci shows it once borrowed" {
	local addr avail tool live
	addr=$(future_address)
	run --separate-stderr smartio_tool lspci "$FDID" -vv
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	avail=$output
	[[ "${lines[0]}" == "$addr Non-Volatile memory controller: Red Hat, Inc. QEMU NVM Express Controller (rev 02)"* ]]
	[[ "$avail" == *$'\n\tCapabilities: [80] Express (v2) Endpoint, MSI 00\n'* ]]
	# It borrowed nothing.
	[ "$(state)" = available ]
	[ ! -e $SIO/devices/"$FDID"/pci_dev ]
	run lspci -D -s "$addr"
	[ -z "$output" ]

	smartio_tool borrow "$FDID"
	wait_blockdev > /dev/null
	[ "$(basename "$(readlink $SIO/devices/"$FDID"/pci_dev)")" = "$addr" ]
	live=$(lspci -s "$addr" -vv)
	[[ "$live" == *"Kernel driver in use: nvme"* ]]
	# Borrowed: the same lines, but for the BAR sizes and the driver.
	tool=$(smartio_tool lspci "$FDID" -vv)
	[ "$(lspci_comparable <<<"$tool")" = "$(lspci_comparable <<<"$live")" ]
	# Available before: the same identity and capabilities.
	[ "$(lspci_caps <<<"$avail")" = "$(lspci_caps <<<"$live")" ]
	[ "$(lspci_caps <<<"$avail" | wc -l)" -ge 5 ]
	# -xxxx: the 4096 bytes the PCI core reads.
	[ "$(smartio_tool lspci "$FDID" -xxxx | sed 1d)" = "$(lspci -s "$addr" -xxxx | sed 1d)" ]
}

@test "show --json and adapters --json carry numbers as numbers" {
	local d=$SIO/devices/$FDID a=$SIO/devices/adapter0
	run --separate-stderr smartio_tool show --json "$FDID"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(jq -r .fdid <<< "$output")" = "$FDID" ]
	[ "$(jq .aperture_needed <<< "$output")" = "$(cat $d/aperture_needed)" ]
	[ "$(jq -c .resources <<< "$output")" = '[{"bar":0,"type":"mem64","prefetchable":false,"size":16384}]' ]
	[ "$(jq -c .fit <<< "$output")" = '[{"bar":0,"size":16384,"state":"fits"}]' ]
	[ "$(jq .pci_dev <<< "$output")" = null ]
	run --separate-stderr smartio_tool adapters --json
	[ "$status" -eq 0 ]
	[ "$(jq length <<< "$output")" -eq 1 ]
	[ "$(jq -r '.[0] | "\(.name) \(.backend) \(.domain)"' <<< "$output")" = "adapter0 emul $(cat $a/domain)" ]
	[ "$(jq -r '.[0] | "\(.aperture_size) \(.aperture_used) \(.aperture_free) \(.link)"' <<< "$output")" = "$(cat $a/aperture_size) $(cat $a/aperture_used) $(cat $a/aperture_free) up" ]
}

@test "return is refused by the kernel while mounted, works after umount; again it is a no-op" {
	local addr blk
	smartio_tool borrow "$FDID"
	addr=$(basename "$(readlink $SIO/devices/"$FDID"/pci_dev)")
	blk=$(wait_blockdev)
	mkfs.ext4 -F -q "$blk"
	mkdir -p $MNT
	mount "$blk" $MNT
	echo data > $MNT/file

	run --separate-stderr smartio_tool return "$FDID"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "smartio_tool: return $FDID: ${blk#/dev/} is in use; unmount it, swapoff, remove its device-mapper or md holders or stop the processes that have it open first or use --force" ]
	[ "$(state)" = borrowed ]
	[ "$(cat $MNT/file)" = data ]
	# The kernel refuses: a plain write does not get past it either.
	run sh -c "echo 1 > $SIO/devices/$FDID/return"
	[ "$status" -ne 0 ]
	[ "$(state)" = borrowed ]
	[ "$(cat $SIO/devices/"$FDID"/in_use)" = "${blk#/dev/}" ]

	umount $MNT
	run --separate-stderr smartio_tool return "$FDID"
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	[ "$(state)" = available ]
	[ ! -e $SIO/devices/"$FDID"/pci_dev ]
	run lspci -D -s "$addr"
	[ -z "$output" ]
	run fabric_lspci
	[ -z "$output" ]
	[ ! -e "/sys/class/block/${blk#/dev/}" ]

	run --separate-stderr smartio_tool return "$FDID"
	[ "$status" -eq 0 ]
	[ "$stderr" = "smartio_tool: return $FDID: not borrowed; nothing to do" ]
	run --separate-stderr smartio_tool return --strict "$FDID"
	[ "$status" -eq 1 ]
	[ "$stderr" = "smartio_tool: return $FDID: not borrowed" ]
	[ "$(state)" = available ]
}

@test "return --force returns a mounted device" {
	local blk
	smartio_tool borrow "$FDID"
	blk=$(wait_blockdev)
	mkfs.ext4 -F -q "$blk"
	mkdir -p $MNT
	mount "$blk" $MNT
	run --separate-stderr smartio_tool return --force "$FDID"
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	[ "$(state)" = available ]
	umount -l $MNT
}

@test "config autoborrow_transparent 1 then scan borrows the NVMe" {
	run --separate-stderr smartio_tool config
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "autoborrow_transparent=0" ]
	# The module's writable parameters, as the kernel has them.
	[ "${lines[1]}" = "hotplug_poll_ms=$(cat /sys/module/smartio/parameters/hotplug_poll_ms)" ]
	[ "${lines[2]}" = "button_cancel_ms=$(cat /sys/module/smartio/parameters/button_cancel_ms)" ]
	[ "${#lines[@]}" -eq 3 ]
	run --separate-stderr smartio_tool config autoborrow_transparent 1
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	[ "$(cat $SIO/autoborrow_transparent)" = 1 ]
	run smartio_tool config autoborrow_transparent
	[ "$output" = 1 ]
	run smartio_tool config
	[ "${lines[0]}" = "autoborrow_transparent=1" ]

	run smartio_tool scan
	[ "$status" -eq 0 ]
	[ "$(state)" = borrowed ]
	[ -L $SIO/devices/"$FDID"/pci_dev ]
	run smartio_tool list -n
	[ "${lines[0]}" = "$FDID: Non-Volatile memory controller Red Hat, Inc. QEMU NVM Express Controller [borrowed $(basename "$(readlink $SIO/devices/"$FDID"/pci_dev)")] (adapter0)" ]
	wait_blockdev > /dev/null

	run --separate-stderr smartio_tool config autoborrow_transparent 2
	[ "$status" -eq 2 ]
	[ "$stderr" = "smartio_tool: config autoborrow_transparent: invalid value '2' (use 0 or 1)" ]
	[ "$(smartio_tool config autoborrow_transparent)" = 1 ]

	run smartio_tool config autoborrow_transparent 0
	[ "$status" -eq 0 ]
	[ "$(cat $SIO/autoborrow_transparent)" = 0 ]
	run smartio_tool return "$FDID"
	[ "$status" -eq 0 ]
	[ "$(state)" = available ]
	# A scan without autoborrow leaves it in the pool.
	run smartio_tool scan
	[ "$(state)" = available ]
}

@test "unknown and malformed fdids fail with a one-line reason" {
	run --separate-stderr smartio_tool borrow 0xfffff
	[ "$status" -eq 1 ]
	[ "$stderr" = "smartio_tool: no such fabric device: 0xfffff" ]
	run --separate-stderr smartio_tool show FFFFF
	[ "$status" -eq 1 ]
	[ "$stderr" = "smartio_tool: no such fabric device: 0xfffff" ]
	run --separate-stderr smartio_tool return nope
	[ "$status" -eq 2 ]
	[ "$stderr" = "smartio_tool: not a fabric device id: nope" ]
	run --separate-stderr smartio_tool borrow adapter0
	[ "$status" -eq 2 ]
	[ "$stderr" = "smartio_tool: not a fabric device id: adapter0" ]
	# The same device by an upper-case id with 0X.
	run smartio_tool show "0X${FDID^^}"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fdid: $FDID"* ]]
	[ "$(state)" = available ]
}

@test "adapters shows the synthetic domain and the aperture" {
	local a=$SIO/devices/adapter0
	run --separate-stderr smartio_tool adapters
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "${lines[0]}" == "adapter0: emul domain $(cat $a/domain) buses $(cat $a/bus_range) aperture "*" MiB link up" ]]
}

@test "apply borrows what the policy says, once; --dry-run only says it" {
	local p=$BATS_TEST_TMPDIR/policy
	printf '%s\n' "# test policy" "ignore class=0x0200*" "borrow class=0x0108* adapter=adapter0" > "$p"
	run --separate-stderr smartio_tool apply --dry-run --policy "$p"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$FDID: would borrow (line 3)"* ]]
	[ "$(state)" = available ]
	SMARTIO_POLICY=$p run --separate-stderr smartio_tool apply
	[ "$status" -eq 0 ]
	[[ "$output" == *"$FDID: borrowed as 10000:"*" (line 3)"* ]]
	[ "$(state)" = borrowed ]
	wait_blockdev > /dev/null
	# Again: nothing to do.
	run --separate-stderr smartio_tool apply --policy "$p" "$FDID"
	[ "$status" -eq 0 ]
	[ "$output" = "$FDID: already borrowed (line 3)" ]
	# A policy error: the kernel's reason names its line; nothing borrowed.
	smartio_tool return "$FDID"
	printf '%s\n' "borrow class=0x0108*" "borrow bus=83" > "$p"
	run --separate-stderr smartio_tool apply --policy "$p"
	[ "$status" -eq 1 ]
	[ "$stderr" = "smartio_tool: $p: refused by the kernel's autoborrow filter: line 2: unknown key 'bus' (class, vendor, device, serial, adapter, fdid)" ]
	[ "$(state)" = available ]
}

# apply_refused POLICY-FILE REASON: apply --dry-run and apply both fail
# with the kernel's REASON, the rules loaded before stay, nothing borrowed.
apply_refused() {
	local before
	before=$(cat $SIO/autoborrow_policy)
	for dry in --dry-run ""; do
		# shellcheck disable=SC2086 # an empty $dry is no argument
		run --separate-stderr smartio_tool apply $dry --policy "$1"
		[ "$status" -eq 1 ]
		[[ "$stderr" == "smartio_tool: $1: "*": $2"* ]]
		[ "$(cat $SIO/autoborrow_policy)" = "$before" ]
		[ "$(state)" = available ]
	done
}

@test "the kernel alone matches the policy: what a shell reads otherwise, and the limits, fail at --dry-run already" {
	local p=$BATS_TEST_TMPDIR/policy i
	smartio_tool policy clear > /dev/null
	printf '%s\n' "borrow class=[^0]*" > "$p"
	apply_refused "$p" "line 1: class= has '[^': write '[!' to negate a set"
	printf '%s\n' "# a comment" "borrow fdid=$(printf 'f%.0s' {1..64})" > "$p"
	apply_refused "$p" "line 2: fdid= needs a pattern of 1 to 63 characters"
	printf '%s\n' "ignore" "" "borrow$(printf ' class=*%.0s' {1..9})" > "$p"
	apply_refused "$p" "line 3: more than 8 matches"
	for i in $(seq 65); do echo "ignore fdid=$i"; done > "$p"
	apply_refused "$p" "line 65: more than 64 rules"
	# The kernel's negation works, and the tool reports the kernel's
	# decision by the line in the file; a dry run puts the rules back.
	printf '%s\n' "# NICs and the like stay" "ignore class=[!0]*" "" "borrow vendor=0x1B36" > "$p"
	run --separate-stderr smartio_tool apply --dry-run --policy "$p" "$FDID"
	[ "$status" -eq 0 ]
	[ "$output" = "$FDID: would borrow (line 4)" ]
	[ -z "$(cat $SIO/autoborrow_policy)" ]
	[ "$(cat $SIO/devices/$FDID/policy)" = none ]
	run --separate-stderr smartio_tool policy load --policy "$p"
	[ "$output" = "autoborrow policy: 2 rules from $p" ]
	[ "$(cat $SIO/devices/$FDID/policy)" = "borrow 4" ]
	# Each rule on its line of the file.
	[ "$(cat $SIO/autoborrow_policy)" = "
ignore class=[!0]*

borrow vendor=1b36" ]
	smartio_tool policy clear > /dev/null
	[ "$(state)" = available ]
}

@test "monitor prints the pool's events as they happen" {
	local log=$BATS_TEST_TMPDIR/monitor.log pid i
	(setsid smartio_tool monitor > "$log" 2>&1 < /dev/null & echo $! > "$BATS_TEST_TMPDIR/monitor.pid")
	sleep 1
	smartio_tool borrow --no-wait "$FDID" > /dev/null
	wait_blockdev > /dev/null
	smartio_tool return "$FDID"
	for i in $(seq 100); do
		grep -q "^change $FDID .*state=available" "$log" && break
		sleep 0.1
	done
	pid=$(cat "$BATS_TEST_TMPDIR/monitor.pid")
	kill -- -"$pid" 2> /dev/null || kill "$pid"
	cat "$log"
	grep -qx "change $FDID adapter=adapter0 fdid=$FDID .*state=borrowed pci_id=1B36:0010 pci_class=010802" "$log"
	grep -qx "change $FDID adapter=adapter0 fdid=$FDID .*state=available pci_id=1B36:0010 pci_class=010802" "$log"
	[ "$(grep -c . "$log")" -ge 2 ]
}
