# reboot.sh's third boot: the reboot, from a real-time process, comes
# while a stop of a guest on a pooled core is under way.
exec sh /tests/reboot.sh rt
