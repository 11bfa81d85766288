/*
 * kspawnctl: start, watch and stop kspawn guests through /dev/kspawn.
 * cli.c reads the command line; `kspawnctl --help` is the manual (usage.c).
 */
#include "ctl.h"

int main(int argc, char **argv)
{
	return ctl_main(argc, argv);
}
