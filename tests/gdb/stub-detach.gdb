# After gdb detaches, the guest runs on to its end, and the console the
# suite checks must hold all of it: gdb-guest.sh waits for QEMU to exit
# (30 s at most) before it shows the console.  It used to show it as soon
# as gdb was gone, so a guest that finished a moment later (stub-watch's
# spin, once in 20 rounds) lost its last lines; ctxbench makes that
# moment long.
# stub: guest
# cmdline: gdb=wait ctxbench rounds=100000
echo CHECK-attached\n
detach
