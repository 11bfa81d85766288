# Where a guest's doorbell rings (kspawnctl run --doorbell-cpu N): the
# module allocates the interrupt on that host CPU, so the guest's rings,
# and the work they start (ksnetN's NAPI), land there instead of on
# CPU 0, which every guest shared before.  The CPU must stay online while
# the doorbell lives: offlining it, or starting a guest on it, is refused
# until the guest stops.  A CPU that cannot take it fails the spawn, with
# the reason.  (QEMU -smp 4: CPUs 0, 2 and 3 stay with Linux.)
. /tests/lib.sh
[ "$(nproc)" -ge 4 ] || { bad "needs 4 CPUs, have $(nproc)"; finish; }
# The cases after this one in the boot want every CPU back, whatever fails.
trap 'for c in 2 3; do echo 1 > /sys/devices/system/cpu/cpu$c/online; done 2>/dev/null' EXIT

# on_cpu ID CPU: instance ID's doorbell interrupts that CPU took, by the
# column /proc/interrupts' header gives that CPU (only online ones show).
on_cpu() {
	awk -v n="kspawn-doorbell-$1" -v c="CPU$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i + 1; next }
		$NF == n { print col ? $col : "none" }' /proc/interrupts
}

spawn "$IMG" --cpu 1 --doorbell-cpu 2 --net netdev \
	--cmdline "udpecho ip=169.254.1.2" || finish
expect 0 kspawnctl status "$id"
has '^doorbell: +CPU 2, vector [0-9]+$'
s=$(kspawnctl --json status "$id")
[ "$(json_get doorbell_cpu "$s")" = 2 ] || bad "--json status: doorbell_cpu '$(json_get doorbell_cpu "$s")', want 2"
ip addr add 169.254.1.1/16 dev ksnet0 && ip link set ksnet0 up || bad "no ksnet0"
expect 0 udpcheck 169.254.1.2 7 200
has '200 echoed intact, 0 lost, 0 corrupted'
c0=$(on_cpu "$id" 0)
c2=$(on_cpu "$id" 2)
note "doorbell interrupts: CPU 0 $c0, CPU 2 $c2"
[ "${c2:-0}" -gt 0 ] 2>/dev/null || bad "CPU 2 took none of the guest's doorbells"
[ "$c0" = 0 ] || bad "CPU 0 took $c0 of the guest's doorbells, want none"

# CPU 2 carries the doorbell: Linux may not take it offline, nor may a
# guest have it.
echo 0 > /sys/devices/system/cpu/cpu2/online 2>/tmp/offline.err
st=$?
note "echo 0 > cpu2/online -> $st: $(cat /tmp/offline.err)"
[ "$st" -ne 0 ] || bad "CPU 2 went offline under a guest's doorbell"
want_online 2
dmesg | grep -q 'CPU 2 takes the doorbell of 1 guest' ||
	bad "the module did not say why CPU 2 stays online"
expect 7 kspawnctl run "$TEST_IMG" --cpu 2 --cmdline spin
has 'CPU 2 takes a guest.s doorbell'
[ "$(instances)" = 1 ] || bad "$(instances) instances, want 1"
expect 7 kspawnctl reserve 2
has 'CPU 2 is busy: .*doorbell'
want_online 2
expect 0 udpcheck 169.254.1.2 7 50
has '50 echoed intact, 0 lost, 0 corrupted'
expect 0 kspawnctl stop "$id"

# Its guest gone, CPU 2 is free again.
if echo 0 > /sys/devices/system/cpu/cpu2/online; then
	[ "$(cpu_online 2)" = 0 ] || bad "CPU 2 still online"
	echo 1 > /sys/devices/system/cpu/cpu2/online || bad "CPU 2 would not come back"
else
	bad "CPU 2 stays online after its doorbell's guest stopped"
fi
want_online 2

# Without --cpu, the guest's CPU is chosen away from its doorbell's, and
# the next guest's away from it too.
spawn "$TEST_IMG" --doorbell-cpu 3 --cmdline spin || finish
first=$id
s=$(kspawnctl --json status "$id")
note "guest $id: CPU $(json_get cpu "$s"), doorbell on CPU $(json_get doorbell_cpu "$s")"
case $(json_get cpu "$s") in 1|2) ;; *) bad "the guest got CPU '$(json_get cpu "$s")', want 1 or 2 (3 has its doorbell)" ;; esac
[ "$(json_get doorbell_cpu "$s")" = 3 ] || bad "doorbell on CPU '$(json_get doorbell_cpu "$s")', want 3"
spawn "$TEST_IMG" --cmdline spin || finish
s=$(kspawnctl --json status "$id")
note "guest $id: CPU $(json_get cpu "$s")"
case $(json_get cpu "$s") in 1|2) ;; *) bad "the next guest got CPU '$(json_get cpu "$s")', want 1 or 2 (3 has a doorbell)" ;; esac
expect 0 kspawnctl stop "$id"
expect 0 kspawnctl stop "$first"

# The module's own refusals, behind kspawnctl's (tests/qemu/ioctlabuse_starts.c).
expect 0 ioctlabuse "$TEST_IMG" doorbell
has 'ioctlabuse: 0 failed'
want_no_instances

# The default is CPU 0, as before.
spawn "$TEST_IMG" --cpu 1 --cmdline spin || finish
expect 0 kspawnctl status "$id"
has '^doorbell: +CPU 0, vector [0-9]+$'
expect 0 kspawnctl stop "$id"

# Refused, each with its reason, and nothing left behind.
expect 2 kspawnctl run "$TEST_IMG" --cpu 1 --doorbell-cpu 1 --cmdline spin
has 'is the guest.s own CPU'
expect 2 kspawnctl run "$TEST_IMG" --cpu 1 --doorbell-cpu x --cmdline spin
has 'wants a CPU number'
expect 7 kspawnctl run "$TEST_IMG" --cpu 1 --doorbell-cpu 99 --cmdline spin
has 'doorbell-cpu 99: there is no such CPU'
echo 0 > /sys/devices/system/cpu/cpu3/online || bad "CPU 3 would not go offline"
expect 7 kspawnctl run "$TEST_IMG" --cpu 1 --doorbell-cpu 3 --cmdline spin
has 'doorbell-cpu 3: the CPU is offline'
echo 1 > /sys/devices/system/cpu/cpu3/online
want_online 3
want_online 1
want_no_instances
finish
