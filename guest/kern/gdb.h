/*
 * The in-guest gdb stub, switched on by the kernel option gdb=on or
 * gdb=wait (stop before the app's main until a debugger attaches).  It
 * speaks over the ABI debug channel when spawned (kspawnctl gdb bridges it
 * to TCP), and over COM2 when booted alone.
 */
#ifndef KERN_GDB_H
#define KERN_GDB_H

#include "lib/cmdline.h"

void gdb_init(const struct cmdline *c);

/* With gdb=wait: stop here until gdb connects and continues. */
void gdb_wait_if_asked(void);

#endif
