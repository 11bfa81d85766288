#!/bin/sh
# The full-stack benchmarks, inside the QEMU host (or on a bare-metal host
# with kspawn.ko loaded: see bench/README.md).  Each workload runs kspawn
# and its Linux peers in turn, RUNS times, kspawn first in odd runs and
# last in even ones (as bench/run.sh does for the hosted workloads, so
# that warm caches or a noisy neighbour favour neither side), and prints
# what it measured as
#
#   BENCH W <workload> <lower|higher> <parameters as JSON>
#   BENCH O <workload> <run> <system>...      the order they ran in
#   BENCH R <workload> <system> <run> <metric> <value> <unit>
#
# Every system also reports its warm-up, done first and not measured, as
# the metric "warmup" (0 "none" for the memory footprint, not a timing).
#
# for bench/run.sh to turn into JSON, a table and plots; lines starting
# "bench:" are progress.  A workload that cannot run prints
# "BENCH F <workload> <reason>" and the script exits 1 at the end.
#
#   in-vm.sh [runs=N] [small=1] [only=PREFIX] [cpu=N] [doorbell=off]
# Defaults come from the kernel command line (bench.runs= bench.small=
# bench.only= bench.doorbell=) so that the QEMU harness can pass them.
# doorbell=off has the blk and net full-stack guests decline the doorbell
# (the host polls, as before ABI 1.2): the "before" of bench/README.md.
#
# Needs: kspawnctl, the guest image, spawnbench, udpping, udpcheck,
# l2ping, xdpctl, ctxlinux, fio and fio.sh on PATH or beside this script;
# veth.
here=$(cd "$(dirname "$0")" && pwd)
# -h or --help: the header above; an argument it does not take is a usage
# error, before anything runs (it once took --help for nothing and ran the
# benchmarks).  The kernel command line's words are not checked: they are
# the host kernel's too.
for arg in "$@"; do
	case $arg in
	-h | --help)
		awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
		exit 0 ;;
	runs=* | small=* | only=* | cpu=* | doorbell=off) ;;
	*)
		echo "in-vm.sh: unknown argument '$arg'" >&2
		echo "usage: in-vm.sh [runs=N] [small=1] [only=PREFIX] [cpu=N] [doorbell=off]" >&2
		exit 2 ;;
	esac
done
IMG=${IMG:-/guest/kspawn-guest.elf}
# The spawn workload's guest runs spin, a test app; the reserved rows'
# guest runs idle (a test app too), the peer of a child asleep in pause().
TEST_IMG=${TEST_IMG:-/guest/kspawn-guest-test.elf}
IMG_MIN=${IMG_MIN:-$here/kspawn-guest-min.elf}
PATH=$here:$PATH:/usr/bin
runs=5 small= only= cpu=1 accel= dbopt=
for arg in $(cat /proc/cmdline) "$@"; do
	case $arg in
	bench.runs=* | runs=*) runs=${arg#*runs=} ;;
	bench.small=* | small=*) small=${arg#*small=} ;;
	bench.only=* | only=*) only=${arg#*only=} ;;
	cpu=*) cpu=${arg#cpu=} ;;
	harness.accel=*) accel=${arg#harness.accel=} ;;
	bench.doorbell=off | doorbell=off) dbopt="doorbell=off " ;;
	esac
done
[ "$small" = 1 ] && export BENCH_SMALL=1
failed=0
scratch=${BENCH_TMP:-/tmp}

say() { echo "bench: $*"; }
[ -z "$dbopt" ] || say "the blk and net guests decline the doorbell (doorbell=off: polled)"

# Whatever happens, no guest keeps its CPU and no helper or file stays.
live= nsa= nsb= server= reserved=
cleanup() {
	[ -z "$live" ] || kspawnctl stop "$live" --force > /dev/null 2>&1
	[ -z "$reserved" ] || kspawnctl release "$reserved" > /dev/null 2>&1
	for p in $server $nsa $nsb; do kill "$p" 2> /dev/null; done
	ip link del bencha 2> /dev/null
	ip link del l2fa 2> /dev/null
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

# in_order RUN WORKLOAD... -- SYSTEM...: set $order to the systems in the
# order this run takes them (kspawn, listed first, goes last in even
# runs) and record it for each workload.  A+B is two systems one program
# measures in one go, A then B.
in_order() {
	local r=$1 w s ws=
	shift
	while [ "$1" != -- ]; do
		ws="$ws $1"
		shift
	done
	shift
	order="$*"
	if [ $((r % 2)) -eq 0 ]; then
		order=
		for s in "$@"; do order="$s $order"; done
	fi
	for w in $ws; do
		wanted "$w" && echo "BENCH O $w $r $(echo $order | tr + ' ')"
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

guest_down() {
	kspawnctl stop "$id" > /dev/null
	live=
}

# The blk rows (blk_nvme_*, blk_fullstack_*): blk_nvme(), blk().
. "$here/blk.sh"
# The net rows (net_fullstack_*, net_l2fwd_64): net(), l2fwd().
. "$here/net.sh"

# ---- spawn: kspawnctl run to main, stop to CPU online; fork+exec -------
spawn() {
	local run s
	wanted spawn || return 0
	declare_w spawn lower "{\"kspawn\": \"kspawnctl run (spin app) to the app's main, TSC stamps; kspawnctl stop to CPU online\", \"fork_exec\": \"fork+exec of a static binary to its main; SIGKILL to waitpid\", \"same_work\": {\"fork_exec\": false}, \"note\": \"not the same work: kspawn takes a CPU from Linux and boots a kernel on it, fork+exec starts a process on a running kernel. For scale\"}"
	for run in $(seq "$runs"); do
		say "spawn run $run/$runs"
		in_order "$run" spawn -- kspawn fork_exec
		for s in $order; do
			if [ "$s" = kspawn ]; then
				m spawn kspawn "$run" spawnbench kspawn "$TEST_IMG" cpu="$cpu"
			else
				m spawn fork_exec "$run" spawnbench fork
			fi
		done
	done
}

# ---- spawn_reserved, stop_reserved: the same on a core of the pool ----
# The core is reserved once (kspawnctl reserve): no CPU hotplug per spawn.
# spawnbench spawns through the ioctl with the image already read, as a
# program that starts guests would, and stops through the ioctl, which
# returns with the core parked and free again.  Each start and stop gives
# both rows, which always come together: spawn_reserved (spawn to main
# first) and stop_reserved (stop to core ready first, against kill+wait).
# reserved_m SYSTEM RUN CMD...: m for both rows from one measurement.
reserved_m() {
	local s=$1 r=$2 out
	shift 2
	out=$("$@") || {
		fail_w spawn_reserved "$s: '$*' failed"
		fail_w stop_reserved "$s: '$*' failed"
		return 1
	}
	printf '%s\n' "$out" | emit spawn_reserved "$s" "$r"
	printf '%s\n' "$out" |
		awk '$1 == "stop_us" { print; next } { rest = rest $0 "\n" } END { printf "%s", rest }' |
		emit stop_reserved "$s" "$r"
}

spawn_reserved() {
	local run s
	wanted spawn_reserved || wanted stop_reserved || return 0
	declare_w stop_reserved lower "{\"kspawn\": \"stop ioctl of a guest asleep (idle app) on reserved CPU $cpu until it returns with the core parked and free in the pool (the polite stop: the guest is asked and halts itself)\", \"fork_exec\": \"SIGKILL to waitpid returning, for a process started by fork+exec\", \"same_work\": {\"fork_exec\": false}, \"note\": \"not the same work: a guest asked to stop halts itself and its core is reset and parked; SIGKILL ends a process without asking. The issue's target is 1.0x all the same. The same starts and stops as spawn_reserved\"}"
	declare_w spawn_reserved lower "{\"kspawn\": \"spawn ioctl (idle app, image read once) on reserved CPU $cpu to the app's main, TSC stamps; stop ioctl to the core parked and free in the pool\", \"fork_exec\": \"fork+exec of a static binary to its main; SIGKILL to waitpid\", \"same_work\": {\"fork_exec\": false}, \"note\": \"not the same work: kspawn boots a kernel on a core kept for guests, fork+exec starts a process on a running kernel; the target is 1.0x all the same. stop_us: stop to core ready against kill+wait\"}"
	if ! kspawnctl reserve "$cpu" > /dev/null; then
		fail_w spawn_reserved "kspawnctl reserve $cpu failed"
		return
	fi
	reserved=$cpu
	for run in $(seq "$runs"); do
		say "spawn_reserved run $run/$runs"
		in_order "$run" -- kspawn fork_exec
		# Both rows, whichever was asked for (in_order records the wanted).
		echo "BENCH O spawn_reserved $run $order"
		echo "BENCH O stop_reserved $run $order"
		for s in $order; do
			if [ "$s" = kspawn ]; then
				reserved_m kspawn "$run" spawnbench reserved "$TEST_IMG" cpu="$cpu" cmdline=idle
			else
				reserved_m fork_exec "$run" spawnbench fork
			fi
		done
	done
	kspawnctl release "$cpu" > /dev/null ||
		fail_w spawn_reserved "kspawnctl release $cpu failed"
	reserved=
}

# ---- doorbells: one way each direction, beside a cache-line ping-pong --
# doorbench (test image) times the host's doorbell echo from TSC stamps;
# pingpong bounces a cache line between two Linux threads on the same two
# CPUs: the floor anything crossing between them is measured against.
doorbell() {
	local run n=20000 s w out
	wanted doorbell || return 0
	[ "$small" = 1 ] && n=500
	for w in doorbell_guest_to_host doorbell_host_to_guest; do
		wanted "$w" && declare_w "$w" lower "{\"kspawn\": \"doorbench: an IPI between the guest's CPU and the host's doorbell CPU, one way, TSC-stamped at both ends\", \"pingpong\": \"a cache line bounced between two pinned Linux threads on CPU 0 and CPU $cpu\", \"same_work\": {\"pingpong\": false}, \"note\": \"the ping-pong is the floor (one cache line, no interrupt) an IPI doorbell is set against, not the same work\"}"
	done
	for run in $(seq "$runs"); do
		say "doorbell run $run/$runs"
		in_order "$run" doorbell_guest_to_host doorbell_host_to_guest -- kspawn pingpong
		for s in $order; do
			if [ "$s" = pingpong ]; then
				out=$(pingpong rounds=200000) || { fail_w doorbell_guest_to_host "pingpong failed"; break 2; }
				for w in doorbell_guest_to_host doorbell_host_to_guest; do
					printf '%s\n' "$out" | emit "$w" pingpong "$run"
				done
				continue
			fi
			if ! guest_run "$TEST_IMG" --cmdline "doorbench count=$n" ||
				[ -z "$(field g2h_p50_ns)" ]; then
				fail_w doorbell_guest_to_host "doorbench failed: $(printf '%s\n' "$con" | tail -n 3 | tr '\n' ' ')"
				break 2
			fi
			printf 'one_way_ns %s ns\none_way_p99_ns %s ns\nwarmup 100 rounds\n' \
				"$(field g2h_p50_ns)" "$(field g2h_p99_ns)" |
				emit doorbell_guest_to_host kspawn "$run"
			printf 'one_way_ns %s ns\none_way_p99_ns %s ns\nwarmup 100 rounds\n' \
				"$(field h2g_p50_ns)" "$(field h2g_p99_ns)" |
				emit doorbell_host_to_guest kspawn "$run"
		done
	done
}

# ---- idle: what an idle guest costs the host, and its first request ----
# The device thread's wake-ups in 2 s with the guest idle, and the latency
# of a read after 100 ms idle: with the doorbell (kspawn) and with the
# guest declining it (doorbell=off: the host polls, as before ABI 1.2).
idle() {
	local run s id pid w0 n=50 mode
	wanted idle_wakeups || wanted first_request_after_idle || return 0
	[ "$small" = 1 ] && n=10
	wanted idle_wakeups && declare_w idle_wakeups lower "{\"kspawn\": \"the guest rings the doorbell; the device thread sleeps without a timeout\", \"polling\": \"the same guest with doorbell=off: the device thread polls with a back-off up to 2 ms\", \"measure\": \"voluntary context switches of kspawn-io/N in 2 s, guest idle, per second\", \"same_work\": {\"polling\": true}, \"note\": \"the same guest and device; only the notification differs\"}"
	wanted first_request_after_idle && declare_w first_request_after_idle lower "{\"kspawn\": \"blkbench qd=1 idle_ms=100 with the doorbell\", \"polling\": \"the same with doorbell=off\", \"same_work\": {\"polling\": true}, \"note\": \"the same 4 KiB reads of a RAM disk, each after 100 ms idle; only the notification differs\"}"
	for run in $(seq "$runs"); do
		say "idle run $run/$runs"
		in_order "$run" idle_wakeups first_request_after_idle -- kspawn polling
		for s in $order; do
			mode=on
			[ "$s" = polling ] && mode=off
			if wanted idle_wakeups; then
				id=$(kspawnctl run "$IMG" --cpu "$cpu" --ramdisk 8M --cmdline "doorbell=$mode blkbench qd=1 ops=200") || { fail_w idle_wakeups "run failed"; break 2; }
				live=$id
				# console --follow ends with 0 on SIGTERM: KILL, and
				# the result line says whether the guest finished.
				con=$(timeout -s KILL 600 kspawnctl console "$id" --follow)
				case $con in
				*"blkbench: rw="*) ;;
				*) fail_w idle_wakeups "the guest's blkbench gave no result within 600 s"; guest_down; break 2 ;;
				esac
				pid=$(for f in /proc/[0-9]*/comm; do [ "$(cat "$f" 2>/dev/null)" = "kspawn-io/$id" ] && { f=${f#/proc/}; echo "${f%/comm}"; }; done)
				w0=$(sed -n 's/^voluntary_ctxt_switches:[^0-9]*//p' "/proc/$pid/status")
				sleep 2
				# Halves, not $((n / 2)): one wake-up in the 2 s is
				# 0.5 /s, which integer division made the target's 0.
				awk -v n="$(($(sed -n 's/^voluntary_ctxt_switches:[^0-9]*//p' "/proc/$pid/status") - w0))" \
					'BEGIN { printf "wakeups_per_s %.1f /s\nwarmup 200 requests\n", n / 2 }' |
					emit idle_wakeups "$s" "$run"
				guest_down
			fi
			if wanted first_request_after_idle; then
				if ! guest_run "$IMG" --ramdisk 8M --cmdline "doorbell=$mode blkbench qd=1 ops=$n idle_ms=100" ||
					[ -z "$(field p50_us)" ]; then
					fail_w first_request_after_idle "blkbench failed: $(printf '%s\n' "$con" | tail -n 3 | tr '\n' ' ')"
					break 2
				fi
				printf 'latency_p50_us %s us\nlatency_p99_us %s us\nwarmup %s requests\n' \
					"$(field p50_us)" "$(field p99_us)" "$(field warm)" |
					emit first_request_after_idle "$s" "$run"
			fi
		done
	done
}

# ---- switch: guest thread ping-pong vs Linux pipe and futex ------------
switch() {
	local run rounds=20000 s
	wanted switch || return 0
	[ "$small" = 1 ] && rounds=1000
	declare_w switch lower "{\"kspawn\": \"two guest threads, blocking hand-off through the scheduler (ctxbench)\", \"linux\": \"two threads pinned to one CPU, pipe or futex hand-off (ctxlinux)\", \"cpu\": $cpu, \"same_work\": {\"linux_pipe\": true, \"linux_futex\": true}, \"note\": \"both sides: a blocking hand-off between two threads on one CPU\"}"
	for run in $(seq "$runs"); do
		say "switch run $run/$runs"
		# ctxlinux plays the pipe, then the futex: one turn for both.
		in_order "$run" switch -- kspawn linux_pipe+linux_futex
		for s in $order; do
			if [ "$s" != kspawn ]; then
				switch_linux "$run" "$rounds"
				continue
			fi
			if ! guest_run "$IMG" --cmdline "ctxbench rounds=$rounds" ||
				[ -z "$(field switch_ns)" ] || [ -z "$(field warm)" ]; then
				fail_w switch "ctxbench failed: $(printf '%s\n' "$con" | tail -n 3 | tr '\n' ' ')"
				break 2
			fi
			{
				echo "switch_ns $(field switch_ns) ns"
				echo "yield_ns $(field yield_ns) ns"
				echo "warmup $(field warm) rounds"
			} | emit switch kspawn "$run"
		done
	done
}

# switch_linux RUN ROUNDS: ctxlinux's pipe and futex results.
switch_linux() {
	local out warm
	out=$(ctxlinux rounds="$2" cpu="$cpu") || { fail_w switch "ctxlinux failed"; return; }
	warm=$(printf '%s\n' "$out" | grep '^warmup ')
	printf '%s\n' "$out" | sed -n 's/^pipe_ns /switch_ns /p' |
		{ cat; echo "$warm"; } | emit switch linux_pipe "$1"
	printf '%s\n' "$out" | sed -n 's/^futex_ns /switch_ns /p' |
		{ cat; echo "$warm"; } | emit switch linux_futex "$1"
}

# ---- switch_cross_cpu: a wake-up on another CPU, guest vs Linux ---------
# The blocking ping-pong of switch, the two threads pinned to two CPUs:
# ctxbench cross=1 on guest CPUs 0 and 1 (--cpus CPU-CPU+1), ctxlinux's
# threads on the same two host CPUs once the guest has given them back.
switch_cross_cpu() {
	local run rounds=20000 s id out warm c2=$((cpu + 1))
	wanted switch_cross_cpu || return 0
	[ "$small" = 1 ] && rounds=1000
	declare_w switch_cross_cpu lower "{\"kspawn\": \"two guest threads pinned to guest CPUs 0 and 1 (kspawnctl run --cpus $cpu-$c2), blocking hand-off through semaphores: each wakes the other CPU's thread (ctxbench cross=1)\", \"linux\": \"two threads pinned to CPUs $cpu and $c2, pipe or futex hand-off (ctxlinux cpu2=)\", \"same_work\": {\"linux_pipe\": true, \"linux_futex\": true}, \"note\": \"both sides: a blocking hand-off between two threads on two CPUs, the same two CPUs of this host\"}"
	if [ "$(nproc)" -le "$c2" ]; then
		fail_w switch_cross_cpu "needs CPU $c2 in this host, have $(nproc) CPUs"
		return
	fi
	for run in $(seq "$runs"); do
		say "switch_cross_cpu run $run/$runs"
		in_order "$run" switch_cross_cpu -- kspawn linux_pipe+linux_futex
		for s in $order; do
			if [ "$s" != kspawn ]; then
				out=$(ctxlinux rounds="$rounds" cpu="$cpu" cpu2="$c2") ||
					{ fail_w switch_cross_cpu "ctxlinux cpu2= failed"; return; }
				warm=$(printf '%s\n' "$out" | grep '^warmup ')
				printf '%s\n' "$out" | sed -n 's/^pipe_ns /switch_ns /p' |
					{ cat; echo "$warm"; } | emit switch_cross_cpu linux_pipe "$run"
				printf '%s\n' "$out" | sed -n 's/^futex_ns /switch_ns /p' |
					{ cat; echo "$warm"; } | emit switch_cross_cpu linux_futex "$run"
				continue
			fi
			con=
			id=$(kspawnctl run "$IMG" --cpus "$cpu-$c2" --cmdline "ctxbench cross=1 rounds=$rounds") ||
				{ fail_w switch_cross_cpu "kspawnctl run --cpus $cpu-$c2 failed"; return; }
			live=$id
			con=$(timeout 600 kspawnctl console "$id" --follow)
			guest_down
			if [ -z "$(field cross_ns)" ] || [ -z "$(field warm)" ]; then
				fail_w switch_cross_cpu "ctxbench cross=1 failed: $(printf '%s\n' "$con" | tail -n 3 | tr '\n' ' ')"
				return
			fi
			{
				echo "switch_ns $(field cross_ns) ns"
				echo "warmup $(field warm) rounds"
			} | emit switch_cross_cpu kspawn "$run"
		done
	done
}

# ---- scale: CPU-bound work on 1, 2 and 3 guest CPUs ---------------------
# scale_one SYSTEM CPUOPTS CHUNKS ITERS: parwork in a guest on those CPUs;
# its ns and warm-up in $sns and $swarm.
scale_one() {
	local id
	sns= swarm=
	id=$(kspawnctl run "$IMG" $2 --cmdline "parwork chunks=$3 iters=$4") ||
		return 1
	live=$id
	con=$(timeout 600 kspawnctl console "$id" --follow)
	guest_down
	sns=$(field ns) swarm=$(field warm)
	[ -n "$sns" ] && [ "$sns" -gt 0 ] && [ -n "$swarm" ]
}

scale() {
	# A run of about 0.3 s on one CPU: at a tenth of that (36 ms) the
	# host's scheduling of the vCPU threads, a tick or two each, ruled
	# the 2-CPU speedup (1.32x, against 1.81x with these).
	local run chunks=192 iters=1000000 s opts ns1 rate
	wanted scale || return 0
	[ "$small" = 1 ] && chunks=48 iters=100000
	declare_w scale higher "{\"kspawn\": \"parwork (one worker per guest CPU, an equal share of the chunks each) on 3 guest CPUs: kspawnctl run --cpus 1-3\", \"kspawn_2cpu\": \"the same on --cpus 1-2\", \"kspawn_1cpu\": \"the same on --cpu 1\", \"chunks\": $chunks, \"iters\": $iters, \"same_work\": {\"kspawn_2cpu\": true, \"kspawn_1cpu\": true}, \"note\": \"speedup_vs_1cpu is each run's rate over that run's 1-CPU rate; under TCG the host's own CPUs (and anyone else's load) bound it\"}"
	if [ "$(nproc)" -lt 4 ]; then
		fail_w scale "needs 4 CPUs in this host (3 for the guest), have $(nproc)"
		return
	fi
	for run in $(seq "$runs"); do
		say "scale run $run/$runs"
		in_order "$run" scale -- kspawn kspawn_2cpu kspawn_1cpu
		ns1=
		for s in $order; do
			case $s in
			kspawn) opts="--cpus 1-3" ;;
			kspawn_2cpu) opts="--cpus 1-2" ;;
			*) opts="--cpu 1" ;;
			esac
			if ! scale_one "$s" "$opts" "$chunks" "$iters"; then
				fail_w scale "parwork ($opts) failed: $(printf '%s\n' "$con" | tail -n 3 | tr '\n' ' ')"
				return
			fi
			eval "ns_$s=$sns warm_$s=$swarm"
		done
		ns1=$ns_kspawn_1cpu
		for s in kspawn kspawn_2cpu kspawn_1cpu; do
			eval "sns=\$ns_$s swarm=\$warm_$s"
			rate=$(awk -v c="$chunks" -v n="$sns" 'BEGIN { printf "%.3f", c * 1e9 / n }')
			{
				echo "chunks_per_s $rate chunks/s"
				awk -v a="$ns1" -v b="$sns" 'BEGIN { printf "speedup_vs_1cpu %.3f x\n", a / b }'
				echo "warmup $swarm chunks"
			} | emit scale "$s" "$run"
		done
	done
}

# ---- size: memory in use after boot, guest vs this Linux ---------------
size() {
	local run region free malloc s
	wanted size_footprint || return 0
	declare_w size_footprint lower "{\"kspawn\": \"minimal image (core + hello): region - free pages - malloc arena, as the guest reports at boot\", \"linux\": \"MemTotal - MemFree - Buffers - Cached of the host at this point\", \"same_work\": {\"linux_host\": false}, \"note\": \"not like for like: the memory a minimal guest uses against what the whole host Linux uses. For scale\"}"
	for run in $(seq "$runs"); do
		say "size_footprint run $run/$runs"
		in_order "$run" size_footprint -- kspawn linux_host
		for s in $order; do
			if [ "$s" = linux_host ]; then
				awk '/^(MemTotal|MemFree|Buffers|Cached):/ { v[$1] = $2 }
					END { printf "footprint_kib %d KiB\nwarmup 0 none\n", v["MemTotal:"] - v["MemFree:"] - v["Buffers:"] - v["Cached:"] }' \
					/proc/meminfo | emit size_footprint linux_host "$run"
				continue
			fi
			guest_run "$IMG_MIN" --cmdline hello || { fail_w size_footprint "hello failed"; break 2; }
			region=$(printf '%s\n' "$con" | sed -n 's/^memory: region .* + \([0-9]*\) MiB.*/\1/p')
			free=$(printf '%s\n' "$con" | sed -n 's/^memory: \([0-9]*\) KiB free, \([0-9]*\) KiB for malloc.*/\1/p')
			malloc=$(printf '%s\n' "$con" | sed -n 's/^memory: \([0-9]*\) KiB free, \([0-9]*\) KiB for malloc.*/\2/p')
			[ -n "$region" ] && [ -n "$free" ] && [ -n "$malloc" ] ||
				{ fail_w size_footprint "no memory line on the console"; break 2; }
			printf 'footprint_kib %s KiB\nwarmup 0 none\n' \
				$((region * 1024 - free - malloc)) |
				emit size_footprint kspawn "$run"
		done
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
spawn_reserved
switch
switch_cross_cpu
scale
size
doorbell
idle
blk
blk_nvme
net
l2fwd
check_klog
exit $failed
