# Life-cycle ioctls racing on one instance (tests/qemu/ioctlabuse_races.c):
# two starts, a polite and a forced stop and the loader's close at random
# moments, STATUS, console, DEBUG_BREAK and LIST polled beside them from
# descriptors of their own; then the same with a RAM disk, a ksnetN and
# the doorbell on CPU 2 while CPU 2 goes offline and online and in and out
# of the pool.  Each call gets an answer its race allows, no instance
# outlives its round, CPUs 1 and 2 come back and the module holds nothing
# afterwards; the kernel log stays clean (the runner checks it).  Found no
# bug when written: it guards the life cycle's locking against regressions.
. /tests/lib.sh
[ "$(nproc --all)" -ge 3 ] || { bad "needs 3 CPUs, have $(nproc --all)"; finish; }
objects0=$(cat /sys/class/misc/kspawn/objects)
expect 0 ioctlabuse "$TEST_IMG" races
has 'ioctlabuse: 0 failed'
want_online 1
want_online 2
want_no_instances
objects1=$(cat /sys/class/misc/kspawn/objects)
[ "$objects1" = "$objects0" ] || bad "module objects were $(echo $objects0), are $(echo $objects1)"
finish
