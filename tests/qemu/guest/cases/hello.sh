# Spawn hello on CPU 1: its banner and arguments in the console, a clean
# halt with status 0, the spawn latency in status, and CPU 1 back after stop.
. /tests/lib.sh
want_online 1
spawn "$IMG" --cpu 1 --cmdline "hello a b" || finish
[ "$(cpu_online 1)" = 0 ] || bad "CPU 1 still online while the guest runs"
expect 0 kspawnctl console "$id" --follow
has 'kspawn guest: ABI 2\.[0-9]+, spawned'
has 'Hello from the spawned kernel!'
has 'argv\[1\] = a'
has 'argv\[2\] = b'
expect 0 kspawnctl status "$id"
has '^state: +halted'
has '^cpu: +1 '
has '^exit code: +0'
for step in 'ioctl +-> sipi' 'sipi +-> trampoline' 'trampoline -> kmain' 'kmain +-> app_main'; do
	echo "$out" | grep -E "$step" | grep -qE '[0-9]+$' || bad "no latency for $step"
done
expect 0 kspawnctl --json status "$id"
[ "$(json_get state "$out")" = halted ] || bad "json state is not halted"
[ "$(json_get exit_code "$out")" = 0 ] || bad "json exit_code is not 0"
expect 0 kspawnctl list
has "^$id +1 +halted"
expect 0 kspawnctl stop "$id"
want_online 1
want_no_instances
# A stopped instance is gone (its console read here already left nothing
# for the module to keep a while after the stop).
expect 8 kspawnctl status "$id"
finish
