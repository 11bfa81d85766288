# Guests measure the APIC timer clock; the module passes it on to later
# guests (they skip calibrating, ABI 1.2), but only once two guests agree:
# a hostile guest reporting a false clock first does not get it into the
# next guests' timers.  A fresh module for a clean slate.
. /tests/lib.sh
n0=$(dmesg | wc -l)
expect 0 rmmod kspawn
expect 0 kspawn-load
# hello_clock: a hello guest; its timer line in $clock ("63040 kHz (from
# the host)").
hello_clock() {
	spawn "$IMG" --cpu 1 --cmdline hello || finish
	expect 0 kspawnctl console "$id" --follow
	clock=$(echo "$out" | sed -n 's/^apic: timer \([0-9]* kHz ([a-zA-Z -]*)\).*/\1/p')
	expect 0 kspawnctl stop "$id"
}
# liar: a guest that tells the host a 5 GHz clock.
liar() {
	spawn "$TEST_IMG" --cpu 1 --cmdline "hostile clock" || finish
	expect 0 kspawnctl console "$id" --follow
	has 'hostile: clock: told the host'
	liar=$id
	expect 0 kspawnctl stop "$id"
}
liar
hello_clock
a=$clock
hello_clock
b=$clock
hello_clock
c=$clock
note "after the liar: $a; then $b; then $c"
case $a in *"(from the host)"*) bad "the guest after the liar was given a clock: $a" ;; esac
case $b in *"(from the host)"*) bad "one guest's word was enough: $b" ;; esac
case $c in *"(from the host)"*) ;; *) bad "two guests agreed, the third still calibrated: $c" ;; esac
[ "${c%% *}" != 5000000 ] || bad "the liar's 5 GHz reached a guest"
learnt=$(dmesg | tail -n +$((n0 + 1)) | grep 'APIC timer clock' | tail -n 1)
note "${learnt#*] }"
echo "$learnt" | grep -q 'as instances' || bad "no log line for a clock two guests agreed on"
echo "$learnt" | grep -qw "instances* $liar" && bad "the clock was learnt from the liar, instance $liar"
# A lie between two honest guests does not keep them from agreeing: the
# module remembers the last few candidates, not only the last one.
expect 0 rmmod kspawn
expect 0 kspawn-load
hello_clock
liar
hello_clock
b=$clock
hello_clock
c=$clock
note "honest, liar, then: $b; then $c"
case $b in *"(from the host)"*) bad "the guest after the liar was given a clock: $b" ;; esac
case $c in *"(from the host)"*) ;; *) bad "the guests before and after the liar agreed, the next still calibrated: $c" ;; esac
[ "${c%% *}" != 5000000 ] || bad "the liar's 5 GHz reached a guest"
want_no_instances
finish
