#!/bin/sh
# The full-stack benchmarks, inside the QEMU host (or on a bare-metal host
# with kspawn.ko loaded: see bench/README.md).  Each workload runs kspawn
# and its Linux peer in turn, RUNS times, and prints what it measured as
#
#   BENCH W <workload> <lower|higher> <parameters as JSON>
#   BENCH R <workload> <system> <run> <metric> <value> <unit>
#
# for bench/run.sh to turn into JSON, a table and plots; lines starting
# "bench:" are progress.  A workload that cannot run prints
# "BENCH F <workload> <reason>" and the script exits 1 at the end.
#
#   in-vm.sh [runs=N] [small=1] [only=PREFIX] [cpu=N]
# Defaults come from the kernel command line (bench.runs= bench.small=
# bench.only=) so that the QEMU harness can pass them.
#
# Needs: kspawnctl, the guest image, spawnbench, udpping, udpcheck,
# ctxlinux, fio and fio.sh on PATH or beside this script; veth.
here=$(cd "$(dirname "$0")" && pwd)
IMG=${IMG:-/guest/kspawn-guest.elf}
# The spawn workload's guest runs spin, a test app.
TEST_IMG=${TEST_IMG:-/guest/kspawn-guest-test.elf}
IMG_MIN=${IMG_MIN:-$here/kspawn-guest-min.elf}
PATH=$here:$PATH:/usr/bin
runs=5 small= only= cpu=1 accel=
for arg in $(cat /proc/cmdline) "$@"; do
	case $arg in
	bench.runs=* | runs=*) runs=${arg#*runs=} ;;
	bench.small=* | small=*) small=${arg#*small=} ;;
	bench.only=* | only=*) only=${arg#*only=} ;;
	cpu=*) cpu=${arg#cpu=} ;;
	harness.accel=*) accel=${arg#harness.accel=} ;;
	esac
done
[ "$small" = 1 ] && export BENCH_SMALL=1
[ "$small" = 1 ] && runs=1
failed=0
scratch=${BENCH_TMP:-/tmp}

say() { echo "bench: $*"; }

# Whatever happens, no guest keeps its CPU and no helper or file stays.
live= nsa= nsb= server=
cleanup() {
	[ -z "$live" ] || kspawnctl stop "$live" --force > /dev/null 2>&1
	for p in $server $nsa $nsb; do kill "$p" 2> /dev/null; done
	ip link del bencha 2> /dev/null
	rm -f "$scratch/bench-disk.img" "$scratch/bench-fio.img"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# wanted NAME: NAME is selected by only=, or is a group holding one that is.
wanted() {
	case $1 in "$only"*) return 0 ;; esac
	case $only in "$1"*) return 0 ;; esac
	return 1
}
declare_w() { echo "BENCH W $1 $2 $3"; }
fail_w() {
	echo "BENCH F $1 $2"
	failed=1
}

# emit WORKLOAD SYSTEM RUN < metric lines: tag a program's metric lines.
emit() {
	while read -r metric value unit; do
		[ -n "$unit" ] && echo "BENCH R $1 $2 $3 $metric $value $unit"
	done
}

# m WORKLOAD SYSTEM RUN CMD...: run a benchmark program, tag its lines.
m() {
	local w=$1 s=$2 r=$3 out
	shift 3
	out=$("$@") || {
		fail_w "$w" "$s: '$*' failed"
		return 1
	}
	printf '%s\n' "$out" | emit "$w" "$s" "$r"
}

# guest_run IMAGE ARGS...: spawn, wait for the guest to end, console in $con.
guest_run() {
	local id img=$1
	shift
	con=
	id=$(kspawnctl run "$img" --cpu "$cpu" "$@") || return 1
	live=$id
	con=$(timeout 600 kspawnctl console "$id" --follow)
	guest_down
}

# field NAME: NAME=VALUE from the console line in $con.
field() { printf '%s\n' "$con" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p" | tail -n 1; }

# ---- blk: 4 KiB random I/O on a RAM file, guest vs fio+io_uring --------
blk() {
	local rw qd name run ops disk=$scratch/bench-disk.img
	wanted blk_fullstack || return 0
	ops=20000
	[ "$small" = 1 ] && ops=500
	dd if=/dev/zero of="$disk" bs=1M count=128 2>/dev/null
	for rw in read write; do
		for qd in 1 32; do
			name=blk_fullstack_rand${rw}_qd$qd
			wanted "$name" || continue
			declare_w "$name" higher "{\"rw\": \"rand$rw\", \"bs\": 4096, \"qd\": $qd, \"backing\": \"128 MiB file on tmpfs\", \"kspawn\": \"guest blkbench, kspawnctl run --disk\", \"fio_io_uring\": \"ioengine=io_uring, buffered, on CPU $cpu\", \"fio_sqpoll\": \"the same with SQPOLL on CPU 0\"}"
			for run in $(seq "$runs"); do
				say "$name run $run/$runs"
				if ! guest_run "$IMG" --disk "$disk" --cmdline "blkbench rw=$rw qd=$qd ops=$ops" ||
					[ -z "$(field iops)" ]; then
					fail_w "$name" "blkbench failed: $(printf '%s\n' "$con" | tail -n 3 | tr '\n' ' ')"
					break
				fi
				{
					echo "iops $(field iops) IOPS"
					echo "p50_us $(field p50_us) us"
					echo "p99_us $(field p99_us) us"
				} | emit "$name" kspawn "$run"
				m "$name" fio_io_uring "$run" env \
					FILE="$scratch/bench-fio.img" CPU="$cpu" \
					fio.sh rw=$rw qd=$qd
				m "$name" fio_sqpoll "$run" env \
					FILE="$scratch/bench-fio.img" CPU="$cpu" \
					fio.sh rw=$rw qd=$qd sqpoll=0
			done
		done
	done
	rm -f "$disk" "$scratch/bench-fio.img"
}

# ---- net: UDP echo over ksnetN vs two network namespaces over veth -----
# ns_hold: a process whose network namespace the veth peer lives in.
# (Its output goes elsewhere, or $(ns_hold) would wait for it to end.)
ns_hold() {
	unshare -n sleep 100000 > /dev/null 2>&1 &
	echo $!
}

# ns_wait PID: until PID has a network namespace of its own (5 s at most).
ns_wait() {
	local i=0 me
	me=$(readlink /proc/self/ns/net)
	while [ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" = "$me" ] &&
		[ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" != "$me" ]
}

net_setup_veth() {
	modprobe veth 2>/dev/null || insmod /lib/modules/host/veth.ko 2>/dev/null
	ip link del bencha 2>/dev/null
	nsa=$(ns_hold)
	nsb=$(ns_hold)
	ns_wait "$nsa" && ns_wait "$nsb" || return 1
	ip link add bencha type veth peer name benchb || return 1
	# busybox names the peer vethN itself: find it.
	peer=$(ip -o link | sed -n 's/^[0-9]*: \([^@:]*\)@bencha.*/\1/p')
	ip link set bencha netns "$nsa" && ip link set "$peer" netns "$nsb" ||
		return 1
	nsenter -t "$nsa" -n sh -c "ip addr add 169.254.9.1/30 dev bencha &&
		ip link set bencha up && ip link set lo up" || return 1
	nsenter -t "$nsb" -n sh -c "ip addr add 169.254.9.2/30 dev $peer &&
		ip link set $peer up && ip link set lo up" || return 1
	# The echo server on the guest's CPU and the client on CPU 0: the
	# kspawn run's layout (guest on $cpu, ksnet and the backend on 0).
	nsenter -t "$nsb" -n taskset -c "$cpu" udpcheck serve 7 > /dev/null 2>&1 &
	server=$!
}

# guest_net_up: udpecho on $cpu, its ksnetN up as 169.254.1.1/30; $id.
guest_net_up() {
	local before dev i=0
	before=" $(ls /sys/class/net | tr '\n' ' ') "
	id=$(kspawnctl run "$IMG" --cpu "$cpu" --net netdev \
		--cmdline "udpecho ip=169.254.1.2") || return 1
	live=$id
	for dev in $(ls /sys/class/net); do
		case $before in *" $dev "*) ;; *) break ;; esac
	done
	case $dev in ksnet*) ;; *) return 1 ;; esac
	ip addr add 169.254.1.1/30 dev "$dev" && ip link set "$dev" up ||
		return 1
	while [ "$(cat "/sys/class/net/$dev/carrier" 2>/dev/null)" != 1 ] &&
		[ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

guest_down() {
	kspawnctl stop "$id" > /dev/null
	live=
}

net() {
	local run mode
	wanted net_fullstack || return 0
	for mode in rtt pps; do
		wanted "net_fullstack_${mode}_64" || continue
		declare_w "net_fullstack_${mode}_64" \
			"$([ $mode = rtt ] && echo lower || echo higher)" \
			"{\"size\": 64, \"in_flight\": $([ $mode = rtt ] && echo 1 || echo 32), \"kspawn\": \"udpping on CPU 0 -> ksnetN -> guest udpecho on CPU $cpu\", \"veth_netns\": \"udpping in netns A on CPU 0 -> veth -> udpcheck serve in netns B on CPU $cpu\"}"
	done
	if ! net_setup_veth; then
		fail_w net_fullstack "could not set up the veth pair between two namespaces"
		return
	fi
	for run in $(seq "$runs"); do
		say "net_fullstack run $run/$runs"
		if ! guest_net_up; then
			fail_w net_fullstack "udpecho guest or its ksnet device did not come up"
			break
		fi
		for mode in rtt pps; do
			wanted "net_fullstack_${mode}_64" || continue
			m "net_fullstack_${mode}_64" kspawn "$run" \
				taskset -c 0 udpping 169.254.1.2 7 $mode size=64
		done
		guest_down	# the veth run gets $cpu back
		for mode in rtt pps; do
			wanted "net_fullstack_${mode}_64" || continue
			m "net_fullstack_${mode}_64" veth_netns "$run" \
				nsenter -t "$nsa" -n taskset -c 0 \
				udpping 169.254.9.2 7 $mode size=64
		done
	done
}

# ---- spawn: kspawnctl run to main, stop to CPU online; fork+exec -------
spawn() {
	local run
	wanted spawn || return 0
	declare_w spawn lower "{\"kspawn\": \"kspawnctl run (spin app) to the app's main, TSC stamps; kspawnctl stop to CPU online\", \"fork_exec\": \"fork+exec of a static binary to its main; SIGKILL to waitpid\"}"
	for run in $(seq "$runs"); do
		say "spawn run $run/$runs"
		m spawn kspawn "$run" spawnbench kspawn "$TEST_IMG" cpu="$cpu"
		m spawn fork_exec "$run" spawnbench fork
	done
}

# ---- switch: guest thread ping-pong vs Linux pipe and futex ------------
switch() {
	local run rounds=20000 out
	wanted switch || return 0
	[ "$small" = 1 ] && rounds=1000
	declare_w switch lower "{\"kspawn\": \"two guest threads, blocking hand-off through the scheduler (ctxbench)\", \"linux\": \"two threads pinned to one CPU, pipe or futex hand-off (ctxlinux)\", \"cpu\": $cpu}"
	for run in $(seq "$runs"); do
		say "switch run $run/$runs"
		if ! guest_run "$IMG" --cmdline "ctxbench rounds=$rounds" ||
			[ -z "$(field switch_ns)" ]; then
			fail_w switch "ctxbench failed: $(printf '%s\n' "$con" | tail -n 3 | tr '\n' ' ')"
			break
		fi
		{
			echo "switch_ns $(field switch_ns) ns"
			echo "yield_ns $(field yield_ns) ns"
		} | emit switch kspawn "$run"
		out=$(ctxlinux rounds="$rounds" cpu="$cpu") || fail_w switch "ctxlinux failed"
		printf '%s\n' "$out" | sed -n 's/^pipe_ns /switch_ns /p' |
			emit switch linux_pipe "$run"
		printf '%s\n' "$out" | sed -n 's/^futex_ns /switch_ns /p' |
			emit switch linux_futex "$run"
	done
}

# ---- size: memory in use after boot, guest vs this Linux ---------------
size() {
	local run region free malloc
	wanted size_footprint || return 0
	declare_w size_footprint lower "{\"kspawn\": \"minimal image (core + hello): region - free pages - malloc arena, as the guest reports at boot\", \"linux\": \"MemTotal - MemFree - Buffers - Cached of the host at this point\"}"
	for run in $(seq "$runs"); do
		say "size_footprint run $run/$runs"
		guest_run "$IMG_MIN" --cmdline hello || { fail_w size_footprint "hello failed"; break; }
		region=$(printf '%s\n' "$con" | sed -n 's/^memory: region .* + \([0-9]*\) MiB.*/\1/p')
		free=$(printf '%s\n' "$con" | sed -n 's/^memory: \([0-9]*\) KiB free, \([0-9]*\) KiB for malloc.*/\1/p')
		malloc=$(printf '%s\n' "$con" | sed -n 's/^memory: \([0-9]*\) KiB free, \([0-9]*\) KiB for malloc.*/\2/p')
		[ -n "$region" ] && [ -n "$free" ] && [ -n "$malloc" ] ||
			{ fail_w size_footprint "no memory line on the console"; break; }
		echo "footprint_kib $((region * 1024 - free - malloc)) KiB" |
			emit size_footprint kspawn "$run"
		awk '/^(MemTotal|MemFree|Buffers|Cached):/ { v[$1] = $2 }
			END { printf "footprint_kib %d KiB\n", v["MemTotal:"] - v["MemFree:"] - v["Buffers:"] - v["Cached:"] }' \
			/proc/meminfo | emit size_footprint linux_host "$run"
	done
}

# The machine these numbers come from, for the JSON files.
machine() {
	local model virt=bare\ metal
	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	grep -q '^flags.* hypervisor' /proc/cpuinfo && virt="virtualized"
	[ -n "${accel:-}" ] && virt="QEMU ${accel}"
	echo "BENCH M {\"cpu\": \"$model\", \"cores\": $(grep -c ^processor /proc/cpuinfo), \"kernel\": \"$(uname -r)\", \"virtualization\": \"$virt\"}"
}

# The host kernel's log while the workloads ran, against the one list
# (kspawn-klog-check: /bin in the QEMU host, scripts/initramfs/ in the
# tree): on a bare-metal host nothing else looks at it.
klog_check=$(command -v kspawn-klog-check || echo "$here/../../scripts/initramfs/kspawn-klog-check")
klog_mark="kspawn-bench: workloads begin ($$.$(date +%s))"
echo "$klog_mark" > /dev/kmsg 2> /dev/null
check_klog() {
	local bad
	dmesg | awk -v m="$klog_mark" 'on { print } index($0, m) { on = 1 }' > "$scratch/bench-klog"
	[ -s "$scratch/bench-klog" ] || dmesg > "$scratch/bench-klog"
	if ! bad=$(sh "$klog_check" < "$scratch/bench-klog"); then
		printf '%s\n' "$bad" | head -n 20 | sed 's/^/bench: kernel log: /'
		fail_w kernel-log "the host kernel log shows: $(printf '%s\n' "$bad" | head -n 1)"
	fi
	rm -f "$scratch/bench-klog"
}

machine
say "runs=$runs small=${small:-0} only=${only:-all} cpu=$cpu"
spawn
switch
size
blk
net
check_klog
exit $failed
