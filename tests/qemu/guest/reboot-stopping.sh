# reboot.sh's second boot: the reboot comes while a stop is under way.
exec sh /tests/reboot.sh stopping
