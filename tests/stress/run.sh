#!/usr/bin/env bash
# The stress suite: the full stack under repetition and abuse, in one QEMU
# host with 3 CPUs: 100 start/stop cycles of every kind (halt, panic,
# polite and forced stops, hang, disk and network guests) with MemFree,
# slab usage and online CPUs back at their start values.  (The hostile
# guest beside a healthy one, which it once ran again after the cycles,
# is the qemu suite's `hostile`: the same case, 19 s of make test's
# time twice.)  Well under 15 minutes under TCG.
#
#   tests/stress/run.sh BUILD_DIR
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "" "$@"
set -- "${checked_args[@]}"
QEMU_BOOTS="3 stress-cycles" SUITE_LABEL=stress \
	exec "$here/../qemu/run.sh" "$@"
