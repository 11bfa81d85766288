# A thread off its CPU has only what context_switch saved (rbx, rbp,
# rsp, r12-r15, rip) and its FPU/SSE state (fxsave at every switch).
# The stub has no value for its other registers and must say so ("xx" in
# the g reply), so that gdb shows <unavailable>: it used to send zeros,
# and gdb showed a sleeping thread's rax as 0x0, and its mxcsr too.
# The FPU state shown must be that thread's own.  schedtest's x87 thread
# sets FE_DOWNWARD (mxcsr 0x3f80, x87 control 0x77f), which no other
# thread has; it is read while an SSE thread of its group is stopped,
# after it was preempted (the group is pinned to CPU 0).  The stopped
# thread's live state (0x1f80 and flags or 0x7f80; 0x37f or 0xf7f),
# any other thread's image, or a new thread's (0x1f80, 0x37f, what the
# blocked break-in poller shows, and all this case checked before) fail.
# fp_work_x87's first hit is main's, computing the expected result; the
# second is the x87 thread's, its rounding mode set.
# stub: guest
# cmdline: gdb=wait schedtest fpu
echo CHECK-attached\n
break fp_work_x87
continue
continue
set $x87 = $_thread
delete
break fp_work_sse
continue
delete
echo CHECK-stopped\n
info registers rax
print $_thread != $x87 && $mxcsr != 16256 && $fctrl != 1919
echo CHECK-blocked\n
thread 2
info registers rax rcx rip
print $rbx == $rbx
bt 1
echo CHECK-preempted\n
eval "thread %d", $x87
info registers rax rcx
print $mxcsr
print $fctrl
detach
