# Helpers shared by the scripts in this folder, the test runners and
# bench/run.sh.  Source it; do not run it.

# One clear line per step, on stderr so that it survives output capture.
step() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The running script's header comment (line 2 up to the first line that is
# not a comment): what it does and its usage lines, for --help.
script_help() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }

# A script's leading options, checked before it acts on any: -h or --help
# prints the header and exits 0; an option the script does not take is a
# usage error (exit 2) rather than, say, a directory named "--help".  KNOWN
# lists the options it takes, those that take a value as --opt= (the word
# after one is its value, whatever it looks like: --qemu -s; or it follows
# '=': --timeout=60; one missing at the end is a usage error too).  The options end at the first operand
# or at a "--", which is dropped: what follows it is operands however it
# looks ("-- --help" is a file named --help).  Then checked_args holds the
# operands and checked_opt[OPT] each option given: 1, or its (last) value:
#   check_options "--stub --batch=" "$@"
#   set -- "${checked_args[@]}"
#   stub=${checked_opt[--stub]:-} batch=${checked_opt[--batch]:-}
# A script that takes no options does the same ("-- BUILD_DIR" is
# BUILD_DIR, not a directory named "--"); one whose options repeat and add
# up parses them itself, ending them at "--" in its own loop (qemu-host.sh).
check_options() {
	local known=" $1 " value= a
	shift
	declare -gA checked_opt=()
	while [ $# -gt 0 ]; do
		a=$1
		if [ -n "$value" ]; then
			checked_opt[$value]=$a
			value=
		else
			case $a in
			-h | --help) script_help; exit 0 ;;
			--) shift; break ;;
			--?*=*)
				case $known in
				*" ${a%%=*}= "*) checked_opt[${a%%=*}]=${a#*=} ;;
				*) usage_error "unknown option ${a%%=*}" ;;
				esac ;;
			-?*)
				case $known in
				*" $a= "*) value=$a ;;
				*" $a "*) checked_opt[$a]=1 ;;
				*) usage_error "unknown option $a" ;;
				esac ;;
			*) break ;;
			esac
		fi
		shift
	done
	[ -z "$value" ] || usage_error "$value needs a value"
	checked_args=("$@")
}

# The opening of every test runner (tests/run.sh, tests/*/run.sh,
# tests/bench/*.sh) and of bench/run.sh, once it has sourced this file:
#   runner_start "run.sh BUILD_DIR" "$@"
#   set -- "${checked_args[@]}"
# -h or --help prints its header; an option where BUILD_DIR goes is a
# usage error, not a directory named "--help"; "--" ends the options
# (dropped: "-- BUILD_DIR" is BUILD_DIR).  Sets top, the source tree, and
# build, the first operand; without one the runner stops with "usage:
# USAGE", status 2 (a usage error).  A runner whose BUILD_DIR may be left
# out, or that only hands its operands on, passes "" for USAGE: build is
# then empty.
runner_start() {
	local usage=$1

	shift
	check_options "" "$@"
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	build=
	[ -n "$usage" ] || return 0
	build=${checked_args[0]:-}
	[ -n "$build" ] || { printf '%s: usage: %s\n' "$0" "$usage" >&2; exit 2; }
}

# A bad command line: the reason, the header's usage lines, exit 2.
usage_error() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	script_help | grep -E '^ +(scripts|tests|bench)/' | sed 's/^ */usage: /' >&2
	exit 2
}

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

# unknown_cases "KNOWN..." NAME...: each NAME (a case a runner was asked
# for) that is none of KNOWN's words, one a line: a misspelt case must
# fail its suite, not pass it having run nothing.
unknown_cases() {
	local known name
	known=" $(printf '%s ' $1)"	# its words, whatever spaces parted them
	shift
	for name; do
		[[ "$known" == *" $name "* ]] || echo "$name"
	done
}

# Number of parallel jobs for sub-builds (not "jobs": that is the shell's,
# which the runners that source this file count their children with).
build_jobs() { nproc 2>/dev/null || echo 2; }

# A path given after "--" may start with "-": as "./-x", no command the
# scripts hand it to (gdb, sed) takes it for an option.
as_operand() {
	case $1 in
	-*) printf './%s\n' "$1" ;;
	*) printf '%s\n' "$1" ;;
	esac
}

# gdb on the guest's stub at SOCK, with the kspawn helpers loaded.  The
# stub answers from an emulated machine that may still be booting, on a
# loaded host: gdb's 2 s before it sends a packet again is too short (the
# stub answers both copies, and gdb takes the second answer for the reply
# to its next packet: "Remote replied unexpectedly").
#   gdb_batch SECONDS BATCH ELF SOCK: run a batch script ("# before-connect:
#     CMD" lines in it are settings gdb only takes unconnected)
#   gdb_interactive ELF SOCK [GDB ARGS...]
GDB_REPLY_S=30
gdb_batch() {
	local limit=$1 batch elf sock=$4 pre=() cmd
	batch=$(as_operand "$2") elf=$(as_operand "$3")
	while IFS= read -r cmd; do
		pre+=(-ex "$cmd")
	done < <(sed -n 's/^# before-connect: //p' "$batch")
	timeout "$limit" gdb -batch -nx -ex "set pagination off" \
		-ex "set remotetimeout $GDB_REPLY_S" -ex "set confirm off" \
		-ex "source $(dirname "${BASH_SOURCE[0]}")/gdb/kspawn.py" \
		"${pre[@]}" -ex "target remote $sock" -x "$batch" "$elf"
}
gdb_interactive() {
	local elf sock=$2
	elf=$(as_operand "$1")
	shift 2
	gdb -nx -q -ex "set pagination off" -ex "set remotetimeout $GDB_REPLY_S" \
		-ex "source $(dirname "${BASH_SOURCE[0]}")/gdb/kspawn.py" \
		-ex "target remote $sock" "$@" "$elf"
}

# wait_exit PID: give a process up to 30 s to end on its own.
wait_exit() {
	for _ in $(seq 300); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
}

# Every benchmark workload's name, one a line, from the one list of them:
# bench/README.md's table of where each runs (its first column, braces
# expanded as bash does; those words are only letters, digits, _, braces
# and commas).  bench/run.sh refuses a prefix none starts with; the bench
# suite wants every result it gets named there.
bench_workload_names() {
	local n top_dir
	top_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	awk '/^\| workload \| kspawn \|/ { on = 1; next } on && !/^\|/ { exit } on' \
		"$top_dir/bench/README.md" | grep -o '^| [^|]*|' |
		grep -o '`[a-z0-9_{},]*`' | tr -d '`' |
		while read -r n; do eval "printf '%s\n' $n"; done
}
