# host-broadcast on a host booted with no_ipi_broadcast=1: the guest must
# see none of the broadcasts, and the module say nothing (the -smp 5 boot).
broadcast=no
. /tests/cases/host-broadcast.sh
