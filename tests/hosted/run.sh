#!/usr/bin/env bash
# The hosted suite: the guest's virtqueue driver (guest/lib/virtq.c) and
# the device-side backends (host/backend/) as plain Linux programs, two
# threads over one malloc'd region, under AddressSanitizer and
# UndefinedBehaviorSanitizer, and the ring once more under ThreadSanitizer.
#
#   tests/hosted/run.sh BUILD_DIR
#
# Every program runs under a timeout (HOSTED_TIMEOUT seconds, default 900):
# a lost completion makes it wait forever, and that must fail the case, not
# hang `make test`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: run.sh BUILD_DIR}/hosted-tests
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

build() {	# NAME SANITIZERS... -- SOURCES...
	local name=$1 flags=()
	shift
	while [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	${CC:-gcc} "${cflags[@]}" "${flags[@]}" -o "$out/$name" "$@" > "$out/$name.build" 2>&1 ||
		{ bad "hosted/$name: does not build"; sed 's/^/    | /' "$out/$name.build"; return 1; }
}

# A program printing one "ok NAME" / "FAIL NAME: why" line per case, and
# "PROGRAM: 0 failed" last; a hang is killed and fails.
run_cases() {	# PROGRAM PREFIX [ARG...]
	local prog=$1 prefix=$2
	shift 2
	run "$prog" "$@"
	while read -r verdict name rest; do
		case $verdict in
		ok) ok "hosted/$prefix${name%:}${rest:+ ($rest)}" ;;
		FAIL) bad "hosted/$prefix${name%:}"; echo "    $rest" ;;
		esac
	done < "$out/$prog.log"
	grep -q "^$prog: 0 failed" "$out/$prog.log" ||
		{ bad "hosted/$prog-exit"; sed 's/^/    | /' "$out/$prog.log" | tail -20; }
}

virtq=("$top/guest/lib/virtq.c" "$top/guest/lib/virtq_packed.c")

# Hostile rings: one case per line the program prints.
if build vq_hostile "${asan[@]}" -- "$here/vq_hostile.c" "${backend[@]}"; then
	run_cases vq_hostile vq-
fi
# Hostile drivers at the device level (device_hostile.c lists the cases).
if build device_hostile "${asan[@]}" -- "$here/device_hostile.c" "${backend[@]}" "${virtq[@]}"; then
	run_cases device_hostile dev-
fi
# Descriptors rewritten by another thread while the device walks them,
# 10 s per layout, guard pages and canaries around the region.
if build vq_race "${asan[@]}" -- "$here/vq_race.c" "${backend[@]}"; then
	run_cases vq_race vq-
fi

# 1 000 000 random blk requests against a reference model, ASan+UBSan.
run_model() {	# NAME COUNT [ARG]
	if run "$1" "$2" ${3:-} && grep -q ' OK$' "$out/$1.log" &&
		! grep -q 'ThreadSanitizer' "$out/$1.log"; then
		ok "hosted/$1 ($(tail -n 1 "$out/$1.log"))"
	else
		bad "hosted/$1"
		sed 's/^/    | /' "$out/$1.log" | tail -20
	fi
}
if build blk_model "${asan[@]}" -- "$here/blk_model.c" "${backend[@]}" "${virtq[@]}"; then
	run_model blk_model 1000000 split
	cp "$out/blk_model" "$out/blk_model_packed"
	run_model blk_model_packed 1000000 packed
fi
# The same ring under ThreadSanitizer (clang's: gcc's refuses the event-idx
# fences): acquire/release on the indices, not luck, keep the order.
if CC=clang build blk_model_tsan -fsanitize=thread -- "$here/blk_model.c" "${backend[@]}" "${virtq[@]}"; then
	run_model blk_model_tsan 200000 split
	cp "$out/blk_model_tsan" "$out/blk_model_packed_tsan"
	run_model blk_model_packed_tsan 200000 packed
fi

# 1 000 000 frames through the net device in loopback mode.
if build net_loopback "${asan[@]}" -- "$here/net_loopback.c" "${backend[@]}" "${virtq[@]}"; then
	run_model net_loopback 1000000
fi
if CC=clang build net_loopback_tsan -fsanitize=thread -- "$here/net_loopback.c" "${backend[@]}" "${virtq[@]}"; then
	run_model net_loopback_tsan 200000
fi

echo "hosted: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
