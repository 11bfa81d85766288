# Guests measure the APIC timer clock; the module passes it on to later
# guests (they skip calibrating, ABI 1.2), but only once two guests agree:
# a hostile guest reporting a false clock first does not get it into the
# next guests' timers.  A fresh module for a clean slate.
. /tests/lib.sh
# The kernel log from here on, found by a mark: counting lines missed
# them once the log's buffer had wrapped, late in a long boot.
mark="timer-clock-start-$$-$(cut -d' ' -f1 /proc/uptime)"
echo "<6>$mark" > /dev/kmsg
since_mark() { dmesg | sed -n "/$mark/,\$p"; }
expect 0 rmmod kspawn
expect 0 kspawn-load
# hello_clock: a hello guest; its timer line in $clock ("63040 kHz (from
# the host)").
hello_clock() {
	spawn "$IMG" --cpu 1 --cmdline hello || finish
	expect 0 kspawnctl console "$id" --follow
	clock=$(echo "$out" | sed -n 's/^apic: timer \([0-9]* kHz ([a-zA-Z -]*)\).*/\1/p')
	said=$out
	expect 0 kspawnctl stop "$id"
}
# within3 X Y: the clocks X and Y (kHz) agree as the module counts it.
within3() { echo "$1 $2" | awk '{ d = $1 - $2; if (d < 0) d = -d; exit !(d <= $1 / 33) }'; }
# The liar's kernel reports its own honest measurement before its app
# lies, and the module may read it in that moment: the liar's instance
# may then be one of the two that agreed, with an honest clock.
# liar: a guest that tells the host a 5 GHz clock.
liar() {
	spawn "$TEST_IMG" --cpu 1 --cmdline "hostile clock" || finish
	expect 0 kspawnctl console "$id" --follow
	has 'hostile: clock: told the host'
	liar=$id
	expect 0 kspawnctl stop "$id"
}
liar
# honest: the clocks honest guests measured themselves; near_honest X:
# X agrees with one of them.
honest=
calibrated() { case $1 in *"(from the host)"*) ;; *) honest="$honest ${1%% *}" ;; esac; }
near_honest() {
	local h
	for h in $honest; do within3 "$h" "$1" && return 0; done
	return 1
}
hello_clock
a=$clock
a_id=$id
calibrated "$a"
hello_clock
b=$clock
calibrated "$b"
note "after the liar: $a; then $b"
case $a in *"(from the host)"*) bad "the guest after the liar was given a clock: $a" ;; esac
case $b in *"(from the host)"*)
	since_mark | grep -q "as instances $liar and $a_id measured" &&
		within3 "${a%% *}" "${b%% *}" || bad "one guest's word was enough: $b"
esac
# Honest measurements under a loaded TCG host spread by a few percent, so
# two of them may not agree at once: up to three more guests get the
# chance; the first one told the clock ends the wait.
c=
for try in 1 2 3; do
	hello_clock
	note "then $clock"
	calibrated "$clock"
	case $clock in *"(from the host)"*) c=$clock; break ;; esac
done
[ -n "$c" ] || bad "five honest guests measured, none was told the clock"
[ "${c%% *}" != 5000000 ] || bad "the liar's 5 GHz reached a guest"
learnt=$(since_mark | grep 'APIC timer clock' | tail -n 1)
note "${learnt#*] }"
echo "$learnt" | grep -q 'as instances' || bad "no log line for a clock two guests agreed on"
if echo "$learnt" | grep -qw "instances* $liar"; then
	note "the module read the liar's own measurement before its app lied"
	near_honest "${c%% *}" || bad "the clock learnt with the liar, instance $liar, is not one honest guests measured ($honest)"
fi
# A lie between two honest guests does not keep them from agreeing: the
# module remembers the last few candidates, not only the last one.
expect 0 rmmod kspawn
expect 0 kspawn-load
hello_clock
a=$clock
liar
hello_clock
b=$clock
hello_clock
c=$clock
note "honest ($a), liar, then: $b; then $c"
# After the liar, a guest may be told a clock (see within3), but only
# the honest guests' one.
case $b in *"(from the host)"*)
	within3 "${a%% *}" "${b%% *}" || bad "the guest after the liar was given a clock no honest guest measured: $b"
esac
# The module takes two measurements within 3% as agreeing; on a loaded
# TCG host two honest ones may not be, and then nobody is told: only
# when they are must the next guest be told.
if within3 "${a%% *}" "${b%% *}"; then
	case $c in *"(from the host)"*) ;; *) bad "the guests before and after the liar agreed, the next still calibrated: $c" ;; esac
else
	note "the two honest guests measured more than 3% apart: nothing to check"
fi
[ "${c%% *}" != 5000000 ] || bad "the liar's 5 GHz reached a guest"
# A wrong clock that did reach the module (two guests telling the same
# lie, or an admin's wrong apic_timer_khz=, as here) must not set a
# guest's tick: the guest checks what it is told and measures its own.
echo 5000000 > /sys/module/kspawn/parameters/apic_timer_khz
hello_clock
echo 0 > /sys/module/kspawn/parameters/apic_timer_khz
note "told 5 GHz: $clock"
case $clock in *"(from the host)"*) bad "a guest took the host's wrong clock: $clock" ;; esac
echo "$said" | grep -q "the host's timer clock, 5000000 kHz, is not this one" ||
	bad "the guest did not say it refused the host's clock"
want_no_instances
finish
