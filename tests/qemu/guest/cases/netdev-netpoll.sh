# ksnetN refuses netpoll (IFF_DISABLE_NETPOLL): netconsole would call
# ksnet_xmit with interrupts off, and the NAPI poll from netpoll, both of
# which take net_lock, a plain spinlock; a printk on a CPU that holds it
# (kb_log of a guest's bad descriptor) would spin on it for ever.  So
# netconsole on ksnet0 (up, addressed, carrier on) must fail to load, and
# netpoll say why.
. /tests/lib.sh
[ -d /sys/module/configfs ] || insmod /lib/modules/host/configfs.ko
spawn "$TEST_IMG" --cpu 1 --net netdev --cmdline "udpecho ip=169.254.1.2 seconds=15" || finish
ksnet0_up
expect 0 ping -c 2 -i 0.1 -W 2 169.254.1.2
has ' 0% packet loss'
# (busybox's insmod exits with the errno's low bits: ENOTSUPP, 524, is 12.)
out=$(insmod /lib/modules/host/netconsole.ko \
	netconsole=6665@169.254.1.1/ksnet0,6666@169.254.1.2/ 2>&1)
echo "  \$ insmod netconsole.ko netconsole=...ksnet0... -> $?"
echo "$out" | sed 's/^/  | /'
if [ -d /sys/module/netconsole ]; then
	bad "netconsole took ksnet0"
	rmmod netconsole
fi
out=$(dmesg | grep netpoll | tail -n 3)
echo "$out" | sed 's/^/  | /'
has "ksnet0 doesn't support polling"
expect 0 kspawnctl stop "$id"
want_online 1
finish
