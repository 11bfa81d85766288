# A hardware watchpoint (DR0-DR3) through the guest's own stub.
# stub: guest
# cmdline: gdb=wait spin
watch rounds
continue
echo CHECK-watch\n
print rounds
continue
print rounds
delete
set var stop_now = 1
detach
