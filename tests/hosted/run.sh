#!/usr/bin/env bash
# The hosted suite: the guest's virtqueue driver (guest/lib/virtq.c) and
# the device-side backends (host/backend/) as plain Linux programs, two
# threads over one malloc'd region, under AddressSanitizer and
# UndefinedBehaviorSanitizer, and the programs whose threads share state
# without locks (the ring, blk_async, blk_mq, net_loopback, device_hints)
# once more under ThreadSanitizer.
#
#   tests/hosted/run.sh BUILD_DIR
#
# Every program runs under a timeout (HOSTED_TIMEOUT seconds, default 900):
# a lost completion makes it wait forever, and that must fail the case, not
# hang `make test`.  VQ_RACE_SECONDS (default 5) is vq_race's time per
# ring layout.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "run.sh BUILD_DIR" "$@"
set -- "${checked_args[@]}"
out=$build/hosted-tests
mkdir -p "$out"
pass=0 fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
limit=${HOSTED_TIMEOUT:-900}

# run NAME ARGS...: the program under the timeout, output in NAME.log.
run() {
	local name=$1 st
	shift
	timeout --kill-after=10 "$limit" "$out/$name" "$@" > "$out/$name.log" 2>&1
	st=$?
	[ $st -ne 124 ] && [ $st -ne 137 ] ||
		echo "hosted: $name timed out after ${limit}s (a lost completion?)" >> "$out/$name.log"
	return $st
}

# The backends' one list of sources (host/backend/backend.mk).
backend=()
for f in $(cd "$top" && MAKEFLAGS= make -s --no-print-directory \
	-f host/backend/backend.mk --eval 'l: ; @echo $(BACKEND_SRC)' l); do
	backend+=("$top/$f")
done
[ ${#backend[@]} -gt 0 ] || { bad "hosted/setup: no BACKEND_SRC from host/backend/backend.mk"; exit 1; }
cflags=(-std=gnu11 -g -O1 -Wall -Wextra -Werror -I"$top" -I"$top/guest" -pthread)
asan=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# The sources every program shares (the backends, the driver) are
# compiled once per compiler and flags, two at a time, into
# obj/KEY/: the programs differ in their own file only.  Fresh each run.
rm -rf "$out/obj"
shared_src() {
	case $1 in "$top"/host/backend/*.c | "$top"/guest/*.c) return 0 ;; esac
	return 1
}

obj_of() { echo "$1/$(echo "${2#"$top"/}" | tr / _).o"; }	# DIR SOURCE

build() {	# NAME SANITIZERS... -- SOURCES...
	local name=$1 flags=() args=() todo=() key dir f o
	shift
	while [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	key=$(printf '%s\n' "${CC:-gcc}" "${flags[@]}" | md5sum | cut -c1-12)
	dir=$out/obj/$key
	mkdir -p "$dir"
	: > "$out/$name.build"
	for f; do
		if shared_src "$f"; then
			o=$(obj_of "$dir" "$f")
			[ -f "$o" ] || todo+=("$f")
			args+=("$o")
		else
			args+=("$f")
		fi
	done
	for f in "${todo[@]}"; do
		o=$(obj_of "$dir" "$f")
		${CC:-gcc} "${cflags[@]}" "${flags[@]}" -c -o "$o" "$f" \
			>> "$out/$name.build" 2>&1 &
		[ "$(jobs -rp | wc -l)" -lt 2 ] || wait -n
	done
	wait
	${CC:-gcc} "${cflags[@]}" "${flags[@]}" -o "$out/$name" "${args[@]}" >> "$out/$name.build" 2>&1 ||
		{ bad "hosted/$name: does not build"; sed 's/^/    | /' "$out/$name.build"; return 1; }
}

# A program printing one "ok NAME" / "FAIL NAME: why" line per case, and
# "PROGRAM: 0 failed" last; a hang is killed and fails.  So does a
# sanitizer's report after that line, or an exit status other than 0:
# ThreadSanitizer goes on after a data race and LeakSanitizer speaks at
# exit, both after the program's last word.
run_cases() {	# PROGRAM PREFIX [ARG...]
	local prog=$1 prefix=$2 st=0
	shift 2
	run "$prog" "$@" || st=$?
	while read -r verdict name rest; do
		case $verdict in
		ok) ok "hosted/$prefix${name%:}${rest:+ ($rest)}" ;;
		FAIL) bad "hosted/$prefix${name%:}"; echo "    $rest" ;;
		esac
	done < "$out/$prog.log"
	if ! grep -q "^$prog: 0 failed" "$out/$prog.log"; then
		bad "hosted/$prog-exit"; sed 's/^/    | /' "$out/$prog.log" | tail -20
	elif grep -q 'Sanitizer' "$out/$prog.log" || [ $st -ne 0 ]; then
		bad "hosted/$prog-exit"
		echo "    exit status $st; the first sanitizer report:"
		sed -n '/WARNING: .*Sanitizer\|ERROR: .*Sanitizer/,/^SUMMARY/p' \
			"$out/$prog.log" | head -40 | sed 's/^/    | /'
	fi
}

# The guest's driver: its virtqueues, its transport, the hosted platform.
driver=("$top"/guest/lib/virtq*.c "$top"/guest/lib/virtio*.c
	"$top/guest/lib/format.c" "$top/guest/hosted/virtio_hosted.c")

# Hostile rings: one case per line the program prints.
if build vq_hostile "${asan[@]}" -- "$here/vq_hostile.c" "$here/vq_hostile_packed.c" "${backend[@]}"; then
	run_cases vq_hostile vq-
fi
# The driver against a device breaking the used ring: nothing refused
# comes back, and no caller's take-then-arm loop spins on it.
if build vq_bad_device "${asan[@]}" -- "$here/vq_bad_device.c" "${backend[@]}" "${driver[@]}"; then
	run_cases vq_bad_device ""
fi
# What each side writes to the shared ring (no write the peer must not see).
if build ring_writes "${asan[@]}" -- "$here/ring_writes.c" "${backend[@]}" "${driver[@]}"; then
	run_cases ring_writes ring-
fi
# VIRTIO_F_IN_ORDER: batches with one used entry, hostile drivers, devices.
if build in_order "${asan[@]}" -- "$here/in_order.c" "$here/in_order_packed.c" \
	"$here/in_order_hostile.c" \
	"$here/add_bufs.c" "${backend[@]}" "${driver[@]}"; then
	run_cases in_order ring-
fi
# Hostile drivers at the device level, requests and the status machine
# (device_hostile.c, device_status.c and device_vectors.c list the cases), over one harness.
devh=("$here/device_harness.c" "${backend[@]}" "${driver[@]}")
if build device_hostile "${asan[@]}" -- "$here/device_hostile.c" "${devh[@]}"; then
	run_cases device_hostile dev-
fi
if build device_status "${asan[@]}" -- "$here/device_status.c" "${devh[@]}"; then
	run_cases device_status dev-
fi
if build device_vectors "${asan[@]}" -- "$here/device_vectors.c" "${devh[@]}"; then
	run_cases device_vectors dev-
fi
# What the blk device has published when it waits for a store flush.
if build device_flush "${asan[@]}" -- "$here/device_flush.c" "${devh[@]}"; then
	run_cases device_flush dev-
fi
# The hints the doorbell's handler reads, also under ThreadSanitizer: read
# while the device acts on a status (doorbell-hints-racing), they race no
# plain store.
if build device_hints "${asan[@]}" -- "$here/device_hints.c" "${devh[@]}"; then
	run_cases device_hints dev-
fi
if CC=clang build device_hints_tsan -fsanitize=thread -- "$here/device_hints.c" "${devh[@]}"; then
	run_cases device_hints_tsan dev-tsan-
fi
# Descriptors rewritten by another thread while the device walks them,
# VQ_RACE_SECONDS per layout (5; more for a longer hunt), guard pages and
# canaries around the region.
# Notification suppression both ways, split and packed, with and without
# EVENT_IDX: the driver and the device agree on every kick and interrupt.
if build notify "${asan[@]}" -- "$here/notify.c" "${backend[@]}" "${driver[@]}"; then
	run_cases notify notify-
fi
if build vq_race "${asan[@]}" -- "$here/vq_race.c" "${backend[@]}" "${driver[@]}"; then
	run_cases vq_race vq- "${VQ_RACE_SECONDS:-5}"
fi

# 1 000 000 random blk requests against a reference model, ASan+UBSan.
run_model() {	# NAME COUNT ["ARGS"]
	if run "$1" "$2" ${3:-} && grep -q ' OK$' "$out/$1.log" &&
		! grep -q 'ThreadSanitizer' "$out/$1.log"; then
		ok "hosted/$1 ($(tail -n 1 "$out/$1.log"))"
	else
		bad "hosted/$1"
		sed 's/^/    | /' "$out/$1.log" | tail -20
	fi
}
if build blk_model "${asan[@]}" -- "$here/blk_model.c" "${backend[@]}" "${driver[@]}"; then
	run_model blk_model 1000000 split
	cp "$out/blk_model" "$out/blk_model_packed"
	run_model blk_model_packed 1000000 packed
	# The same with indirect tables (VIRTIO_RING_F_INDIRECT_DESC).
	cp "$out/blk_model" "$out/blk_model_indirect"
	run_model blk_model_indirect 1000000 "split indirect"
	cp "$out/blk_model" "$out/blk_model_packed_indirect"
	run_model blk_model_packed_indirect 1000000 "packed indirect"
fi
# The same ring under ThreadSanitizer (clang's: gcc's refuses the event-idx
# fences): acquire/release on the indices, not luck, keep the order.
if CC=clang build blk_model_tsan -fsanitize=thread -- "$here/blk_model.c" "${backend[@]}" "${driver[@]}"; then
	run_model blk_model_tsan 200000 split
	cp "$out/blk_model_tsan" "$out/blk_model_packed_tsan"
	run_model blk_model_packed_tsan 200000 packed
fi

# The net device's offloads, mergeable buffers, the MQ ctrl command.
if build net_offload "${asan[@]}" -- "$here/net_offload.c" "${backend[@]}" "${driver[@]}"; then
	run_cases net_offload net-
fi
# Its receive queue waiting for buffers, or dropping what can never fit.
if build net_rx_wait "${asan[@]}" -- "$here/net_rx_wait.c" "${backend[@]}" "${driver[@]}"; then
	run_cases net_rx_wait net-
fi
# Queue pairs (MQ): frames per pair, steering, pairs changed, hostile counts.
if build net_mq "${asan[@]}" -- "$here/net_mq.c" "${backend[@]}" "${driver[@]}"; then
	run_cases net_mq net-
fi
# The net config rewritten while the driver reads it: never a torn MAC.
if build net_config "${asan[@]}" -- "$here/net_config.c" "${backend[@]}" "${driver[@]}"; then
	run_cases net_config net-
fi

# The blk device over an asynchronous store completing out of order:
# many in flight, flush ordering, FLUSH offered over a volatile cache only,
# ranges, a store out of memory for a while.  One program of four files
# (blk_async.h), listed once.
blk_async=("$here/blk_async.c" "$here/blk_async_flush.c" "$here/blk_async_range.c"
	"$here/blk_async_retry.c")
if build blk_async "${asan[@]}" -- "${blk_async[@]}" "${backend[@]}" "${driver[@]}"; then
	run_cases blk_async blk-async- 10000
fi
if CC=clang build blk_async_tsan -fsanitize=thread -- "${blk_async[@]}" "${backend[@]}" "${driver[@]}"; then
	run_cases blk_async_tsan blk-async-tsan- 5000
fi
# VIRTIO_BLK_F_MQ: several queues served at once, none starved, queue 0
# only without MQ (blk_mq.c lists the cases).
if build blk_mq "${asan[@]}" -- "$here/blk_mq.c" "${backend[@]}" "${driver[@]}"; then
	run_cases blk_mq blk- 20000
fi
if CC=clang build blk_mq_tsan -fsanitize=thread -- "$here/blk_mq.c" "${backend[@]}" "${driver[@]}"; then
	run_cases blk_mq_tsan blk-tsan- 3000
fi
# More requests than the device's slots, requests with no data, blk_size.
if build blk_slots "${asan[@]}" -- "$here/blk_slots.c" "${backend[@]}" "${driver[@]}"; then
	run_cases blk_slots blk-
fi

# The guest kernel's own drivers (kern/virtio_blk.c, kern/virtio_net.c)
# as Linux programs: kern_hosted.c gives them what the kernel would,
# kern_shim/ the two headers that build only for the guest.
kern=(-iquote "$here/kern_shim")
kdriver=("$here/kern_hosted.c" "${driver[@]}" "${backend[@]}")
# A device asking for a reset with a request on the caller's stack,
# a hostile one and the blk device.
if build kern_blk "${asan[@]}" "${kern[@]}" -- "$here/kern_blk.c" \
	"${kdriver[@]}"; then
	run_cases kern_blk kern-
fi
# Its reset with a second waiter and with a completion left in the ring.
if build kern_blk_reset "${asan[@]}" "${kern[@]}" -- \
	"$here/kern_blk_reset.c" "${kdriver[@]}"; then
	run_cases kern_blk_reset kern-
fi
# A request that ends in its poll leaves the queue's interrupt on for
# the callback request still out.
if build kern_blk_poll "${asan[@]}" "${kern[@]}" -- \
	"$here/kern_blk_poll.c" "${kdriver[@]}"; then
	run_cases kern_blk_poll kern-
fi
# A device that breaks the used ring: the read fails, after a
# reset, and does not hang (kern_blk_hostile.c lists the cases).
if build kern_blk_hostile "${asan[@]}" "${kern[@]}" -- \
	"$here/kern_blk_hostile.c" "${kdriver[@]}"; then
	run_cases kern_blk_hostile kern-
fi
# The device's config fields read at init, each checked or bounded
# (kern_blk_config.c lists the cases).
if build kern_blk_config "${asan[@]}" "${kern[@]}" -- \
	"$here/kern_blk_config.c" "${kdriver[@]}"; then
	run_cases kern_blk_config kern-
fi
# The guest's blkcheck app over the driver: a write failing with others
# out, each waited for before blkcheck returns (its frame holds them).
if build kern_blkcheck "${asan[@]}" "${kern[@]}" -I"$top/guest/include" -- \
	"$here/kern_blkcheck.c" "${kdriver[@]}"; then
	run_cases kern_blkcheck kern-
fi
# The net driver against the net device: a transmit queue smaller than
# the driver's buffers, the device's MTU, frames naming buffers they lack.
knet=("$here/kern_net_harness.c" "$top"/guest/lib/net/*.c
	"$top/guest/lib/cmdline.c" "${kdriver[@]}")
if build kern_net "${asan[@]}" "${kern[@]}" -- "$here/kern_net.c" "${knet[@]}"; then
	run_cases kern_net kern-
fi
# Its receive path: frames over several buffers, the device's checksum
# word, interrupts armed and not (kern_net_rx.c lists the cases).
if build kern_net_rx "${asan[@]}" "${kern[@]}" -- "$here/kern_net_rx.c" \
	"${knet[@]}"; then
	run_cases kern_net_rx kern-
fi
# Its sending: buffers taken back, headers, kicks, batches, queue pairs
# and the ctrl queue's ack (kern_net_tx.c lists the cases).
if build kern_net_tx "${asan[@]}" "${kern[@]}" -- "$here/kern_net_tx.c" \
	"${knet[@]}"; then
	run_cases kern_net_tx kern-
fi
# Raw frames (kern/net_raw.c, l2fwd's) over it: the ring, batches, open
# and close (kern_net_raw.c lists the cases).
if build kern_net_raw "${asan[@]}" "${kern[@]}" -- "$here/kern_net_raw.c" \
	"${knet[@]}"; then
	run_cases kern_net_raw kern-
fi

# 1 000 000 frames through the net device in loopback mode.
if build net_loopback "${asan[@]}" -- "$here/net_loopback.c" "${backend[@]}" "${driver[@]}"; then
	run_model net_loopback 1000000
fi
if CC=clang build net_loopback_tsan -fsanitize=thread -- "$here/net_loopback.c" "${backend[@]}" "${driver[@]}"; then
	run_model net_loopback_tsan 200000
fi

# Linux's own driver ring (virtio_ring.c of Debian's linux-source-6.1,
# unpacked by make into BUILD_DIR/linux-src) drives our blk and net
# devices: 100 000 requests and frames per ring layout and event idx
# setting, ASan+UBSan on both sides (linux_ring.c is the transport).
lsrc=$1/linux-src/linux
lflags=(-DCONFIG_PHYS_ADDR_T_64BIT=1 -std=gnu11 -g -O1 -Wall -Werror
	-Wno-pointer-sign -Wno-maybe-uninitialized -fno-strict-aliasing
	-fno-strict-overflow -fno-common -U_FORTIFY_SOURCE -pthread
	-I"$lsrc/tools/virtio" -I"$lsrc/tools/include" -I"$top"
	-include "$lsrc/include/linux/kconfig.h" -include "$here/linux_ring_shim.h")
linux_side() {	# compile virtio_ring.c and the transport with Linux's shims
	[ -f "$lsrc/drivers/virtio/virtio_ring.c" ] ||
		{ echo "no $lsrc (make unpacks linux-source-6.1 there)"; return 1; }
	${CC:-gcc} "${lflags[@]}" "${asan[@]}" -c -o "$out/lr_virtio_ring.o" \
		"$lsrc/drivers/virtio/virtio_ring.c" &&
	${CC:-gcc} "${lflags[@]}" "${asan[@]}" -c -o "$out/lr_transport.o" \
		"$here/linux_ring.c"
}
if linux_side > "$out/linux_ring.build" 2>&1; then
	lring=("$here/linux_ring_mem.c" "$out/lr_virtio_ring.o" "$out/lr_transport.o")
	if build linux_ring_blk "${asan[@]}" -- "$here/linux_ring_blk.c" "${lring[@]}" "${backend[@]}"; then
		run_cases linux_ring_blk linux-ring-blk/ 100000
	fi
	if build linux_ring_net "${asan[@]}" -- "$here/linux_ring_net.c" "${lring[@]}" "${backend[@]}"; then
		run_cases linux_ring_net linux-ring-net/ 100000
	fi
else
	bad "hosted/linux-ring: Linux's virtio_ring.c does not build"
	sed 's/^/    | /' "$out/linux_ring.build"
fi

# kspawn's rings behind Linux's tools/virtio/ringtest (its main.c from the
# same tree, bench/ringtest/kspawn_ring.c), ASan+UBSan: polling, and
# sleeping on eventfd kicks and calls (a lost one hangs: the timeout
# fails it), with kicks batched by 16.
rsrc=$lsrc/tools/virtio/ringtest
if [ -f "$rsrc/main.c" ] &&
   ${CC:-gcc} -std=gnu11 -g -O1 -Wall -Werror -pthread "${asan[@]}" -c \
	-o "$out/ringtest_main.o" "$rsrc/main.c" > "$out/ringtest_main.build" 2>&1; then
	for layout in split packed; do
		def=()
		[ $layout = packed ] && def=(-DKSPAWN_RING_PACKED)
		build "ringtest_$layout" "${asan[@]}" "${def[@]}" -I"$rsrc" -- \
			"$out/ringtest_main.o" "$top/bench/ringtest/kspawn_ring.c" \
			"$top"/guest/lib/virtq*.c \
			"${backend[@]}" || continue
		for mode in poll sleep batch; do
			case $mode in
			poll) args=(--run-cycles 200000) ;;
			sleep) args=(--run-cycles 50000 --sleep) ;;
			batch) args=(--run-cycles 50000 --sleep --batch 16) ;;
			esac
			if run "ringtest_$layout" --guest-affinity 0 --host-affinity 1 "${args[@]}"; then
				ok "hosted/ringtest-kspawn-$layout-$mode (${args[*]})"
			else
				bad "hosted/ringtest-kspawn-$layout-$mode"
				sed 's/^/    | /' "$out/ringtest_$layout.log" | tail -20
			fi
		done
	done
else
	bad "hosted/ringtest: ringtest's main.c does not build (make unpacks linux-source-6.1)"
	sed 's/^/    | /' "$out/ringtest_main.build" 2>/dev/null
fi

echo "hosted: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
