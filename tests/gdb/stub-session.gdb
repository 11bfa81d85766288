# The guest's own gdb stub, over COM2 (spawned guests use the ABI debug
# channel; the stub is the same).
# stub: guest
# cmdline: gdb=wait hello alpha beta
echo CHECK-attached\n
bt 2
echo CHECK-threads\n
info threads
break hello_main
continue
echo CHECK-at-hello\n
bt
print argc
print argv[1]
echo CHECK-step\n
stepi
print $pc != 0
next
set var argc = 1
echo CHECK-registers\n
info registers rip
print $mxcsr
detach
