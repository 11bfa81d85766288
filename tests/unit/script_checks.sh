# Sourced by tests/unit/run.sh (its ok/bad counters, $top, $out, $build,
# $here): the checks of the scripts and test runners themselves (--help,
# option errors, case names, scripts/lib.sh), apart from the suite's own
# compile-and-run loop so that run.sh stays readable.
# shellcheck shell=bash

# Every script, test runner and the benchmark harness answers --help with
# its usage, and an option it does not take with exit 2, before it acts
# (install-deps.sh once ran apt and then `touch --help`; the runners took
# "--help" for BUILD_DIR: the unit suite ran itself, the gdb suite booted
# QEMU; bench/fullstack/initramfs.sh wrote an archive named --help).
# Under a timeout: one that runs anyway fails here, not hangs.  With them
# the helpers make and the runners call.
for sh in "$top"/scripts/*.sh "$top"/tests/run.sh "$top"/tests/*/run.sh \
	"$top"/bench/run.sh "$top"/bench/ringtest/ringtest.sh \
	"$top"/bench/fullstack/initramfs.sh "$top"/tests/gdb/check-expect.sh; do
	name=${sh#"$top"/}
	[ "$name" = scripts/lib.sh ] && continue
	help=$(cd "$out" && timeout 20 "$sh" --help 2>&1)
	hs=$?
	bogus=$(cd "$out" && timeout 20 "$sh" --no-such-option 2>&1)
	bs=$?
	# A runner drops the "--" that ends its options (it took it for
	# BUILD_DIR): "--" alone is no BUILD_DIR at all, a usage error
	# (status 2, as a bad option), and the fuzz suite's optional one
	# after "--" is where its targets go.
	dd= ds=0 dashdash=
	case $name in
	tests/fuzz/run.sh)
		dd=$(cd "$out" && timeout 20 "$sh" -- "$out/dashdash" no-such-target 2>&1)
		[ -e "$out/dashdash/fuzz/no-such-target.verdict" ] ||
			dashdash=", -- DIR did not put its targets in DIR"
		rm -rf "$out/dashdash" ;;
	tests/run.sh | tests/*/run.sh | bench/run.sh)
		dd=$(cd "$out" && timeout 20 "$sh" -- 2>&1)
		ds=$?
		[ $ds -eq 2 ] && [[ "$dd" == *"usage: run.sh BUILD_DIR"* ]] ||
			dashdash=", -- alone exit $ds, not the usage for no BUILD_DIR" ;;
	# A script that takes none, as the runners: its operands after "--".
	scripts/check-ksyms.sh)
		dd=$(cd "$out" && timeout 20 "$sh" -- "$out/no-such-pass1" "$out/no-such-final" 2>&1)
		[[ "$dd" == *"$out/no-such-pass1"* ]] ||
			dashdash=", -- PASS1_ELF FINAL_ELF did not look at PASS1_ELF" ;;
	# A script that takes options takes what follows "--" as its first
	# operand, even an option it knows (all but qemu-host.sh once took
	# the "--" itself for it); a file that is not there: nothing boots.
	scripts/gdb-guest.sh)
		dd=$(cd "$out" && timeout 20 "$sh" --stub -- --batch 2>&1)
		[[ "$dd" == *"no guest image at --batch"* ]] ||
			dashdash=", --stub -- --batch did not take --batch for ELF" ;;
	scripts/qemu-guest.sh)
		dd=$(cd "$out" && timeout 20 "$sh" --timeout 5 -- --timeout 2>&1)
		[[ "$dd" == *"no guest image at --timeout"* ]] ||
			dashdash=", --timeout 5 -- --timeout did not take --timeout for ELF"
		# and an option without its value is a usage error, not "$2" unset
		nv=$(cd "$out" && timeout 20 "$sh" --timeout 2>&1)
		ds=$?
		[ $ds -eq 2 ] && [[ "$nv" == *"--timeout needs a value"* ]] ||
			dashdash+=", --timeout alone exit $ds, not a usage error"
		dd+=$'\n'$nv ;;
	scripts/qemu-host.sh)
		dd=$(cd "$out" && timeout 20 "$sh" --mode demo -- --probe --log 2>&1)
		[[ "$dd" == *"no kernel at --probe"* ]] ||
			dashdash=", --mode demo -- --probe --log did not take --probe for VMLINUZ" ;;
	scripts/gdb-spawned.sh)
		dd=$(cd "$out" && timeout 20 "$sh" --client true -- --batch 2>&1)
		[[ "$dd" == *"no --batch/initramfs.cpio.gz"* ]] ||
			dashdash=", --client true -- --batch did not take --batch for BUILD_DIR" ;;
	scripts/kmod-tree.sh)
		dd=$(cd "$out" && timeout 20 "$sh" --copy -- --copy 2>&1)
		[ -f "$out/--copy/Kbuild" ] && [ ! -L "$out/--copy/Kbuild" ] ||
			dashdash=", --copy -- --copy did not copy the tree into --copy"
		rm -rf "$out/--copy" ;;
	# The accelerator cached for the probe image "--alone": no QEMU runs
	# (a stand-in says if one would have).
	scripts/qemu-accel.sh)
		mkdir -p "$out/accel-qemu"
		printf '#!/bin/sh\ntouch "%s"\n' "$out/accel-qemu/ran" \
			> "$out/accel-qemu/qemu-system-x86_64"
		chmod +x "$out/accel-qemu/qemu-system-x86_64"
		echo probe > "$out/--alone"
		echo "-accel cached" > "$out/accel-cache.$(sha1sum < "$out/--alone" | cut -c1-16)"
		dd=$(cd "$out" && PATH="$out/accel-qemu:$PATH" KSPAWN_ACCEL= \
			KSPAWN_ACCEL_CACHE="$out/accel-cache" timeout 20 "$sh" --alone -- --alone 2>&1)
		[ "$dd" = "-accel cached -smp 1,maxcpus=2" ] && [ ! -e "$out/accel-qemu/ran" ] ||
			dashdash=", --alone -- --alone did not take --alone for PROBE_ELF"
		rm -rf "$out/accel-qemu" "$out/--alone" "$out"/accel-cache.* ;;
	esac
	# And each takes its operands where check_options left them, without
	# the "--" (check-ksyms.sh -- A B once counted three images, and
	# gen-ksyms.sh -- ELF ran `nm --`, on a.out); qemu-host.sh ends its
	# own loop at "--".
	[ "$name" = scripts/qemu-host.sh ] ||
		grep -A1 -E '^(check_options|runner_start) ' "$sh" | grep -qxF 'set -- "${checked_args[@]}"' ||
		dashdash+=", not set -- \"\${checked_args[@]}\" after check_options"
	# Every variable the script reads with a default (the :- expansion)
	# is a knob its --help names (gdb-guest.sh killed an interactive session
	# after KSPAWN_GDB_TIMEOUT, said nowhere), but the few every program
	# may read.
	for v in $(grep -ohE '\$\{[A-Z][A-Z0-9_]*:?[-=+?]' "$sh" |
		sed -E 's/^\$\{([A-Z0-9_]+).*/\1/' | sort -u); do
		case $v in CC | CI | TMPDIR) continue ;; esac
		grep -qw -- "$v" <<< "$help" || dashdash+=", --help does not name $v"
	done
	if [ $hs -eq 0 ] && [[ "$help" == *"$name"* ]] && [ $bs -eq 2 ] &&
		[[ "$bogus" == *"unknown option --no-such-option"* ]] &&
		[ -z "$dashdash" ] && [ ! -e "$out/--" ] &&
		[ ! -e "$out/--help" ] && [ ! -e "$out/--no-such-option" ]; then
		ok "unit/script-help/$name"
	else
		bad "unit/script-help/$name: --help exit $hs, an unknown option exit $bs$dashdash"
		if [ -n "$dashdash" ]; then
			printf '%s\n' "$dd"
		else
			printf '%s\n' "$help" "$bogus"
		fi | head -n 9 | sed 's/^/    | /'
		rm -rf "$out/--help" "$out/--no-such-option" "$out/--"
	fi
done

# A case name a runner does not have (a typo) fails its suite, and boots
# nothing: the guest, interop and qemu runners once ran no case and said
# "0 passed, 0 failed", status 0, and bench/run.sh wrote an empty table.  QEMU here is a stand-in that says if
# it ran.
t=$(mktemp -d)
mkdir "$t/bin"
printf '#!/bin/sh\ntouch "%s"\nexit 1\n' "$t/ran" > "$t/bin/qemu-system-x86_64"
chmod +x "$t/bin/qemu-system-x86_64"
for suite in guest interop qemu; do
	got=$(PATH="$t/bin:$PATH" KSPAWN_ACCEL=tcg timeout 60 \
		"$top/tests/$suite/run.sh" "$build" no-such-case 2>&1)
	st=$?
	if [ $st -ne 0 ] && [[ "$got" == *"FAIL $suite/no-such-case"* ]] && [ ! -e "$t/ran" ]; then
		ok "unit/runner-unknown-case/$suite"
	else
		bad "unit/runner-unknown-case/$suite: exit $st$([ -e "$t/ran" ] && echo ', QEMU ran')"
		echo "$got" | head -n 5 | sed 's/^/    | /'
	fi
	rm -f "$t/ran"
done
# And a benchmark prefix that selects no workload (make bench BENCH=zzz):
# refused before the older raw.txt, the tables' data, is emptied.
mkdir "$t/bench"
echo 'M kept' > "$t/bench/raw.txt"
got=$(BENCH_OUT="$t/bench" PATH="$t/bin:$PATH" timeout 60 "$top/bench/run.sh" "$build" zzz 2>&1)
st=$?
if [ $st -eq 2 ] && [[ "$got" == *"no workload starts with 'zzz'"* ]] &&
	[ ! -e "$t/ran" ] && [ ! -e "$t/bench/table.txt" ] &&
	grep -qx 'M kept' "$t/bench/raw.txt"; then
	ok "unit/runner-unknown-case/bench"
else
	bad "unit/runner-unknown-case/bench: exit $st, want 2, no table written, raw.txt kept"
	echo "$got" | head -n 5 | sed 's/^/    | /'
fi
rm -rf "$t"

# bench/fullstack/in-vm.sh (sh, not bash: no check_options) answers --help
# and refuses an argument it does not take, before it runs a workload: it
# once took --help for nothing and began the benchmarks, which on a
# bare-metal host (BENCH_FULLSTACK=local, as root) spawn guests.
vm=$top/bench/fullstack/in-vm.sh
help=$(cd "$out" && timeout 20 sh "$vm" --help 2>&1)
hs=$?
bogus=$(cd "$out" && timeout 20 sh "$vm" runs=1 --bogus 2>&1)
bs=$?
if [ $hs -eq 0 ] && [[ "$help" == *"in-vm.sh [runs=N]"* ]] && [ $bs -eq 2 ] &&
	[[ "$bogus" == *"unknown argument '--bogus'"* ]] &&
	[[ "$help$bogus" != *"BENCH M {"* ]]; then
	ok "unit/script-help/bench/fullstack/in-vm.sh"
else
	bad "unit/script-help/bench/fullstack/in-vm.sh: --help exit $hs, an unknown argument exit $bs"
	printf '%s\n' "$help" "$bogus" | head -n 6 | sed 's/^/    | /'
fi

# check_options (scripts/lib.sh) leaves the operands in checked_args,
# without the "--" that ended the options, and keeps one that comes after
# an operand; the options given are in checked_opt, "--" as a value too,
# and a value after '=' (only for an option that takes one).
dd=$(bash -c '. "$1"; shift
	show() {
		printf "[%s]" "${checked_args[@]}"
		for k in $(printf "%s\n" "${!checked_opt[@]}" | sort); do
			printf " %s=%s" "$k" "${checked_opt[$k]}"
		done
		echo
	}
	check_options "" -- b c; show
	check_options "" -- -- -h; show
	check_options "--x= --y" --y --x -- -- -a; show
	check_options "--x= --y" --x -y -- --y; show
	check_options "--x=" --x 1 --x 2 -; show
	check_options "" a -- b; show
	check_options "" a b; show
	check_options "--x= --y" --x=1 --x= --y a; show
	check_options "--x= --y" --x=a=b -- --x=c; show
	(check_options "--y" --y=1; show) 2>&1 | head -n 1' _ "$top/scripts/lib.sh" 2>&1)
want='[b][c]
[--][-h]
[-a] --x=-- --y=1
[--y] --x=-y
[-] --x=2
[a][--][b]
[a][b]
[a] --x= --y=1
[--x=c] --x=a=b
_: unknown option --y'
if [ "$dd" = "$want" ]; then
	ok "unit/lib-sh-dashdash"
else
	bad "unit/lib-sh-dashdash: check_options kept or dropped the wrong \"--\""
	diff <(echo "$want") <(echo "$dd") | sed 's/^/    | /'
fi

# gdb_batch and gdb_interactive (scripts/lib.sh) hand gdb and sed a
# script or image named "-x..." (an operand after "--") as a path, not an
# option: gdb here is a stand-in printing what it was given.
t=$(mktemp -d)
mkdir "$t/bin"
printf '#!/bin/sh\nfor a; do echo "$a"; done\n' > "$t/bin/gdb"
chmod +x "$t/bin/gdb"
echo '# before-connect: set debug remote 0' > "$t/-b.gdb"
got=$(cd "$t" && PATH="$t/bin:$PATH" bash -c '. "$1"
	gdb_batch 10 -b.gdb -e.elf SOCK | tail -n 4
	gdb_interactive -e.elf SOCK | tail -n 1' _ "$top/scripts/lib.sh" 2>&1)
want='target remote SOCK
-x
./-b.gdb
./-e.elf
./-e.elf'
if [ "$got" = "$want" ] && PATH="$t/bin:$PATH" bash -c '. "$1"; cd "$2"
	gdb_batch 10 -b.gdb x SOCK' _ "$top/scripts/lib.sh" "$t" | grep -qx 'set debug remote 0'; then
	ok "unit/lib-sh-gdb-operands"
else
	bad "unit/lib-sh-gdb-operands: gdb or sed took a path for an option"
	diff <(echo "$want") <(echo "$got") | head -n 20 | sed 's/^/    | /'
fi
rm -rf "$t"

# scripts/lib.sh, sourced by the scripts and the test runners, defines no
# function named as a shell builtin or keyword: its jobs() once hid the
# builtin the hosted and fuzz runners count their children with, and they
# ran every job at once.
shadowed=$(bash -c '. "$1"; for f in $(declare -F | awk "{ print \$3 }"); do
	compgen -b -k | grep -qx -- "$f" && echo "$f"; done' _ "$top/scripts/lib.sh")
if [ -z "$shadowed" ]; then
	ok "unit/lib-sh-builtins"
else
	bad "unit/lib-sh-builtins: scripts/lib.sh hides the shell's own: $shadowed"
fi
