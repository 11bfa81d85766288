#!/usr/bin/env bash
# The interop suite: our guest's virtio drivers against devices we did not
# write, QEMU's own virtio-blk-pci and virtio-net-pci, reached through the
# guest's virtio-pci transport (guest/lib/virtio_pci.c) with the guest
# booted alone (PVH, as `make gdb` boots it).  See docs/interop.md.
#
#   tests/interop/run.sh BUILD_DIR [NAME...]
#
# blk-*: blkcheck writes, flushes, reads back and verifies the whole disk
# (an 8 MiB image file, random to start with); the digest it prints must
# be the image file's, recomputed here.  net-*: two QEMUs joined by a
# socket netdev on 127.0.0.1, one guest running udpecho, the other netbench
# (20 pings, the data of each reply checked, then 10 000 datagrams, each
# reply checked by content); nothing leaves this machine.
# INTEROP_TIMEOUT: each QEMU's limit in seconds (default 600).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "run.sh BUILD_DIR [NAME...]" "$@"
set -- "${checked_args[@]}"
shift
only=" $* "
pass=0 fail=0 skip=0
elf=$build/kspawn-guest.elf
fnv=$build/qemu/fnv64sum
limit=${INTEROP_TIMEOUT:-600}	# per QEMU: TCG on a shared machine
tmp=$(mktemp -d /tmp/kspawn-interop.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

wanted() { [ "$only" = "  " ] || [[ "$only" == *" $1 "* ]]; }
cases="blk-split blk-packed blk-noevent blk-indirect blk-q35 blk-discard
	blk-4k script-devices net-split net-packed net-noevent net-mq"
for name in $(unknown_cases "$cases" $only); do
	echo "FAIL interop/$name: no such case (have: $(echo $cases))"
	fail=$((fail + 1))
done
[ "$fail" -eq 0 ] || { echo "interop: $pass passed, $fail failed, $skip skipped"; exit 1; }

# Why this machine cannot run the suite at all (a skip), or nothing.
missing=
command -v qemu-system-x86_64 >/dev/null ||
	missing="qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
# What the build should have made (`make test` does): a failure, not a skip.
unbuilt=
for f in "$elf" "$build/kspawn-guest-test.elf" "$fnv"; do
	[ -f "$f" ] || unbuilt+=" $f"
done
if [ -n "$unbuilt" ] && [ -z "$missing" ]; then
	for name in $cases; do
		wanted "$name" || continue
		echo "FAIL interop/$name"
		echo "    not built:$unbuilt (make test SUITE=interop builds them)"
		fail=$((fail + 1))
	done
	echo "interop: $pass passed, $fail failed, $skip skipped"
	exit 1
fi
accel= machine=
[ -n "$missing" ] || accel=$("$top/scripts/qemu-accel.sh" --alone "$elf")

# qemu_start LOG DEVICE-ARGS... -- CMDLINE: boot the guest alone with
# these devices in the background, console to LOG; qpid is its timeout's
# process (which passes a SIGTERM on to QEMU).
qemu_start() {
	local log=$1 args=()
	shift
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	timeout "$limit" qemu-system-x86_64 $accel ${machine:+-M $machine} \
		-m 256 -display none \
		-serial "file:$log" -monitor none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		"${args[@]}" -kernel "$elf" -append "$*" </dev/null \
		>>"$log.qemu" 2>&1 &
	qpid=$!
}

# qemu_wait LOG: wait for qemu_start's QEMU; prints the guest's exit
# status (125: none).
qemu_wait() {
	local log=$1 status=0
	wait "$qpid" || status=$?
	sed -i 's/\r$//' "$log"	# the serial port's line ends
	# isa-debug-exit: QEMU's status is (guest status << 1) | 1.
	if [ $((status & 1)) -eq 1 ]; then
		echo $((status >> 1))
	else
		echo "qemu: status $status (124: timed out after ${limit}s)" >>"$log.qemu"
		echo 125
	fi
}

# qemu LOG DEVICE-ARGS... -- CMDLINE: the same, in the foreground.
qemu() {
	qemu_start "$@"
	qemu_wait "$1"
}

# report NAME LOG...: ok or FAIL with the evidence; why[] holds the reasons.
report() {
	local name=$1 f
	shift
	if [ ${#why[@]} -eq 0 ]; then
		echo "ok interop/$name"
		pass=$((pass + 1))
		return
	fi
	echo "FAIL interop/$name"
	printf '    %s\n' "${why[@]}"
	for f in "$@"; do
		[ -f "$f" ] && sed "s|^|    $(basename "$f") \| |" "$f"
		[ -s "$f.qemu" ] && sed "s|^|    $(basename "$f").qemu \| |" "$f.qemu"
	done
	fail=$((fail + 1))
}

# has LOG REGEX...: each extended regex must match a line of LOG.
has() {
	local log=$1 re
	shift
	for re in "$@"; do
		grep -qE -- "$re" "$log" || why+=("missing: $re")
	done
}

# feature LOG DEVICE BIT: 1 if the guest negotiated BIT with device
# (VIRTIO_ID_*) as its console says, 0 if not, empty if it does not say.
feature() {
	local f
	f=$(sed -n "s/.*virtio-pci: device $2 features 0x\([0-9a-f]*\).*/\1/p" "$1" | head -1)
	[ -n "$f" ] && echo $(((0x$f >> $3) & 1))
}

# want_feature LOG DEVICE BIT NAME 0|1
want_feature() {
	local got
	got=$(feature "$1" "$2" "$3")
	[ "$got" = "$5" ] || why+=("$4 (bit $3) negotiated: ${got:-unknown}, want $5")
}

# begin NAME: 0 if case NAME runs now (its reasons to fail cleared); 1 if
# it was not asked for, or cannot run here (said, and counted a skip).
begin() {
	wanted "$1" || return 1
	if [ -n "$missing" ]; then
		echo "skip interop/$1: $missing"
		skip=$((skip + 1))
		return 1
	fi
	why=()
}

# blk_case NAME DEVICE-OPTIONS GUEST-OPTIONS RING-LINE-REGEX EVENT_IDX [MODE]
# (MODE: blkcheck's, e.g. discard)
blk_case() {
	local name=$1 devopts=$2 gopts=$3 ring=$4 event=$5 mode=${6:-}
	local img log status guest host
	begin "$name" || return 0
	img=$tmp/$name.img log=$tmp/$name.log
	head -c $((8 << 20)) /dev/urandom >"$img"
	status=$(qemu "$log" \
		-drive "file=$img,format=raw,if=none,id=d0,cache=writeback,discard=unmap" \
		-device "virtio-blk-pci,drive=d0${devopts:+,$devopts}" -nic none \
		-- $gopts blkcheck $mode qd=16)
	[ "$status" = 0 ] || why+=("guest exit status $status, want 0")
	[ "$mode" != discard ] ||
		has "$log" 'blkcheck: discarded sectors 8193-12288, zeroed 12289-16383'
	# Transitional on the pc machine (0x1001), modern only on q35's PCIe.
	has "$log" "virtio-pci: [0-9a-f:.]+ \\(1af4:${pciid:-1001}\\) is device 2" "$ring" \
		'virtio-pci: device 2 queue 0: [1-9][0-9]* MSI-X interrupts' \
		'blkcheck: OK sectors=16384 digest=[0-9a-f]{16}'
	want_feature "$log" 2 29 EVENT_IDX "$event"
	guest=$(sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p' "$log")
	host=$("$fnv" "$img")
	if [ -z "$guest" ] || [ "$guest" != "$host" ]; then
		why+=("the image file's digest $host is not the guest's ${guest:-(none)}")
	fi
	report "$name" "$log"
	rm -f "$img"
}

blk_case blk-split "indirect_desc=off" "" \
	'virtio-blk: 8 MiB, queue of [0-9]+, split ring$' 1
blk_case blk-packed "packed=on,indirect_desc=off" "vring=packed" \
	'virtio-blk: 8 MiB, queue of [0-9]+, packed ring$' 1
blk_case blk-noevent "event_idx=off,indirect_desc=off" "" \
	'virtio-blk: 8 MiB, queue of [0-9]+, split ring$' 0
blk_case blk-indirect "indirect_desc=on" "" \
	'virtio-blk: 8 MiB, queue of [0-9]+, split ring, indirect$' 1
# Beyond the issue's four: a q35 machine and a device with no legacy
# interface at all (device id 0x1042, not the transitional 0x1001).
machine=q35 pciid=1042 blk_case blk-q35 "disable-legacy=on" "" \
	'virtio-blk: 8 MiB, queue of [0-9]+, split ring, indirect$' 1
# QEMU's DISCARD and WRITE_ZEROES (punched
# holes in the image) read back as zeroes, in the digest too.
blk_case blk-discard "" "" \
	'virtio-blk: 8 MiB, queue of [0-9]+, split ring, indirect$' 1 discard

# A disk of 4 KiB sectors (QEMU's logical_block_size=4096, which fails
# any request not in whole 4 KiB blocks with IOERR): the driver reads
# blk_size and the apps do I/O in its blocks.  The image is 8 MiB and one
# block, so blkcheck's quarters are not whole blocks unless it rounds
# them; blkalign's misaligned requests must be refused by the driver
# itself, unsent.  blkrace then runs QD 64 of overlapping reads and
# writes on a 32 MiB disk of the same geometry (racing=ok: QEMU's file
# under the page cache may hand a read racing a write of the same block
# half of each).
blk4k_case() {
	local name=blk-4k img=$tmp/blk-4k.img log=$tmp/blk-4k.log
	local status guest host dev
	begin "$name" || return 0
	head -c $(((8 << 20) + 4096)) /dev/urandom >"$img"
	dev=(-drive "file=$img,format=raw,if=none,id=d0,cache=writeback,discard=unmap"
	     -device "virtio-blk-pci,drive=d0,logical_block_size=4096,physical_block_size=4096"
	     -nic none)
	status=$(qemu "$log" "${dev[@]}" -- blkcheck discard qd=16)
	[ "$status" = 0 ] || why+=("blkcheck: guest exit status $status, want 0")
	has "$log" 'virtio-blk: 8 MiB, queue of [0-9]+, split ring, indirect, 4096-byte blocks$' \
		'blkcheck: 8 MiB in 4096-byte blocks' \
		'blkcheck: discarded sectors 8200-12295, zeroed 12296-16391' \
		'blkcheck: OK sectors=16392 digest=[0-9a-f]{16}'
	guest=$(sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p' "$log")
	host=$("$fnv" "$img")
	[ -n "$guest" ] && [ "$guest" = "$host" ] ||
		why+=("the image file's digest $host is not the guest's ${guest:-(none)}")
	# The test image's blkalign.
	local elf=$build/kspawn-guest-test.elf
	status=$(qemu "$log.align" "${dev[@]}" -- blkalign)
	[ "$status" = 0 ] || why+=("blkalign: guest exit status $status, want 0")
	has "$log.align" 'blkalign: OK block=4096 refused=7 big=2625536 toobig=0 limited=1048576$' \
		'virtio-blk: refused a request \(type 0, sector 0, 256 bytes\): not in whole 4096-byte blocks'
	head -c $((32 << 20)) /dev/zero >"$img"
	status=$(qemu "$log.race" "${dev[@]}" -- blkrace qd=64 secs=5 racing=ok)
	[ "$status" = 0 ] || why+=("blkrace: guest exit status $status, want 0")
	has "$log.race" 'blkrace: OK reads=[1-9][0-9]* writes=[1-9][0-9]* .* block=4096$'
	report "$name" "$log" "$log.align" "$log.race"
	rm -f "$img"
}
blk4k_case

# The way a user boots the guest alone with a disk (scripts/qemu-guest.sh,
# KSPAWN_QEMU_DEVICES; scripts/gdb-guest.sh takes the same): the test
# image, whose blkcheck is the same app.
script_case() {
	local name=script-devices img=$tmp/script.img log=$tmp/script.log
	local status guest host
	begin "$name" || return 0
	head -c $((4 << 20)) /dev/urandom >"$img"
	status=0
	KSPAWN_QEMU_DEVICES="-drive file=$img,format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0" \
		KSPAWN_QEMU_TIMEOUT=$limit "$top/scripts/qemu-guest.sh" \
		"$build/kspawn-guest-test.elf" blkcheck seed=3 >"$log" 2>&1 ||
		status=$?
	[ "$status" = 0 ] || why+=("qemu-guest.sh exit status $status, want 0")
	has "$log" 'virtio-blk: 4 MiB' 'blkcheck: OK sectors=8192'
	guest=$(sed -n 's/.*blkcheck: OK .*digest=\([0-9a-f]*\).*/\1/p' "$log" | tr -d '\r')
	host=$("$fnv" "$img")
	[ -n "$guest" ] && [ "$guest" = "$host" ] ||
		why+=("the image file's digest $host is not the guest's ${guest:-(none)}")
	report "$name" "$log"
}
script_case

# A free TCP port on 127.0.0.1 (the netdev's; taken again by QEMU at once).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# net_case NAME DEVICE-OPTIONS GUEST-OPTIONS RING-WORD PACKED EVENT_IDX [MQ]
#
# MQ: 1 if VIRTIO_NET_F_MQ must be negotiated (QEMU's mq=on; a socket
# netdev has one queue pair, so the guest sets one over the ctrl queue
# and QEMU must accept it), 0 (the default) if not.
#
# Guest A (udpecho) listens on the socket netdev, guest B (netbench)
# connects once A answers.  B gives a reply 30 s (wait=30), not its
# usual second, before counting it lost: an emulated peer on a shared
# machine can be descheduled that long.  A runs until B is done and is then ended
# here: a guest that powers off right after its last send takes the
# frames QEMU had not yet sent with it, which would count as lost.
net_case() {
	local name=$1 devopts=$2 gopts=$3 ring=$4 packed=$5 event=$6 mq=${7:-0}
	local a=$tmp/$name-echo.log b=$tmp/$name-bench.log port echo_pid status i try
	begin "$name" || return 0
	command -v python3 >/dev/null || {
		echo "skip interop/$name: python3 is not installed (it picks a free port)"
		skip=$((skip + 1))
		return
	}
	# The free port can be taken before QEMU listens on it: try another.
	for try in 1 2 3; do
		port=$(free_port)
		: >"$a"
		: >"$a.qemu"
		qemu_start "$a" -netdev "socket,id=n0,listen=127.0.0.1:$port" \
			-device "virtio-net-pci,netdev=n0,mac=52:54:00:6b:73:01${devopts:+,$devopts}" \
			-- $gopts udpecho ip=169.254.1.1 seconds="$limit"
		echo_pid=$qpid
		for ((i = 0; i < limit * 5; i++)); do
			grep -q 'udpecho: answering' "$a" 2>/dev/null && break
			kill -0 "$echo_pid" 2>/dev/null || break
			sleep 0.2
		done
		grep -qi 'in use' "$a.qemu" || break
		wait "$echo_pid" 2>/dev/null
	done
	if grep -q 'udpecho: answering' "$a"; then
		status=$(qemu "$b" -netdev "socket,id=n0,connect=127.0.0.1:$port" \
			-device "virtio-net-pci,netdev=n0,mac=52:54:00:6b:73:02${devopts:+,$devopts}" \
			-- $gopts netbench ip=169.254.1.2 peer=169.254.1.1 \
			ping=20 count=10000 window=8 wait=30)
		[ "$status" = 0 ] || why+=("netbench guest exit status $status, want 0")
		has "$b" "virtio-net: 52:54:00:6b:73:02, $ring rings" \
			'virtio-pci: device 1 queue 0: [1-9][0-9]* MSI-X interrupts' \
			'virtio-pci: device 1 queue 1: [1-9][0-9]* MSI-X interrupts' \
			'netbench: ping 20 sent, 20 answered' \
			'netbench: count=10000 lost=0 .* corrupt=0 stray=0'
		want_feature "$b" 1 34 RING_PACKED "$packed"
		want_feature "$b" 1 29 EVENT_IDX "$event"
		want_feature "$b" 1 22 MQ "$mq"
		has "$b" 'virtio-net: .*, 1 queue pair'
		! grep -q 'virtio-net: the device refused' "$b" ||
			why+=("the device refused the guest's queue pairs")
	else
		why+=("the udpecho guest never answered")
	fi
	kill "$echo_pid" 2>/dev/null
	qpid=$echo_pid
	qemu_wait "$a" >/dev/null
	# A is stopped, not ended: its interrupt counts are never printed.
	has "$a" "virtio-net: 52:54:00:6b:73:01, $ring rings"
	want_feature "$a" 1 34 RING_PACKED "$packed"
	want_feature "$a" 1 29 EVENT_IDX "$event"
	report "$name" "$a" "$b"
}

net_case net-split "" "" split 0 1
net_case net-packed "packed=on" "vring=packed" packed 1 1
# Beyond the issue's two: no event index, so flags alone suppress
# notifications both ways.
net_case net-noevent "event_idx=off" "" split 0 0
# QEMU's MQ and ctrl queue: the guest negotiates MQ and sets its one pair.
net_case net-mq "mq=on" "" split 0 1 1

echo "interop: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
