# The `make run` demo script itself.
. /tests/lib.sh
expect 0 kspawn-demo
has 'demo: PASS'
has 'Hello from the spawned kernel!'
want_no_instances
finish
