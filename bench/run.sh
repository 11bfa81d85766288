#!/usr/bin/env bash
# The benchmark harness.  Runs each workload BENCH_RUNS times (default 5),
# kspawn and its peers in turn within each run, kspawn first in odd runs
# and last in even ones (so that warm caches or a noisy neighbour favour
# neither side), then bench/report.py writes one JSON file per workload
# under bench/results/ (or BENCH_OUT), table.txt and PNG plots.
#
#   bench/run.sh BUILD_DIR [WORKLOAD_PREFIX]     e.g. bench/run.sh build blk
#
# A WORKLOAD_PREFIX that selects no workload (bench/README.md's table
# lists them) is a usage error (2), before anything is emptied or booted.
#
# Hosted workloads (ring_*, ringtest_*, blk_hosted_*, net_hosted_*,
# size_image) run on this machine; full-stack ones (spawn*, stop_reserved,
# switch*, scale, size_footprint, doorbell_*, idle_wakeups,
# first_request_after_idle, blk_fullstack_*, blk_nvme_*, net_fullstack_*,
# net_l2fwd_*) in one boot of the QEMU host, through
# bench/fullstack/in-vm.sh.
# BENCH_FULLSTACK=local runs in-vm.sh on this machine instead (a bare-metal
# host with kspawn.ko loaded, as root), the guest on BENCH_CPU (default 1),
# its scratch files in BENCH_TMP (default /dev/shm).  BENCH_QEMU_TIMEOUT:
# the QEMU boot's limit in seconds (default 3000).  HOSTKERNEL=DIR: the
# host kernel make fetched there (default BUILD_DIR/hostkernel).
# BENCH_SMALL=1 runs each workload small, once unless BENCH_RUNS says.
# BENCH_DOORBELL=off: the full-stack blk and net guests decline the
# doorbell (the host polls, as before ABI 1.2), for a before/after.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/lib.sh"
runner_start "run.sh BUILD_DIR [WORKLOAD_PREFIX]" "$@"
set -- "${checked_args[@]}"
# runner_start stops without BUILD_DIR: a missing one once left only a
# $(...) subshell, and the harness went on to clear bench/results/ and run
# the hosted benchmarks with no programs.
[ -d "$build" ] || usage_error "BUILD_DIR $build is no directory"
build=$(cd "$build" && pwd)
only=${2:-}
# Workload names are letters, digits and _: a prefix with anything else
# (a "/") names none, and must not reach the rm below as a path.
case $only in *[!A-Za-z0-9_]*) usage_error "WORKLOAD_PREFIX $only: letters, digits and _ only" ;; esac
# A prefix no workload starts with (a typo) is refused here, before raw.txt
# is emptied and before QEMU boots: wanted() takes a prefix that extends a
# group's name (spawnx) for that group, and the whole boot ran for nothing.
if [ -n "$only" ] && ! bench_workload_names | grep -q "^$only"; then
	usage_error "no workload starts with '$only' (bench/README.md lists them)"
fi
runs=${BENCH_RUNS:-5}
out=${BENCH_OUT:-$here/results}
bin=$build/bench
export RINGBENCH_SCALE=1
if [ -n "${BENCH_SMALL:-}" ] && [ "$BENCH_SMALL" != 0 ]; then
	runs=${BENCH_RUNS:-1}
	export RINGBENCH_SCALE=100 BENCH_SMALL=1
else
	unset BENCH_SMALL
fi
# Before anything below touches bench/results/: only the code counts.
rev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
mkdir -p "$out"
raw=$out/raw.txt
: > "$raw"
# A whole run replaces every result: none may survive from an older one.
# A selection replaces the results it selects: one whose workload never
# got to run (its QEMU boot ended before it) must not stay looking current.
if [ -z "$only" ]; then
	rm -f "$out"/*.json "$out"/*.png
else
	rm -f "$out/$only"*.json
fi
failed=0

machine() {
	local cpu virt
	cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)
	# systemd-detect-virt says "none" and fails on bare metal.
	virt=$(systemd-detect-virt 2>/dev/null)
	[ -n "$virt" ] || virt=unknown
	[ "$virt" = none ] && virt="bare metal"
	cpu=${cpu//\"/}
	echo "M {\"cpu\": \"$cpu\", \"cores\": $(nproc), \"kernel\": \"$(uname -r)\", \"virtualization\": \"$virt\"}"
}

wanted() { [ -z "$only" ] || [[ "$1" == "$only"* ]] || [[ "$only" == "$1"* ]]; }

# hosted NAME BETTER PARAMS METRIC UNIT -- SYSTEM CMD... [-- SYSTEM CMD...]
# The first system is kspawn.  A program prints "metric value unit" lines;
# one that prints a bare number gives METRIC in UNIT.  Each also says what
# warm-up it did first, unmeasured ("warmup N UNIT").
hosted() {
	local name=$1 better=$2 params=$3 metric=$4 unit=$5 run i
	local -a names=() cmds=()
	shift 5
	[ -z "$only" ] || [[ "$name" == "$only"* ]] || return 0
	while [ $# -gt 0 ]; do
		shift	# --
		names+=("$1")
		shift
		local cmd=""
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			cmd+=" $(printf '%q' "$1")"
			shift
		done
		cmds+=("$cmd")
	done
	echo "W $name $better $params" >> "$raw"
	for run in $(seq "$runs"); do
		# Every other run the peers go first: warm caches, turbo and
		# a neighbour's load then favour neither side.
		local order=("${!names[@]}")
		[ $((run % 2)) -eq 1 ] || order=($(printf '%s\n' "${order[@]}" | tac))
		echo "O $name $run $(for i in "${order[@]}"; do printf '%s ' "${names[$i]}"; done)" >> "$raw"
		for i in "${order[@]}"; do
			local o
			if ! o=$(eval "${cmds[$i]}"); then
				echo "F $name ${names[$i]}:${cmds[$i]} failed" >> "$raw"
				echo "bench: $name ${names[$i]} FAILED" >&2
				continue
			fi
			printf '  %-32s run %d/%d  %-12s %s\n' "$name" "$run" "$runs" \
				"${names[$i]}" "$(echo "$o" | head -n 1)" >&2
			echo "$o" | awk -v w="$name" -v s="${names[$i]}" -v r="$run" \
				-v m="$metric" -v u="$unit" '
				NF == 1 { print "R", w, s, r, m, $1, u }
				NF == 3 { print "R", w, s, r, $1, $2, $3 }' >> "$raw"
		done
	done
}

# Whether each peer does the work kspawn does ("same_work") and what a
# reader of the row must know ("note"): a row whose best peer does other
# work is shown for scale and counts against no target (report.py).
BLK_HOSTED_SAME='"same_work": {"fio_io_uring": false, "fio_sqpoll": false}, "note": "not the same work: kspawn'"'"'s side is a virtqueue and a memcpy into a RAM array inside one process, no system call, no file system; fio goes through io_uring, the VFS and a tmpfs file. For scale only; the blk target is judged on the full-stack rows"'
NET_HOSTED_SAME='"same_work": {"udp_lo": false}, "note": "not the same work: kspawn'"'"'s side is two virtqueues and a loopback backend inside one process, no protocol stack; udp_lo sends UDP datagrams through sockets and Linux'"'"'s IP stack. For scale only"'
SIZE_IMAGE_SAME='"same_work": {"linux_kernel": false}, "note": "not like for like: a minimal kernel with one app, as loaded, against the compressed bzImage of a general-purpose kernel. For scale"'

hosted_workloads() {
	local p layout b rw qd mode same
	machine >> "$raw"
	for p in 64 1500; do
		# The ping-pong moves one cache line each way and no payload:
		# the floor the latency target names, for one-line messages.
		if [ $p = 64 ]; then
			same='"same_work": {"pingpong": true, "rte_ring": true}, "note": "pingpong carries no payload: it is the floor (one cache line each way) the latency target is set against"'
		else
			same='"same_work": {"pingpong": false, "rte_ring": true}, "note": "pingpong moves one cache line each way, not 1500 bytes: shown as the floor, not compared; the ratio is against rte_ring, which carries the same payload"'
		fi
		for layout in split packed; do
			hosted "ring_latency_${layout}_$p" lower \
				"{\"payload\": $p, \"layout\": \"$layout\", \"cores\": \"two threads pinned to CPU 0 and 1\", $same}" \
				one_way_ns ns \
				-- kspawn "$bin/ringbench" latency "$layout" $p \
				-- pingpong "$bin/ringbench" latency pingpong $p \
				-- rte_ring "$bin/ringbench" latency rte_ring $p
			for b in 1 32; do
				hosted "ring_throughput_${layout}_b${b}_$p" higher \
					"{\"payload\": $p, \"batch\": $b, \"layout\": \"$layout\", \"same_work\": {\"rte_ring\": true}, \"note\": \"\"}" \
					throughput Mmsg/s \
					-- kspawn "$bin/ringbench" throughput "$layout" $p $b \
					-- rte_ring "$bin/ringbench" throughput rte_ring $p $b
			done
		done
	done
	for rw in read write; do
		for qd in 1 32; do
			hosted "blk_hosted_rand${rw}_qd$qd" higher \
				"{\"rw\": \"rand$rw\", \"bs\": 4096, \"qd\": $qd, \"kspawn\": \"virtqueue driver + blk backend on 128 MiB RAM, two threads\", \"fio_io_uring\": \"fio io_uring on a 128 MiB tmpfs file, one CPU\", \"fio_sqpoll\": \"the same with SQPOLL on a second CPU\", $BLK_HOSTED_SAME}" \
				iops IOPS \
				-- kspawn "$bin/blkhosted" rw=$rw qd=$qd \
				-- fio_io_uring "$here/blk/fio.sh" rw=$rw qd=$qd \
				-- fio_sqpoll "$here/blk/fio.sh" rw=$rw qd=$qd sqpoll=1
		done
	done
	for mode in rtt pps; do
		hosted "net_hosted_${mode}_64" "$([ $mode = rtt ] && echo lower || echo higher)" \
			"{\"size\": 64, \"kspawn\": \"virtio-net driver + backend in loopback mode, two threads\", \"udp_lo\": \"two threads, UDP over 127.0.0.1\", $NET_HOSTED_SAME}" \
			"$mode" - \
			-- kspawn "$bin/nethosted" $mode size=64 \
			-- udp_lo "$bin/udplo" $mode size=64
	done
	size_image
}

# Linux's tools/virtio/ringtest: its main.c with its own rings and with
# kspawn's (bench/ringtest/kspawn_ring.c: guest/lib's driver side and
# host/backend's device side), every binary with the same options on the
# same CPUs.  Polling: all of them; --sleep (kicks and calls through
# eventfds, event index suppressing them): ptr_ring has no --sleep.
ringtest_workloads() {
	local rt=$build/bench/ringtest layout poll=500000 sleep=100000
	local opts=(--guest-affinity 0 --host-affinity 1 --ring-size 256)
	local desc="\"ring_size\": 256, \"cores\": \"guest CPU 0, host CPU 1\""
	desc+=', "same_work": {"virtio_ring_0_9": true, "ring": true, "ptr_ring": true}, "note": "the same ringtest main.c, buffers, options and CPUs for every ring"'

	if [ -n "${BENCH_SMALL:-}" ]; then
		poll=20000
		sleep=5000
	fi
	for layout in split packed; do
		hosted "ringtest_${layout}_poll" higher \
			"{\"mode\": \"poll\", \"buffers\": $poll, $desc, \"kspawn\": \"$layout virtqueue\"}" \
			throughput Mbuf/s \
			-- kspawn "$here/ringtest/ringtest.sh" $poll "$rt/kspawn_$layout" "${opts[@]}" \
			-- virtio_ring_0_9 "$here/ringtest/ringtest.sh" $poll "$rt/virtio_ring_0_9" "${opts[@]}" \
			-- ring "$here/ringtest/ringtest.sh" $poll "$rt/ring" "${opts[@]}" \
			-- ptr_ring "$here/ringtest/ringtest.sh" $poll "$rt/ptr_ring" "${opts[@]}"
		hosted "ringtest_${layout}_sleep" higher \
			"{\"mode\": \"sleep\", \"buffers\": $sleep, $desc, \"kspawn\": \"$layout virtqueue\"}" \
			throughput Mbuf/s \
			-- kspawn "$here/ringtest/ringtest.sh" $sleep "$rt/kspawn_$layout" "${opts[@]}" --sleep \
			-- virtio_ring_0_9 "$here/ringtest/ringtest.sh" $sleep "$rt/virtio_ring_0_9" "${opts[@]}" --sleep \
			-- ring "$here/ringtest/ringtest.sh" $sleep "$rt/ring" "${opts[@]}" --sleep
	done
}

# The minimal guest image (core + hello) against the Linux kernel the QEMU
# host boots (a compressed bzImage: that flatters Linux).
size_image() {
	local vmlinuz run s
	wanted size_image || return 0
	vmlinuz=$(sed -n 's/^HOSTKERNEL_VMLINUZ := //p' "$build/hostkernel/env.mk" 2>/dev/null)
	[ -f "$vmlinuz" ] || vmlinuz=/boot/vmlinuz-$(uname -r)
	echo "W size_image lower {\"kspawn\": \"kspawn-guest-min.elf as loaded (text+data+bss): kernel core, newlib, hello; full_image_kib: kspawn-guest.elf, every app a user runs\", \"linux_kernel\": \"$(basename "$vmlinuz"), compressed bzImage file\", $SIZE_IMAGE_SAME}" >> "$raw"
	# The same every run, but every run has its rows and its order like
	# any workload's (a size: no warm-up, recorded as 0).
	for run in $(seq "$runs"); do
		local order=(kspawn linux_kernel)
		[ $((run % 2)) -eq 1 ] || order=(linux_kernel kspawn)
		echo "O size_image $run ${order[*]}" >> "$raw"
		for s in "${order[@]}"; do
			if [ "$s" = kspawn ]; then
				loaded_kib "$run" image_kib "$build/kspawn-guest-min.elf"
				loaded_kib "$run" full_image_kib "$build/kspawn-guest.elf"
			elif [ -f "$vmlinuz" ]; then
				echo "R size_image linux_kernel $run image_kib $(($(stat -c %s "$vmlinuz") / 1024)) KiB" >> "$raw"
			else
				echo "F size_image no Linux kernel image to compare with" >> "$raw"
			fi
			echo "R size_image $s $run warmup 0 none" >> "$raw"
		done
	done
}

# loaded_kib RUN METRIC ELF: text+data+bss of a kspawn image, in KiB.
loaded_kib() {
	local kib
	kib=$(size -B "$3" 2>/dev/null | awk 'NR == 2 { print ($1 + $2 + $3) / 1024 }')
	if [ -n "$kib" ]; then
		echo "R size_image kspawn $1 $2 $kib KiB" >> "$raw"
	else
		echo "F size_image cannot read $3" >> "$raw"
	fi
}

# The full-stack workloads, in one QEMU boot, or with BENCH_FULLSTACK=local
# right here (a bare-metal host with kspawn.ko loaded, as root); their
# BENCH lines go into raw.
fullstack() {
	local w any= log
	for w in spawn stop_reserved switch scale size_footprint doorbell_guest_to_host \
		doorbell_host_to_guest idle_wakeups first_request_after_idle \
		blk_fullstack blk_nvme net_fullstack net_l2fwd; do
		wanted "$w" && any=1
	done
	[ -n "$any" ] || return 0
	log=$(mktemp)
	if [ "${BENCH_FULLSTACK:-qemu}" = local ]; then
		fullstack_local "$log"
	else
		fullstack_qemu "$log"
	fi
	sed -n 's/^BENCH //p' "$log" >> "$raw"
	# A run that failed as a whole (the boot ended early, or the host
	# kernel's log shows a BUG, Oops or WARNING) fails every workload it
	# ran: their numbers come from a broken host, and none is saved.
	if grep -qE '^BENCH F (fullstack|kernel-log) ' "$log"; then
		sed -n 's/^BENCH W \([^ ]*\) .*/F \1 the full-stack run failed as a whole (see its fullstack or kernel-log failure)/p' \
			"$log" >> "$raw"
	fi
	rm -f "$log"
}

fullstack_local() {
	echo "bench: full stack on this machine (BENCH_FULLSTACK=local)" >&2
	PATH=$build/bench:$build/qemu:$build:$here/blk:$PATH \
		IMG=$build/kspawn-guest.elf IMG_MIN=$build/kspawn-guest-min.elf \
		TEST_IMG=$build/kspawn-guest-test.elf \
		BENCH_TMP=${BENCH_TMP:-/dev/shm} \
		sh "$here/fullstack/in-vm.sh" runs="$runs" small="${BENCH_SMALL:-0}" \
		only="$only" cpu="${BENCH_CPU:-1}" ${BENCH_DOORBELL:+doorbell=$BENCH_DOORBELL} 2>&1 | tee "$1" |
		grep --line-buffered '^bench:' >&2
	local st=${PIPESTATUS[0]}
	# 1: in-vm.sh said which workload failed (F lines), as in QEMU.
	[ "$st" -eq 0 ] || [ "$st" -eq 1 ] ||
		echo "BENCH F fullstack in-vm.sh ended with status $st" >> "$1"
}

fullstack_qemu() {
	local env_mk=${HOSTKERNEL:-$build/hostkernel}/env.mk initrd=$build/initramfs-bench.cpio
	if [ ! -f "$initrd" ] || [ ! -f "$env_mk" ]; then
		echo "BENCH F fullstack no $initrd or $env_mk (make bench builds them)" > "$1"
		return
	fi
	# -smp 4: scale gives a guest 3 CPUs; the others use CPU 1 only.
	# An NVMe drive on a 128 MiB file of real (zero) blocks: blk_nvme_*.
	local nvme=$build/bench-nvme.img
	dd if=/dev/zero of="$nvme" bs=1M count=128 2>/dev/null
	echo "bench: full stack: booting the QEMU host (-smp 4, TCG unless KVM works)" >&2
	(cd "$top" && SMP=4 MEM=1536 scripts/qemu-host.sh \
		--timeout "${BENCH_QEMU_TIMEOUT:-3000}" \
		--probe "$build/kspawn-guest.elf" --log "$1" \
		--qemu -drive --qemu "file=$nvme,if=none,id=nvm,format=raw" \
		--qemu -device --qemu "nvme,serial=kspawn-bench,drive=nvm" \
		--run /bench/in-vm.sh \
		--append "bench.runs=$runs bench.small=${BENCH_SMALL:-0} bench.only=$only${BENCH_DOORBELL:+ bench.doorbell=$BENCH_DOORBELL}" \
		"$(sed -n 's/^HOSTKERNEL_VMLINUZ := //p' "$env_mk")" "$initrd") |
		grep --line-buffered '^bench:' >&2
	local st=${PIPESTATUS[0]}
	rm -f "$nvme"
	# 1: in-vm.sh said which workload failed (F lines); anything else
	# (a timeout, 121: a BUG or WARNING in the host kernel's log) is
	# the whole boot's failure.
	if ! grep -q '^KSPAWN-HARNESS-EXIT ' "$1"; then
		echo "BENCH F fullstack the QEMU boot ended early: $(tail -n 5 "$1" | tr '\n' ' ')" >> "$1"
	elif [ "$st" -ne 0 ] && [ "$st" -ne 1 ]; then
		echo "BENCH F fullstack qemu-host.sh ended with status $st (121: the host kernel log shows a BUG, Oops or WARNING)" >> "$1"
	fi
}

hosted_workloads
ringtest_workloads
fullstack
# A prefix that selected nothing ran nothing (a name in README.md's table
# that no code here or in in-vm.sh runs): no pass, and no tables
# rewritten from it.
if [ -n "$only" ] && ! grep -qv '^M ' "$raw"; then
	usage_error "no workload starts with '$only' (bench/README.md lists them)"
fi
python3 "$here/report.py" "$out" "$rev" "$runs" < "$raw" || failed=1
echo "results: $out/*.json, $out/table.txt, $out/*.png" >&2
exit $failed
