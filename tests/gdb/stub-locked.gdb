# A breakpoint inside the scheduler, where the stopped CPU holds the
# scheduler's lock: listing threads must not take that lock again (it
# used to panic: "spinlock taken twice").
# stub: guest
# cmdline: gdb=wait hello locked
break sched_wake_locked
continue
echo CHECK-in-scheduler\n
bt 1
echo CHECK-threads\n
info threads
thread 1
echo CHECK-thread-1\n
bt 1
delete
detach
