# The full-stack blk rows, sourced by in-vm.sh (its globals: IMG, runs,
# cpu, dbopt, scratch, small, con, order; its helpers: wanted, declare_w,
# fail_w, emit, in_order, m, say, guest_run, field; fio.sh on PATH).
# shellcheck shell=sh
# ---- blk_nvme: a real device's protocol, guest vs fio in the host ------
# The QEMU host's NVMe namespace (bench/run.sh gives it one, 128 MiB): the
# guest's blkbench with --disk /dev/nvme0n1 (bios straight to it), then
# fio with O_DIRECT through io_uring and through libaio on the same
# namespace, pinned to the guest's CPU.  Each side's cores: the host's
# busy time over the command (/proc/stat, every online CPU: fio, the
# backend thread, the NVMe interrupts), plus for kspawn the guest's own
# core, offline to Linux and busy the whole run; both include starting up
# (spawning a guest, starting fio), so the count is an upper bound.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
now_ticks() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }

# nvme_emit WORKLOAD SYSTEM RUN PRIMARY CORES < metric lines: the primary
# metric first (report.py takes kspawn's first as the row's), then the
# others, the cores and the IOPS per core.
nvme_emit() {
	local lines
	lines=$(cat)
	lines=$(printf '%s\n' "$lines" | awk -v c="$5" '{ print }
		$1 == "iops" { printf "cores %.2f cores\n", c
			printf "iops_per_core %.0f IOPS/core\n", $2 / c }')
	{
		printf '%s\n' "$lines" | grep "^$4 "
		printf '%s\n' "$lines" | grep -v "^$4 "
	} | emit "$1" "$2" "$3"
}

# nvme_cores T0 B0 EXTRA: cores used since (uptime T0, busy B0), plus EXTRA.
nvme_cores() {
	awk -v t0="$1" -v b0="$2" -v t1="$(now_ticks)" -v b1="$(busy_ticks)" \
		-v x="$3" 'BEGIN { d = t1 - t0; if (d < 1) d = 1
			printf "%.3f\n", (b1 - b0) / d + x }'
}

blk_nvme() {
	local dev=/dev/nvme0n1 rw qd bs pat name run ops s t0 b0 out better primary
	wanted blk_nvme || return 0
	if [ ! -b $dev ]; then
		fail_w blk_nvme "no $dev in this host (bench/run.sh gives QEMU an NVMe drive)"
		return
	fi
	# rw:qd:bs:pattern; the 128 KiB rows are sequential (streaming).
	for spec in read:1:4096:rand read:32:4096:rand write:1:4096:rand \
		write:32:4096:rand read:8:131072:seq write:8:131072:seq; do
		rw=${spec%%:*} qd=${spec#*:} bs=${qd#*:} qd=${qd%%:*}
		pat=${bs#*:} bs=${bs%%:*}
		name=blk_nvme_$pat${rw}_qd$qd
		[ "$bs" = 4096 ] || name=blk_nvme_$pat${rw}_$((bs >> 10))k_qd$qd
		wanted "$name" || continue
		ops=10000
		[ "$bs" = 4096 ] || ops=2000
		[ "$small" = 1 ] && ops=500
		# QD1: latency is the target; deeper: IOPS per core used.
		better=higher primary=iops_per_core
		[ "$qd" = 1 ] && better=lower primary=p50_us
		declare_w "$name" $better "{\"rw\": \"$pat$rw\", \"bs\": $bs, \"qd\": $qd, \"backing\": \"the QEMU host's NVMe namespace $dev (QEMU -device nvme on a 128 MiB file)\", \"kspawn\": \"guest blkbench, kspawnctl run --disk $dev: bios to the namespace\", \"fio_io_uring\": \"ioengine=io_uring, direct=1 on $dev, on CPU $cpu\", \"fio_libaio\": \"ioengine=libaio, direct=1, the same\", \"same_work\": {\"fio_io_uring\": true, \"fio_libaio\": true}, \"cores\": \"host busy time over the command from /proc/stat, plus 1 for kspawn's guest core\", \"note\": \"$pat: blkbench pattern=$pat, fio rw=$([ $pat = seq ] || echo rand)$rw\"}"
		for run in $(seq "$runs"); do
			say "$name run $run/$runs"
			in_order "$run" "$name" -- kspawn fio_io_uring fio_libaio
			for s in $order; do
				t0=$(now_ticks) b0=$(busy_ticks)
				case $s in
				kspawn)
					if ! guest_run "$IMG" --disk $dev --cmdline "${dbopt}blkbench rw=$rw qd=$qd bs=$bs ops=$ops pattern=$pat" ||
						[ -z "$(field iops)" ]; then
						fail_w "$name" "blkbench failed: $(printf '%s\n' "$con" | tail -n 3 | tr '\n' ' ')"
						break 2
					fi
					{
						echo "iops $(field iops) IOPS"
						echo "p50_us $(field p50_us) us"
						echo "p99_us $(field p99_us) us"
						echo "warmup $(field warm) requests"
					} | nvme_emit "$name" kspawn "$run" $primary \
						"$(nvme_cores "$t0" "$b0" 1)" ;;
				fio_*)
					out=$(env FILE=$dev CPU="$cpu" fio.sh rw=$rw \
						qd=$qd bs=$bs direct=1 pattern=$pat \
						engine=${s#fio_}) || {
						fail_w "$name" "$s: fio.sh failed"
						continue
					}
					printf '%s\n' "$out" | nvme_emit "$name" "$s" \
						"$run" $primary "$(nvme_cores "$t0" "$b0" 0)" ;;
				esac
			done
		done
	done
}

# ---- blk: 4 KiB random I/O on a RAM file, guest vs fio+io_uring --------
# blk_guest WORKLOAD RUN DISK CMDLINE: kspawn's turn, blkbench in a guest.
blk_guest() {
	if ! guest_run "$IMG" --disk "$3" --cmdline "$dbopt$4" ||
		[ -z "$(field iops)" ] || [ -z "$(field warm)" ]; then
		fail_w "$1" "blkbench failed: $(printf '%s\n' "$con" | tail -n 3 | tr '\n' ' ')"
		return 1
	fi
	{
		echo "iops $(field iops) IOPS"
		echo "p50_us $(field p50_us) us"
		echo "p99_us $(field p99_us) us"
		echo "warmup $(field warm) requests"
	} | emit "$1" kspawn "$2"
}

blk() {
	local rw qd name run ops s disk=$scratch/bench-disk.img
	wanted blk_fullstack || return 0
	ops=20000
	[ "$small" = 1 ] && ops=500
	dd if=/dev/zero of="$disk" bs=1M count=128 2>/dev/null
	for rw in read write; do
		for qd in 1 32; do
			name=blk_fullstack_rand${rw}_qd$qd
			wanted "$name" || continue
			declare_w "$name" higher "{\"rw\": \"rand$rw\", \"bs\": 4096, \"qd\": $qd, \"backing\": \"128 MiB file on tmpfs\", \"kspawn\": \"guest blkbench, kspawnctl run --disk\", \"fio_io_uring\": \"ioengine=io_uring, buffered, on CPU $cpu\", \"fio_sqpoll\": \"the same with SQPOLL on CPU 0\", \"same_work\": {\"fio_io_uring\": true, \"fio_sqpoll\": true}, \"note\": \"both sides: 4 KiB random I/O on a 128 MiB tmpfs file in this host; kspawn uses two CPUs (the guest and the host's backend thread), fio_io_uring one, fio_sqpoll two\"}"
			for run in $(seq "$runs"); do
				say "$name run $run/$runs"
				in_order "$run" "$name" -- kspawn fio_io_uring fio_sqpoll
				for s in $order; do
					case $s in
					kspawn)
						blk_guest "$name" "$run" "$disk" \
							"blkbench rw=$rw qd=$qd ops=$ops" ||
							break 2 ;;
					fio_io_uring)
						m "$name" fio_io_uring "$run" env \
							FILE="$scratch/bench-fio.img" CPU="$cpu" \
							fio.sh rw=$rw qd=$qd ;;
					fio_sqpoll)
						m "$name" fio_sqpoll "$run" env \
							FILE="$scratch/bench-fio.img" CPU="$cpu" \
							fio.sh rw=$rw qd=$qd sqpoll=0 ;;
					esac
				done
			done
		done
	done
	rm -f "$disk" "$scratch/bench-fio.img"
}
