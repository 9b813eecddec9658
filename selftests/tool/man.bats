#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side: the man pages smartio_tool(8) and smartio(4) are lint-clean
# (mandoc -T lint: every warning, error and style message fails) and in
# step with what they document: smartio_tool --help, the sysfs ABI file and
# the module parameters.

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
MAN=$TOP/Documentation/man

# A page as text, without the overstrike of bold and underline.
render() {
	mandoc -T ascii "$1" | col -b
}

@test "mandoc -T lint reports nothing on the man pages" {
	command -v mandoc || skip "mandoc not installed (scripts/deps.sh)"
	run mandoc -T lint -W style "$MAN/smartio_tool.8" "$MAN/smartio.4"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "every command and option of smartio_tool --help is in smartio_tool(8)" {
	command -v mandoc || skip "mandoc not installed (scripts/deps.sh)"
	page=$(render "$MAN/smartio_tool.8")
	help=$("$TOP/scripts/smartio_tool" --help)
	# Commands: the first word of each entry of the "Commands:" list.
	cmds=$(sed -n '/^Commands:/,/^$/p' <<< "$help" | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p')
	opts=$(grep -oE '(^|[ [,])--?[a-z][a-z-]*' <<< "$help" | tr -d ' [,' | sort -u)
	[ "$(wc -w <<< "$cmds")" -ge 7 ]
	[ "$(wc -w <<< "$opts")" -ge 4 ]
	missing=""
	for w in $cmds; do
		grep -qE "^       smartio_tool $w( |$)" <<< "$page" || missing="$missing $w"
	done
	for w in $opts; do
		grep -qE "(^|[ |[])$w([ ]|,|]|$|\|)" <<< "$page" || missing="$missing $w"
	done
	echo "missing from smartio_tool(8):$missing"
	[ -z "$missing" ]
}

@test "every command and option of smartio_tool(8)'s synopsis is in smartio_tool --help" {
	command -v mandoc || skip "mandoc not installed (scripts/deps.sh)"
	syn=$(render "$MAN/smartio_tool.8" | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | grep '^       smartio_tool ')
	help=$("$TOP/scripts/smartio_tool" --help)
	cmds=$(awk '{ print $2 }' <<< "$syn" | grep '^[a-z]' | grep -vx command)
	opts=$(grep -oE '(^|[ [|])--?[a-z][a-z-]*' <<< "$syn" | tr -d ' [|' | sort -u)
	[ "$(wc -w <<< "$cmds")" -ge 7 ]
	[ "$(wc -w <<< "$opts")" -ge 4 ]
	missing=""
	for w in $cmds; do
		grep -qE "^  $w( |,|$)" <<< "$help" || missing="$missing $w"
	done
	for w in $opts; do
		grep -qE -- "(^|[ |[,])$w([] |,]|$|\|)" <<< "$help" || missing="$missing $w"
	done
	echo "missing from smartio_tool --help:$missing"
	[ -z "$missing" ]
}

@test "every sysfs attribute and module parameter is in smartio(4)" {
	command -v mandoc || skip "mandoc not installed (scripts/deps.sh)"
	page=$(render "$TOP/Documentation/man/smartio.4")
	attrs=$(sed -n 's|^What:.*/\([a-z_]*\)$|\1|p' "$TOP/Documentation/ABI/testing/sysfs-bus-smartio")
	params=$(sed -n 's/^module_param[_a-z]*(\([a-z_]*\),.*/\1/p' "$TOP"/src/*.c)
	[ "$(wc -w <<< "$attrs")" -ge 20 ]
	[ "$(wc -w <<< "$params")" -ge 2 ]
	missing=""
	for w in $attrs $params; do
		grep -qw -- "$w" <<< "$page" || missing="$missing $w"
	done
	echo "missing from smartio(4):$missing"
	[ -z "$missing" ]
}
