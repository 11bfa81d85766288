# The guest booted alone, debugged through QEMU's gdb stub.
# cmdline: hello alpha beta
# Booted with the command line "hello alpha beta".
# A hardware breakpoint first: paging is off when QEMU starts, so a
# software breakpoint cannot be written at a higher-half address yet.
hbreak kmain
continue
echo CHECK-kmain-reached\n
info symbol $pc
delete
break hello_main
continue
echo CHECK-backtrace\n
bt
echo CHECK-argc\n
print argc
print argv[1]
print argv[2]
# Change state and see the guest act on it: with argc forced to 1 the
# app no longer echoes its arguments.
set var argc = 1
echo CHECK-continue\n
continue
