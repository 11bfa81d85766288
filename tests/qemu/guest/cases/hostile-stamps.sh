# A 3-CPU guest whose CPU 0 forges the other CPUs' long-mode stamps in the
# header while the host starts them (hostile stamps,
# guest/apps/test/hostile_boot.c).  The host must not take a stamp the
# guest can write as proof that a CPU left the trampoline page: it waits
# for the trampoline's own word in that page, so every CPU comes in with
# its own index (all three online) and the host's log stays clean.
. /tests/lib.sh
[ "$(nproc)" -ge 4 ] || { bad "needs 4 CPUs, have $(nproc)"; finish; }
spawn "$TEST_IMG" --cpus 1-3 --cmdline "hostile stamps" || finish
wait_state "$id" halted panicked
expect 0 kspawnctl console "$id"
# Every other CPU's real stamp forged over: the forging overlapped each
# start (it goes on until it has, or for at most 5 s).
has '^hostile: stamps: [1-9][0-9]* rounds of forged stamps for 3 CPUs; 2 real stamps forged over'
has '^smp: 3 of 3 CPUs online'
hasnt 'did not come up'
expect 0 kspawnctl stop "$id"
for c in 1 2 3; do
	want_online $c
done
want_no_instances
finish
