/*
 * idle: sleep until the host stops the guest, the guest's peer of a
 * process waiting in pause() (bench/spawn: a stop then measures what a
 * stop costs, not how soon a busy CPU notices it).
 */
#include "kspawn.h"

static int idle_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (;;)
		thread_sleep_ms(1000);
	return 0;
}
APP(idle, idle_main, "sleep until stopped (spawnbench's idle guest)");
