# Inside the QEMU host, a boot of its own for tests/qemu/run.sh's
# reboot-rmmod case: the host reboots at once (reboot -f) while an rmmod
# is stopping a guest that ignores the polite stop (crash hang, its core
# pooled).  The module keeps its reboot notifier until every guest is
# stopped, so the reboot still waits for that stop; before, rmmod dropped
# the notifier first and the kernel restarted (a kexec would go on) with
# the guest still running on its core.
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
rmmod kspawn &
sleep 1
echo "reboot-case: instance $id $state; rebooting"
rtrun 50 reboot -f
sleep 60
echo "reboot-case: still up 60 s after reboot -f"
exit 1
