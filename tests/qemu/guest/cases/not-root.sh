# An ordinary user is told to be root, and nothing starts.
. /tests/lib.sh
expect 4 su -s /bin/sh nobody -c "kspawnctl list"
has 'root'
expect 4 su -s /bin/sh nobody -c "kspawnctl run $IMG --cpu 1"
has 'root'
want_online 1
want_no_instances
finish
