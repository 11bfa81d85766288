/*
 * spin: a thread that spins forever while main counts rounds, for the
 * debugger tests: watch a variable being written, break into a busy
 * guest, and set stop_now to let the app end.
 */
#include <stdint.h>
#include <stdio.h>

#include "kspawn.h"

volatile uint64_t spin_count;
volatile int rounds;
volatile int stop_now;

static int spinner(void *arg)
{
	(void)arg;
	for (;;)
		spin_count++;
	return 0;
}

static int spin_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (!thread_create("spinner", spinner, NULL, NULL))
		return 1;
	while (!stop_now && rounds < 100000) {
		thread_sleep_ms(10);
		rounds++;
	}
	printf("spin: %s after %d rounds\n",
	       stop_now ? "stopped by the debugger" : "gave up", rounds);
	return stop_now ? 0 : 1;
}
APP(spin, spin_main, "spin a thread until a debugger sets stop_now");
