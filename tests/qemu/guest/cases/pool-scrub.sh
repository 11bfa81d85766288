# The pool's scrub of a freed region does not wait on its nice-19
# kspawn-scrub thread, which a busy host may not run for a long while
# (host/kmod/pool.c): with the thread kept from scrubbing at all
# (test_no_scrub_thread=1), a spawn that needs the chunks the last guest
# freed scrubs them itself and gets them, zeroed.  Structural, not timed.
. /tests/lib.sh
knob=/sys/module/kspawn/parameters/test_no_scrub_thread
done_() { echo 0 > $knob; finish; }
echo 1 > $knob
# 40 MiB (and the shared area's chunk) of the 64 MiB pool each: the
# second guest fits only in what the first freed.
spawn "$TEST_IMG" --cpu 1 --mem 40M --cmdline "memscrub fill" || done_
wait_state "$id" halted
expect 0 kspawnctl console "$id"
has 'memscrub: [1-9][0-9]* KiB filled'
expect 0 kspawnctl stop "$id"
spawn "$TEST_IMG" --cpu 1 --mem 40M --cmdline "memscrub check" || done_
wait_state "$id" halted
expect 0 kspawnctl console "$id"
has 'memscrub: [1-9][0-9]* KiB checked, 0 nonzero'
expect 0 kspawnctl stop "$id"
# A read of the objects counters settles the same way.
expect 0 cat /sys/class/misc/kspawn/objects
want_online 1
want_no_instances
done_
