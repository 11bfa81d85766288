# An SMP guest (QEMU -smp 4: CPU 0 stays with Linux, 1-3 go to guests).
# kspawnctl run --cpus starts every listed core through the trampoline;
# the guest brings them up, parwork spreads its workers over them and
# every guest CPU reports chunks done, with the same result as on one
# CPU; a panic parks them all; gdb sees every CPU's threads; schedtest
# passes on 1, 2 and 3 guest CPUs (its idle group: every CPU's idle
# thread, not only the caller's, refused to join, detach and reprioritise;
# its tlb group: a page unmapped on each CPU in turn faults on every CPU);
# stop gives every core back to Linux; lines printed by three CPUs and
# an interrupt at once come out whole.
. /tests/lib.sh
[ "$(nproc)" -ge 4 ] || { bad "needs 4 CPUs, have $(nproc)"; finish; }

# run_app CPUOPTS CMDLINE: spawn, wait, console in $out, stop; the exit
# status in $code, the final state in $state, console bytes lost in
# $dropped.
run_app() {
	local js
	spawn "$TEST_IMG" $1 --cmdline "$2" || return 1
	wait_ended "$id" 120	# schedtest takes a while on 3 CPUs
	js=$(kspawnctl --json status "$id")
	code=$(json_get exit_code "$js") state=$(json_get state "$js")
	dropped=$(json_get console_dropped "$js")
	expect 0 kspawnctl console "$id"
	log=$out
	expect 0 kspawnctl stop "$id"
	out=$log
}

# Workers placed by the scheduler: the same result as on one CPU (where
# they run depends on how the host runs our CPUs: only reported).
run_app "--cpus 1-3" "parwork chunks=192 iters=50000"
has '^smp: 3 of 3 CPUs online'
has '^parwork: cpus=3 threads=3 '
[ "$code" = 0 ] || bad "parwork on 3 CPUs exited $code"
r3=$(echo "$out" | sed -n 's/^parwork: result //p')
# Pinned one per CPU: every CPU reports its share done.
run_app "--cpus 1-3" "parwork chunks=192 iters=50000 pin=1"
for c in 0 1 2; do
	has "^parwork: cpu $c chunks 64\$"
done
[ "$(echo "$out" | sed -n 's/^parwork: result //p')" = "$r3" ] ||
	bad "pinned and placed parwork results differ"
# The same work on one CPU gives the same result.
run_app "--cpu 1" "parwork chunks=192 iters=50000"
has '^parwork: cpus=1 threads=1 '
has '^parwork: cpu 0 chunks 192$'
r1=$(echo "$out" | sed -n 's/^parwork: result //p')
[ -n "$r1" ] && [ "$r1" = "$r3" ] || bad "results differ: '$r1' on 1 CPU, '$r3' on 3"
for c in 1 2 3; do
	want_online $c
done

# A panic on an SMP guest parks every CPU; stop gives every core back.
run_app "--cpus 1-3" "crash panic"
[ "$state" = panicked ] || bad "crash panic on 3 CPUs ended '$state', want panicked"
has '^PANIC: crash: panic\(\) called on purpose'
has 'guest stopped after panic'
for c in 1 2 3; do
	want_online $c
done

# ctxbench cross=1 (bench row switch_cross_cpu): a blocking hand-off
# between threads pinned to two guest CPUs completes, and says so.
run_app "--cpus 1-2" "ctxbench cross=1 rounds=500"
[ "$code" = 0 ] || bad "ctxbench cross=1 exited $code"
has '^ctxbench: rounds=500 warm=50 cross_ns=[0-9]+\.[0-9]$'

# Three CPUs printing at once, and CPU 0 printing from an interrupt the
# third sends it after each of its lines: every line whole (kprintf()
# writes a line in one turn of the console; it wrote it piece by piece,
# and an interrupt or another CPU landed between two pieces).
run_app "--cpus 1-3" "saylines lines=100"
[ "$code" = 0 ] || bad "saylines exited $code"
has '^saylines: 3 CPUs, 100 lines each, 100 interrupts sent, 100 printed$'
whole=$(echo "$out" | grep -cE '^saylines: (cpu [0-2] line [0-9]+ of 100: the quick brown fox jumps over the lazy dog|interrupt [0-9]+ on cpu 0: the lazy dog sleeps on)$')
said=$(echo "$out" | grep -o 'saylines: [ci]' | wc -l)
[ "$whole" = 400 ] && [ "$said" = 400 ] ||
	bad "saylines: $whole whole lines of 400, $said begun (console_dropped $dropped)"

# status lists the cores of an SMP guest.
spawn "$TEST_IMG" --cpus 2-3 --cmdline "spin" || finish
expect 0 kspawnctl status "$id"
has '^cpus: +2: 2 3$'
[ "$(cpu_online 2)" = 0 ] && [ "$(cpu_online 3)" = 0 ] ||
	bad "CPUs 2 and 3 should be the guest's"
expect 0 kspawnctl stop "$id"
want_online 2
want_online 3

# The gdb stub lists the idle thread of every CPU and says where each
# thread runs: a raw exchange over the TCP bridge (as gdb-tcp does).
# pkt TEXT: TEXT as a remote-protocol packet; hex TEXT: its hex encoding.
pkt() {
	printf '$%s#%s' "$1" "$(printf '%s' "$1" | od -An -tu1 |
		awk '{ for (i = 1; i <= NF; i++) t += $i } END { printf "%02x", t % 256 }')"
}
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
spawn "$TEST_IMG" --cpus 1-3 --cmdline "gdb=on spin" || finish
wait_state "$id" running
kspawnctl gdb "$id" --listen 127.0.0.1:1234 2>/tmp/bridge.err &
bridge=$!
sleep 1
reply=$( (printf '$?#3f'; sleep 2
	for q in qfThreadInfo qsThreadInfo 1 2 3 4 5 6 7 8; do
		case $q in [0-9]) q=qThreadExtraInfo,$q ;; esac
		printf '+'; pkt "$q"; sleep 0.3
	done
	printf '+$D#44'; sleep 2) | nc 127.0.0.1 1234)
note "reply: $reply"
kill $bridge 2>/dev/null
wait $bridge 2>/dev/null
for want in "idle" "idle01" "idle02" " cpu 1" " cpu 2"; do
	echo "$reply" | grep -q "$(hex "$want")" ||
		bad "gdb's thread descriptions lack '$want'"
done
expect 0 kspawnctl stop "$id"

# Every group on 1, 2 and 3 CPUs.  The groups that pass a lock or an
# item across CPUs tens of thousands of times (mutex, pc-condvar,
# pc-semaphore) once took 49 s and 86 s on 3 (4 busy vCPUs on a 2-core
# TCG host, each hand-off waiting for the host to run the woken vCPU)
# and were left out there; since a running thread takes a free mutex
# instead of waiting for the woken one, they take a few seconds.
n=0
for cpus in "--cpu 1" "--cpus 1-2" "--cpus 1-3"; do
	n=$((n + 1))
	run_app "$cpus" "schedtest"
	[ "$code" = 0 ] || bad "schedtest ($cpus) exited $code"
	has '^PASS mutex:'
	has '^PASS mutex-steal'
	has '^PASS mutex-fair'
	has '^PASS pc-condvar'
	has '^PASS pc-semaphore'
	has '^schedtest: 26 test group\(s\), 0 failure\(s\)$'
	has '^PASS churn'
	has "^PASS smp: $n CPUs"
	has "^PASS idle: $n idle threads for $n CPUs"
	has '^PASS tlb'
	hasnt '^FAIL'
done
want_no_instances
finish
