# gdb leaves without detaching (its disconnect command; a crash or a
# dropped line is the same to the stub) and a second gdb session starts
# on the stopped guest.  The first left the stub in no-ack mode, and the
# second waited in vain for the ack of its qSupported: it never began.
# stub: guest
# cmdline: gdb=wait hello alpha beta
echo CHECK-attached\n
python gdb.set_convenience_variable("where", gdb.selected_inferior().connection.details)
disconnect
python gdb.execute("target remote " + gdb.convenience_variable("where").string())
echo CHECK-second\n
bt 2
break hello_main
continue
echo CHECK-at-hello\n
bt 1
detach
