#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KVER STAGEDIR OUT.cpio.gz
#
# A small guest root: busybox, bash, bats, lspci/setpci with pci.ids, nvme,
# mkfs.ext4, fio, dmsetup, mdadm, sfdisk, flock, pgrep/pkill (busybox-static
# has neither), lsblk and fuser (fuser: the tool's open check), udevadm (to test
# udev rules; no udevd runs), jq (the tool's --json) and their libraries,
# smartio's example udev rule as /smartio/90-smartio.rules, the nvme, ext4,
# device-mapper and md raid1 modules of KVER, and virtio_gpu and bochs for
# the gpu topology (loaded by its suite), with their dependencies
# (uncompressed, with a modules.dep), scripts/guest-init as /init, and
# STAGEDIR copied to /smartio (/smartio/bin is on PATH).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || die "usage: $0 KVER STAGEDIR OUT.cpio.gz"
kver=$1 stage=$2 out=$3
kroot=$KERNELS_DIR/$kver/root
[ -d "$kroot/lib/modules/$kver" ] || die "kernel $kver not unpacked: run scripts/deps.sh"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,mnt,run,root,usr/bin,usr/share/misc}

cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done

# Host binaries with the shared libraries they need.
copy_bin() {
	local bin=$1 lib
	# Replace a busybox applet link of the same name, never write through it.
	rm -f "$root/bin/$(basename "$bin")"
	cp -L "$bin" "$root/bin/$(basename "$bin")"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
for bin in /bin/bash /usr/bin/lspci /usr/bin/setpci /usr/sbin/nvme \
	   /usr/sbin/mkfs.ext4 /usr/sbin/e2fsck /usr/sbin/sfdisk /usr/bin/flock \
	   /usr/bin/pgrep /usr/bin/pkill /usr/bin/lsblk /usr/bin/fuser; do
	copy_bin "$bin"
done
# What only the tests use: "deps.sh demo" does not install it.
for bin in /usr/bin/fio /usr/sbin/dmsetup /usr/sbin/mdadm /usr/bin/udevadm /usr/bin/jq; do
	[ -e "$bin" ] && copy_bin "$bin"
done
cp /usr/share/misc/pci.ids "$root/usr/share/misc/"

# bats: a bash program in three directories.
if [ -e /usr/bin/bats ]; then
	cp -a /usr/lib/bats-core "$root/usr/lib/" 2>/dev/null ||
		{ mkdir -p "$root/usr/lib" && cp -a /usr/lib/bats-core "$root/usr/lib/"; }
	mkdir -p "$root/usr/libexec" && cp -a /usr/libexec/bats-core "$root/usr/libexec/"
	# bats finds its libraries relative to its own path, so keep /usr/bin.
	mkdir -p "$root/usr/bin" && cp /usr/bin/bats "$root/usr/bin/bats"
	rm -f "$root/bin/bats"
fi
mkdir -p "$root/usr/bin"
ln -sf /bin/busybox "$root/usr/bin/env"

# Kernel modules with their dependencies, decompressed for busybox.
# A kernel that builds them in (the debug kernel) lists them as "builtin".
mkdir -p "$root/lib/modules/$kver"
mods=$(for m in nvme ext4 crc32c_generic e1000e dm_mod md_mod raid1 virtio_pci virtio_gpu bochs; do
	# The debug kernel has no bochs (nor another module a topology
	# needs on the Debian kernels only).
	modprobe --show-depends -d "$kroot" -S "$kver" "$m" 2>/dev/null || true
done | awk '/^insmod/ { print $2 }')
for m in $mods; do
	rel=${m#"$kroot"}
	mkdir -p "$root$(dirname "$rel")"
	cp "$m" "$root$rel"
done
find "$root/lib/modules" -name '*.ko.xz' -exec xz -d {} +
cp "$kroot/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"

cp "$SMARTIO_TOP/scripts/guest-init" "$root/init"
chmod +x "$root/init"
mkdir -p "$root/smartio/bin"
cp -a "$stage/." "$root/smartio/"
cp "$SMARTIO_TOP/scripts/udev/90-smartio.rules" "$root/smartio/"
install -m 755 "$SMARTIO_TOP/scripts/guest-insmod" "$root/smartio/bin/insmod"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
