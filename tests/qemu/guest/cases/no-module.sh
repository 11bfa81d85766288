# Without the module, kspawnctl says so (after checking the image).
. /tests/lib.sh
expect 0 rmmod kspawn
expect 3 kspawnctl list
has 'not loaded'
expect 3 kspawnctl run "$IMG" --cpu 1
has 'not loaded'
# The image is checked first: a bad one is reported as such even now.
expect 5 kspawnctl run "$BAD/bad-magic.elf" --cpu 1
expect 0 kspawn-load
expect 0 kspawnctl list
finish
