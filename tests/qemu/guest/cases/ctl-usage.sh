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
expect 8 kspawnctl status 4242
has 'no instance 4242'
finish
