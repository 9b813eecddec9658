#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [--print]
#
# Builds the smartio debug kernel (KASAN, KFENCE, lockdep, kmemleak, debug
# objects, kobject release debugging, DEBUG_LIST, UBSAN) from Debian's
# linux-source-6.1, once per machine: "make ARCH=x86_64 allnoconfig" with
# scripts/debug-kernel/debug.config on top, which names everything the test
# guests use and nothing more (a small kernel is what makes the build
# short), and the fixes in scripts/debug-kernel/*.patch.
# The result is cached outside the checkout in $SMARTIO_CACHE (default
# /var/cache/smartio), keyed by the source package version, the config
# fragment, the patches and this script. It is laid out as an unpacked Debian kernel
# (root/boot/vmlinuz-KVER, root/lib/modules/KVER with build -> the build
# tree) and linked as build/kernels/KVER, so the guest scripts take it like
# the distribution kernels. Prints KVER. --print only prints KVER if the
# kernel is built, and fails otherwise. The first build takes about
# 15 minutes on 2 cores beside make check's other early work.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CACHE=${SMARTIO_CACHE:-/var/cache/smartio}
frag=$SMARTIO_TOP/scripts/debug-kernel/debug.config
tarball=/usr/src/linux-source-6.1.tar.xz

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	die "linux-source-6.1 is not installed: run scripts/deps.sh"
patches=("$SMARTIO_TOP"/scripts/debug-kernel/*.patch)
key=$( { echo "$srcver"; cat "$frag" "$0" "${patches[@]}"; } | sha256sum | cut -c1-16)
dir=$CACHE/debug-$key

link() {	# link KVER: build/kernels/KVER -> the cached kernel
	mkdir -p "$KERNELS_DIR"
	ln -sfn "$dir" "$KERNELS_DIR/$1"
	echo "$1"
}

if [ -e "$dir/.done" ]; then
	link "$(cat "$dir/kver")"
	exit 0
fi
[ "${1:-}" = --print ] && exit 1

mkdir -p "$CACHE"
exec 9> "$CACHE/.lock"
flock 9
if [ -e "$dir/.done" ]; then
	link "$(cat "$dir/kver")"
	exit 0
fi

log "building the debug kernel in $dir (once per machine; about 15 minutes on 2 cores)"
start=$SECONDS
rm -rf "$dir" && mkdir -p "$dir/linux"
tar -xJf "$tarball" -C "$dir/linux" --strip-components=1
cd "$dir/linux"
# Fixes for kernel bugs the checkers find outside smartio (see each patch).
for p in "${patches[@]}"; do
	patch -p1 -s < "$p" || die "debug kernel: $p does not apply"
done
# 64-bit: allnoconfig would otherwise turn 64BIT off like any other prompt.
make -s ARCH=x86_64 allnoconfig >&2
args=()
while read -r line; do
	line=${line%%#*}
	line=${line//[[:space:]]/}
	[ -n "$line" ] || continue
	case "$line" in
	-*) args+=(--disable "${line#-}") ;;
	*=y) args+=(--enable "${line%=y}") ;;
	*=n) args+=(--disable "${line%=n}") ;;
	*=\"*) v=${line#*=}; v=${v#\"}; args+=(--set-str "${line%%=*}" "${v%\"}") ;;
	*=*) args+=(--set-val "${line%%=*}" "${line#*=}") ;;
	esac
done < "$frag"
scripts/config "${args[@]}"
make -s olddefconfig >&2

# Every option the fragment asks for must have survived olddefconfig: one
# it sets, with its value; one it turns off, off (nothing selects it).
while read -r line; do
	line=${line%%#*}
	line=${line//[[:space:]]/}
	case "$line" in
	"" | LOCALVERSION=*) continue ;;
	-* | *=n)
		name=${line#-} name=${name%=n}
		! grep -qE "^CONFIG_$name=[ym]$" .config ||
			die "debug kernel: CONFIG_$name is still on" ;;
	*)
		grep -qx "CONFIG_$line" .config || die "debug kernel: CONFIG_$line did not take" ;;
	esac
done < "$frag"

jobs=$(( $(nproc) + 1 ))
make -s -j"$jobs" bzImage modules >&2
kver=$(make -s kernelrelease)
mkdir -p "$dir/root/boot"
make -s INSTALL_MOD_PATH="$dir/root" modules_install >&2
cp arch/x86/boot/bzImage "$dir/root/boot/vmlinuz-$kver"
ln -sfn "$dir/linux" "$dir/root/lib/modules/$kver/build"
echo "$kver" > "$dir/kver"
touch "$dir/.done"
log "debug kernel $kver built in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
link "$kver"
