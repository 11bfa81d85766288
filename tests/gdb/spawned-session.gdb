# The guest's own gdb stub, spawned by kspawn.ko, through the ABI debug
# channel, kspawnctl gdb --tty and a second serial port of the QEMU host.
# stub: spawned
# cmdline: gdb=wait hello alpha beta
echo CHECK-attached\n
bt 2
echo CHECK-threads\n
info threads
echo CHECK-helpers\n
info kspawn threads
info kspawn header
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
