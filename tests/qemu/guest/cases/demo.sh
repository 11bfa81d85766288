# The `make run` demo script itself: hello, blkcheck (its OK line), ping.
. /tests/lib.sh
expect 0 kspawn-demo
has 'demo: PASS'
has 'Hello from the spawned kernel!'
has 'blkcheck: OK sectors=[0-9]+ digest=[0-9a-f]{16}'
has '5 packets received'
want_no_instances
finish
