# Four guests at once on CPUs 1-4 (QEMU -smp 5), each with its own
# console, disk (a file for two, a RAM disk for the others) and ksnetN.
# First round, started 1 2 3 4: each writes and verifies its disk
# (blkcheck; a file's digest is checked here too) and is stopped 4 2 3 1.
# Second round, started 3 1 4 2: each answers ping and UDP on its own
# ksnetN, and is stopped 2 4 1 3.  Then every CPU is online again and no
# instance is left.  1 MiB disks and a few packets keep it lean: TCG has
# 5 CPUs on 2 cores to run.  Four regions need a 96 MiB pool (run.sh).
. /tests/lib.sh
[ "$(nproc)" -ge 5 ] || { bad "needs 5 CPUs, have $(nproc)"; finish; }
netdevs() { ls /sys/class/net | tr '\n' ' '; }

# start N CMDLINE: guest N on CPU N with its disk and a ksnet device; its
# ID in id_N, its ksnet device in dev_N.
start() {
	local n=$1 before dev disk
	if [ "$n" -le 2 ]; then
		disk="--disk /tmp/fg$n.img"
	else
		disk="--ramdisk 1M"
	fi
	before=" $(netdevs)"
	spawn "$IMG" --cpu "$n" $disk --net netdev --cmdline "$2" ||
		return 1
	eval "id_$n=$id"
	for dev in $(netdevs); do
		case $before in *" $dev "*) ;; *) break ;; esac
	done
	case $dev in ksnet*) ;; *) bad "guest $n: no new ksnet device"; return 1 ;; esac
	eval "dev_$n=$dev"
	note "guest $n: instance $id, CPU $n, $dev"
}
stop() { eval "expect 0 kspawnctl stop \$id_$1"; }

for n in 1 2; do
	dd if=/dev/zero of=/tmp/fg$n.img bs=1M count=1 2>/dev/null
done
for n in 1 2 3 4; do
	start $n "blkcheck seed=$n" || finish
done
expect 0 kspawnctl list
[ "$(instances)" -eq 4 ] || bad "list does not show four instances"
for n in 1 2 3 4; do
	eval "id=\$id_$n"
	expect 0 kspawnctl console "$id" --follow
	has "^cmdline: blkcheck seed=$n\$"
	has 'blkcheck: OK sectors=2048 digest=[0-9a-f]{16}'
	for m in 1 2 3 4; do
		[ $m = $n ] || hasnt "seed=$m"
	done
	eval "digest_$n=\$(echo \"\$out\" | sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p')"
done
for n in 4 2 3 1; do
	stop $n
done
for n in 1 2; do
	eval "guest=\$digest_$n"
	host=$(fnv64sum /tmp/fg$n.img)
	[ -n "$guest" ] && [ "$guest" = "$host" ] ||
		bad "guest $n: file digest $host, guest said '$guest'"
done
want_no_instances

for n in 3 1 4 2; do
	start $n "udpecho ip=169.254.1$n.2" || finish
	eval "dev=\$dev_$n"
	ip addr add 169.254.1$n.1/24 dev "$dev" && ip link set "$dev" up ||
		bad "guest $n: cannot bring $dev up"
done
for n in 1 2 3 4; do
	eval "dev=\$dev_$n"
	i=0
	while [ "$(cat /sys/class/net/$dev/carrier 2>/dev/null)" != 1 ] &&
		[ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	expect 0 ping -c 5 -i 0.05 -W 2 169.254.1$n.2
	has '5 packets transmitted, 5 (packets )?received, 0% packet loss'
	expect 0 udpcheck 169.254.1$n.2 7 200
	has '200 echoed intact, 0 lost, 0 corrupted'
	eval "id=\$id_$n"
	expect 0 kspawnctl console "$id"
	has "ip=169.254.1$n.2"
done
for n in 2 4 1 3; do
	stop $n
done
for n in 1 2 3 4; do
	want_online $n
done
want_no_instances
rm -f /tmp/fg1.img /tmp/fg2.img
finish
