# A flood of timed echoes (hostile echoflood): the guest asks for a new
# echo with every ring, as fast as it can, without waiting, until no echo
# came back for 1 s (at most 30 s; the flood's masks double from 100 ms
# to 1.6 s).  Each one answered costs the
# doorbell's CPU (0) an interrupt and an IPI, and brings the devices
# nothing, so the module answers them only within a budget (25 000 at
# once: doorbench's 20 100 fit; then 1 000 a second) and counts the rest,
# and rings that repeat an echo already answered, as rings to nothing:
# the doorbell is masked as a flood and the guest hears silence.  The
# guest has no device: its rings are counted all the same (before, only a
# guest with one had a thread to count them).  Afterwards the host echoes
# again.
# floods: on purpose (the runner then allows doorbell flood lines)
. /tests/lib.sh

spawn "$TEST_IMG" --cpu 1 --cmdline "hostile echoflood" || finish
follow "$id" /tmp/echoflood.out
seen /tmp/echoflood.out 'echoflood: ringing'
within_1s kspawnctl list
wait $follower
sed 's/^/  | /' /tmp/echoflood.out
dmesg | grep "instance $id: doorbell flood" | head -n 3 | sed 's/^/  k| /'
dmesg | grep -q "instance $id: doorbell flood" ||
	bad "the module did not mask the echo flood"
grep -q 'hostile: echoflood: .* echoes back, then silence' /tmp/echoflood.out ||
	bad "the host answered the guest's echoes to the end (30 s)"
grep -q 'hostile: echoflood: answered again' /tmp/echoflood.out ||
	bad "the host did not echo again after the flood"
expect 0 kspawnctl stop "$id"
want_online 1
want_no_instances
finish
