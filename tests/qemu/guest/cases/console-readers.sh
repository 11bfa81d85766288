# One console input ring, several readers: readers (a test app) reads
# stdin on each of 3 guest CPUs at once while `kspawnctl console --input`
# feeds 300 lines of 99 'x' (30 000 bytes, thirty times the 1 KiB ring)
# and a '#'.  Every byte must reach exactly one reader: as many x and
# newlines counted as sent.  The ring has one consumer by design; before
# the guest's console serialised its readers, two CPUs took the same
# byte, or moved the ring's read index back.
. /tests/lib.sh
[ "$(nproc)" -ge 4 ] || { bad "needs 4 CPUs, have $(nproc)"; finish; }
in=/tmp/console-readers.txt
line=$(printf '%099d' 0 | tr 0 x)
i=0
: > $in
while [ $i -lt 300 ]; do
	echo "$line" >> $in
	i=$((i + 1))
done
printf '#' >> $in	# no newline after it: one more to count
spawn "$TEST_IMG" --cpus 1-3 --cmdline "readers" || finish
# A byte lost or taken twice never balances the count below; a ring the
# host found broken leaves stdin unsent (kspawnctl says so on stderr).
expect 0 timeout 120 kspawnctl console "$id" --input < $in
has '^readers: 3 ready'
has "^readers: 3 CPUs, 29700 x, 300 newlines, 0 other bytes, '#' on cpu [0-2]\$"
hasnt 'not sent|broken'
expect 0 kspawnctl stop "$id"
want_no_instances
rm -f $in
finish
