# Inside the QEMU host, for scripts/gdb-spawned.sh: spawn the guest image
# harness.guestimg= names (in /guest) on the CPUs harness.guestcpus= lists
# (default 1) with the command line given (base64) as harness.guestcmd=,
# bridge its debug
# channel to the second serial port (/dev/ttyS1, which QEMU exports to the
# build machine for gdb), show its console until it ends, then stop it.
cmd= img=kspawn-guest.elf cpus=1
for arg in $(cat /proc/cmdline); do
	case $arg in
	harness.guestcmd=*) cmd=$(echo "${arg#harness.guestcmd=}" | base64 -d) ;;
	harness.guestimg=*) img=${arg#harness.guestimg=} ;;
	harness.guestcpus=*) cpus=${arg#harness.guestcpus=} ;;
	esac
done
id=$(kspawnctl run "/guest/$img" --cpus "$cpus" --cmdline "$cmd") || exit 1
echo "gdb-spawn: instance $id: $cmd"
kspawnctl gdb "$id" --tty /dev/ttyS1 &
bridge=$!
timeout "${GDB_SPAWN_TIMEOUT:-600}" kspawnctl console "$id" --follow
rc=$?
# A guest that ends right after answering gdb (smp-stop: detach, then
# parwork, cut short, returns): the bridge polls the debug channel every
# few ms, and killed at once it may not have passed that answer on yet.
sleep 1
kill $bridge 2>/dev/null
wait $bridge 2>/dev/null
kspawnctl stop "$id" --force
echo "gdb-spawn: guest ended, console status $rc"
exit $rc
