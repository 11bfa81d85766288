# The x87 tag word: gdb's ftag is two bits per register (3: empty), and
# `info float` tells each register's kind from it.  The stub sent
# fxsave's abridged byte (one bit each, 1: in use) instead, so a clean
# FPU, whose byte is 0, showed all eight registers "Valid", and one
# holding a value showed the others "Valid" too.  fp_work_x87 returns
# its long double in st(0) (TOP 7, R7), rounding down (schedtest sets
# FE_DOWNWARD for it).
# stub: guest
# cmdline: gdb=wait schedtest fpu
echo CHECK-clean\n
info float
break fp_work_x87
continue
delete
finish
echo CHECK-returned\n
info float
print/x $ftag
detach
