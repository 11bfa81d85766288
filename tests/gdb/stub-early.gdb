# gdb=wait with gdb there first: QEMU starts the guest only once gdb is
# connected and its first packet waits on COM2, before the stub's
# break-in poller reads anything.  The guest must still stop once, in
# its main thread before the app, and the first continue must run to the
# breakpoint: it used to attach in the poller's thread, then stop again
# with a stray SIGTRAP in gdb_wait_if_asked.  The guest starts 3 s after
# gdb connected: longer than gdb's default wait for an answer (2 s), after
# which gdb would send its first packet again and then take the second
# answer for the reply to its next packet; the launchers give it 30 s.
# stub: guest
# start: after-connect 3
# cmdline: gdb=wait hello alpha
echo CHECK-attached\n
bt 2
break hello_main
continue
echo CHECK-at-hello\n
bt 1
detach
