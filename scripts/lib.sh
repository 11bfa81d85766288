# Helpers shared by the scripts in this folder.  Source it; do not run it.

# One clear line per step, on stderr so that it survives output capture.
step() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run as root directly, otherwise through sudo (and say so if there is none).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root for: $* (install sudo or run as root)"
	fi
}

# Number of parallel jobs for sub-builds.
jobs() { nproc 2>/dev/null || echo 2; }
