#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prints the supported kernel versions whose headers are installed, 6.1
# first: the one linux-image-amd64 depends on and the 6.12 backport that
# linux-image-6.12-amd64 depends on.
set -euo pipefail

dep() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | sed -n 1p
}

for meta in linux-image-amd64 linux-image-6.12-amd64; do
	v=$(dep "$meta")
	v=${v%-unsigned}
	[ -n "$v" ] && [ -e "/lib/modules/$v/build/Makefile" ] && echo "$v"
done
exit 0
