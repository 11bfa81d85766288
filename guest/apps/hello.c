/* hello: the smallest app; proves boot, console and argument passing. */
#include "kspawn.h"

static int hello_main(int argc, char **argv)
{
	kprintf("Hello from the spawned kernel!\n");
	for (int i = 1; i < argc; i++)
		kprintf("  argv[%d] = %s\n", i, argv[i]);
	return 0;
}
APP(hello, hello_main, "print a greeting and the arguments");
