# A guest's reads that a host block device must bounce (its memory is the
# pool, outside the kernel's linear map) cost host pages: 16 reads of
# 8 x 1 MiB in flight, every segment the same 1 MiB guest buffer, would
# pin 128 MiB of them.  The module bounds them per disk (8 MiB beyond the
# pages each request slot keeps, 2048 pages): the device thread waits for
# room, every read still completes, and the module's log says the most it
# held at once.  With a budget smaller than one read, each read goes
# alone.
. /tests/lib.sh

dev=/dev/nvme0n1
[ -b $dev ] || { bad "no $dev: the host's NVMe driver did not load"; finish; }
# bounce BUDGET: the hostile reads on a module whose budget is BUDGET
# pages; the most it held at once in $peak (empty: no log line).
bounce() {
	spawn "$TEST_IMG" --cpu 1 --disk $dev --cmdline "hostile bounce" ||
		{ [ "$1" = 2048 ] || { expect 0 rmmod kspawn; expect 0 kspawn-load; }; finish; }
	expect 0 kspawnctl console "$id" --follow
	has 'hostile: bounce: 16 of 16 reads of 8 x 1 MiB into one buffer done'
	expect 0 kspawnctl stop "$id"
	line=$(dmesg | grep 'bounce pages beyond the kept ones' | tail -n 1)
	note "${line#*] }"
	peak=$(echo "$line" | sed -n "s/.*at most \([0-9]*\) bounce pages.*(budget $1)/\1/p")
	[ -n "$peak" ] || bad "no log line for the disk with a budget of $1 pages"
}
bounce 2048
[ "${peak:-0}" -gt 0 ] || bad "no bounce pages beyond the kept ones: nothing was bounced"
[ "${peak:-0}" -le 2048 ] || bad "$peak bounce pages held at once, more than the 2048 of the budget"
# Reads bigger than the whole budget are within the limits the device
# advertises (seg_max x size_max): served one at a time, not refused.
# The module again with a budget of 2 MiB (512 pages): each 8 MiB read
# needs 2016 beyond its slot's kept 32.
expect 0 rmmod kspawn
expect 0 kspawn-load $(cat /etc/kspawn.modparams) bounce_budget_kib=2048
bounce 512
[ "${peak:-0}" -le 2016 ] || bad "$peak bounce pages held at once: reads bigger than the budget did not go alone"
expect 0 rmmod kspawn
expect 0 kspawn-load
want_no_instances
finish
