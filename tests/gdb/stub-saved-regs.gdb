# A thread off its CPU has only what context_switch saved (rbx, rbp,
# rsp, r12-r15, rip).  The stub has no value for its other registers and
# must say so ("xx" in the g reply), so that gdb shows <unavailable>: it
# used to send zeros, and gdb showed a sleeping thread's rax as 0x0.
# stub: guest
# cmdline: gdb=wait hello
echo CHECK-attached\n
thread 2
echo CHECK-blocked\n
info registers rax rcx rip
print $rbx == $rbx
print $xmm0.uint128
print $mxcsr
bt 1
echo CHECK-stopped\n
thread 3
info registers rax
detach
