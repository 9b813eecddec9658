# SPDX-License-Identifier: GPL-2.0
# Common settings for the smartio scripts; sourced, not run.

SMARTIO_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SMARTIO_TOP/build}
KERNELS_DIR=$BUILD/kernels
KSRC=$BUILD/linux-source-6.1

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Root for apt-get: as root, or through sudo where present.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root for: $*"
	fi
}
