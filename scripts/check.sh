#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: installs what is missing, builds for both supported kernels
# and the debug kernel (KASAN, lockdep, kmemleak, ...: scripts/debug-kernel.sh,
# built once per machine, before the first guest boots, while the modules
# are built and the host-side suites run; its basic guest and its topology
# guests run as two lanes beside the Debian kernels' basic guests, and the
# three lanes then share the other topology guests and the package tests),
# checks style, and runs every suite: smartio_tool's bats suite on a fake
# sysfs on the host, then per kernel ONE guest (basic fabric) running the
# kselftests and the guest bats suites inside, and the host-side bats suites
# (QMP) against it, and one guest per other topology. A WARN, oops, hung
# task, checker report or dead guest is a failure; on the debug kernel so
# is a kmemleak report naming smartio. CHECK_KERNELS="..." tests only those
# kernels; CHECK_DEBUG=0 leaves the debug kernel out. The Debian packages
# are built, linted, installed (DKMS builds both kernels), used by one guest
# and purged again (CHECK_DEB=0 leaves that out; what is installed of them
# is purged first, and said so at the start).
# The last line is "N passed, N failed, N skipped"; the exit status is
# non-zero if anything failed or could not run.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$SMARTIO_TOP" || exit 1

LOGS=$BUILD/logs
GUEST_TIMEOUT=${GUEST_TIMEOUT:-2400}
pass=0 fail=0 skip=0
failed=()

# Minutes since make check started, for the section headers: where the
# 75 minutes go.
at() {
	echo "at $((SECONDS / 60)) min"
}

result() {	# result ok|fail|skip NAME
	# A suite run in the background records its results for the end.
	[ -n "${RESULTS:-}" ] && printf '%s\t%s\n' "$1" "$2" >> "$RESULTS"
	case "$1" in
	ok) pass=$((pass + 1)); echo "ok - $2" ;;
	skip) skip=$((skip + 1)); echo "ok - $2 # SKIP" ;;
	*) fail=$((fail + 1)); failed+=("$2"); echo "not ok - $2" ;;
	esac
}

# Counts the TAP results in FILE, naming them with PREFIX. Fewer results
# than its plan ("1..N") announced is a failure: the suite was cut off
# (a timeout) or died.
tap() {
	local prefix=$1 file=$2 line name n=0 plan=0
	while IFS= read -r line; do
		case "$line" in
		1..[0-9]*) [[ "$line" =~ ^1\.\.([0-9]+)$ ]] && plan=$((plan + BASH_REMATCH[1])) ;;
		"ok "*"# SKIP"* | "ok "*"# skip"*)
			name=${line#ok }; result skip "$prefix: ${name#* }"; n=$((n + 1)) ;;
		"ok "*)
			name=${line#ok }; result ok "$prefix: ${name#* }"; n=$((n + 1)) ;;
		"not ok "*)
			name=${line#not ok }; result fail "$prefix: ${name#* }"; n=$((n + 1)) ;;
		esac
	done < "$file"
	[ "$n" -gt 0 ] || result fail "$prefix: ran no test"
	[ "$n" -ge "$plan" ] || result fail "$prefix: $n of $plan tests ran (cut off or crashed)"
}

host_suite() {	# host_suite LABEL FILE: a host-side suite against the guest
	local name log limit
	name=$(basename "$2" .bats)
	log="$LOGS/${1// /-}-host-$name.tap"
	# The debug kernel's port suite alone runs about 20 min (50 cycles).
	case "$1" in *-smartio-debug*) limit=2400 ;; *) limit=900 ;; esac
	timeout "$limit" bats --tap "$2" > "$log" 2>&1
	cat "$log"
	tap "$1 host $name" "$log"
}

# end_guest LABEL RUNDIR TOPOLOGY: checks the guest survived, powers it off
# and fails on any WARN, BUG, oops or hung task in its kernel log. Where the
# kernel has kmemleak, a leak whose backtrace names smartio fails too.
end_guest() {
	local serial=$LOGS/serial-${1// /-}.log leaks=$LOGS/kmemleak-${1// /-}.txt
	if scripts/guest-exec "$2" true > /dev/null 2>&1; then
		result ok "$1: guest alive after the suites"
	else
		result fail "$1: guest alive after the suites"
	fi
	if GUEST_EXEC_TIMEOUT=600 scripts/guest-exec "$2" \
		'test -e /sys/kernel/debug/kmemleak' > /dev/null 2>&1; then
		# Two scans: an object is reported once it stayed unreferenced.
		GUEST_EXEC_TIMEOUT=600 scripts/guest-exec "$2" \
			'k=/sys/kernel/debug/kmemleak; echo scan > $k; sleep 6; echo scan > $k; cat $k' \
			> "$leaks" 2>&1
		if grep -q smartio "$leaks"; then
			cat "$leaks"
			result fail "$1: kmemleak reports nothing of smartio"
		else
			result ok "$1: kmemleak reports nothing of smartio"
		fi
	fi
	GUEST_EXEC_TIMEOUT=60 scripts/guest-exec "$2" poweroff > /dev/null 2>&1
	kill -KILL "$(cat "$2/timeout.pid" 2>/dev/null)" 2>/dev/null
	cp "$2/serial.log" "$serial" 2>/dev/null
	if grep -nE "WARNING:|BUG[: ]|Oops|Kernel panic|blocked for more than|general protection fault|list_(add|del) corruption|UBSAN|KASAN|KFENCE|ODEBUG|Poison overwritten|Call Trace" \
		"$serial"; then
		tail -n 60 "$serial"
		result fail "$1: kernel log free of WARN, BUG, oops and hung tasks"
	else
		result ok "$1: kernel log free of WARN, BUG, oops and hung tasks"
	fi
	unset SMARTIO_RUNDIR
}

summary() {
	echo
	if [ ${#failed[@]} -gt 0 ]; then
		echo "failed:"
		printf '  %s\n' "${failed[@]}"
	fi
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit $?
}

mkdir -p "$LOGS"
# Said first: the package tests purge what is installed of smartio.
if [ "${CHECK_DEB:-1}" != 0 ] &&
	inst=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' \
		smartio-dkms smartio-emul-dkms smartio-tools 2>/dev/null | grep -v '^un ') &&
	[ -n "$inst" ]; then
	echo "check: these installed packages will be purged to test the packages"
	echo "check: (CHECK_DEB=0 leaves them alone):"
	echo "$inst"
fi
echo "== dependencies"
# The debug kernel takes minutes the first time on a machine (15 on 2
# cores), and its suites set the length of a run: build it first, at full
# priority, as soon as what it builds with is installed, while the rest
# installs, the modules are built and the host-side suites run. No guest
# boots before it is built (see the lanes at the end).
if [ "${CHECK_DEBUG:-1}" != 0 ]; then
	if ! scripts/deps.sh debug-kernel > "$LOGS/deps-debug-kernel.log" 2>&1; then
		tail -n 20 "$LOGS/deps-debug-kernel.log"
		result fail "install dependencies"
		summary
	fi
	echo "== debug kernel (in the background; log: $LOGS/debug-kernel.log)"
	# In a process group of its own, so that a failure below stops its
	# make and compilers too.
	setsid scripts/debug-kernel.sh > "$LOGS/debug-kernel.log" 2>&1 &
	debug_pid=$!
fi
if ! scripts/deps.sh > "$LOGS/deps.log" 2>&1; then
	tail -n 20 "$LOGS/deps.log"
	result fail "install dependencies"
	[ -z "${debug_pid:-}" ] || kill -- -"$debug_pid"
	summary
fi
mapfile -t KVERS < <(scripts/kernels.sh)
[ ${#KVERS[@]} -eq 2 ] || { result fail "both supported kernels present (${KVERS[*]})"; summary; }
# For a quicker local run: CHECK_KERNELS=6.1.0-56-amd64 make check
if [ -n "${CHECK_KERNELS:-}" ]; then
	read -r -a KVERS <<< "$CHECK_KERNELS"
fi
DEBUG_KVER=""

build_module() {	# build_module KVER: W=1 and sparse clean
	local k=$1
	if make matrix KVERS="$k" W=1 C=2 > "$LOGS/build-$k.log" 2>&1; then
		if grep -E "warning:|error:|: (warning|error) " "$LOGS/build-$k.log"; then
			result fail "$k: module builds W=1 and sparse clean"
		else
			result ok "$k: module builds W=1 and sparse clean"
		fi
	else
		tail -n 30 "$LOGS/build-$k.log"
		result fail "$k: module builds W=1 and sparse clean"
	fi
	no_alias "$k"
}

# no_alias KVER: neither module has a module alias (smartio.ko knows no
# backend; the emulated backend loads only when asked for), and
# smartio_port.ko and smartio_emul.ko depend on smartio.ko.
no_alias() {
	local k=$1 m ok=1
	for m in smartio smartio_port smartio_emul; do
		if [ ! -e "$BUILD/$k/$m.ko" ] || [ -n "$(modinfo -F alias "$BUILD/$k/$m.ko")" ]; then
			modinfo "$BUILD/$k/$m.ko" 2>&1 | grep -E "^(alias|filename)"
			ok=0
		fi
	done
	for m in smartio_port smartio_emul; do
		[ "$(modinfo -F depends "$BUILD/$k/$m.ko" 2>/dev/null)" = smartio ] || ok=0
	done
	if [ "$ok" = 1 ]; then
		result ok "$k: smartio.ko, smartio_port.ko and smartio_emul.ko have no module alias"
	else
		result fail "$k: smartio.ko, smartio_port.ko and smartio_emul.ko have no module alias"
	fi
}

echo "== build"
for k in "${KVERS[@]}"; do
	build_module "$k"
done
if perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree --quiet -f src/*.c src/*.h \
	selftests/smartio/*.c selftests/smartio/*.h > "$LOGS/checkpatch.log" 2>&1; then
	result ok "checkpatch --strict clean"
else
	cat "$LOGS/checkpatch.log"
	result fail "checkpatch --strict clean"
fi

SELFTEST_BIN=$BUILD/selftests
mkdir -p "$SELFTEST_BIN/helpers"
built_tests=()
for src in selftests/smartio/*.c; do
	bin=$SELFTEST_BIN/$(basename "$src" .c)
	if gcc -O2 -Wall -Werror -static -I "$KSRC/tools/testing/selftests" \
		-o "$bin" "$src" > "$LOGS/selftest-build.log" 2>&1; then
		built_tests+=("$bin")
	else
		cat "$LOGS/selftest-build.log"
		result fail "build $(basename "$src")"
	fi
done

# Guest helper programs for the suites (not tests themselves).
for src in selftests/bin/*.c; do
	[ -e "$src" ] || continue
	if ! gcc -O2 -Wall -Werror -static -o "$SELFTEST_BIN/helpers/$(basename "$src" .c)" \
		"$src" > "$LOGS/helper-build.log" 2>&1; then
		cat "$LOGS/helper-build.log"
		result fail "build $(basename "$src")"
	fi
done

echo "== smartio_tool on a fake sysfs (host)"
for t in selftests/tool/*.bats; do
	[ -e "$t" ] || continue
	case "$t" in *guest*) continue ;; esac
	timeout 300 bats --tap "$t" > "$LOGS/$(basename "$t").tap" 2>&1
	cat "$LOGS/$(basename "$t").tap"
	tap "host $(basename "$t" .bats)" "$LOGS/$(basename "$t").tap"
done

# The debug kernel under TCG is about ten times slower than the Debian
# kernels: within CI's time it runs these suites (CHECK_DEBUG_SUITES=all
# runs every one, which takes over an hour), and fewer back-to-back cycles
# of 70-rapid and of the port suite (SMARTIO_DEBUG_RAPID_CYCLES,
# SMARTIO_DEBUG_PORT_CYCLES; 85-leak runs its full 100 borrow and 20
# hot-plug cycles).
DEBUG_SUITES=${CHECK_DEBUG_SUITES:-"00-boot smartio_input_test smartio_test 60-adapter 70-rapid 80-storm 85-leak topology-iommu topology-gpu topology-port"}

# Suites with a known failure under investigation, reported as skipped
# with the reason: CHECK_SKIP="80-storm ..." (none by default).
CHECK_SKIP=${CHECK_SKIP-""}

# wanted KVER NAME: whether suite NAME runs on KVER; reports a skip if not.
wanted() {
	case " $CHECK_SKIP " in
	*" $2 "*)
		result skip "$1 $2: skipped by CHECK_SKIP"
		return 1 ;;
	esac
	case "$1" in *-smartio-debug) ;; *) return 0 ;; esac
	[ "$DEBUG_SUITES" = all ] && return 0
	case " $DEBUG_SUITES " in *" $2 "*) return 0 ;; esac
	result skip "$1 $2: not on the debug kernel within CI time (CHECK_DEBUG_SUITES=all)"
	return 1
}

# stage_kernel KVER: the modules, tests and tools of a guest on that kernel,
# and its initramfs (the suites' settings are kernel_env's).
stage_kernel() {
	local k=$1 stage=$BUILD/$1/stage t
	rm -f "$BUILD/$k/initrd.gz"
	rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/tests"
	cp "$BUILD/$k/smartio.ko" "$BUILD/$k/smartio_port.ko" "$BUILD/$k/smartio_emul.ko" "$stage/" 2>/dev/null
	cp "${built_tests[@]}" "$stage/bin/" 2>/dev/null
	cp scripts/smartio_tool "$stage/bin/" 2>/dev/null
	cp scripts/bench/guest-bench.sh "$stage/bin/"
	cp "$SELFTEST_BIN"/helpers/* "$stage/bin/" 2>/dev/null
	for t in selftests/tool/*guest*.bats; do
		[ -e "$t" ] && cp "$t" "$stage/tests/"
	done
	if ! scripts/mkinitramfs.sh "$k" "$stage" "$BUILD/$k/initrd.gz" > "$LOGS/initrd-$k.log" 2>&1; then
		cat "$LOGS/initrd-$k.log"
		result fail "$k: guest initramfs"
		return 1
	fi
}

kernel_env() {	# kernel_env KVER: the suites' settings on that kernel
	case "$1" in
	*-smartio-debug)
		export SMARTIO_RAPID_CYCLES=${SMARTIO_DEBUG_RAPID_CYCLES:-20}
		# A port cycle takes about 30 s here through smartio_tool and
		# 13 s through sysfs alone: 50 of the latter (issue 18).
		export SMARTIO_PORT_CYCLES=${SMARTIO_DEBUG_PORT_CYCLES:-3}
		export SMARTIO_PORT_RAW_CYCLES=${SMARTIO_DEBUG_PORT_RAW_CYCLES:-50}
		# The leak suite runs in full: kmemleak decides only here.
		# A command the Debian kernels finish in seconds can take
		# minutes here; only a longer wait means the guest is wedged.
		export GX_TIMEOUT=600 ;;
	*) unset SMARTIO_RAPID_CYCLES SMARTIO_PORT_CYCLES SMARTIO_PORT_RAW_CYCLES GX_TIMEOUT SMARTIO_LEAK_BORROW_CYCLES \
		SMARTIO_LEAK_HOTPLUG_CYCLES ;;
	esac
}

basic_guest() {	# basic_guest KVER: the basic fabric's guest and its suites
	local k=$1 stage=$BUILD/$1/stage run=$BUILD/run/$1 name t bin
	echo "== guest $k ($(at))"
	kernel_env "$k"
	[ -e "$BUILD/$k/initrd.gz" ] || return
	# The debug kernel's suites alone run for about 40 min under TCG,
	# longer beside another guest.
	local life=$GUEST_TIMEOUT
	case "$k" in *-smartio-debug) [ "$life" -ge 4200 ] || life=4200 ;; esac
	if ! scripts/qemu-run.sh --kernel "$k" --initrd "$BUILD/$k/initrd.gz" \
		--rundir "$run" --agent --timeout "$life"; then
		result fail "$k: guest boots"
		return
	fi
	export SMARTIO_RUNDIR=$run

	# Host suites named 0* look at the guest as booted, before anything runs.
	for t in selftests/host/0*.bats; do
		[ -e "$t" ] && wanted "$k" "$(basename "$t" .bats)" && host_suite "$k" "$t"
	done
	for bin in "${built_tests[@]}"; do
		name=$(basename "$bin")
		wanted "$k" "$name" || continue
		GUEST_EXEC_TIMEOUT=1500 scripts/guest-exec "$run" "/smartio/bin/$name" \
			> "$LOGS/$k-$name.tap" 2>&1
		cat "$LOGS/$k-$name.tap"
		tap "$k $name" "$LOGS/$k-$name.tap"
	done
	for t in "$stage"/tests/*.bats; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .bats)
		wanted "$k" "$name" || continue
		GUEST_EXEC_TIMEOUT=900 scripts/guest-exec "$run" \
			"cd /smartio/tests && bats --tap $name.bats" > "$LOGS/$k-$name.tap" 2>&1
		cat "$LOGS/$k-$name.tap"
		tap "$k guest $name" "$LOGS/$k-$name.tap"
	done
	for t in selftests/host/*.bats; do
		case "$(basename "$t")" in 0*) continue ;; esac
		wanted "$k" "$(basename "$t" .bats)" && host_suite "$k" "$t"
	done

	end_guest "$k" "$run" basic
}

topology_guest() {	# topology_guest KVER TOPOLOGY: its guest and host-side suites
	local k=$1 topo=$2 run=$BUILD/run/$1-$2 t
	echo "== guest $k $topo ($(at))"
	kernel_env "$k"
	[ -e "$BUILD/$k/initrd.gz" ] || return
	if ! scripts/qemu-run.sh --kernel "$k" --initrd "$BUILD/$k/initrd.gz" \
		--rundir "$run" --agent --timeout "$GUEST_TIMEOUT" --topology "$topo"; then
		result fail "$k $topo: guest boots"
		return
	fi
	export SMARTIO_RUNDIR=$run
	for t in selftests/topology/"$topo"/*.bats; do
		host_suite "$k $topo" "$t"
	done
	end_guest "$k $topo" "$run" "$topo"
}

# The Debian kernels' topology guests and the package tests are jobs in a
# queue that every lane (see the end) drains once its own guests are done,
# so that no lane idles while another has half an hour of guests left.
# The longest jobs go first.
QUEUE=$LOGS/queue
queue_jobs() {
	local topo k
	: > "$QUEUE"
	# The package tests (about 3 min) come after the GPU guests.
	for topo in $({ printf '%s\n' gpu packages rapid port inuse big; cd selftests/topology && printf '%s\n' *; } |
		awk '!seen[$0]++'); do
		if [ "$topo" = packages ]; then
			[ "${CHECK_DEB:-1}" = 0 ] || echo packages >> "$QUEUE"
			continue
		fi
		[ -d "selftests/topology/$topo" ] || continue
		for k in "${KVERS[@]}"; do
			wanted "$k" "topology-$topo" || continue
			# CI's 90 min: these run on the first Debian kernel only
			# (they pass on 6.12 too: SMARTIO_RUNDIR=... bats
			# selftests/topology/X).
			case "$topo" in
			portpm | iommu | portiommu) [ "$k" = "${KVERS[0]}" ] || continue ;;
			esac
			echo "$k $topo" >> "$QUEUE"
		done
	done
}
next_job() {	# prints the next job and takes it off the queue; fails if none
	flock "$QUEUE.lock" sh -c 'IFS= read -r j < "$1" || exit 1
		sed -i 1d "$1" && printf "%s\n" "$j"' sh "$QUEUE"
}
drain() {
	local job k topo
	while job=$(next_job); do
		read -r k topo <<< "$job"
		case "$k" in
		packages) packages ;;
		*) topology_guest "$k" "$topo" ;;
		esac
	done
}

# lane NAME COMMAND...: runs COMMAND beside the others; its output and
# results are shown and counted at the end.
lanes=()
lane() {
	(RESULTS=$LOGS/lane-$1.results; : > "$RESULTS"; "${@:2}") > "$LOGS/lane-$1.log" 2>&1 &
	lanes+=("$1 $!")
}

debug_basic() {	# the debug kernel's basic guest, then the queue
	basic_guest "$DEBUG_KVER"
	drain
}

# The debug kernel runs every wanted topology: iommu too, as it is built
# without CONFIG_VMD and so takes the path without a DMA alias.
debug_topologies() {	# the debug kernel's topology guests, then the queue
	local topo
	for topo in selftests/topology/*/; do
		topo=$(basename "$topo")
		wanted "$DEBUG_KVER" "topology-$topo" && topology_guest "$DEBUG_KVER" "$topo"
	done
	drain
}

# The Debian packages, as a user installs them: make deb, lintian, apt-get
# install, DKMS builds for both supported kernels, one guest on the first
# kernel runs suites with the DKMS-built modules, and a purge leaves nothing.
dkms_guest() {	# dkms_guest KVER
	local k=$1 stage=$BUILD/$1/dkms-stage run=$BUILD/run/$1-dkms m ko t
	rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/tests"
	for m in smartio smartio_emul; do
		for ko in /lib/modules/"$k"/updates/dkms/$m.ko /lib/modules/"$k"/updates/dkms/$m.ko.xz ""; do
			[ -e "$ko" ] && break
		done
		[ -n "$ko" ] || { result fail "$k dkms: $m built by DKMS"; return; }
		case "$ko" in
		*.xz) xz -dc "$ko" > "$stage/$m.ko" ;;
		*) cp "$ko" "$stage/$m.ko" ;;
		esac
	done
	# The installed tool, not the tree's.
	cp /usr/sbin/smartio_tool "$stage/bin/"
	for t in selftests/tool/*guest*.bats; do
		[ -e "$t" ] && cp "$t" "$stage/tests/"
	done
	if ! scripts/mkinitramfs.sh "$k" "$stage" "$BUILD/$k/dkms-initrd.gz" > "$LOGS/initrd-$k-dkms.log" 2>&1 ||
		! scripts/qemu-run.sh --kernel "$k" --initrd "$BUILD/$k/dkms-initrd.gz" \
			--rundir "$run" --agent --timeout "$GUEST_TIMEOUT"; then
		result fail "$k dkms: guest with the DKMS-built modules boots"
		return
	fi
	export SMARTIO_RUNDIR=$run
	host_suite "$k dkms" selftests/host/00-boot.bats
	for t in "$stage"/tests/*.bats; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .bats)
		GUEST_EXEC_TIMEOUT=900 scripts/guest-exec "$run" \
			"cd /smartio/tests && bats --tap $name.bats" > "$LOGS/$k-dkms-$name.tap" 2>&1
		cat "$LOGS/$k-dkms-$name.tap"
		tap "$k dkms guest $name" "$LOGS/$k-dkms-$name.tap"
	done
	# What ran was the DKMS build, and it binds the fabric.
	if scripts/guest-exec "$run" 'test -d /sys/module/smartio_emul ||
		{ insmod /smartio/smartio.ko && insmod /smartio/smartio_emul.ko; } || exit 1
		cat /sys/module/smartio/srcversion /sys/module/smartio_emul/srcversion
		test -d /sys/bus/smartio/devices/adapter0' > "$LOGS/$k-dkms-srcversion.txt" 2>&1 &&
		[ "$(cat "$LOGS/$k-dkms-srcversion.txt")" = "$(modinfo -F srcversion "$stage/smartio.ko" "$stage/smartio_emul.ko")" ]; then
		result ok "$k dkms: the guest runs the DKMS-built smartio.ko and smartio_emul.ko"
	else
		cat "$LOGS/$k-dkms-srcversion.txt"
		result fail "$k dkms: the guest runs the DKMS-built smartio.ko and smartio_emul.ko"
	fi
	end_guest "$k dkms" "$run" basic
}

# smartio_left: prints whatever of the packages is still installed.
smartio_left() {
	ls -d /lib/modules/*/updates/dkms/smartio* /usr/src/smartio-* /var/lib/dkms/smartio \
		/usr/sbin/smartio_tool /usr/share/man/man8/smartio_tool.8* \
		/usr/share/bash-completion/completions/smartio_tool \
		/lib/systemd/system/smartio-apply.service /lib/udev/rules.d/90-smartio.rules \
		/usr/share/doc/smartio-* /var/lib/dkms/smartio-emul \
		/etc/systemd/system/*/smartio-apply.service 2>/dev/null
	dkms status smartio 2>/dev/null
	dkms status smartio-emul 2>/dev/null
	dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' smartio-dkms smartio-emul-dkms smartio-tools 2>/dev/null |
		grep -v '^un '
}

packages() {
	local ver deb=$BUILD/deb k v ok tb
	local pkgs="smartio-dkms smartio-emul-dkms smartio-tools"
	echo "== Debian packages ($(at))"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $pkgs \
		> /dev/null 2>&1
	ver=""
	if make deb > "$LOGS/deb.log" 2>&1 && ver=$(cat "$deb/version") &&
		[ -e "$deb/smartio_$ver.dsc" ] && [ -e "$deb/smartio-dkms_${ver}_all.deb" ] &&
		[ -e "$deb/smartio-emul-dkms_${ver}_all.deb" ] && [ -e "$deb/smartio-tools_${ver}_all.deb" ]; then
		result ok "make deb builds the source package, smartio-dkms, smartio-emul-dkms and smartio-tools ($ver)"
	else
		tail -n 30 "$LOGS/deb.log"
		result fail "make deb builds the source package, smartio-dkms, smartio-emul-dkms and smartio-tools"
		return
	fi
	# Between releases, a snapshot version above the last and below the next.
	if [[ "$ver" == "$(cat VERSION)"[~+]git[0-9]*.[0-9]*.[0-9a-f]* ]] ||
		{ [ "$ver" = "$(cat VERSION)" ] &&
			{ ! git rev-parse --is-inside-work-tree > /dev/null 2>&1 ||
			  git describe --exact-match --tags HEAD > /dev/null 2>&1; }; }; then
		result ok "the package version is VERSION, with a git snapshot suffix between releases"
	else
		result fail "the package version is VERSION, with a git snapshot suffix between releases ($ver)"
	fi
	# The overrides kept, and why, are in debian/*.lintian-overrides.
	if lintian --fail-on error,warning,info,pedantic --pedantic -I \
		"$deb/smartio_$ver.dsc" "$deb"/smartio-*_"${ver}"_all.deb \
		> "$LOGS/lintian.log" 2>&1; then
		result ok "lintian --pedantic reports nothing on the packages"
	else
		result fail "lintian --pedantic reports nothing on the packages"
	fi
	grep -v "^running with root" "$LOGS/lintian.log"
	# make dist, then make deb in the unpacked tarball: the same version.
	tb=$BUILD/dist-test
	rm -rf "$tb" && mkdir -p "$tb"
	if make -s dist > "$LOGS/dist.log" 2>&1 &&
		ls "$deb"/smartio-dkms_"${ver}"_all.deb >> "$LOGS/dist.log" 2>&1 &&
		tar -C "$tb" -xJf "$BUILD/smartio-$ver.tar.xz" &&
		[ ! -e "$tb/smartio-$ver/.git" ] &&
		env -u BUILD make -C "$tb/smartio-$ver" deb >> "$LOGS/dist.log" 2>&1 &&
		ls "$tb/smartio-$ver"/build/deb/{smartio-dkms,smartio-emul-dkms,smartio-tools}_"${ver}"_all.deb \
			>> "$LOGS/dist.log" 2>&1; then
		result ok "make dist keeps build/deb; make deb in the unpacked tarball: the same packages"
	else
		tail -n 30 "$LOGS/dist.log"
		result fail "make dist keeps build/deb; make deb in the unpacked tarball: the same packages"
	fi
	rm -rf "$tb" "$BUILD/smartio-$ver.tar.xz"
	if as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		"$deb/smartio-dkms_${ver}_all.deb" "$deb/smartio-emul-dkms_${ver}_all.deb" \
		"$deb/smartio-tools_${ver}_all.deb" > "$LOGS/deb-install.log" 2>&1; then
		result ok "apt-get install ./smartio-dkms ./smartio-emul-dkms ./smartio-tools"
	else
		tail -n 30 "$LOGS/deb-install.log"
		result fail "apt-get install ./smartio-dkms ./smartio-emul-dkms ./smartio-tools"
	fi
	for k in $(scripts/kernels.sh); do
		ok=1
		dkms status "smartio/$ver" -k "$k" 2>/dev/null | grep -q ": installed" || ok=0
		dkms status "smartio-emul/$ver" -k "$k" 2>/dev/null | grep -q ": installed" || ok=0
		for v in smartio smartio_port smartio_emul; do
			ls /lib/modules/"$k"/updates/dkms/$v.ko* > /dev/null 2>&1 || ok=0
		done
		if [ "$ok" = 1 ]; then
			result ok "$k: DKMS built and installed smartio.ko, smartio_port.ko and smartio_emul.ko"
		else
			dkms status
			result fail "$k: DKMS built and installed smartio.ko, smartio_port.ko and smartio_emul.ko"
		fi
	done
	# The udev rule is installed where udev reads it, and does nothing
	# without a policy.
	if grep -q 'TEST=="/etc/smartio/policy", RUN+="/usr/sbin/smartio_tool apply' \
		/lib/udev/rules.d/90-smartio.rules 2>/dev/null &&
		! grep -v '^#' /lib/udev/rules.d/90-smartio.rules | grep RUN | grep -vq 'TEST=="/etc/smartio/policy"'; then
		result ok "the udev rule is installed in /lib/udev/rules.d and acts only with a policy"
	else
		result fail "the udev rule is installed in /lib/udev/rules.d and acts only with a policy"
	fi
	# The boot-time unit, as installed: runs apply before local-fs-pre.target.
	if systemd-analyze verify /lib/systemd/system/smartio-apply.service \
		> "$LOGS/unit-verify.log" 2>&1 &&
		grep -qx "Before=local-fs-pre.target shutdown.target" /lib/systemd/system/smartio-apply.service &&
		[ -e /etc/systemd/system/sysinit.target.wants/smartio-apply.service ]; then
		result ok "smartio-apply.service installed, enabled and systemd-analyze verify clean"
	else
		cat "$LOGS/unit-verify.log"
		result fail "smartio-apply.service installed, enabled and systemd-analyze verify clean"
	fi
	dkms_guest "${KVERS[0]}"
	if as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $pkgs \
		> "$LOGS/deb-purge.log" 2>&1 && [ -z "$(smartio_left)" ]; then
		result ok "apt-get purge leaves nothing of smartio behind"
	else
		smartio_left
		result fail "apt-get purge leaves nothing of smartio behind"
	fi
}

for k in "${KVERS[@]}"; do
	stage_kernel "$k"
done
queue_jobs
# Three lanes: the Debian kernels' basic guests; the debug kernel's basic
# guest; its topology guests. Each then takes jobs from the queue. The
# guests leave about 40% of two cores idle (they wait on timers, devices
# and each other), so three of them at a time finish sooner than two.
if [ -n "${debug_pid:-}" ]; then
	# On a fresh machine the build is still running here: the guests wait
	# for it, as a guest beside the build would slow both down.
	if kill -0 "$debug_pid" 2>/dev/null; then
		echo "== waiting for the debug kernel build (log: $LOGS/debug-kernel.log)"
	fi
	wait "$debug_pid"
	grep "built in" "$LOGS/debug-kernel.log"
	if DEBUG_KVER=$(scripts/debug-kernel.sh --print); then
		result ok "debug kernel $DEBUG_KVER built (KASAN, KFENCE, lockdep, kmemleak, debug objects, UBSAN)"
		build_module "$DEBUG_KVER"
		if stage_kernel "$DEBUG_KVER"; then
			lane debug debug_basic
			lane debug-topologies debug_topologies
		fi
	else
		tail -n 30 "$LOGS/debug-kernel.log"
		result fail "debug kernel built"
	fi
fi

for k in "${KVERS[@]}"; do
	basic_guest "$k"
done
drain

for l in "${lanes[@]}"; do
	read -r lname pid <<< "$l"
	echo "== lane $lname (log: $LOGS/lane-$lname.log; $(at))"
	wait "$pid"
	echo "== lane $lname done ($(at))"
	cat "$LOGS/lane-$lname.log"
	n=0
	while IFS=$'\t' read -r what name; do
		result "$what" "$name" > /dev/null
		n=$((n + 1))
	done < "$LOGS/lane-$lname.results"
	[ "$n" -gt 0 ] || result fail "lane $lname: ran no test"
done

summary
