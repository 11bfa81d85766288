#!/usr/bin/env bash
# The unit suite: each tests/unit/test_*.c is a cmocka program built
# natively with AddressSanitizer and UndefinedBehaviorSanitizer (any report
# is fatal), linked with the hosted library of portable guest parts
# (guest/hosted/hosted.mk: make builds it) and the sources its
# " * unit-sources:" line names (host parts, say).
# Every cmocka test is one case.  Also: the ABI layout against its golden
# file, that an up-to-date tree makes nothing, the scripts' and runners'
# own checks (script_checks.sh), the test runners' self-tests
# (runner_selftest.sh), and that no file outside abi/ copies
# what linux/virtio_*.h define (virtio_vocab.py).  HOSTKERNEL=DIR: the
# host kernel make fetched there (default BUILD_DIR/hostkernel), whose
# headers the module's build checks use (make-kdir, dkms-build).
#
#   tests/unit/run.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "run.sh BUILD_DIR" "$@"
set -- "${checked_args[@]}"
out=$build/unit
mkdir -p "$out"
pass=0 fail=0

ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror -fno-omit-frame-pointer
	-fsanitize=address,undefined -fno-sanitize-recover=all
	-I$top -I$top/guest"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1

# The runners' self-tests (runner_selftest.sh, relayed at the end) start
# now, beside the programs: they spend most of their time waiting for
# stand-in suites to time out, not computing.
"$here/runner_selftest.sh" "$out/runner-selftest" > "$out/runner-selftest.log" 2>&1 &
selftest_pid=$!

# throttle: wait until fewer than build_jobs jobs of ours (the
# self-tests aside) run.
throttle() {
	while [ "$(jobs -rp | grep -vcx "$selftest_pid")" -ge "$(build_jobs)" ]; do
		wait -n
	done
}

# The sources the programs' unit-sources lines name (kspawnctl's, the
# loader's, ...) are compiled once each, with the same flags, into
# obj/, not once for each of the dozen programs that link them.  Fresh
# each run.
unit_sources() { sed -n 's/^ \* unit-sources: //p' "$1" | tr '\n' ' '; }
obj_of() { echo "$out/obj/$(echo "$1" | tr / _).o"; }
rm -rf "$out/obj"
mkdir -p "$out/obj"
compiles=()
for f in $(for src in "$here"/test_*.c; do unit_sources "$src"; done |
	   tr ' ' '\n' | sort -u); do
	throttle
	o=$(obj_of "$f")
	(cd "$top" && gcc $CFLAGS -c "$f" -o "$o") > "$o.log" 2>&1 &
	compiles+=($!)
done
[ ${#compiles[@]} -eq 0 ] || wait "${compiles[@]}"

# build_and_run SRC: one program built and run, its log in $out/NAME.log
# and how it went in $out/NAME.status ("build" or its exit status).  The
# programs run build_jobs at a time (most of the time is the compiler's):
# each writes only its own files, and the verdicts are read in order below.
build_and_run() {
	local src=$1 name bin f objs=()
	name=$(basename "$src" .c)
	bin=$out/$name
	: > "$bin.log"
	for f in $(unit_sources "$src"); do
		objs+=("$(obj_of "$f")")
		[ -f "${objs[-1]}" ] || cat "${objs[-1]}.log" >> "$bin.log"
	done
	if ! (cd "$top" && gcc $CFLAGS "$src" "${objs[@]}" "$build/hosted/libkspawn-guest.a" \
		-lcmocka -lpthread -o "$bin") >> "$bin.log" 2>&1; then
		echo build > "$bin.status"
		return
	fi
	(cd "$top" && "$bin") > "$bin.log" 2>&1
	echo $? > "$bin.status"
}
progs=()
for src in "$here"/test_*.c; do
	rm -f "$out/$(basename "$src" .c).status"
	throttle
	build_and_run "$src" &
	progs+=($!)
done
wait "${progs[@]}"
for src in "$here"/test_*.c; do
	name=$(basename "$src" .c)
	bin=$out/$name
	status=$(cat "$bin.status" 2>/dev/null || echo lost)
	if [ "$status" = build ]; then
		bad "unit/$name (build)"
		sed 's/^/    | /' "$bin.log"
		continue
	fi
	while read -r t; do ok "unit/$name/$t"; done < <(sed -n 's/^\[       OK \] //p' "$bin.log")
	while read -r t; do bad "unit/$name/$t"; done < <(sed -n 's/^\[  FAILED  \] \([a-z_0-9]*\)$/\1/p' "$bin.log" | sort -u)
	if [ "$status" != 0 ] && ! grep -q '^\[  FAILED  \] [a-z_0-9]*$' "$bin.log"; then
		bad "unit/$name (exit $status)"
	fi
	[ "$status" != 0 ] && sed 's/^/    | /' "$bin.log"
done

# The ABI layout: every offset and size against abi/layout.golden.
if gcc -std=gnu11 -Wall -Wextra -Werror -I"$top" "$here/abi_layout.c" -o "$out/abi_layout" > "$out/abi_layout.log" 2>&1 &&
	"$out/abi_layout" > "$out/layout.txt" &&
	diff -u "$top/abi/layout.golden" "$out/layout.txt" > "$out/layout.diff"; then
	ok "unit/abi-layout ($(wc -l < "$out/layout.txt") fields and sizes)"
else
	bad "unit/abi-layout: the ABI layout changed (make abi-golden if on purpose)"
	cat "$out/abi_layout.log" "$out/layout.diff" 2>/dev/null | sed 's/^/    | /'
fi

# No file keeps a merge's conflict markers (a README once did).
markers=$(grep -rInE --exclude-dir=build --exclude-dir=.git \
	'^(<<<<<<<|>>>>>>>)( |$)' "$top" 2>/dev/null)
if [ -z "$markers" ]; then
	ok "unit/no-conflict-markers"
else
	bad "unit/no-conflict-markers: a merge left its markers"
	echo "$markers" | head -5 | sed 's/^/    | /'
fi

# The backends' sources are listed once (host/backend/backend.mk): every
# one of them is on the list, and no other build file or fuzz-sources line
# names one.
list=$(cd "$top" && MAKEFLAGS= make -s --no-print-directory \
	-f host/backend/backend.mk --eval 'l: ; @echo $(BACKEND_SRC)' l 2>&1)
missing=$(cd "$top" && for f in host/backend/*.c; do
	[[ " $list " == *" $f "* ]] || echo "$f"; done)
elsewhere=$(cd "$top" && { git ls-files -- '*.mk' '*Kbuild' '*Makefile' '*.sh' |
	grep -vE '^(host/backend/backend.mk|tests/unit/.*)$' | xargs grep -nE 'backend/[a-z_]+\.[co]\b'
	grep -nE 'fuzz-sources:.*host/backend/' tests/fuzz/*.c; } 2>/dev/null)
if [ -n "$list" ] && [ -z "$missing" ] && [ -z "$elsewhere" ]; then
	ok "unit/backend-one-list ($(echo $list | wc -w) sources)"
else
	bad "unit/backend-one-list: host/backend/backend.mk is not the one list of backend sources"
	printf '%s\n' "list: $list" ${missing:+"not on it: $missing"} "$elsewhere" | sed 's/^/    | /'
fi

# Apps include kspawn.h, their one header, and no kern/ or arch/ header;
# the image a user runs holds no test app, the test image all of them.
inside=$(cd "$top" && grep -nE '#include "(kern|arch)/' guest/apps/*.c guest/apps/*/*.c 2>/dev/null)
apps_of() { nm "$1" 2>/dev/null | sed -n 's/^[0-9a-f]* [dDrR] app_\([a-z0-9_]*\)$/\1/p' | sort | tr '\n' ' '; }
# app_names 'GLOB...': the names the apps in those files register.
app_names() { (cd "$top" && grep -ho '^APP([a-z0-9_]*' $1 2>/dev/null | cut -c5- | sort | tr '\n' ' '); }
want_user=$(app_names 'guest/apps/*.c')
want_test=$(app_names 'guest/apps/*.c guest/apps/*/*.c')
got_user=$(apps_of "$build/kspawn-guest.elf") got_test=$(apps_of "$build/kspawn-guest-test.elf")
# ... and each image's app list note (what kspawnctl run checks) says so.
notes_of() { python3 "$here/note_apps.py" "$1" 2>&1 | tr '\n' ' '; }
note_user=$(notes_of "$build/kspawn-guest.elf") note_test=$(notes_of "$build/kspawn-guest-test.elf")
if [ -z "$inside" ] && [ "$got_user" = "$want_user" ] && [ "$got_test" = "$want_test" ] &&
	[ "$note_user" = "$want_user" ] && [ "$note_test" = "$want_test" ]; then
	ok "unit/apps-split (kspawn-guest.elf: $got_user)"
else
	bad "unit/apps-split: apps reach into kern/ or arch/, or an image has the wrong apps or app list note"
	printf '%s\n' "$inside" "kspawn-guest.elf: $got_user (want $want_user)" \
		"kspawn-guest-test.elf: $got_test (want $want_test)" \
		"kspawn-guest.elf's note: $note_user" \
		"kspawn-guest-test.elf's note: $note_test" | sed 's/^/    | /'
fi

# Who runs on this CPU is read in one GS-relative load where interrupts
# may be on: this_cpu()->current is two (the CPU's structure, then its
# field), and a thread preempted between them and stolen by another CPU
# reads the first CPU's thread: another's errno and stdio, or its exit.
# Under TCG the window cannot be hit (interrupts come between translated
# blocks), so the code itself is checked.
twoload=
for fn in thread_self __getreent; do
	dis=$(objdump -d --no-show-raw-insn --disassemble="$fn" "$build/kspawn-guest.elf" 2>&1)
	if ! grep -q "<$fn>:" <<< "$dis" || grep -q '%gs:0x0,' <<< "$dis" ||
		! grep -q '%gs:0x[1-9a-f]' <<< "$dis"; then
		twoload="$twoload $fn"
	fi
done
if [ -z "$twoload" ]; then
	ok "unit/current-in-one-load"
else
	bad "unit/current-in-one-load: not one %gs load of the current thread in:$twoload"
fi

# A second make with nothing changed does no work.
if (cd "$top" && MAKEFLAGS= make -q B="$build" all) > "$out/make-q.log" 2>&1; then
	ok "unit/make-up-to-date"
else
	bad "unit/make-up-to-date: make would rebuild something in an up-to-date tree"
	(cd "$top" && MAKEFLAGS= make -n B="$build" all 2>&1 | head -n 8 | cut -c1-160 | sed 's/^/    | /')
fi

# Another kernel tree (make module KDIR=...) rebuilds the module, though no
# source changed, and one that is not a tree at all is an error, not
# "Nothing to be done" with the old module left in place, and one that
# leaves the module built for its tree as it was.
env_mk=${HOSTKERNEL:-$build/hostkernel}/env.mk
kdir=$(sed -n 's/^HOSTKERNEL_KDIR := //p' "$env_mk" 2>/dev/null)
if [ -z "$kdir" ]; then
	bad "unit/make-kdir: no host kernel headers ($env_mk): make hostkernel"
elif ! (cd "$top" && MAKEFLAGS= make -q B="$build" module) > "$out/make-kdir.log" 2>&1; then
	bad "unit/make-kdir: the module is not up to date for its own tree"
elif (cd "$top" && MAKEFLAGS= make -q B="$build" module KDIR="$kdir") >> "$out/make-kdir.log" 2>&1; [ $? -ne 1 ]; then
	bad "unit/make-kdir: KDIR=$kdir would not rebuild a module built for the default tree"
elif (cd "$top" && MAKEFLAGS= make B="$build" module KDIR=/nonexistent) >> "$out/make-kdir.log" 2>&1 ||
	! grep -q 'KDIR=/nonexistent is not a kernel build tree' "$out/make-kdir.log"; then
	bad "unit/make-kdir: KDIR=/nonexistent was not refused"
	sed 's/^/    | /' "$out/make-kdir.log"
elif ! (cd "$top" && MAKEFLAGS= make -q B="$build" module) >> "$out/make-kdir.log" 2>&1; then
	bad "unit/make-kdir: a refused KDIR left the module to be built again"
else
	ok "unit/make-kdir"
fi

. "$here/script_checks.sh"

# README.md's "Make targets" table has a row for every target `make help`
# lists (`make` is all), and names none that make does not have.
if ! MAKEFLAGS= make -s --no-print-directory -C "$top" help > "$out/make-help.txt" 2>&1; then
	bad "unit/readme-make-targets: make help failed"
	sed 's/^/    | /' "$out/make-help.txt"
elif ! diff <(awk '$1 == "make" && $2 != "all" { print $2 }' "$out/make-help.txt" | sort) \
	<(sed -n '/^## Make targets/,/^## [^M]/p' "$top/README.md" | grep '^| `make' |
		cut -d'|' -f2 | grep -oE '`make [a-z0-9_-]+' | cut -c7- | sort) \
	> "$out/make-targets.diff"; then
	bad "unit/readme-make-targets: make help (<) and README.md's Make targets table (>) differ"
	sed 's/^/    | /' "$out/make-targets.diff"
else
	ok "unit/readme-make-targets ($(grep -c '^  make ' "$out/make-help.txt") targets)"
fi

# kspawnctl's synopsis in --help and in host/ctl/README.md name the same
# commands with the same options (--version was in one only).  One line a
# command: comments dropped, continuation lines joined, blanks collapsed.
synopsis_lines() {
	sed 's/ #.*//' | awk '
	/^ *(usage: )?kspawnctl / {
		if (cur != "") print cur
		sub(/^ *(usage: )?/, ""); cur = $0; next
	}
	cur != "" && /^ +\[/ { cur = cur " " $0; next }
	{ if (cur != "") print cur; cur = "" }
	END { if (cur != "") print cur }' | sed 's/  */ /g; s/ *$//' | sort
}
if ! "$build/kspawnctl" --help > "$out/ctl-help.txt" 2>&1; then
	bad "unit/ctl-synopsis: kspawnctl --help failed"
elif ! diff <(sed -n '/^    kspawnctl /,/^$/p' "$top/host/ctl/README.md" | synopsis_lines) \
	<(sed -n '1,/^$/p' "$out/ctl-help.txt" | synopsis_lines) > "$out/ctl-synopsis.diff"; then
	bad "unit/ctl-synopsis: host/ctl/README.md (<) and kspawnctl --help (>) differ"
	sed 's/^/    | /' "$out/ctl-synopsis.diff"
else
	ok "unit/ctl-synopsis"
fi

# DKMS builds the module from the tree scripts/kmod-tree.sh assembles, as
# `dkms add` would get it (against the QEMU host's kernel headers here).
krel=$(sed -n 's/^HOSTKERNEL_RELEASE := //p' "$env_mk" 2>/dev/null)
dk=$out/dkms
rm -rf "$dk" && mkdir -p "$dk/tree"
if [ -z "$kdir" ]; then
	bad "unit/dkms-build: no host kernel headers ($env_mk): make hostkernel"
elif "$top/scripts/kmod-tree.sh" --copy "$dk/kspawn-0.1" &&
	dkms build --dkmstree "$dk/tree" --sourcetree "$dk" -m kspawn -v 0.1 \
		-k "$krel" --kernelsourcedir "$kdir" > "$dk/log" 2>&1 &&
	[ -f "$dk/tree/kspawn/0.1/$krel/x86_64/module/kspawn.ko" ]; then
	ok "unit/dkms-build (kspawn 0.1 for $krel)"
else
	bad "unit/dkms-build: dkms could not build the module"
	tail -n 20 "$dk/log" 2>/dev/null | sed 's/^/    | /'
fi

# make test CPU=MODEL boots the QEMU hosts as that CPU model: make hands
# it on, and scripts/qemu-host.sh (run against a stand-in QEMU that
# prints its arguments) passes -cpu MODEL, before any -cpu of --qemu.
fake=$out/fake-qemu
mkdir -p "$fake" && touch "$fake/vmlinuz" "$fake/initrd"
printf '#!/bin/sh\necho "QEMU-ARGS $*"\necho "KSPAWN-HARNESS-EXIT 0"\n' > "$fake/qemu-system-x86_64"
chmod +x "$fake/qemu-system-x86_64"
made=$(cd "$top" && MAKEFLAGS= make -n B="$build" test SUITE=qemu CPU=Skylake-Server 2>&1 | grep 'tests/run.sh')
args=$(cd "$top" && PATH=$fake:$PATH KSPAWN_ACCEL=tcg KSPAWN_QEMU_CPU=EPYC \
	scripts/qemu-host.sh --qemu -cpu --qemu qemu64,+monitor --mode run \
	"$fake/vmlinuz" "$fake/initrd" 2>&1 | grep '^QEMU-ARGS')
if [[ "$made" == *"KSPAWN_QEMU_CPU=Skylake-Server "* ]] &&
	[[ "$args" == *" -cpu EPYC "*" -cpu qemu64,+monitor"* ]]; then
	ok "unit/qemu-cpu-option"
else
	bad "unit/qemu-cpu-option: make test CPU=MODEL does not reach QEMU as -cpu MODEL"
	printf '%s\n' "make: $made" "qemu-host.sh: $args" | sed 's/^/    | /'
fi

# Our guest alone in QEMU under TCG gets a possible second CPU (never
# started): QEMU 7.2 drops the guest's fences on a machine that can have
# only one, and virtio kicks are then lost (scripts/qemu-accel.sh).  The
# interop suite and gdb-guest.sh take the same --alone arguments.
args=$(cd "$top" && PATH=$fake:$PATH KSPAWN_ACCEL=tcg \
	scripts/qemu-guest.sh "$fake/vmlinuz" hello 2>&1 | grep '^QEMU-ARGS')
if [[ "$args" == *" -smp 1,maxcpus=2 "* ]] &&
	grep -q 'qemu-accel.sh" --alone' "$top/tests/interop/run.sh" &&
	grep -q 'qemu-accel.sh" --alone' "$top/scripts/gdb-guest.sh"; then
	ok "unit/qemu-alone-barriers"
else
	bad "unit/qemu-alone-barriers: a guest alone under TCG must run with -smp 1,maxcpus=2"
	printf '%s\n' "qemu-guest.sh: $args" | sed 's/^/    | /'
fi

# qemu-accel.sh keeps its verdict beside the probe image, not in a build/
# of whatever folder it is run from (it once made ./build there), keeps
# none when there is no image to key it by, and keeps one image's verdict
# when it makes another's (suites side by side probe two images; each
# once removed the other's).  A stand-in QEMU.
t=$(mktemp -d)
mkdir -p "$t/bin" "$t/cwd" "$t/img"
printf '#!/bin/sh\nexit 1\n' > "$t/bin/qemu-system-x86_64"
chmod +x "$t/bin/qemu-system-x86_64"
echo probe > "$t/img/probe.elf"
echo other > "$t/img/other.elf"
(cd "$t/cwd" && for img in probe other missing; do
	PATH=$t/bin:$PATH KSPAWN_ACCEL= KSPAWN_ACCEL_CACHE= \
		"$top/scripts/qemu-accel.sh" "$t/img/$img.elf" || exit 1
done) > /dev/null 2>&1
left=$(cd "$t" && find cwd img -mindepth 1 | sort | tr '\n' ' ')
want="img/other.elf img/probe.elf"
want+=" img/qemu-accel.other.elf.$(sha1sum < "$t/img/other.elf" | cut -c1-16)"
want+=" img/qemu-accel.probe.elf.$(sha1sum < "$t/img/probe.elf" | cut -c1-16) "
if [ "$left" = "$want" ]; then
	ok "unit/qemu-accel-cache"
else
	bad "unit/qemu-accel-cache: want only the probes and their verdicts beside them ($want), found: $left"
fi
rm -rf "$t"

# The machine's status line can be split by a kernel console record that
# lands inside it: qemu-host.sh still finds it (tests/qemu/console-lines),
# rather than reporting a machine that ended without one.
split=$out/fake-qemu-split
mkdir -p "$split"
printf '#!/bin/sh\nprintf "KSPAWN-HARNESS-E[   12.345678] random: crng init done\\nXIT 7\\n"\n' \
	> "$split/qemu-system-x86_64"
chmod +x "$split/qemu-system-x86_64"
(cd "$top" && PATH=$split:$PATH KSPAWN_ACCEL=tcg scripts/qemu-host.sh --mode run \
	"$fake/vmlinuz" "$fake/initrd" > "$out/split.log" 2>&1)
st=$?
if [ "$st" -eq 7 ]; then
	ok "unit/qemu-status-split"
else
	bad "unit/qemu-status-split: a status line split by a kernel record gave exit $st, want 7"
	sed 's/^/    | /' "$out/split.log"
fi

# Trouble in the host kernel's log is 121 whatever the init's status: a
# WARNING with status 1 (a qemu case failed) once gave 1, and the qemu
# suite, for which 1 is a failed case, never said the boot had trouble.
klog_qemu=$out/fake-qemu-klog
mkdir -p "$klog_qemu"
cat > "$klog_qemu/qemu-system-x86_64" <<'EOF'
#!/bin/sh
echo "[    0.000000] Linux version 6.1.0 (stand-in)"
echo KSPAWN-HARNESS-INIT
[ -z "$FAKE_KLOG" ] || echo "[    3.000000] WARNING: CPU: 1 PID: 9 at stand-in.c:1"
echo "KSPAWN-HARNESS-EXIT $FAKE_STATUS"
EOF
chmod +x "$klog_qemu/qemu-system-x86_64"
klog_got=""
# init status, a WARNING or not, the exit wanted
while read -r init warn want; do
	[ "$warn" = yes ] || warn=
	(cd "$top" && PATH=$klog_qemu:$PATH KSPAWN_ACCEL=tcg FAKE_STATUS=$init FAKE_KLOG=$warn \
		timeout 60 scripts/qemu-host.sh --mode run "$fake/vmlinuz" "$fake/initrd" \
		< /dev/null > "$out/klog-status.log" 2>&1)
	st=$?
	if [ "$st" -ne "$want" ] ||
		{ [ -n "$warn" ] && ! grep -q 'WARNING: CPU: 1 PID: 9' "$out/klog-status.log"; } ||
		{ [ -n "$warn" ] && [ "$init" != 0 ] &&
			! grep -q "^qemu-host: the init ended with status $init\$" "$out/klog-status.log"; }; then
		klog_got="$klog_got [init $init, ${warn:+a WARNING, }exit $st, want $want]"
	fi
done <<'CASES'
1 yes 121
0 yes 121
1 no 1
0 no 0
CASES
if [ -z "$klog_got" ]; then
	ok "unit/qemu-host-klog-status"
else
	bad "unit/qemu-host-klog-status: trouble in the kernel log must give 121 (and the init's status said), whatever that status:$klog_got"
	sed 's/^/    | /' "$out/klog-status.log"
fi

# A boot that outlives --timeout, and one whose kernel never reaches its
# init, are stopped by qemu-host.sh's watcher, which says so with the last
# console line and what QEMU told of its vCPUs (here: a stand-in QEMU with
# no QMP, so that question's failure), and exits 124; the second is
# booted 3 times.  The stand-in prints a line and then waits for ever.
hang=$out/fake-qemu-hang
mkdir -p "$hang"
printf '#!/bin/sh\necho "qemu-start"\n[ -z "$FAKE_INIT" ] || echo KSPAWN-HARNESS-INIT\necho "last words"\nexec sleep 1000\n' \
	> "$hang/qemu-system-x86_64"
chmod +x "$hang/qemu-system-x86_64"
(cd "$top" && PATH=$hang:$PATH KSPAWN_ACCEL=tcg KSPAWN_QMP_WAIT_S=0 FAKE_INIT=1 timeout 60 \
	scripts/qemu-host.sh --mode run --timeout 2 "$fake/vmlinuz" "$fake/initrd" \
	> "$out/hang.log" 2>&1)
st=$?
(cd "$top" && PATH=$hang:$PATH KSPAWN_ACCEL=tcg KSPAWN_QMP_WAIT_S=0 KSPAWN_BOOT_TIMEOUT=1 timeout 60 \
	scripts/qemu-host.sh --mode run --timeout 30 "$fake/vmlinuz" "$fake/initrd" \
	> "$out/noinit.log" 2>&1)
st2=$?
if [ "$st" -eq 124 ] && grep -q '^qemu-host: timed out after 2s (its last line: last words)$' "$out/hang.log" &&
	grep -q '^qemu-host:   no QEMU monitor to ask' "$out/hang.log" &&
	[ "$st2" -eq 124 ] &&
	[ "$(grep -c 'did not reach its init in 1s (boot [123] of 3; its last line: last words)' "$out/noinit.log")" -eq 3 ] &&
	[ "$(grep -c '^qemu-host: booting again$' "$out/noinit.log")" -eq 2 ]; then
	ok "unit/qemu-host-timeouts"
else
	bad "unit/qemu-host-timeouts: exit $st at --timeout, $st2 with no init (want 124 and the reports)"
	sed 's/^/    | /' "$out/hang.log" "$out/noinit.log" | head -n 30
fi

# Settings that cannot boot are refused before QEMU starts (exit 2, the
# setting named): a non-number --timeout broke the watcher's arithmetic,
# and SMP=1 failed minutes later at the demo's `kspawnctl run`.
refused=""
for bad_setting in "--timeout 5m" "--timeout 0" "--timeout 08" "--mode bogus" SMP=1 SMP=x MEM=0; do
	case $bad_setting in
	--*) env_set="" args=$bad_setting ;;
	*) env_set=$bad_setting args="" ;;
	esac
	# shellcheck disable=SC2086 # the option and its value: two words
	msg=$(cd "$top" && env $env_set PATH=$hang:$PATH KSPAWN_ACCEL=tcg timeout 20 \
		scripts/qemu-host.sh --mode run $args "$fake/vmlinuz" "$fake/initrd" 2>&1)
	st=$?
	word=${bad_setting% *}
	if [ $st -ne 2 ] || [[ "$msg" != *"${word%%=*}"* ]] || [[ "$msg" == *qemu-start* ]]; then
		refused="$refused [$bad_setting: exit $st: $(printf '%s' "$msg" | head -n 1)]"
	fi
done
if [ -z "$refused" ]; then
	ok "unit/qemu-host-settings"
else
	bad "unit/qemu-host-settings: not refused before QEMU (want exit 2, the setting named):$refused"
fi

# Under CPU=Skylake-Server (EPYC) the host kernel notes at boot that the
# CPU is open to RETBleed (SRSO): not trouble (kspawn-klog-check lets
# them by), while a real WARNING on the next line still is.
klog=$top/scripts/initramfs/kspawn-klog-check
retbleed='[    0.045589] RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!
[    0.045535] Speculative Return Stack Overflow: WARNING: See https://kernel.org/doc/html/latest/admin-guide/hw-vuln/srso.html for mitigation options.'
if echo "$retbleed" | sh "$klog" --console > /dev/null &&
	! printf '%s\n[    1.5] WARNING: CPU: 1 PID: 1 at x.c:1 f+0x1/0x2\n' "$retbleed" |
		sh "$klog" --console > /dev/null; then
	ok "unit/klog-cpu-notice"
else
	bad "unit/klog-cpu-notice: kspawn-klog-check flags the RETBleed or SRSO boot note, or no longer flags a WARNING"
fi

# Count a checker's "ok NAME" / "FAIL NAME: why" lines as cases.
relay() {
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"FAIL "*) bad "${line#FAIL }" ;;
		*) echo "$line" ;;
		esac
	done
}

# One virtio vocabulary: no copies of linux/virtio_*.h outside abi/.
relay < <(python3 "$here/virtio_vocab.py" "$top" 2>&1)

# bench/report.py's tables show 4 significant digits, the JSON all.
relay < <(python3 "$here/bench_report.py" "$top" 2>&1)

# The runners themselves cannot be fooled (runner_selftest.sh, started
# above).
wait "$selftest_pid"
relay < "$out/runner-selftest.log"

echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
