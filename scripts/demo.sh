#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: installs what is missing, builds, boots the emulated "basic"
# fabric in QEMU and walks through scan, list, borrow, mount, write and
# return, printing what a user sees. Needs no input; exits non-zero if a
# step fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$SMARTIO_TOP" || exit 1

# Run as yourself: sudo is used for apt-get only, and a build/ made by
# root would stand in the way of the next make.
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
	die "run \"make demo\" as $SUDO_USER, not through sudo: it uses sudo for apt-get only"
fi
echo "make demo: installs QEMU, busybox and the Debian 6.1 kernel headers if missing"
echo "(a few minutes, once), then builds, boots and runs in about 2 minutes."
scripts/deps.sh demo
k=$(scripts/kernels.sh | sed -n 1p)
make matrix KVERS="$k" > /dev/null
stage=$BUILD/$k/demo-stage run=$BUILD/run/demo
rm -rf "$stage" && mkdir -p "$stage/bin"
cp "$BUILD/$k/smartio.ko" "$BUILD/$k/smartio_emul.ko" "$stage/"
cp scripts/smartio_tool scripts/guest-demo.sh "$stage/bin/"
scripts/mkinitramfs.sh "$k" "$stage" "$BUILD/$k/demo-initrd.gz"
echo "Booting the emulated fabric (QEMU q35, TCG, kernel $k) ..."
scripts/qemu-run.sh --kernel "$k" --initrd "$BUILD/$k/demo-initrd.gz" \
	--rundir "$run" --agent --timeout 900
trap 'scripts/guest-exec "$run" poweroff >/dev/null 2>&1 || true' EXIT
GUEST_EXEC_TIMEOUT=600 scripts/guest-exec "$run" /smartio/bin/guest-demo.sh
