# kspawnctl's usage text and command-line errors.
. /tests/lib.sh
expect 0 kspawnctl --help
for w in run list status console stop --json --cpu --mem --cmdline --follow --force 'EXIT STATUS'; do
	has "$w"
done
expect 0 kspawnctl help run
has 'run IMAGE'
expect 2 kspawnctl
expect 2 kspawnctl frobnicate
has "unknown command 'frobnicate'"
expect 2 kspawnctl status
expect 2 kspawnctl status abc
has 'not an instance ID'
expect 2 kspawnctl run "$IMG" --mem lots
has 'size like'
expect 2 kspawnctl run
has 'which image'
# Sizes no guest can have are bad command lines, said as such before the
# module is asked (not "the module refused IMAGE", status 5).
expect 2 kspawnctl run "$IMG" --mem 2G
has '--mem 2G.*at most 1024 MiB'
expect 2 kspawnctl run "$IMG" --mem 3M
has '--mem 3M.*at least 8 MiB'
expect 2 kspawnctl run "$IMG" --ramdisk 8G
has '--ramdisk 8G.*at most 4096 MiB'
: > /tmp/empty.disk
expect 2 kspawnctl run "$IMG" --disk /tmp/empty.disk
has '--disk /tmp/empty.disk.*empty'
rm -f /tmp/empty.disk
# An app the image does not carry (its KSPAWN_NOTE_APPS list): said with
# the ones it does, nothing started; --no-verify leaves it to the guest.
expect 2 kspawnctl run "$IMG" --cmdline 'x=1 nosuchapp a'
has "has no app 'nosuchapp' .*; its apps: .*hello"
want_no_instances
expect 8 kspawnctl status 4242
has 'no instance 4242'
finish
