# kspawnctl console --input: stdin reaches the guest's console input.
# lineecho prints back each line it reads and, at a line "end", how many
# lines and bytes came before it and their FNV-1a 64 digest: 200 lines
# (about 10 KiB, ten times the 1 KiB input ring, so kspawnctl must wait
# for the guest to read and drop nothing) must come through whole and in
# order, the digest equal to fnv64sum's of the file sent.  The follow
# ends with the guest's halt, status 0, nothing left unread.
. /tests/lib.sh
in=/tmp/console-input.txt
i=0
: > $in
while [ $i -lt 200 ]; do
	printf 'line %03d: the quick brown fox jumps over the lazy dog\n' $i >> $in
	i=$((i + 1))
done
bytes=$(wc -c < $in)
digest=$(fnv64sum $in)
spawn "$IMG" --cmdline "lineecho" || finish
{ cat $in; echo end; } > $in.end
# A lost byte leaves lineecho waiting for its "end": 124 from timeout.
expect 0 timeout 60 kspawnctl console "$id" --input < $in.end
has 'lineecho: ready'
has '^lineecho: line 000: the quick brown fox'
has '^lineecho: line 199: the quick brown fox'
has "^lineecho: 200 lines, $bytes bytes, digest $digest\$"
hasnt 'did not read'
wait_ended "$id" 10
[ "$state" = halted ] || bad "instance $id '$state', want halted"
expect 0 kspawnctl stop "$id"
# -i, and stdin at its end before the guest answered: the follow goes on
# until the guest halts.
spawn "$IMG" --cmdline "lineecho" || finish
expect 0 sh -c "printf 'hello\nend\n' | timeout 60 kspawnctl console $id -i"
has '^lineecho: hello$'
has '^lineecho: 1 lines, 6 bytes, digest '
expect 0 kspawnctl stop "$id"
want_no_instances
rm -f $in $in.end
finish
