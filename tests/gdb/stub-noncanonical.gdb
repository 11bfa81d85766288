# Addresses gdb may name that are not canonical (bits 63..48 not copies
# of bit 47).  The stub's page-table walk looks at bits 47..12 only, so
# 0x0000ffff80100000 found the PTE of 0xffffffff80100000 (kernel text),
# and the copy from it took a #GP inside the stub: the guest panicked at
# a user's "x" of a mistyped address.  Each gets an error reply instead,
# and the guest runs on to its end once gdb detaches.  (In Python: a gdb
# error in the script itself would end it.)
# stub: guest
# cmdline: gdb=wait hello
echo CHECK-attached\n
python
for cmd in ("x/gx 0x0000ffff80100000",
            "set var *(char *)0x0000ffff80100000 = 1",
            "x/gx 0x0000800000000000",
            "break *0x0000ffff80100000",
            "continue"):
    try:
        gdb.execute(cmd)
        print("CHECK-ok", cmd)
    except gdb.error as e:
        print("CHECK-error", cmd, "|", e)
end
delete
echo CHECK-alive\n
print $pc != 0
detach
