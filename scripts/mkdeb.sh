#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: the Debian source package and the binary packages smartio-dkms
# (the module sources, built by DKMS on the target) and smartio-tools, in
# build/deb, with debhelper and dh-dkms. The version comes from VERSION
# alone: debian/changelog is written here, in a copy of the tracked files
# of this tree (their working-tree content, without build products).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$SMARTIO_TOP"

ver=$(cat VERSION)
[[ "$ver" =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "VERSION is not a Debian version: $ver"
for t in dpkg-buildpackage dh dh_dkms; do
	command -v "$t" > /dev/null || die "$t missing: run scripts/deps.sh"
done
out=$BUILD/deb src=$BUILD/deb/smartio-$ver
rm -rf "$out" && mkdir -p "$src"
git ls-files -z | while IFS= read -r -d '' f; do
	[ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$src"

# The last commit's time, so that the same tree gives the same packages.
when=$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")
cat > "$src/debian/changelog" <<EOT
smartio ($ver) unstable; urgency=medium

  * smartio $ver.

 -- smartio kernel team <smartio@example.org>  $when
EOT

(cd "$src" && env -u BUILD dpkg-buildpackage -us -uc -tc)
ls "$out"/*.dsc "$out"/*.deb
