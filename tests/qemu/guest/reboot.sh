# Inside the QEMU host, a boot of its own for tests/qemu/run.sh's reboot
# cases: a guest runs, then the host reboots at once (reboot -f: no init
# scripts, straight to the kernel's reboot notifiers).  The module must
# stop the guest on the way down: its core is offline to Linux, and a
# kexec would otherwise leave it running under the next kernel.  QEMU
# runs with -no-reboot, so the reboot ends the boot; the build machine
# reads the console.
#
#   reboot.sh           a guest running (spin)
#   reboot.sh stopping  a guest that ignores the polite stop (crash hang),
#                       its core from the pool (it stays parked: CPU 0 is
#                       the only one online), with a kspawnctl stop under
#                       way, 4 s of asking, when the reboot comes from a
#                       real-time process (SCHED_FIFO 50, as a watchdog
#                       daemon's).  The module must wait for that stop,
#                       not retire the instance a second time (both once
#                       waited for the other's reference), and wait
#                       asleep, not spin on the CPU the stop needs.
dmesg -n 8	# the module's lines on the console, down to KERN_INFO
app=spin
[ "${1:-}" = stopping ] && app="crash hang"
if [ "${1:-}" = stopping ] && ! kspawnctl reserve 1; then
	echo "reboot-case: kspawnctl reserve 1 failed"
	exit 1
fi
id=$(kspawnctl run /guest/kspawn-guest-test.elf --cpu 1 --cmdline "$app") || {
	echo "reboot-case: kspawnctl run failed"
	exit 1
}
sleep 1
kspawnctl list
state=$(kspawnctl list | awk -v id="$id" '$1 == id { print $3 }')
if [ "${1:-}" = stopping ]; then
	echo 4000 > /sys/module/kspawn/parameters/stop_timeout_ms
	kspawnctl stop "$id" &
	sleep 1
fi
echo "reboot-case: instance $id $state; rebooting"
if [ "${1:-}" = stopping ]; then
	rtrun 50 reboot -f
else
	reboot -f
fi
sleep 60
echo "reboot-case: still up 60 s after reboot -f"
exit 1
