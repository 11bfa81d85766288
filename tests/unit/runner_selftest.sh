#!/usr/bin/env bash
# Self-tests of the test runners: tests/run.sh, the fuzz suite and the
# hosted suite each run against a fake tree of suites that try to fool
# them.  Prints "ok unit/runner-NAME" or "FAIL unit/runner-NAME" with the
# evidence; tests/unit/run.sh counts them.
#
#   tests/unit/runner_selftest.sh [OUT_DIR]
#
# SELFTEST_RUNNER, SELFTEST_FUZZ, SELFTEST_HOSTED, SELFTEST_KLOG and
# SELFTEST_CONSOLE_LINES name other copies of tests/run.sh,
# tests/fuzz/run.sh, tests/hosted/run.sh, scripts/initramfs/
# kspawn-klog-check and tests/qemu/console-lines to check (an old
# revision, to see these tests fail on it; `cat` for the last).
set -u
here=$(cd "$(dirname "$0")" && pwd)
tests=$(cd "$here/.." && pwd)
runner=${SELFTEST_RUNNER:-$tests/run.sh}
fuzz_run=${SELFTEST_FUZZ:-$tests/fuzz/run.sh}
hosted_run=${SELFTEST_HOSTED:-$tests/hosted/run.sh}
klog_check=${SELFTEST_KLOG:-$tests/../scripts/initramfs/kspawn-klog-check}
console_lines=${SELFTEST_CONSOLE_LINES:-$tests/qemu/console-lines}
out=${1:-$(mktemp -d)}
mkdir -p "$out"
# The runners source scripts/lib.sh from the tree they stand in.
lib_sh=$tests/../scripts/lib.sh
give_lib() { mkdir -p "$1/scripts" && cp "$lib_sh" "$1/scripts/lib.sh"; }
give_lib "$out"

# A fake tests/ folder: the runner under test and one suite "x" whose
# run.sh is the text given, and the skip list given.
fake() {	# DIR SUITE_SCRIPT [SKIP_LIST]
	rm -rf "$1" && mkdir -p "$1/x"
	cp "$runner" "$1/run.sh"
	printf '#!/bin/sh\n%s\n' "$2" > "$1/x/run.sh"
	chmod +x "$1/x/run.sh"
	[ -z "${3:-}" ] || printf '%s\n' "$3" > "$1/skip-allowed.txt"
}

# check NAME WANT_STATUS(0|fail) ENV... -- : run the fake runner, compare.
check() {
	local name=$1 want=$2 dir=$out/$1 st
	shift 2
	timeout 60 env "$@" "$dir/run.sh" "$out/build" x > "$dir.log" 2>&1
	st=$?
	if { [ "$want" = 0 ] && [ $st -eq 0 ]; } || { [ "$want" = fail ] && [ $st -ne 0 ] && [ $st -ne 124 ]; }; then
		echo "ok unit/runner-$name"
	else
		echo "FAIL unit/runner-$name: tests/run.sh exited $st, want $want"
		sed 's/^/    | /' "$dir.log"
	fi
}

fake "$out/exit-status" 'echo "ok x/a"; echo "x: 1 passed, 0 failed"; exit 3'
check exit-status fail -u CI

fake "$out/no-summary" 'echo "ok x/a"'
check no-summary fail -u CI

fake "$out/skip-ci" 'echo "ok x/a"; echo "skip x/b: no such tool"; echo "x: 1 passed, 0 failed, 1 skipped"'
check skip-ci fail CI=true
cp -r "$out/skip-ci" "$out/skip-local"
check skip-local 0 -u CI

fake "$out/skip-allowed" 'echo "ok x/a"; echo "skip x/b: no such tool"; echo "x: 1 passed, 0 failed, 1 skipped"' 'x/b  # a reason'
check skip-allowed 0 CI=true

fake "$out/skip-no-reason" 'echo "ok x/a"; echo "skip x/b"; echo "x: 1 passed, 0 failed, 1 skipped"' 'x/b'
check skip-no-reason fail CI=true

fake "$out/skip-unnamed" 'echo "ok x/a"; echo "x: 1 passed, 0 failed, 2 skipped"' 'x/b'
check skip-unnamed fail CI=true

fake "$out/honest" 'echo "ok x/a"; echo "x: 1 passed, 0 failed"'
check honest 0 CI=true

# No suite named (make test SUITE= with an empty list): nothing ran, which
# is a usage error, not "0 passed, 0 failed" and success.
"$out/honest/run.sh" "$out/build" > "$out/no-suite.log" 2>&1
st=$?
if [ $st -eq 2 ] && grep -q 'which suites' "$out/no-suite.log"; then
	echo "ok unit/runner-no-suite"
else
	echo "FAIL unit/runner-no-suite: tests/run.sh BUILD_DIR alone exited $st, want 2 and a usage error"
	sed 's/^/    | /' "$out/no-suite.log"
fi

# Lanes (make test's plan): suite "y" beside "x" then "z".  x and y each
# wait for the other's mark, which only side by side can both see; z fails.
# Every count in the total, the summary in the order named, each suite's
# output whole, and the status a failure's.
l=$out/lanes
# waiter ME OTHER: a suite that marks itself and waits 10 s for OTHER.
waiter() {
	mkdir -p "$l/$1"
	cat > "$l/$1/run.sh" <<W
#!/bin/sh
touch "\$MARKS/$1"; i=0
while [ ! -e "\$MARKS/$2" ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
if [ -e "\$MARKS/$2" ]; then echo "ok $1/saw-$2"; f=0; else echo "FAIL $1/saw-$2"; f=1; fi
echo "$1: 1 passed, \$f failed"
W
}
fake "$l" 'exit 1'
waiter x y
waiter y x
mkdir -p "$l/z"
printf '#!/bin/sh\necho "ok z/a"; echo "FAIL z/b"; echo "z: 1 passed, 1 failed"\n' > "$l/z/run.sh"
chmod +x "$l"/*/run.sh
rm -rf "$l.marks"
mkdir -p "$l.marks"
MARKS=$l.marks timeout 60 "$l/run.sh" "$out/build" 'x,z+y' > "$l.log" 2>&1
st=$?
order=$(sed -n '/^=== summary/,$p' "$l.log" | awk 'NR > 1 && / passed / { print $1 }' | tr '\n' ' ')
if [ $st -eq 1 ] && [ "$order" = "x z y " ] &&
	tail -n 1 "$l.log" | grep -qx '3 passed, 1 failed, 0 skipped' &&
	[ "$(grep -c '^=== suite' "$l.log")" -eq 3 ] &&
	grep -A 3 '^=== suite z' "$l.log" | grep -q '^z: 1 passed, 1 failed'; then
	echo "ok unit/runner-lanes"
else
	echo "FAIL unit/runner-lanes: tests/run.sh BUILD x,z+y exited $st, want 1: x and y side by side, 3 passed, 1 failed, the summary x z y"
	sed 's/^/    | /' "$l.log"
fi

# The same twice (REPEAT=2): each lane's suites counted every round.  (A
# lane's suite index once shared its name with a loop of the summary's:
# every suite in a lane then "ended before it reported".)
rm -rf "$l.marks" && mkdir -p "$l.marks"
REPEAT=2 MARKS=$l.marks timeout 60 "$l/run.sh" "$out/build" 'x,z+y' > "$l-repeat.log" 2>&1
st=$?
if [ $st -eq 1 ] && tail -n 1 "$l-repeat.log" | grep -qx '6 passed, 2 failed, 0 skipped' &&
	! grep -q 'ended before' "$l-repeat.log"; then
	echo "ok unit/runner-lanes-repeat"
else
	echo "FAIL unit/runner-lanes-repeat: REPEAT=2 tests/run.sh BUILD x,z+y exited $st, want 1 and 6 passed, 2 failed"
	sed 's/^/    | /' "$l-repeat.log"
fi

# A suite held beside another is not silent until it ends: every
# TEST_PROGRESS seconds a line says how far it is, before its output.
# (TEST_PROGRESS=0: no such line.)
mkdir -p "$l/p"
printf '#!/bin/sh\necho "ok p/a"; echo "FAIL p/b"; sleep 4; echo "p: 1 passed, 1 failed"\n' > "$l/p/run.sh"
chmod +x "$l/p/run.sh"
TEST_PROGRESS=1 timeout 60 "$l/run.sh" "$out/build" 'z+p' > "$l-progress.log" 2>&1
st=$?
said=$(sed -n '/^=== suite p/q; /^--- [0-9]*s, under way: p 2 cases done, 1 failed$/p' "$l-progress.log")
TEST_PROGRESS=0 timeout 60 "$l/run.sh" "$out/build" 'z+p' > "$l-quiet.log" 2>&1
# A Ctrl-C (SIGINT to the runner's whole group) leaves no ticker's sleep
# behind (a background sleep ignores SIGINT; its ticker once died
# without killing it).  TEST_PROGRESS=0424: a leading zero is decimal.
# (set -m: a group of its own, as a terminal's job; env: SIGINT as a
# terminal's job has it, not ignored as this script's may be when it runs
# in the background, as the unit suite runs it.  The ticker's sleep must
# be seen first, as 'sleep 424': 0424 read as decimal.)
set -m
env --default-signal=INT TEST_PROGRESS=0424 "$l/run.sh" "$out/build" 'z+p' > "$l-int.log" 2>&1 &
runner=$!
set +m
seen=
for i in $(seq 50); do pgrep -f '^sleep 424$' > /dev/null && { seen=1; break; }; sleep 0.1; done
kill -INT -- -"$runner" 2>/dev/null
wait "$runner"
left=$(pgrep -f '^sleep 424$')
[ -z "$left" ] || kill $left
if [ $st -eq 1 ] && [ -n "$said" ] && ! grep -q 'under way' "$l-quiet.log" &&
	tail -n 1 "$l-quiet.log" | grep -qx '2 passed, 2 failed, 0 skipped' &&
	[ -n "$seen" ] && [ -z "$left" ] && grep -q 'interrupted (INT)' "$l-int.log"; then
	echo "ok unit/runner-lanes-progress"
else
	echo "FAIL unit/runner-lanes-progress: tests/run.sh BUILD z+p (p 4 s long) exited $st, want 1 and a line 'p 2 cases done, 1 failed' before p's output; none with TEST_PROGRESS=0; a Ctrl-C leaving no ticker's sleep (seen: ${seen:-no}, left: ${left:-none})"
	sed 's/^/    | /' "$l-progress.log" "$l-quiet.log" "$l-int.log"
fi

# A runner killed (a CI's time limit, or ^C) stops its lanes and what
# they started, under timeout(1) too (a group of its own, as QEMU runs):
# a suite beside another that sleeps so is gone with it, what it printed
# is shown, and the runner ends as TERM would end it, at once.
cat > "$l/z/run.sh" <<'W'
#!/bin/sh
timeout 40 sleep 40 &
echo $! > "$MARKS/z.sleep"
wait
W
rm -rf "$l.marks" && mkdir -p "$l.marks"
MARKS=$l.marks "$l/run.sh" "$out/build" 'z+y' > "$l-kill.log" 2>&1 &
runner=$!
( sleep 60; kill -KILL "$runner" ) 2>/dev/null &
watchdog=$!
for i in $(seq 100); do [ -s "$l.marks/z.sleep" ] && break; sleep 0.1; done
kill -TERM "$runner"
t0=$SECONDS
wait "$runner"
st=$?
kill "$watchdog" 2>/dev/null
[ $((SECONDS - t0)) -lt 20 ] || st="$st after $((SECONDS - t0)) s (it waited for its lanes)"
sleeper=$(cat "$l.marks/z.sleep" 2>/dev/null)
# alive PID: running, not a zombie its new parent has yet to reap.
alive() { [ -n "$1" ] && ! sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z' && [ -e "/proc/$1" ]; }
for i in $(seq 50); do alive "$sleeper" || break; sleep 0.1; done
if [ "$st" = 143 ] && [ -n "$sleeper" ] && ! alive "$sleeper" &&
	grep -q '^=== suite z' "$l-kill.log"; then
	echo "ok unit/runner-lanes-killed"
else
	echo "FAIL unit/runner-lanes-killed: tests/run.sh BUILD z+y killed exited $st, want 143 at once, z's timeout (${sleeper:-no PID}) gone, its output shown"
	[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null
	sed 's/^/    | /' "$l-kill.log"
fi

# The fuzz suite: a target whose seed generator fails.
f=$out/fuzz-tree/tests/fuzz
rm -rf "$out/fuzz-tree" && mkdir -p "$f"
cp "$fuzz_run" "$f/run.sh"
give_lib "$out/fuzz-tree"
cat > "$f/fuzz_dummy.c" <<'C'
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	return 0;
}
C
printf 'import sys\nsys.exit("gen_dummy_seeds.py: broken on purpose")\n' > "$f/gen_dummy_seeds.py"
FUZZ_SECONDS=1 timeout 300 "$f/run.sh" "$out/fuzz-build" > "$out/fuzz.log" 2>&1
st=$?
if [ $st -ne 0 ] && [ $st -ne 124 ] && grep -q '^FAIL fuzz/fuzz_dummy' "$out/fuzz.log" &&
	grep -q '^fuzz: 0 passed, 1 failed' "$out/fuzz.log"; then
	echo "ok unit/runner-fuzz-seed-generator"
else
	echo "FAIL unit/runner-fuzz-seed-generator: a failing seed generator did not fail the fuzz suite (status $st)"
	sed 's/^/    | /' "$out/fuzz.log"
fi

# The hosted suite: a program that waits forever (a lost completion).
t=$out/hosted-tree
rm -rf "$t" && mkdir -p "$t/tests/hosted" "$t/host/backend" "$t/guest/lib" \
	"$t/guest/hosted"
cp "$hosted_run" "$t/tests/hosted/run.sh"
give_lib "$t"
echo 'int kspawn_selftest_stub;' > "$t/host/backend/stub.c"
echo 'BACKEND_SRC := host/backend/stub.c' > "$t/host/backend/backend.mk"
for f in lib/virtq lib/virtq_packed lib/virtio lib/virtio_slot lib/format \
	hosted/virtio_hosted; do
	echo "int kspawn_selftest_${f#*/};" > "$t/guest/$f.c"
done
printf '#include <stdio.h>\nint main(void) { puts("vq_hostile: 0 failed"); return 0; }\n' > "$t/tests/hosted/vq_hostile.c"
printf '#include <stdio.h>\nint main(void) { puts("frames OK"); return 0; }\n' > "$t/tests/hosted/net_loopback.c"
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' > "$t/tests/hosted/blk_model.c"
HOSTED_TIMEOUT=2 timeout 300 "$t/tests/hosted/run.sh" "$out/hosted-build" > "$out/hosted.log" 2>&1
st=$?
if [ $st -ne 0 ] && [ $st -ne 124 ] && grep -q '^FAIL hosted/blk_model$' "$out/hosted.log" &&
	grep -q '^ok hosted/net_loopback' "$out/hosted.log"; then
	echo "ok unit/runner-hosted-timeout"
else
	echo "FAIL unit/runner-hosted-timeout: a hosted program that never ends did not fail its case in time (status $st; 124: hung)"
	sed 's/^/    | /' "$out/hosted.log"
fi

# The kernel-log check (the one list every QEMU runner uses): one console
# line of each kind of trouble is flagged, alone; harmless kernel lines,
# kspawn.ko quoting a guest's panic and a guest's own console are not; a
# console log without a kernel line is an error (the check would be blind).
klog_bad=$(cat <<'K'
[   12.000001] kernel BUG at drivers/kspawn/selftest.c:1!
[   12.000002] invalid opcode: 0000 [#1] PREEMPT SMP NOPTI
[   12.000003] INFO: task kspawn-selftest:1 blocked for more than 120 seconds.
[   12.000004] Watchdog detected hard LOCKUP on cpu 1
[   12.000005] kspawn-selftest: soft lockup on CPU#1
[   12.000006] Call Trace:
[   12.000007] BUG: kernel NULL pointer dereference, address: 0000000000000000
[   12.000008] Oops: 0002 [#1] SMP
[   12.000009] WARNING: CPU: 1 PID: 1 at kspawn-selftest
[   12.000010] general protection fault, probably for non-canonical address
[   12.000011] rcu: INFO: rcu_preempt self-detected stall on CPU
K
)
klog_fine=$(cat <<'K'
[    1.000000] kspawn: ready: /dev/kspawn, trampoline at 0x70000, ABI 1.1
[    2.000000] kspawn: instance 3: guest panicked at RIP 0xffffffff80100000: #UD invalid opcode
PANIC: #UD invalid opcode (vector 6)
  guest backtrace, Call Trace: of the guest
K
)
why=
while IFS= read -r line; do
	printf '%s\n%s\n' "$klog_fine" "$line" | "$klog_check" --console > /dev/null ||
		continue
	why="$why not flagged: $line;"
done <<< "$klog_bad"
printf '%s\n' "$klog_fine" | "$klog_check" --console > /dev/null || why="$why harmless lines flagged;"
# A record that landed inside a verdict line counts; one quoted by
# indented evidence does not.
printf '%s\n' "$klog_fine" 'ok qemu/x[   12.000012] BUG: in the middle of a verdict' |
	"$klog_check" --console > /dev/null && why="$why a record inside a line not flagged;"
printf '%s\n' "$klog_fine" '  k| [   12.000013] WARNING: quoted evidence' |
	"$klog_check" --console > /dev/null || why="$why quoted evidence flagged;"
echo 'PANIC: #UD invalid opcode' | "$klog_check" --console > /dev/null && why="$why a log without kernel lines passed;"
if [ -z "$why" ]; then
	echo "ok unit/runner-klog-check"
else
	echo "FAIL unit/runner-klog-check:$why"
fi

# The qemu suite reads verdicts from the VM's console, where the kernel's
# records can land inside a line: the first as one CI run printed it
# (the verdict was lost), then two records in a row, and one that split a
# line's carriage return from its newline.  Records on lines of their own
# stay, and so does evidence quoting the kernel's log, which must not
# swallow the next case's verdict.
got=$(printf '%s\n' 'ok qemu/two-guests' \
	'ok qemu/hostile[   17.452026] kspawn-harness: case net-flood begins (128.3)' '' \
	'ok qemu/net-fl[   20.000001] a: b' '[   20.000002] c: d' 'ood' \
	$'ok qemu/console-flood\r[   20.000003] e: f' '' \
	'[   21.000000] kspawn: a line of its own' \
	'FAIL qemu/x (status 1)' '  k| [   22.000000] WARNING: quoted' \
	'ok qemu/y' | "$console_lines")
want=$(printf '%s\n' 'ok qemu/two-guests' 'ok qemu/hostile' 'ok qemu/net-flood' \
	'ok qemu/console-flood' '[   21.000000] kspawn: a line of its own' \
	'FAIL qemu/x (status 1)' '  k| [   22.000000] WARNING: quoted' 'ok qemu/y')
if [ "$got" = "$want" ]; then
	echo "ok unit/runner-console-lines"
else
	echo "FAIL unit/runner-console-lines: want the verdicts whole, got:"
	printf '%s\n' "$got" | cat -A | sed 's/^/    | /'
fi
