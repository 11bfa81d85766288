# Two pooled cores, and a spawn that asks for any CPU while the higher one
# is being released: it gets the other pooled core, not "CPU 3 is being
# reserved or released", through kspawnctl (which, without --cpu, lets
# the module pick) and through the raw ioctl (ioctlabuse any-cpu).  The
# test knob test_release_delay_ms keeps the release on its way out for
# 3 s, so both come in the middle.  (Seen red before the module's list
# and its own choice skipped moving cores: both failed with EBUSY.)
# QEMU -smp 4: CPUs 2 and 3 are pooled.
. /tests/lib.sh
[ "$(nproc)" -ge 4 ] || { bad "needs 4 CPUs, have $(nproc)"; finish; }
knob=/sys/module/kspawn/parameters/test_release_delay_ms
trap 'echo 0 > $knob; kspawnctl release 2-3 >/dev/null 2>&1
for c in 2 3; do echo 1 > /sys/devices/system/cpu/cpu$c/online; done 2>/dev/null' EXIT
expect 0 kspawnctl reserve 2-3
expect 0 kspawnctl list
has 'pool: CPUs 2-3 reserved for guests, free: 2-3'
echo 3000 > $knob
kspawnctl release 3 > /tmp/release.out 2>&1 &
rel=$!
# Until the release has CPU 3 on its way out (no longer listed free).
for _ in $(seq 50); do
	kspawnctl list | grep -q 'free: 2$' && break
	sleep 0.1
done
expect 0 kspawnctl list
has 'free: 2$'
expect 0 ioctlabuse "$IMG" any-cpu
has '^any-cpu: CPU 2$'
spawn "$IMG" --cmdline "hello race" || finish
wait_state "$id" halted
cpu=$(json_get cpu "$(kspawnctl --json status "$id")")
[ "$cpu" = 2 ] || bad "instance $id went to CPU '$cpu', want the free pooled CPU 2"
wait $rel || bad "kspawnctl release 3 failed: $(cat /tmp/release.out)"
echo 0 > $knob
[ "$(cpu_online 3)" = 1 ] || bad "the released CPU 3 is not online"
expect 0 kspawnctl stop "$id"
expect 0 kspawnctl release 2
[ "$(cpu_online 2)" = 1 ] || bad "the released CPU 2 is not online"
want_no_instances
finish
