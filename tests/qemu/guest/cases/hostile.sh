# A hostile guest breaks the virtio rules on purpose (guest/apps/test/hostile.c):
# buffers outside its region, a 4 GiB buffer, a looping chain, nested
# indirect tables, a wild available index, a flood of doorbells; the bad
# requests once on a split ring and once on a packed one (vring=packed).
# Each bad request gets the device marked NEEDS_RESET with one log line; a
# second guest running blkcheck beside it is unaffected; the host's log
# stays clean (checked for every case).
# floods: on purpose (the runner then allows doorbell flood lines)
. /tests/lib.sh
[ "$(nproc)" -ge 3 ] || { bad "needs 3 CPUs, have $(nproc)"; finish; }
spawn "$IMG" --cpu 2 --ramdisk 32M --cmdline "blkcheck qd=8" || finish
neighbour=$id
before=$(dmesg | grep -c 'blk device: .*needs reset')
# One bad guest: MODE, split or packed, and the reason the host must log.
bad_guest() {
	spawn "$TEST_IMG" --cpu 1 --ramdisk 1M --cmdline "vring=$2 hostile $1" || return
	expect 0 kspawnctl console "$id" --follow
	has "virtio-blk: .*, $2 ring"
	has "hostile: $1: the device needs reset, as it should"
	dmesg | grep 'blk device: .*needs reset' | tail -n 1 | grep -qE "$3" ||
		bad "hostile $1 on a $2 ring: the host's last 'needs reset' line does not say /$3/"
	expect 0 kspawnctl stop "$id"
}
for vring in split packed; do
	bad_guest outside $vring "outside the guest's region"
	bad_guest huge $vring "too long in bytes"
	bad_guest nested $vring "nested indirect table"
done
bad_guest loop split "descriptor chain loops|too many buffers"
# The 128-buffer bound may end a loop before the loop check does.
bad_guest loop packed "too many buffers|longer than the ring"
bad_guest wild split "ahead by more than the queue size"
after=$(dmesg | grep -c 'blk device: .*needs reset')
dmesg | grep 'blk device: .*needs reset' | sed 's/^/  log: /'
[ $((after - before)) -eq 9 ] || bad "$((after - before)) 'needs reset' log lines, want one per bad guest (9)"
# Garbage in the device status and queue fields: nothing to refuse loudly,
# nothing may break.
spawn "$TEST_IMG" --cpu 1 --ramdisk 1M --cmdline "hostile status" || finish
expect 0 kspawnctl console "$id" --follow
has 'hostile: status: 256 garbage states written'
expect 0 kspawnctl stop "$id"

# Garbage in the ABI header and the console ring's index: the module keeps
# its own copies of what it needs and declares the ring broken (one line).
# The guest, which finds its own state record through the header, loses
# its heartbeat: the host reports it hung, and stops it all the same.
spawn "$TEST_IMG" --cpu 1 --ramdisk 1M --cmdline "hostile header" || finish
wait_state "$id" hung halted
expect 0 kspawnctl console "$id"
has 'hostile: header: scribbling'
dmesg | grep -q 'indices out of range' || bad "no log line for the broken console ring"
expect 0 kspawnctl stop "$id"

# Terminal escapes in the text kspawnctl shows of a guest: its command
# line (rewritten in the header) and its panic message.  They must come
# out as '?', in status and list, or the guest writes to the admin's
# terminal.  (Seen red with kspawnctl printing them as they were.)  The
# message ends in 0xe9, Latin-1's e-acute, which the module's own log
# line of the panic must print as '?' too: printable ASCII only.  (Seen
# red with the byte in the log: Linux's isprint() passes 0xa0-0xff.)
spawn "$TEST_IMG" --cpu 1 --cmdline "hostile escapes" || finish
wait_state "$id" panicked
esc=$(printf '\033')
# The monitor logs it within 5 ms of the state the status saw.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	line=$(dmesg | grep "instance $id: guest panicked" | tail -n 1)
	[ -z "$line" ] || break
	sleep 0.1
done
case $line in
*': hostile: ?[2J?]0;owned? text?') ;;
*) bad "the module's panic line is not the message in printable ASCII; it ends in bytes$(printf '%s' "$line" | tail -c 16 | od -An -tx1 | tr -s ' \n' ' ')" ;;
esac
expect 0 kspawnctl status "$id"
has '^cmdline: +\?\[2J\?\]0;owned\? text$'
has 'message: hostile: \?\[2J\?\]0;owned\? text\?$'
case $out in *"$esc"*) bad "kspawnctl status printed the guest's escapes" ;; esac
expect 0 kspawnctl list
has '\?\[2J\?\]0;owned\? text'
case $out in *"$esc"*) bad "kspawnctl list printed the guest's escapes" ;; esac
# JSON keeps the bytes, escaped.
expect 0 kspawnctl --json status "$id"
has '"cmdline": "\\u001b\[2J\\u001b\]0;owned\\u0007 text"'
case $out in *"$esc"*) bad "kspawnctl --json status printed the guest's escapes raw" ;; esac
expect 0 kspawnctl stop "$id"

# A guest ringing its doorbell as fast as it can for 3 s, to nothing: the
# module masks the doorbell and polls the device on a back-off meanwhile.
# Every ring of a look that finds nothing counts towards the mask, not
# one per look: counted per look, a thread short of CPU under TCG saw too
# few rings in any 100 ms, and the flood went unmasked in about 1 boot in
# 6 (the mask check below failed; 31 914 rings reached the handler then).
# The rings that reached the handler and the I/O thread's CPU time are
# shown, not checked: under TCG the first spread from 409 to 2 480 with
# the fix and from 565 up without it, and the second read 0 even for a
# thread made to spin while masked (cause not found).
# kspawnctl answers at once meanwhile, the neighbour goes on, and
# afterwards the guest's I/O works.
spawn "$TEST_IMG" --cpu 1 --ramdisk 1M --cmdline "hostile flood" || finish
flood=$id
follow "$flood" /tmp/flood.out
sleep 1
pid=$(pid_of "kspawn-io/$flood") || bad "no kspawn-io/$flood thread"
t0=$(cpu_ns "$pid") c0=$(now_cs)
within_1s kspawnctl list
within_1s kspawnctl status "$neighbour"
sleep 1
t1=$(cpu_ns "$pid") c1=$(now_cs)
wait $follower
sed 's/^/  | /' /tmp/flood.out
grep -q 'hostile: flood: the doorbells stopped, I/O still works' /tmp/flood.out ||
	bad "the flooding guest's I/O failed"
busy=$(( (t1 - t0) / 1000000 )) wall=$(( (c1 - c0) * 10 ))
irqs=$(doorbell_irqs "$flood")
note "${irqs:-no} doorbell interrupts; kspawn-io/$flood ran $busy ms in $wall ms of the flood"
dmesg | grep "instance $flood: doorbell flood" | head -n 3 | sed 's/^/  k| /'
dmesg | grep -q "instance $flood: doorbell flood" || bad "the module did not mask the flooding doorbell"
expect 0 kspawnctl stop "$flood"

# The same flood paid with credit (hostile credit): a ring claiming 17
# kicks with nothing behind them, then 16 bare rings, over and over.  The
# module forgives bare rings after kicks merged into one interrupt, but
# a ring that brought nothing voids that credit: masked all the same.
spawn "$TEST_IMG" --cpu 1 --ramdisk 1M --cmdline "hostile credit" || finish
flood=$id
follow "$flood" /tmp/credit.out
wait $follower
sed 's/^/  | /' /tmp/credit.out
grep -q 'hostile: flood: the doorbells stopped, I/O still works' /tmp/credit.out ||
	bad "the crediting guest's I/O failed"
dmesg | grep "instance $flood: doorbell flood" | head -n 3 | sed 's/^/  k| /'
dmesg | grep -q "instance $flood: doorbell flood" || bad "the module did not mask the doorbell flood paid with credit"
expect 0 kspawnctl stop "$flood"

# Resets in a loop (hostile resetflood): each ring carries a status
# change the host must act on, so each wakes the I/O thread, but past a
# bring-up's handful a reset is no work: the rings count towards the
# flood guard and the doorbell is masked all the same.
spawn "$TEST_IMG" --cpu 1 --ramdisk 1M --cmdline "hostile resetflood" || finish
flood=$id
follow "$flood" /tmp/resetflood.out
within_1s kspawnctl list
wait $follower
sed 's/^/  | /' /tmp/resetflood.out
grep -q 'hostile: resetflood: .* acted on' /tmp/resetflood.out ||
	bad "the resetting guest did not finish"
dmesg | grep "instance $flood: doorbell flood" | head -n 3 | sed 's/^/  k| /'
dmesg | grep -q "instance $flood: doorbell flood" || bad "the module did not mask a flood of resets"
expect 0 kspawnctl stop "$flood"
expect 0 kspawnctl console "$neighbour" --follow
has 'blkcheck: OK sectors=65536'
expect 0 kspawnctl stop "$neighbour"
want_online 1
want_online 2
want_no_instances
finish
