# A thread off its CPU has only what context_switch saved (rbx, rbp,
# rsp, r12-r15, rip) and its FPU/SSE state (fxsave at every switch).
# The stub has no value for its other registers and must say so ("xx" in
# the g reply), so that gdb shows <unavailable>: it used to send zeros,
# and gdb showed a sleeping thread's rax as 0x0, and its mxcsr too.  The
# break-in poller never used SSE: mxcsr and the x87 control word are a
# new thread's (0x1f80, 0x37f).
# stub: guest
# cmdline: gdb=wait hello
echo CHECK-attached\n
thread 2
echo CHECK-blocked\n
info registers rax rcx rip
print $rbx == $rbx
print $xmm0.uint128
print $mxcsr
print $fctrl
bt 1
echo CHECK-stopped\n
thread 3
info registers rax
detach
