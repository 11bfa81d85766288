# The panic record in the ABI state: filled before the guest stops.
# cmdline: crash ud2
hbreak guest_exit
continue
echo CHECK-stopped-in-guest-exit\n
print code
set $st = (struct kspawn_state *)((char *)kspawn_hdr + kspawn_hdr->state_off)
print $st->state
print $st->panic.vector
print $st->panic.message
print/x $st->panic.rip
info symbol $st->panic.rip
