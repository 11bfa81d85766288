#!/usr/bin/env bash
# `make run` as a new user tries it, on a terminal: under a pseudo-terminal
# (script(1)) the QEMU host boots into the interactive demo, which must say
# PASS and leave udpecho running; at the shell prompt we type
# `kspawnctl list`, which must list that instance, then `exit`, which must
# power the machine off and end `make run`.
#
#   tests/qemu/make-run-tty.sh BUILD_DIR TRANSCRIPT
#
# Prints the evidence and exits 1 if anything is wrong.  The waits are
# bounds for slow TCG machines, not timing assertions.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:?usage: make-run-tty.sh BUILD_DIR TRANSCRIPT}
out=${2:?usage: make-run-tty.sh BUILD_DIR TRANSCRIPT}
dir=$(mktemp -d)
fifo=$dir/keys
mkfifo "$fifo"
: > "$out"
why=()
script_pid= sid=

cleanup() {
	exec 3>&- 2>/dev/null
	if [ -n "$script_pid" ] && kill -0 "$script_pid" 2>/dev/null; then
		# make and QEMU run in the session script(1) made for them.
		[ -z "$sid" ] || pkill -KILL -s "$sid" 2>/dev/null
		kill -KILL "$script_pid" 2>/dev/null
	fi
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# The transcript without carriage returns.
text() { tr -d '\r' < "$out"; }

# wait_for REGEX SECONDS: until the transcript matches, or script ended.
wait_for() {
	local i=0
	while [ $i -lt $(($2 * 10)) ]; do
		text | grep -qE -- "$1" && return 0
		kill -0 "$script_pid" 2>/dev/null || { text | grep -qE -- "$1"; return; }
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# A new user's environment: no make from a parent make, a terminal type.
(cd "$top" && exec env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS TERM=vt100 \
	script -q -f -e -c "make B=$build run" "$out") < "$fifo" > /dev/null 2>&1 &
script_pid=$!
exec 3> "$fifo"	# the keyboard: open until we are done
sleep 1
sid=$(ps -o sid= -p "$(pgrep -P "$script_pid" | head -n 1)" 2>/dev/null | tr -d ' ')

if ! wait_for '^kspawn-host:[^ ]*# ' "${MAKE_RUN_TIMEOUT:-600}"; then
	why+=("no shell prompt within ${MAKE_RUN_TIMEOUT:-600}s")
else
	printf 'kspawnctl list\r' >&3
	wait_for '^ID +CPU +STATE' 60 || why+=("no output from kspawnctl list")
	sleep 1
	printf 'exit\r' >&3
	wait_for 'init: shell ended, powering off' 60 || why+=("exit did not end the shell")
fi
# make run must end once the machine is off.
for _ in $(seq 600); do
	kill -0 "$script_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$script_pid" 2>/dev/null; then
	why+=("make run did not end after exit")
else
	wait "$script_pid"
	st=$?
	[ $st -eq 0 ] || why+=("make run ended with status $st")
fi

t=$(text)
echo "$t" | grep -q '^demo: PASS' || why+=("the demo did not say PASS")
echo "$t" | grep -q '^demo: FAILED' && why+=("the demo failed: $(echo "$t" | grep '^demo: FAILED')")
echo "$t" | grep -q 'blkcheck: OK sectors=' || why+=("no blkcheck OK line")
id=$(echo "$t" | sed -n 's/^demo: udpecho stays as instance \([0-9]*\) .*/\1/p' | head -n 1)
if [ -z "$id" ]; then
	why+=("the demo did not leave udpecho running")
elif ! echo "$t" | grep -qE "^$id +1 +running +.*udpecho"; then
	why+=("kspawnctl list does not list instance $id running udpecho on CPU 1")
fi
if [ ${#why[@]} -gt 0 ]; then
	printf '%s\n' "${why[@]}"
	echo "transcript (last 60 lines, kernel lines left out):"
	echo "$t" | grep -v '^\[ *[0-9]*\.[0-9]*\]' | tail -n 60 | sed 's/^/| /'
	exit 1
fi
echo "demo PASS, instance $id listed running udpecho, make run ended with exit"
