# An SMP guest (QEMU -smp 4: CPU 0 stays with Linux, 1-3 go to guests).
# kspawnctl run --cpus starts every listed core through the trampoline;
# the guest brings them up, parwork spreads its workers over them and
# every guest CPU reports chunks done, with the same result as on one
# CPU; schedtest passes on 1, 2 and 3 guest CPUs; stop gives every core
# back to Linux.
. /tests/lib.sh
[ "$(nproc)" -ge 4 ] || { bad "needs 4 CPUs, have $(nproc)"; finish; }

# until_stopped ID: wait for the guest to halt (a bound for slow TCG
# machines, not a timing assertion: schedtest takes a while on 3 CPUs).
until_stopped() {
	local i=0 s
	while [ $i -lt 1200 ]; do
		s=$(json_get state "$(kspawnctl --json status "$1" 2>/dev/null)")
		case $s in halted|panicked) return 0 ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	bad "instance $1 still '$s' after 120 s"
}

# run_app CPUOPTS CMDLINE: spawn, wait, console in $out, stop; the exit
# status in $code.
run_app() {
	spawn "$TEST_IMG" $1 --cmdline "$2" || return 1
	until_stopped "$id"
	code=$(json_get exit_code "$(kspawnctl --json status "$id")")
	expect 0 kspawnctl console "$id"
	log=$out
	expect 0 kspawnctl stop "$id"
	out=$log
}

run_app "--cpus 1-3" "parwork chunks=96 iters=50000"
has '^smp: 3 of 3 CPUs online'
has '^parwork: cpus=3 threads=3 '
for c in 0 1 2; do
	has "^parwork: cpu $c chunks [1-9][0-9]*\$"
done
[ "$code" = 0 ] || bad "parwork on 3 CPUs exited $code"
r3=$(echo "$out" | sed -n 's/^parwork: result //p')
# The same work on one CPU gives the same result.
run_app "--cpu 1" "parwork chunks=96 iters=50000"
has '^parwork: cpus=1 threads=1 '
has '^parwork: cpu 0 chunks 96$'
r1=$(echo "$out" | sed -n 's/^parwork: result //p')
[ -n "$r1" ] && [ "$r1" = "$r3" ] || bad "results differ: '$r1' on 1 CPU, '$r3' on 3"
for c in 1 2 3; do
	want_online $c
done

# status lists the cores of an SMP guest.
spawn "$TEST_IMG" --cpus 2-3 --cmdline "spin" || finish
expect 0 kspawnctl status "$id"
has '^cpus: +2: 2 3$'
[ "$(cpu_online 2)" = 0 ] && [ "$(cpu_online 3)" = 0 ] ||
	bad "CPUs 2 and 3 should be the guest's"
expect 0 kspawnctl stop "$id"
want_online 2
want_online 3

n=0
for cpus in "--cpu 1" "--cpus 1-2" "--cpus 1-3"; do
	n=$((n + 1))
	run_app "$cpus" "schedtest"
	[ "$code" = 0 ] || bad "schedtest ($cpus) exited $code"
	has '^PASS pc-condvar'
	has '^PASS churn'
	has "^PASS smp: $n CPUs"
	hasnt '^FAIL'
done
want_no_instances
finish
