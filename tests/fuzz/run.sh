#!/usr/bin/env bash
# The fuzz suite: build each tests/fuzz/fuzz_*.c with libFuzzer, ASan and
# UBSan, replay its seed corpus (tests/fuzz/corpus/<name>/, plus what
# tests/fuzz/gen_<name>_seeds.py writes, if there is one), then fuzz it
# for FUZZ_SECONDS (default 10) with new inputs kept in build/ only.
# A crash is saved in build/fuzz/<name>/ and fails the case: copy it into
# the seed corpus as a regression test once it is fixed.  A seed generator
# that fails fails its target.
#
#   tests/fuzz/run.sh [BUILD_DIR] [NAME...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
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

pass=0 fail=0
names=("$@")
[ ${#names[@]} -eq 0 ] && for f in "$here"/fuzz_*.c; do names+=("$(basename "$f" .c)"); done
for name in "${names[@]}"; do
	src=$here/$name.c
	bin=$out/$name
	work=$out/$name.d
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/crashes"
	log=$work/log
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -I"$top" -I"$top/guest" \
		"$src" $(cd "$top" && sources_of "$src") -o "$bin" > "$log" 2>&1; then
		echo "FAIL fuzz/$name (build)"
		sed 's/^/    | /' "$log"
		fail=$((fail + 1))
		continue
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
		fail=$((fail + 1))
		continue
	fi
	mkdir -p "$work/seeds"
	if (cd "$top" && timeout $((seconds + 120)) "$bin" -max_total_time="$seconds" \
		-max_len=8192 -artifact_prefix="$work/crashes/" \
		-print_final_stats=1 "$work/corpus" "$seeds" "$work/seeds") > "$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok fuzz/$name (${runs:-?} inputs in ${seconds}s, seeds from $(ls "$seeds" "$work/seeds" | grep -cv -e '^$' -e ':$') files)"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz/$name: crash saved in $work/crashes/"
		grep -E 'ERROR|SUMMARY|#[0-9]+ 0x' "$log" | head -n 20 | sed 's/^/    | /'
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
