#!/usr/bin/env bash
# Boot Debian's kernel as the kspawn host under QEMU, with the initramfs of
# scripts/build-initramfs.sh, a memory pool and a trampoline page reserved
# on its command line.
#
#   scripts/qemu-host.sh [OPTIONS] VMLINUZ INITRD
#     --mode shell|demo|run|auto   what the init does (auto: shell when
#                                  stdin and stdout are a terminal, else demo)
#     --run /tests/NAME.sh         the script to run (implies --mode run)
#     --log FILE                   keep the whole console output here
#     --timeout SECONDS            for demo/run (default $KSPAWN_QEMU_TIMEOUT, else 300)
#     --append "ARGS"              more kernel command line
#     --probe ELF                  image for the accelerator probe
#     --qemu ARG                   one more QEMU argument (repeatable)
#
# A boot whose kernel does not reach its init within KSPAWN_BOOT_TIMEOUT
# seconds (default 120, 0 for no limit; under TCG it takes about 10) is
# stopped and booted again, up to 3 boots in all, with lines on stderr
# saying so and where each vCPU was (scripts/qmp-cpus.py): such a stall
# lies below kspawn (the host kernel bringing up its CPUs, at "#3" under
# -smp 4 and -smp 5 in CI), and could not be made to happen here.  A boot
# still running at --timeout is stopped the same way, where its vCPUs
# were said too (a boot once hung there in CI, with nothing to show why).
#
# Environment: SMP (CPUs, default 2, at least 2), MEM (MiB, default 512), KSPAWN_ACCEL
# (kvm|tcg, else scripts/qemu-accel.sh decides), KSPAWN_POOL (default
# 64M@0x10000000), KSPAWN_TRAMPOLINE (default 0x70000), KSPAWN_QEMU_CPU
# (a QEMU CPU model, e.g. Skylake-Server: `make test CPU=`; a -cpu given
# with --qemu comes later and wins), KSPAWN_MODPARAMS (the kspawn.NAME=VALUE
# words for the module on the kernel command line, instead of the pool's
# and the trampoline's: give those too).
#
# Exit status in demo/run mode: the status the init reports on its sentinel
# line; 121 if the host kernel log shows trouble (the list is
# scripts/initramfs/kspawn-klog-check), whatever that status was (it is
# said on stderr); 124 on timeout; 125 if the machine ended without a
# sentinel (kernel panic, init died).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
check_options "--mode= --run= --log= --timeout= --append= --probe= --qemu=" "$@"

mode=auto run= log= limit=${KSPAWN_QEMU_TIMEOUT:-300} append= probe=
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--mode) mode=$2; shift 2 ;;
	--run) run=$2; mode=run; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--timeout) limit=$2; shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--probe) probe=$2; shift 2 ;;
	--qemu) extra+=("$2"); shift 2 ;;
	--) shift; break ;;
	-*) die "qemu-host.sh: unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || die "usage: qemu-host.sh [OPTIONS] VMLINUZ INITRD"
vmlinuz=$1 initrd=$2
[ -f "$vmlinuz" ] || die "no kernel at $vmlinuz (make hostkernel)"
[ -f "$initrd" ] || die "no initramfs at $initrd (make initramfs)"
if [ "$mode" = auto ]; then
	mode=demo
	[ -t 0 ] && [ -t 1 ] && mode=shell
fi

smp=${SMP:-2}
mem=${MEM:-512}
# Said before QEMU starts, not as a late failure: --timeout 5m broke the
# watcher's arithmetic, and with SMP=1 the demo failed minutes in, at
# `kspawnctl run` (a guest needs a CPU beside Linux's CPU 0).
case $mode in shell | demo | run) ;; *) usage_error "--mode $mode: shell, demo, run or auto" ;; esac
case $limit in
'' | *[!0-9]* | 0*) usage_error "--timeout $limit: a number of seconds, at least 1, no leading 0" ;;
esac
case $smp in
'' | *[!0-9]* | 0 | 1) usage_error "SMP=$smp: a number of CPUs, at least 2 (a guest needs one beside Linux's CPU 0)" ;;
esac
case $mem in
'' | *[!0-9]* | 0) usage_error "MEM=$mem: MiB of memory, a number" ;;
esac
pool=${KSPAWN_POOL:-64M@0x10000000}
tramp=${KSPAWN_TRAMPOLINE:-0x70000}
pool_size=${pool%@*}
pool_base=${pool#*@}

# memmap=SIZE$BASE marks the range reserved in the e820 map Linux sees: the
# '$' is literal here (single quotes), and the module claims the range.
cmdline="console=ttyS0 loglevel=5 panic=-1"
cmdline="$cmdline memmap=${pool_size}\$${pool_base} memmap=4K\$${tramp}"
# Module parameters, passed on by the init script to insmod.
cmdline="$cmdline ${KSPAWN_MODPARAMS:-kspawn.pool_base=$pool_base kspawn.pool_size=$pool_size kspawn.trampoline=$tramp}"
cmdline="$cmdline harness.mode=$mode"
[ -z "$run" ] || cmdline="$cmdline harness.run=$run"

accel=$("$here/qemu-accel.sh" ${probe:+"$probe"})
# The init and the benchmarks say which accelerator they ran under.
case $accel in *kvm*) cmdline="$cmdline harness.accel=kvm" ;; *) cmdline="$cmdline harness.accel=tcg" ;; esac
cmdline="$cmdline$append"
qemu=(qemu-system-x86_64 $accel -smp "$smp" -m "$mem"
	${KSPAWN_QEMU_CPU:+-cpu "$KSPAWN_QEMU_CPU"}
	-display none -no-reboot -nic none
	-kernel "$vmlinuz" -initrd "$initrd" -append "$cmdline")
step "qemu-host: $accel -smp $smp -m $mem${KSPAWN_QEMU_CPU:+ -cpu $KSPAWN_QEMU_CPU}, pool $pool_size at $pool_base, trampoline $tramp, mode $mode"

if [ "$mode" = shell ]; then
	# Interactive: the console is the terminal; Ctrl-A X quits QEMU.
	exec "${qemu[@]}" -serial mon:stdio -monitor none "${extra[@]}"
fi

keep=$log
[ -n "$log" ] || log=$(mktemp)
mkdir -p "$(dirname "$log")"
boot_limit=${KSPAWN_BOOT_TIMEOUT:-120} boots=3
case $boot_limit in
'' | *[!0-9]*) die "KSPAWN_BOOT_TIMEOUT=$boot_limit: not a number of seconds (0: no limit)" ;;
esac
# The PID to stop, the stall's report, and QEMU's monitor socket (asked
# where the vCPUs are when a boot stalls; one per boot, so that a late
# question cannot reach the next).  Under /tmp: a socket's path is short.
work=$(mktemp -d /tmp/qemu-host.XXXXXX) watcher=
pidfile=$work/pid stalled=$work/stalled late=$work/late
trap '[ -z "$watcher" ] || kill "$watcher" 2>/dev/null; rm -rf "$work"' EXIT

# watch_boot: if the console has not shown the init's first line after
# boot_limit seconds (0: never mind), or the boot is still running after
# limit seconds, note its last line and where the vCPUs are (in $stalled
# or $late) and stop the boot: TERM to `timeout`, whose PID the
# pipeline's first stage wrote, and which passes it on to QEMU.  The line
# is looked for with the console's lines joined again (a kernel record
# can land inside it), and read to the end: grep -q would stop
# console-lines with SIGPIPE on a long log, and pipefail fail the test.
# The question to QEMU is bounded (30 s), and whatever it says, the boot
# is stopped (`timeout` itself only stops one that outlives all that).
watch_boot() {
	local t start=$(date +%s) up= last pid report out
	while :; do
		sleep 1
		t=$(($(date +%s) - start))
		if [ -z "$up" ] && [ "$boot_limit" -gt 0 ]; then
			if "$here/../tests/qemu/console-lines" < "$log" |
				grep '^KSPAWN-HARNESS-INIT' > /dev/null; then
				up=1
			elif [ $t -ge "$boot_limit" ]; then
				out=$stalled
				break
			fi
		fi
		if [ $t -ge "$limit" ]; then
			out=$late
			break
		fi
	done
	pid=$(cat "$pidfile")
	[ -n "$pid" ] || return 0
	last=$(tail -n 1 "$log")
	report=$(timeout 30 python3 "$here/qmp-cpus.py" "$qmp" 2>/dev/null) ||
		report="$report
  (scripts/qmp-cpus.py ended with status $?)"
	printf '%s\n%s\n' "${last:-(no output)}" "$report" > "$out"
	kill "$pid"
}

# Show the console as it comes, without the kernel log dump at the end
# (it stays in the log file, for the checks below).  Every stage unbuffered
# (sed -u; mawk would hold lines back), or a reader of our output waits.
for attempt in $(seq "$boots"); do
	qmp=$work/qmp$attempt.sock
	: > "$stalled"
	: > "$late"
	: > "$pidfile"
	: > "$log"
	watch_boot < /dev/null > /dev/null 2>&1 &
	watcher=$!
	set +e
	# The console is the first serial port (ttyS0); --qemu may add ttyS1.
	(
		echo "$BASHPID" > "$pidfile"
		exec timeout --kill-after=5 $((limit + 45)) "${qemu[@]}" -serial stdio \
			-monitor none -qmp "unix:$qmp,server=on,wait=off" "${extra[@]}"
	) </dev/null 2>&1 | sed -u 's/\r$//' | tee "$log" |
		sed -u -e '/^KSPAWN-HARNESS-INIT$/d' \
			-e '/^KSPAWN-HARNESS-DMESG-BEGIN/,/^KSPAWN-HARNESS-DMESG-END/d'
	qemu_status=${PIPESTATUS[0]}
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	watcher=
	set -e
	[ -s "$stalled" ] || break
	echo "qemu-host: the host kernel did not reach its init in ${boot_limit}s (boot $attempt of $boots; its last line: $(head -n 1 "$stalled"))" >&2
	tail -n +2 "$stalled" | sed '/^$/d; s/^/qemu-host: /' >&2
	if [ "$attempt" -eq "$boots" ]; then
		[ -n "$keep" ] || rm -f "$log"
		exit 124
	fi
	echo "qemu-host: booting again" >&2
done

cleanup() { [ -n "$keep" ] || rm -f "$log"; }
if [ -s "$late" ] || [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
	echo "qemu-host: timed out after ${limit}s (its last line: $(head -n 1 "$late"))" >&2
	tail -n +2 "$late" | sed '/^$/d; s/^/qemu-host: /' >&2
	cleanup
	exit 124
fi
# The status line, with any kernel record that landed inside it taken out
# (tests/qemu/console-lines; a record is checked below all the same).
result=$("$here/../tests/qemu/console-lines" < "$log" |
	sed -n 's/^KSPAWN-HARNESS-EXIT \([0-9]*\)$/\1/p' | tail -n 1)
# The kernel's lines on the console and in the dump at the end, checked
# against the one list (scripts/initramfs/kspawn-klog-check); each line
# once (it is in both).
bad=$("$here/initramfs/kspawn-klog-check" --console < "$log" | awk '!seen[$0]++' | head -n 60 || true)
if [ -n "$bad" ]; then
	echo "qemu-host: the host kernel log shows:" >&2
	printf '  %s\n' "$bad" >&2
fi
cleanup
if [ -z "$result" ]; then
	echo "qemu-host: the machine ended without a status (kernel panic? init died?)" >&2
	exit 125
fi
# Trouble in the kernel's log is 121 whatever the init's status: with a
# failing init (tests/qemu/run.sh's cases: status 1) it was once only
# printed, and a runner that takes 1 for "a case failed" never looked.
if [ -n "$bad" ]; then
	[ "$result" -eq 0 ] || echo "qemu-host: the init ended with status $result" >&2
	exit 121
fi
exit "$result"
