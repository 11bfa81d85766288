# Breakpoints on functions the stub itself calls while it serves gdb
# (strlen for every reply, memcpy for memory reads and, spawned, for the
# debug channel's ring): they must stop the guest's own calls, never the
# stub in the middle of a reply.
# stub: guest
# cmdline: gdb=wait hello alpha beta
echo CHECK-attached\n
break strlen
break memcpy
hbreak memset
continue
echo CHECK-stopped\n
bt 3
x/2i $pc
delete
echo CHECK-deleted\n
detach
