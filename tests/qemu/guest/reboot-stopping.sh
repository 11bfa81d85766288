# Inside the QEMU host, a boot of its own for tests/qemu/run.sh's
# reboot-stopping case: the host reboots at once (reboot -f: no init
# scripts, straight to the kernel's reboot notifiers) while a stop of a
# guest is under way.  QEMU runs with -no-reboot, so the reboot ends the
# boot; the build machine reads the console.
#
# The guest ignores the polite stop (crash hang) and its core comes from
# the pool (it stays parked: CPU 0 is the only one online).  A kspawnctl
# stop, 4 s of asking, is under way when the reboot comes from a
# real-time process (SCHED_FIFO 50, as a watchdog daemon's).  The module
# must wait for that stop, not retire the instance a second time (both
# once waited for the other's reference), and wait asleep, not spin on
# the CPU the stop needs.  (A plain reboot is reboot-forced.sh's third
# guest.)  REBOOT_DURING=rmmod (reboot-rmmod.sh): an rmmod stops it.
dmesg -n 8	# the module's lines on the console, down to KERN_INFO
if ! kspawnctl reserve 1; then
	echo "reboot-case: kspawnctl reserve 1 failed"
	exit 1
fi
id=$(kspawnctl run /guest/kspawn-guest-test.elf --cpu 1 --cmdline "crash hang") || {
	echo "reboot-case: kspawnctl run failed"
	exit 1
}
sleep 1
kspawnctl list
state=$(kspawnctl list | awk -v id="$id" '$1 == id { print $3 }')
echo 4000 > /sys/module/kspawn/parameters/stop_timeout_ms
if [ "${REBOOT_DURING:-stop}" = rmmod ]; then
	rmmod kspawn &
else
	kspawnctl stop "$id" &
fi
sleep 1
echo "reboot-case: instance $id $state; rebooting"
rtrun 50 reboot -f
sleep 60
echo "reboot-case: still up 60 s after reboot -f"
exit 1
