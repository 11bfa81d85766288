# A boot of its own (-smp 4) for tests/qemu/run.sh's reboot-forced case:
# the reboot's stop of a guest that ignores the polite stop (crash hang)
# is joined by a `kspawnctl stop --force`, and Linux refuses to take the
# guest's core back (CPU 1's next bring-up made to fail through
# /sys/devices/system/cpu/cpu1/hotplug/fail, at the module's own hotplug
# state).  The forced stop must say that the stop failed, as one that
# failed by itself does, not 0.  A second such guest, on CPU 2, keeps
# the reboot in its own polite stop (20 s) until the first's forced stop
# has said how it went, and is then stopped with --force too.  A third
# guest, on CPU 3, that answers the polite stop (spin) is the plain
# reboot's: the reboot's own stop ends it and CPU 3 is online again
# before the kernel restarts, as a kexec needs.
dmesg -n 8	# the module's lines on the console, down to KERN_INFO
img=/guest/kspawn-guest-test.elf
a=$(kspawnctl run $img --cpu 1 --cmdline "crash hang") &&
	b=$(kspawnctl run $img --cpu 2 --cmdline "crash hang") &&
	c=$(kspawnctl run $img --cpu 3 --cmdline spin) || {
	echo "reboot-case: kspawnctl run failed"
	exit 1
}
sleep 1
echo 20000 > /sys/module/kspawn/parameters/stop_timeout_ms
state=$(sed -n 's|^ *\([0-9]*\): kspawn/guard:prepare$|\1|p' \
	/sys/devices/system/cpu/hotplug/states)
echo "$state" > /sys/devices/system/cpu/cpu1/hotplug/fail || {
	echo "reboot-case: cannot make CPU 1's bring-up fail (state '$state')"
	exit 1
}
echo "reboot-case: instances $a, $b and $c running; rebooting"
reboot -f &
i=0
while ! dmesg | grep -q 'going down: stopping every guest' && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 1		# the reboot's stop of $a is asking it now
kspawnctl stop --force "$a"
echo "reboot-case: forced stop of the first: status $?"
kspawnctl stop --force "$b"
echo "reboot-case: forced stop of the second: status $?"
sleep 60
echo "reboot-case: still up 60 s after reboot -f"
exit 1
