# Inside the QEMU host, a boot of its own for tests/qemu/run.sh's
# reboot-rmmod case: reboot-stopping.sh's reboot while an rmmod, not a
# kspawnctl stop, is stopping the guest that ignores the polite stop.
# The module keeps its reboot notifier until every guest is stopped, so
# the reboot still waits for that stop; before, rmmod dropped the
# notifier first and the kernel restarted (a kexec would go on) with the
# guest still running on its core.
REBOOT_DURING=rmmod . /tests/reboot-stopping.sh
