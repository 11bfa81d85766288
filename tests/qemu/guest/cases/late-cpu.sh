# A guest CPU that comes after CPU 0 gave up waiting for it (a second):
# hostile lateap holds CPU 1 back 3 s where it enters the guest's C code.
# CPU 0 says it left CPU 1 out and runs alone; CPU 1, when it comes, sees
# that it was given up and parks instead of joining the scheduler (the
# app watches the mask of CPUs that schedule; before the fix CPU 1 joined
# it, which CPU 0 had counted absent).  Stop still gives both cores back.
# Then a CPU that comes in time and hangs: a panic, not a hung boot.
. /tests/lib.sh
[ "$(nproc)" -ge 3 ] || { bad "needs 3 CPUs, have $(nproc)"; finish; }
spawn "$TEST_IMG" --cpus 1-2 --cmdline "hostile lateap" || finish
# About 6 s of the guest's own (1 s + 3 s + the 2 s watch).
wait_ended "$id" 30
[ "$state" = halted ] || bad "instance $id '$state', want halted"
js=$(kspawnctl --json status "$id")
[ "$(json_get exit_code "$js")" = 0 ] || bad "hostile lateap exited $(json_get exit_code "$js")"
expect 0 kspawnctl console "$id"
has '^smp: CPU 1 \(APIC ID [0-9]+\) did not come up in 1000 ms: left out, and it parks if it comes later'
has '^smp: 1 of 2 CPUs online'
has '^hostile: lateap: CPU 1 came 3000 ms late; CPUs scheduling: 0x1$'
expect 0 kspawnctl stop "$id"
for c in 1 2; do
	want_online $c
done
want_no_instances
# A CPU that comes in time but never finishes setting up (hostile
# lateap-hang: CPU 1 spins with interrupts off right after it checked in)
# can no longer be left out, as it may join the scheduler any moment:
# CPU 0 waits 10 s more for it, then panics saying which CPU.  Before,
# it waited for ever and the boot hung without a word.  Stop then takes
# back both cores, the hung one by INIT.
spawn "$TEST_IMG" --cpus 1-2 --cmdline "hostile lateap-hang" || finish
# 1 s + 10 s of the guest's own.
wait_ended "$id" 60
[ "$state" = panicked ] || bad "instance $id '$state', want panicked"
expect 0 kspawnctl status "$id"
has 'message: smp: CPU 1 \(APIC ID [0-9]+\) came in but did not finish setting up in 10000 ms$'
expect 0 kspawnctl stop "$id"
for c in 1 2; do
	want_online $c
done
want_no_instances
finish
