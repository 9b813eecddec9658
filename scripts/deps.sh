#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs what the build, the tests and the demo need, Debian packages only,
# and unpacks (without installing) the two guest kernels into build/kernels.
# Idempotent and quick when everything is present. "deps.sh bench" adds
# what only the benchmarks need (gnuplot for the plot in Documentation/);
# "deps.sh demo" installs only what make demo needs (QEMU, busybox, the
# tools the guest runs, the headers of Debian's 6.1 kernel) and unpacks
# only that kernel: no test tool, packaging tool or kernel source;
# "deps.sh debug-kernel" only what scripts/debug-kernel.sh builds with, so
# that make check starts that build while the rest installs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

profile=${1:-all}
metas="linux-image-amd64 linux-image-6.12-amd64"
if [ "$profile" = demo ]; then
	PKGS="build-essential kmod cpio gzip xz-utils python3 qemu-system-x86
busybox-static bash pciutils nvme-cli e2fsprogs fdisk util-linux procps
psmisc linux-headers-amd64"
	metas="linux-image-amd64"
elif [ "$profile" = debug-kernel ]; then
	PKGS="build-essential xz-utils kmod cpio flex bison bc libelf-dev libssl-dev
linux-source-6.1"
	metas=""
else
	PKGS="build-essential kmod cpio gzip xz-utils python3 socat qemu-system-x86
busybox-static bash bats pciutils udev systemd man-db nvme-cli e2fsprogs fio sparse perl
linux-source-6.1 linux-headers-amd64 linux-headers-6.12-amd64
flex bison bc libelf-dev libssl-dev dmsetup mdadm psmisc fdisk
procps mandoc bsdextrautils bash-completion debhelper dh-dkms dkms lintian devscripts dpkg-dev
strace jq acpica-tools"
	[ "$profile" = bench ] && PKGS="$PKGS gnuplot-nox"
fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ] || ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
	log "installing:$missing"
	# make check installs in two steps (see "debug-kernel" above): the
	# package lists the first step fetched serve the second.
	stamp=$BUILD/.apt-updated
	if [ -z "$(find "$stamp" -mmin -10 2>/dev/null)" ]; then
		as_root apt-get update -q
		mkdir -p "$BUILD" && touch "$stamp"
	fi
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $PKGS
fi

# The guest kernels, unpacked from their packages.
mkdir -p "$KERNELS_DIR"
for meta in $metas; do
	pkg=$(apt-cache depends "$meta" | sed -n 's/^ *Depends: \(linux-image-.*\)$/\1/p' | sed -n 1p)
	[ -n "$pkg" ] || die "cannot resolve $meta"
	ver=${pkg#linux-image-}
	ver=${ver%-unsigned}
	dir=$KERNELS_DIR/$ver
	[ -e "$dir/.done" ] && continue
	# Headers for the same version (the meta package may lag behind).
	dpkg-query -W -f='${Status}' "linux-headers-$ver" 2>/dev/null | grep -q "ok installed" ||
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "linux-headers-$ver"
	log "unpacking $pkg"
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
		(cd "$dir" && apt-get download -q "$pkg-unsigned" >/dev/null)
	dpkg-deb -x "$dir"/*.deb "$dir/root"
	rm -f "$dir"/*.deb
	depmod -b "$dir/root" "$ver"
	touch "$dir/.done"
done

# kselftest headers and checkpatch come from Debian's kernel source package.
if [ "$profile" != demo ] && [ "$profile" != debug-kernel ] && [ ! -e "$KSRC/.done" ]; then
	log "extracting kselftest headers and checkpatch from linux-source-6.1"
	rm -rf "$KSRC" && mkdir -p "$KSRC"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$KSRC" --strip-components=1 \
		--wildcards 'linux-source-6.1/tools/testing/selftests/kselftest*' \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch'
	touch "$KSRC/.done"
fi
