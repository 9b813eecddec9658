#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: the Debian source package and the binary packages smartio-dkms,
# smartio-emul-dkms (module sources, built by DKMS on the target) and
# smartio-tools, in build/deb, with debhelper and dh-dkms.
# make dist (--dist): the release tarball build/smartio-<version>.tar.xz
# instead; "make deb" in its unpacked tree builds the same packages.
#
# The version is debian/changelog's, which must agree with VERSION. In a
# git tree whose HEAD is not the release (tag v<VERSION> on a changelog
# entry that is not UNRELEASED) it gets a snapshot suffix from the commit:
# ~git<date>.<commit> before the release, +git<date>.<commit> after it, so
# that every snapshot upgrades the one before. The copy built from (the
# tracked files' working-tree content, or the whole tree of a tarball) has
# that version in VERSION and a changelog entry for it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$SMARTIO_TOP"

dist=0
[ "${1:-}" = --dist ] && dist=1
for t in dpkg-parsechangelog dpkg-buildpackage dh dh_dkms; do
	command -v "$t" > /dev/null || die "$t missing: run scripts/deps.sh"
done

ver=$(cat VERSION)
clver=$(dpkg-parsechangelog -S Version)
[ "$ver" = "$clver" ] ||
	die "VERSION says $ver, debian/changelog says $clver: make them agree"
[[ "$ver" =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "VERSION is not a Debian version: $ver"

pver=$ver
# Only a git tree whose top is this one: an unpacked tarball may sit
# inside another checkout (make check unpacks one under build/).
ingit=0
[ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ] && ingit=1
if [ "$ingit" = 1 ]; then
	sha=$(git rev-parse --short=7 HEAD)
	ct=$(git log -1 --format=%ct)
	rel=0
	if [ "$(dpkg-parsechangelog -S Distribution)" != UNRELEASED ]; then
		git describe --exact-match --tags --match "v$ver" HEAD > /dev/null 2>&1 && rel=1
		sep=+
	else
		sep='~'
	fi
	[ "$rel" = 1 ] || pver="$ver${sep}git$(date -u -d "@$ct" +%Y%m%d.%H%M%S).$sha"
fi

# make dist works beside build/deb, never in it: the packages stay.
out=$BUILD/deb
[ "$dist" = 1 ] && out=$BUILD/dist.tmp
src=$out/smartio-$pver
rm -rf "$out" && mkdir -p "$src"
if [ "$ingit" = 1 ]; then
	git ls-files -z | while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$src"
fi

if [ "$pver" != "$ver" ]; then
	who=$(dpkg-parsechangelog -S Maintainer)
	{
		printf 'smartio (%s) UNRELEASED; urgency=medium\n\n' "$pver"
		printf '  * Snapshot of git commit %s.\n\n' "$sha"
		printf ' -- %s  %s\n\n' "$who" "$(date -u -R -d "@$ct")"
		cat debian/changelog
	} > "$src/debian/changelog"
	echo "$pver" > "$src/VERSION"
fi

if [ "$dist" = 1 ]; then
	# Owner and times fixed, so the same tree gives the same file.
	mt=$(date -d "$(dpkg-parsechangelog -l "$src/debian/changelog" -S Date)" +%s)
	tar -C "$out" --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime="@$mt" \
		-cJf "$BUILD/smartio-$pver.tar.xz" "smartio-$pver"
	rm -rf "$out"
	echo "$BUILD/smartio-$pver.tar.xz"
	exit 0
fi

(cd "$src" && env -u BUILD dpkg-buildpackage -us -uc -tc)
echo "$pver" > "$out/version"
ls "$out"/*.dsc "$out"/*.deb
