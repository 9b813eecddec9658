#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The bash completion of smartio_tool (scripts/completion/smartio_tool) on a
# fake sysfs tree: commands, options, settings and the fdids in sysfs.

setup() {
	SYS=$BATS_TEST_TMPDIR/sys
	local d=$SYS/devices/smartio f
	mkdir -p "$SYS/bus/smartio/devices" "$d/adapter0"
	for f in 83000:available 84000:borrowed 85010:available; do
		mkdir -p "$d/${f%:*}"
		echo "${f#*:}" > "$d/${f%:*}/state"
	done
	for f in adapter0 83000 84000 85010; do
		ln -s "../../../devices/smartio/$f" "$SYS/bus/smartio/devices/$f"
	done
	export SMARTIO_SYSFS=$SYS
	# shellcheck source=/dev/null
	. "$BATS_TEST_DIRNAME/../../scripts/completion/smartio_tool"
}

# comp WORD...: complete the last word of "smartio_tool WORD..."; prints
# the candidates sorted, on one line.
comp() {
	COMP_WORDS=(smartio_tool "$@")
	COMP_CWORD=$#
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	_smartio_tool
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

@test "completion is registered for smartio_tool" {
	run complete -p smartio_tool
	[ "$status" -eq 0 ]
	[[ "$output" == *"-F _smartio_tool smartio_tool"* ]]
}

@test "the first word completes to the commands and top-level options" {
	[ "$(comp "")" = "--help --version -h adapters adopt apply borrow config help list lspci monitor policy release return scan show slot-power-on slots" ]
	[ "$(comp b)" = "borrow" ]
	[ "$(comp --v)" = "--version" ]
}

@test "every command of --help is completed" {
	help=$("$BATS_TEST_DIRNAME/../../scripts/smartio_tool" --help)
	all=" $(comp "") "
	for c in $(sed -n '/^Commands:/,/^$/p' <<< "$help" | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p'); do
		[[ "$all" == *" $c "* ]] || { echo "missing $c"; false; }
	done
}

@test "show completes every fdid in sysfs, not the adapters, and --json" {
	[ "$(comp show "")" = "--json 83000 84000 85010" ]
	[ "$(comp show 8)" = "83000 84000 85010" ]
	[ "$(comp show 85)" = "85010" ]
	[ "$(comp show --json "")" = "--json 83000 84000 85010" ]
	[ "$(comp show 83000 "")" = "" ]
}

@test "lspci completes every fdid, then the lspci options" {
	[ "$(comp lspci "")" = "83000 84000 85010" ]
	[ "$(comp lspci 84)" = "84000" ]
	[ "$(comp lspci 83000 "")" = "-n -nn -v -vv -vvv -x -xxx -xxxx" ]
	[ "$(comp lspci 83000 -vv -x)" = "-x -xxx -xxxx" ]
	[ "$(comp lspci -v)" = "-v -vv -vvv" ]
}

@test "borrow completes the available fdids, return the borrowed ones, and their options" {
	[ "$(comp borrow "")" = "--no-wait --strict 83000 85010" ]
	[ "$(comp borrow 8)" = "83000 85010" ]
	[ "$(comp return "")" = "--force --strict 84000" ]
	[ "$(comp return --force "")" = "--force --strict 84000" ]
	[ "$(comp return 84000 "")" = "" ]
}

@test "adopt completes the ports pcieport drives, release the adopted ones" {
	local p=$SMARTIO_SYSFS/bus/pci/drivers
	mkdir -p "$p/pcieport/0000:00:04.0" "$p/pcieport/0000:00:05.0" \
		"$p/smartio_port/0000:00:06.0"
	touch "$p/pcieport/bind" "$p/smartio_port/unbind"
	[ "$(comp adopt "")" = "--force 0000:00:04.0 0000:00:05.0" ]
	[ "$(comp release "")" = "--force 0000:00:06.0" ]
	[ "$(comp release 0000:00:06.0 "")" = "" ]
}

@test "fdids follow the sysfs tree: a new device is completed, a gone one is not" {
	rm "$SMARTIO_SYSFS/bus/smartio/devices/83000"
	mkdir -p "$SMARTIO_SYSFS/bus/smartio/devices/86000"
	echo available > "$SMARTIO_SYSFS/bus/smartio/devices/86000/state"
	[ "$(comp borrow 8)" = "85010 86000" ]
}

@test "list completes its options, states and adapters, config its settings and values" {
	[ "$(comp list "")" = "--adapter --json --noheadings --state -d -n" ]
	[ "$(comp list --state "")" = "available borrowed" ]
	[ "$(comp list --json --adapter "")" = "adapter0" ]
	[ "$(comp adapters "")" = "--json" ]
	[ "$(comp adapters --json "")" = "--json" ]
	[ "$(comp config "")" = "autoborrow_transparent button_cancel_ms hotplug_poll_ms" ]
	[ "$(comp config autoborrow_transparent "")" = "0 1" ]
	[ "$(comp config hotplug_poll_ms "")" = "" ]
	[ "$(comp config autoborrow_transparent 1 "")" = "" ]
}

@test "apply completes its options and the available fdids, --policy a file; monitor --json" {
	local avail
	avail=$(comp borrow "" | tr ' ' '\n' | grep -v '^--' | paste -sd' ')
	[ "$(comp apply "" | tr ' ' '\n' | grep -v '^--' | paste -sd' ')" = "$avail" ]
	[[ " $(comp apply "") " == *" --dry-run --policy "* ]]
	: > "$BATS_TEST_TMPDIR/policy.lab"
	[ "$(comp apply --policy "$BATS_TEST_TMPDIR/policy.l")" = "$BATS_TEST_TMPDIR/policy.lab" ]
	[ "$(comp monitor "")" = "--json" ]
}

@test "policy completes its subcommands, and --policy a file after load" {
	[ "$(comp policy "")" = "clear load show" ]
	[ "$(comp policy load "")" = "--policy" ]
	[ "$(comp policy show "")" = "" ]
	: > "$BATS_TEST_TMPDIR/policy.lab"
	[ "$(comp policy load --policy "$BATS_TEST_TMPDIR/policy.l")" = "$BATS_TEST_TMPDIR/policy.lab" ]
}

@test "no fdid is completed without the smartio module" {
	rm -rf "$SMARTIO_SYSFS/bus/smartio"
	[ "$(comp show "")" = "--json" ]
	[ "$(comp lspci "")" = "" ]
	[ "$(comp borrow "")" = "--no-wait --strict" ]
}

@test "slot-power-on completes the adapters, then their held slots; slots nothing" {
	printf '82:00.0 on\n85:00.0 held\n86:00.0 held\n' > "$SYS/devices/smartio/adapter0/slots"
	[ "$(comp slot-power-on "")" = "adapter0" ]
	[ "$(comp slot-power-on adapter0 "")" = "85:00.0 86:00.0" ]
	[ "$(comp slot-power-on adapter0 85:00.0 "")" = "" ]
	[ "$(comp slots "")" = "" ]
}
