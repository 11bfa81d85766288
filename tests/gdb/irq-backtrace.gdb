# A backtrace taken in an interrupt handler continues through the trap
# frame into the code the interrupt stopped (isr.S's unwind information;
# gdb shows the trap frame as '<signal handler called>').
# cmdline: spin
hbreak spinner
continue
delete
hbreak timer_irq
continue
echo CHECK-irq-backtrace\n
bt
delete
set var stop_now = 1
echo CHECK-continue\n
continue
