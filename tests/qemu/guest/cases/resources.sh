# CPU busy, CPU 0, a pool too small: refused with a message that says so.
. /tests/lib.sh
expect 7 kspawnctl run "$IMG" --cpu 0
has 'CPU 0 stays with Linux'
expect 7 kspawnctl run "$IMG" --cpu 7
has 'no CPU 7'
expect 7 kspawnctl run "$IMG" --cpu 1 --mem 1G
has 'pool is too small'
want_online 1
want_no_instances
spawn "$TEST_IMG" --cpu 1 --cmdline "spin" || finish
wait_state "$id" running
expect 7 kspawnctl run "$IMG" --cpu 1
has 'CPU 1 is busy'
expect 7 kspawnctl run "$IMG"
has 'no CPU to spare'
expect 0 kspawnctl stop "$id"
want_online 1
want_no_instances
finish
