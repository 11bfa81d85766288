# An ordinary user is told to be root, and nothing starts.
. /tests/lib.sh
expect 4 setpriv --reuid=1000 --regid=1000 --clear-groups kspawnctl list
has 'root'
expect 4 setpriv --reuid=1000 --regid=1000 --clear-groups kspawnctl run "$IMG" --cpu 1
has 'root'
want_online 1
want_no_instances
finish
