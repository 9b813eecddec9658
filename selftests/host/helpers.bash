# SPDX-License-Identifier: GPL-2.0
# Shared by the host-side bats suites: they drive a running agent-mode guest
# (SMARTIO_RUNDIR, set by scripts/check.sh) and its QEMU over QMP.

SMARTIO_TOP=${SMARTIO_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

require_guest() {
	if [ -z "${SMARTIO_RUNDIR:-}" ] || [ ! -d "$SMARTIO_RUNDIR" ]; then
		echo "SMARTIO_RUNDIR does not name a running guest" >&2
		return 1
	fi
}

# Run a shell command in the guest; its output and status are the guest's.
gexec() {
	"$SMARTIO_TOP/scripts/guest-exec" "$SMARTIO_RUNDIR" "$@"
}

# Send one QMP command and fail unless QEMU answers with "return".
qmp_ok() {
	local reply

	reply=$("$SMARTIO_TOP/scripts/qmp" "$SMARTIO_RUNDIR" "$1") || return 1
	case "$reply" in
	*'"return"'*) return 0 ;;
	*) echo "QMP: $reply" >&2; return 1 ;;
	esac
}
