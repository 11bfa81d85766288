#!/usr/bin/env bash
# The reboot suite: the QEMU host rebooted (reboot -f) while guests are
# being stopped, each a boot of its own that the reboot ends: a stop
# under way (reboot-stopping), an rmmod's stop under way (reboot-rmmod),
# forced stops joining the reboot's while Linux refuses a core back
# (reboot-forced).  Apart from the qemu suite so that make test runs
# these short boots beside its long ones.
#
#   tests/reboot/run.sh BUILD_DIR
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "" "$@"
set -- "${checked_args[@]}"
QEMU_BOOTS="reboot-stopping;reboot-rmmod;reboot-forced" SUITE_LABEL=reboot \
	exec "$here/../qemu/run.sh" "$@"
