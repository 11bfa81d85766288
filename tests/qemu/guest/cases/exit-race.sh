# A guest CPU panics and is still printing its report when another ends
# the guest with status 0 (crash exitrace: CPU 1's report held 1 s with
# interrupts off, CPU 0 calling guest_exit(0) meanwhile).  The guest ends
# panicked, and never looks halted on the way: console --follow, which
# ends at the first halted or panicked state it sees, must end with 9
# (before the fix CPU 0 stored "halted" at once, and it ended with 0).
. /tests/lib.sh
[ "$(nproc)" -ge 3 ] || { bad "needs 3 CPUs, have $(nproc)"; finish; }
spawn "$TEST_IMG" --cpus 1-2 --cmdline "crash exitrace" || finish
expect 9 timeout 60 kspawnctl console "$id" --follow
has '^crash: exitrace: CPU 0 exits with 0 during CPU 1.s panic$'
has '^PANIC: crash: exitrace: CPU 1 panicked while CPU 0 exited$'
wait_ended "$id" 30
[ "$state" = panicked ] || bad "instance $id '$state', want panicked"
expect 0 kspawnctl status "$id"
has 'message: crash: exitrace: CPU 1 panicked while CPU 0 exited$'
hasnt '^exit code:'
expect 0 kspawnctl stop "$id"
for c in 1 2; do
	want_online $c
done
want_no_instances
finish
