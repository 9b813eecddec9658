#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Host-side: the top-level Makefile's build and install targets, run into a
# scratch DESTDIR. Needs modules built for a kernel in build/ (make check
# builds them first). Nothing here loads a module.

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup() {
	D=$(mktemp -d)
	K=""
	for ko in "$TOP"/build/*/smartio_emul.ko; do
		[ -e "$ko" ] && [ -e "${ko%_emul.ko}.ko" ] && { K=$(basename "$(dirname "$ko")"); break; }
	done
}

teardown() {
	rm -rf "$D"
}

need_modules() {
	[ -n "$K" ] || skip "no modules built in build/: run make matrix"
}

@test "make without headers for the kernel names the package to install and KDIR=" {
	run make -C "$TOP" KVER=0.0.0-nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *"apt-get install linux-headers-0.0.0-nosuch"* ]]
	[[ "$output" == *"KDIR="* ]]
}

@test "make install honours DESTDIR and PREFIX, and loads nothing" {
	need_modules
	before=$(grep -c '^smartio' /proc/modules || true)
	run make -C "$TOP" install DESTDIR="$D" PREFIX=/usr KVER="$K"
	[ "$status" -eq 0 ]
	[ -f "$D/lib/modules/$K/updates/smartio.ko" ]
	[ -f "$D/lib/modules/$K/updates/smartio_emul.ko" ]
	[ -x "$D/usr/sbin/smartio_tool" ]
	[ -f "$D/usr/share/man/man8/smartio_tool.8" ]
	[ -f "$D/usr/share/man/man4/smartio.4" ]
	[ -f "$D/usr/share/bash-completion/completions/smartio_tool" ]
	[ -f "$D/usr/share/doc/smartio/examples/modules-load.d/smartio.conf" ]
	[ -f "$D/usr/share/doc/smartio/examples/modprobe.d/smartio.conf" ]
	[ -f "$D/usr/share/doc/smartio/examples/smartio/policy" ]
	[ -f "$D/usr/share/doc/smartio/smartio.rst" ]
	[ -f "$D/usr/share/doc/smartio/ABI/sysfs-bus-smartio" ]
	grep -q "RUN+=\"/usr/sbin/smartio_tool apply" "$D/usr/lib/udev/rules.d/90-smartio.rules"
	# The unit runs the tool where it was installed.
	grep -qx "ExecStart=/usr/sbin/smartio_tool apply" "$D/usr/lib/systemd/system/smartio-apply.service"
	# With DESTDIR, depmod is left to the packaging.
	[ ! -e "$D/lib/modules/$K/modules.dep" ]
	[ "$(grep -c '^smartio' /proc/modules || true)" = "$before" ]
}

@test "make install without DESTDIR runs depmod for the kernel, /usr/local by default" {
	need_modules
	run make -C "$TOP" -n install KVER="$K"
	[ "$status" -eq 0 ]
	[[ "$output" == *"depmod -a $K"* ]]
	[[ "$output" == *"/lib/modules/$K/updates"* ]]
	[[ "$output" == *"/usr/local/sbin/smartio_tool"* ]]
	# No command of the recipe loads a module.
	! grep -qE '(^|[;&|] *)(insmod|modprobe|rmmod)( |$)' <<< "$output"
}

@test "make uninstall removes everything make install put in DESTDIR" {
	need_modules
	make -C "$TOP" -s install DESTDIR="$D" PREFIX=/usr KVER="$K"
	run make -C "$TOP" uninstall DESTDIR="$D" PREFIX=/usr KVER="$K"
	[ "$status" -eq 0 ]
	run find "$D" -type f
	[ -z "$output" ]
}

@test "make KDIR= of a tree that is not a kernel build tree says so" {
	run make -C "$TOP" KDIR="$BATS_TEST_TMPDIR"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not a configured kernel build tree"* ]]
}
