/* Which CPUs Linux has online, to pick one and to explain refusals. */
#ifndef KSPAWNCTL_CPUS_H
#define KSPAWNCTL_CPUS_H

/*
 * With *cpu < 0, choose the highest online CPU other than CPU 0 that is not
 * the last online one; otherwise check that *cpu can be taken.  Prints why
 * not and returns an exit status.
 */
int cpus_choose(int *cpu);

#endif
