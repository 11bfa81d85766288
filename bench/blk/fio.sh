#!/bin/sh
# The peer of blkhosted (and of the guest's blkbench in the full-stack
# run): Linux's own fast path for the same workload, fio with io_uring
# doing 4 KiB random reads or writes, qd in flight, one job pinned to one
# CPU, over a 128 MiB file in RAM (tmpfs).
#
#   bench/blk/fio.sh rw=read|write qd=N [ops=N] [file=PATH] [cpu=N]
#                    [sqpoll=CPU] [bs=BYTES] [engine=io_uring|libaio]
#                    [direct=1] [pattern=rand|seq]
#
# Prints what blkhosted prints: "iops N IOPS", "p50_us X us", "p99_us X us"
# (latency is fio's total latency, submission to completion, like
# blkhosted's; fio reads its percentiles from a histogram, to ~1-3%), and
# "warmup N ms": fio's ramp_time, a tenth of the run, done first and not
# counted (with ops=, 10 ms whose requests come out of ops).
#
# FILE (or file=) is the RAM file, /dev/shm/kspawn-bench-fio.img by
# default; the full-stack run points it at a tmpfs file inside the QEMU
# host.  A file the script creates it also removes; an existing one it uses
# as is (it must hold 128 MiB).  CPU (or cpu=) is the CPU, 0 by default.
# sqpoll=CPU adds a kernel thread polling the submission queue on that
# CPU (SQPOLL, registered files and buffers): Linux's polled mode, two
# cores like kspawn's driver and backend, the fair peer for its IOPS.
# The run is time-limited (1.5 s, 0.1 s with BENCH_SMALL=1) unless ops=
# asks for a number of requests.  layout= is accepted and ignored, so the
# harness can give both sides one argument list.
# For a real device (the blk_nvme rows): file= a block device (its first
# 128 MiB are used, nothing is created), direct=1 (O_DIRECT, no page
# cache), engine=libaio for Linux's older asynchronous path, bs= the
# request size (4096 by default).  pattern=seq reads or writes the 128 MiB
# in order (fio rw=read/write, wrapping at the end) instead of at random.
#
# POSIX sh and awk only: the QEMU host's initramfs has busybox, no bash,
# no python3, no jq.  fio's JSON is read with a small awk walker over its
# one-key-per-line layout.
set -eu

usage() {
	echo "usage: fio.sh rw=read|write qd=N [ops=N] [file=PATH] [cpu=N] [sqpoll=CPU] [bs=BYTES] [engine=io_uring|libaio] [direct=1] [pattern=rand|seq]" >&2
	exit 2
}

# is_num VALUE: a whole decimal number, not starting with 0.
is_num() {
	case $1 in '' | 0* | *[!0-9]*) return 1 ;; esac
}

rw='' qd='' ops='' sqpoll='' bs=4096 pattern=rand engine=io_uring direct=0 file=${FILE:-/dev/shm/kspawn-bench-fio.img} cpu=${CPU:-0}
for a in "$@"; do
	case $a in
	rw=read | rw=write) rw=${a#rw=} ;;
	qd=*) qd=${a#qd=} ;;
	ops=*) ops=${a#ops=} ;;
	file=*) file=${a#file=} ;;
	cpu=*) cpu=${a#cpu=} ;;
	sqpoll=*) sqpoll=${a#sqpoll=} ;;
	bs=*) bs=${a#bs=} ;;
	engine=io_uring | engine=libaio) engine=${a#engine=} ;;
	direct=0 | direct=1) direct=${a#direct=} ;;
	pattern=rand | pattern=seq) pattern=${a#pattern=} ;;
	layout=*) ;;
	*) usage ;;
	esac
done
if [ -z "$rw" ] || ! is_num "$qd"; then
	usage
fi
[ -z "$ops" ] || is_num "$ops" || usage
is_num "$bs" || usage
[ "$cpu" = 0 ] || is_num "$cpu" || usage
[ -z "$sqpoll" ] || [ "$sqpoll" = 0 ] || is_num "$sqpoll" || usage
fiorw=rand$rw
[ "$pattern" = rand ] || fiorw=$rw
poll=''
[ -z "$sqpoll" ] ||
	poll="--sqthread_poll=1 --sqthread_poll_cpu=$sqpoll --registerfiles=1 --fixedbufs=1"
command -v fio > /dev/null ||
	{ echo "fio.sh: fio is not installed (scripts/packages.txt)" >&2; exit 1; }

size=$((128 << 20))
out=$(mktemp "${TMPDIR:-/tmp}/kspawn-fio.XXXXXX")
created=''
cleanup() {
	rm -f "$out"
	[ -z "$created" ] || rm -f "$file"
}
trap cleanup EXIT
trap 'exit 130' INT TERM	# so that cleanup runs then too

# Real data in every page, not holes: reads then copy memory, as
# blkhosted's do, and writes do not allocate pages as they go.
if [ -b "$file" ]; then
	sectors=$(cat "/sys/class/block/$(basename "$(readlink -f "$file")")/size")
	[ "$((sectors * 512))" -ge "$size" ] ||
		{ echo "fio.sh: $file is smaller than 128 MiB" >&2; exit 1; }
elif [ ! -e "$file" ]; then
	created=1
	dd if=/dev/zero of="$file" bs=1M count=$((size >> 20)) 2> /dev/null ||
		{ echo "fio.sh: cannot create $file" >&2; exit 1; }
elif [ "$(stat -L -c %s "$file")" -lt "$size" ]; then
	echo "fio.sh: $file is smaller than 128 MiB" >&2
	exit 1
fi

if [ -n "$ops" ]; then
	limit="--io_size=$((ops * bs))"	# may pass the file's end: wraps
	ramp_ms=10
elif [ -n "${BENCH_SMALL:-}" ] && [ "$BENCH_SMALL" != 0 ]; then
	limit="--time_based --runtime=100ms"
	ramp_ms=10
else
	limit="--time_based --runtime=1500ms"
	ramp_ms=150
fi

# direct=0 (the default): tmpfs has no O_DIRECT (open fails with EINVAL),
# so this is buffered I/O through the page cache, which on tmpfs is the
# file itself: a memory copy per request, the same work blkhosted's RAM
# disk does.
# lat_percentiles: percentiles of the total latency, not only completion.
# shellcheck disable=SC2086 # $limit and $poll are several words on purpose
fio --name=kspawn-peer --filename="$file" --size="$size" \
	--ioengine="$engine" --direct="$direct" --rw="$fiorw" --bs="$bs" \
	--iodepth="$qd" --numjobs=1 --thread --cpus_allowed="$cpu" \
	--norandommap --randrepeat=1 --lat_percentiles=1 \
	--percentile_list=50:99 $limit --ramp_time="${ramp_ms}ms" $poll \
	--output-format=json --output="$out" > /dev/null ||
	{ echo "fio.sh: fio failed" >&2; cat "$out" >&2; exit 1; }

# Each "key" : value line of the first job, by its path of keys: objects
# and arrays open at the end of a line and close alone on one.
awk -v rw="$rw" -v ramp_ms="$ramp_ms" '
function path(   p, i) { for (i = 1; i <= d; i++) p = p "/" k[i]; return p }
function key(s) { sub(/^"/, "", s); sub(/" : .*$/, "", s); return s }
{
	line = $0
	sub(/^[ \t]+/, "", line)
	sub(/[ \t]*,?[ \t\r]*$/, "", line)
}
line ~ /^"[^"]*" : [{[]$/ { d++; k[d] = key(line); n[d] = 0; next }
line ~ /^[{[]$/ { d++; k[d] = n[d - 1]++; n[d] = 0; next }
line ~ /^[]}]$/ { d--; next }
line ~ /^"[^"]*" : / {
	v = line
	sub(/^"[^"]*" : /, "", v)
	val[path() "/" key(line)] = v
}
END {
	err = "cat 1>&2"	# busybox has no /dev/stderr in an initramfs
	j = "/0/jobs/0"
	s = j "/" rw
	iops = val[s "/iops"]
	p50 = val[s "/lat_ns/percentile/50.000000"]
	p99 = val[s "/lat_ns/percentile/99.000000"]
	if (iops == "" || p50 == "" || p99 == "") {
		print "fio.sh: no iops or latency percentiles in fio'\''s JSON" | err
		exit 1
	}
	if (val[j "/error"] != 0 || val[s "/total_ios"] + 0 <= 0 || iops + 0 <= 0) {
		printf "fio.sh: fio reported error %s after %s I/Os\n", val[j "/error"], val[s "/total_ios"] | err
		exit 1
	}
	printf "iops %.0f IOPS\n", iops
	printf "p50_us %.2f us\n", p50 / 1000
	printf "p99_us %.2f us\n", p99 / 1000
	printf "warmup %d ms\n", ramp_ms
	printf "fio.sh: rw=%s %d I/Os in %d ms\n", rw, val[s "/total_ios"], val[j "/job_runtime"] | err
}' "$out"
