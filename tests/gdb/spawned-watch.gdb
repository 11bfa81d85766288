# A hardware watchpoint (DR0-DR3) in a spawned guest, through kspawnctl gdb.
# stub: spawned
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
