# newlib per thread on an SMP guest: libctest on 2 and 3 guest CPUs (QEMU
# -smp 4).  Its errno-smp test pins two threads per CPU that set errno,
# format, allocate, print and yield at once, each checking that errno,
# stdout and its reentrancy structure stay its own; every test must pass.
. /tests/lib.sh
[ "$(nproc)" -ge 4 ] || { bad "needs 4 CPUs, have $(nproc)"; finish; }

for cpus in 1-2 1-3; do
	spawn "$TEST_IMG" --cpus "$cpus" --cmdline "libctest" || finish
	wait_ended "$id" 120
	js=$(kspawnctl --json status "$id")
	[ "$(json_get exit_code "$js")" = 0 ] ||
		bad "libctest on --cpus $cpus: state $state, exit $(json_get exit_code "$js")"
	expect 0 kspawnctl console "$id"
	has "^PASS errno-smp: [0-9]+ threads on ${cpus#1-} CPUs"
	has '^PASS errno:'
	has '^PASS malloc'
	hasnt '^FAIL'
	hasnt 'hammer thread [0-9]+ on CPU [0-9]+: [1-9]'
	expect 0 kspawnctl stop "$id"
done
want_no_instances
finish
