# Inside the QEMU host, a boot of its own for tests/qemu/run.sh's reboot
# case: a guest runs, then the host reboots at once (reboot -f: no init
# scripts, straight to the kernel's reboot notifiers).  The module must
# stop the guest on the way down: its core is offline to Linux, and a
# kexec would otherwise leave it running under the next kernel.  QEMU
# runs with -no-reboot, so the reboot ends the boot; the build machine
# reads the console.
dmesg -n 8	# the module's lines on the console, down to KERN_INFO
id=$(kspawnctl run /guest/kspawn-guest-test.elf --cpu 1 --cmdline spin) || {
	echo "reboot-case: kspawnctl run failed"
	exit 1
}
sleep 1
kspawnctl list
if kspawnctl status "$id" | grep -qw running; then
	echo "reboot-case: instance $id running; rebooting"
else
	echo "reboot-case: instance $id is not running; rebooting all the same"
fi
reboot -f
sleep 60
echo "reboot-case: still up 60 s after reboot -f"
exit 1
