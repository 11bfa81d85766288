# An ordinary user is told to be root, and nothing starts; the module's
# counters (sysfs objects) are not theirs to read.
. /tests/lib.sh
expect 4 su -s /bin/sh nobody -c "kspawnctl list"
has 'root'
expect 4 su -s /bin/sh nobody -c "kspawnctl run $IMG --cpu 1"
has 'root'
# The module's counters settle the pool when read: root's only.
expect 1 su -s /bin/sh nobody -c "cat /sys/class/misc/kspawn/objects"
has 'Permission denied'
want_online 1
want_no_instances
finish
