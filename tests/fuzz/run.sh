#!/usr/bin/env bash
# The fuzz suite: build each tests/fuzz/fuzz_*.c with libFuzzer, ASan and
# UBSan, replay its seed corpus (tests/fuzz/corpus/<name>/, plus what
# tests/fuzz/gen_<name>_seeds.py writes, if there is one), then fuzz it
# for FUZZ_SECONDS (default 10) with new inputs kept in build/ only,
# FUZZ_JOBS (default 2) targets at a time.
# A crash is saved in build/fuzz/<name>/ and fails the case: copy it into
# the seed corpus as a regression test once it is fixed.  A seed generator
# that fails fails its target.
#
#   tests/fuzz/run.sh [BUILD_DIR] [NAME...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "" "$@"
set -- "${checked_args[@]}"
out=${1:-$top/build}/fuzz
shift || true
seconds=${FUZZ_SECONDS:-10}
mkdir -p "$out"

# The sources each target needs besides itself: "# fuzz-sources:" lines,
# where $(BACKEND_SRC) stands for the backends' one list of sources
# (host/backend/backend.mk).
sources_of() {
	local s
	s=$(sed -n 's/^ \* fuzz-sources: //p; s/^\/\/ fuzz-sources: //p' "$1" | tr '\n' ' ')
	case $s in
	*'$(BACKEND_SRC)'*)
		s=${s//'$(BACKEND_SRC)'/$(MAKEFLAGS= make -s --no-print-directory \
			-f host/backend/backend.mk --eval 'l: ; @echo $(BACKEND_SRC)' l)} ;;
	esac
	echo "$s"
}

# one NAME: build, seed and fuzz one target; its verdict on stdout, with
# the evidence below a FAIL.  Each target is one process on one core.
one() {
	local name=$1 src=$here/$1.c bin=$out/$1 work=$out/$1.d log seeds gen runs
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/crashes"
	log=$work/log
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -I"$top" -I"$top/guest" \
		"$src" $(cd "$top" && sources_of "$src") -o "$bin" > "$log" 2>&1; then
		echo "FAIL fuzz/$name (build)"
		sed 's/^/    | /' "$log"
		return 1
	fi
	seeds=$here/corpus/${name#fuzz_}
	mkdir -p "$seeds"
	# Binary seeds are generated, not kept in git: gen_<name>_seeds.py.
	gen=$here/gen_${name#fuzz_}_seeds.py
	# A generator that fails would leave the target fuzzed without its
	# seeds, unnoticed: that fails the case.
	if [ -f "$gen" ] && ! python3 "$gen" "$work/seeds" "${out%/fuzz}/kspawn-guest.elf" > "$work/gen.log" 2>&1; then
		echo "FAIL fuzz/$name: its seed generator $(basename "$gen") failed"
		sed 's/^/    | /' "$work/gen.log"
		return 1
	fi
	mkdir -p "$work/seeds"
	if (cd "$top" && timeout $((seconds + 120)) "$bin" -max_total_time="$seconds" \
		-max_len=8192 -artifact_prefix="$work/crashes/" \
		-print_final_stats=1 "$work/corpus" "$seeds" "$work/seeds") > "$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok fuzz/$name (${runs:-?} inputs in ${seconds}s, seeds from $(ls "$seeds" "$work/seeds" | grep -cv -e '^$' -e ':$') files)"
	else
		echo "FAIL fuzz/$name: crash saved in $work/crashes/"
		grep -E 'ERROR|SUMMARY|#[0-9]+ 0x' "$log" | head -n 20 | sed 's/^/    | /'
		return 1
	fi
}

names=("$@")
[ ${#names[@]} -eq 0 ] && for f in "$here"/fuzz_*.c; do names+=("$(basename "$f" .c)"); done
# FUZZ_JOBS targets at a time (default 2: this machine kind's cores), the
# verdicts printed in order once all are done.
for name in "${names[@]}"; do
	one "$name" > "$out/$name.verdict" 2>&1 &
	[ "$(jobs -rp | wc -l)" -lt "${FUZZ_JOBS:-2}" ] || wait -n
done
wait
pass=0 fail=0
for name in "${names[@]}"; do
	cat "$out/$name.verdict"
	if grep -q "^ok fuzz/$name " "$out/$name.verdict"; then
		pass=$((pass + 1))
	else
		grep -q "^FAIL fuzz/$name" "$out/$name.verdict" ||
			echo "FAIL fuzz/$name: no verdict"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
