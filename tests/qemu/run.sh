#!/usr/bin/env bash
# The qemu suite: the full stack.  Boots Debian's kernel as the host under
# QEMU with kspawn.ko, kspawnctl and the guest image in its initramfs, and
# runs the cases of guest/cases/ inside it (guest/run-cases.sh), several per
# boot because each boot costs seconds under TCG.
#
#   tests/qemu/run.sh BUILD_DIR [CASE...]
#
# Needs BUILD_DIR/initramfs.cpio.gz and the host kernel (make initramfs
# hostkernel, which `make test SUITE=qemu` does).  Any case fails if the
# host kernel log shows trouble (the one list: scripts/initramfs/
# kspawn-klog-check); so does the boot it ran in.  Some boots are cases of
# their own (klog: the kernel-log checks themselves; make-run-tty: `make
# run` on a terminal; power-loss: FLUSH against a killed QEMU).
#
# CASE names boot only the boots that hold them.  QEMU_BOOTS="3 a b;2 c"
# replaces the list of boots (CPUs, then the cases of that boot; the list
# is in this file), QEMU_SUITE_TIMEOUT is each boot's limit in seconds
# (default 900), KSPAWN_POOL the hosts' pool (default qemu-host.sh's, or
# 96M for -smp 5), HOSTKERNEL=DIR the host kernel make fetched there
# (default BUILD_DIR/hostkernel), and SUITE_LABEL the suite's name in the
# summary line (tests/stress runs this with its own boots as "stress").
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
runner_start "run.sh BUILD_DIR [CASE...]" "$@"
set -- "${checked_args[@]}"
shift
only=" $* "
initrd=$build/initramfs.cpio.gz
env_mk=${HOSTKERNEL:-$build/hostkernel}/env.mk
pass=0 fail=0 skip=0

# Boots: QEMU CPUs (SMP[@CPU model][:host kernel argument]), then the
# cases run in that boot, in order.  QEMU_BOOTS="3 a b;2 c" replaces them
# (tests/stress uses it).
boots=(
	"2 ctl-usage not-root hello console-input demo panic lifecycle blk blk-odirect blk-mixed blk-freeze blk-nvme blk-4k blk-slow blk-bounce blk-concurrent blk-eio power-loss-nvme net netdev netdev-netpoll netdev-pktgen xdp-native l2fwd gdb-tcp abuse bad-images resources cycles cpu-online-guard reserve pool-scrub timer-clock doorbell no-module"
	"3 two-guests hostile net-flood net-broken echo-flood console-flood dead-stop lock-independence ioctl-races stop-all"
	"5:no_ipi_broadcast=1 four-guests host-broadcast-off"
	"2@qemu64,+monitor mwait-wake"
	"4 smp-guest blk-mq net-mq pairs-flap smp-libc doorbell-cpu reserve-release hostile-stamps late-cpu exit-race console-readers host-broadcast"
	klog
	make-run-tty
	power-loss
)
# The reboot boots (reboot-stopping, reboot-rmmod, reboot-forced) are
# the reboot suite's (tests/reboot/run.sh), run beside this one.
if [ -n "${QEMU_BOOTS:-}" ]; then
	IFS=';' read -r -a boots <<< "$QEMU_BOOTS"
fi
label=${SUITE_LABEL:-qemu}

fail_case() {
	echo "FAIL qemu/$1"
	shift
	# Every line indented, those inside an argument too: the summary
	# (tests/run.sh) shows evidence up to the first line that is not.
	printf '%s\n' "$@" | sed 's/^/    /'
	fail=$((fail + 1))
}

# A case asked for that no boot runs fails at once, before any boot.
known=
for b in "${boots[@]}"; do
	read -r -a words <<< "$b"
	# A boot is CPUs and its cases, or a case booting on its own.
	[ ${#words[@]} -eq 1 ] && known+=" $b" || known+=" ${words[*]:1}"
done
for name in $(unknown_cases "$known" $only); do
	fail_case "$name" "no such case in this suite's boots (tests/qemu/run.sh)"
done
if [ "$fail" -ne 0 ]; then
	echo "$label: $pass passed, $fail failed, $skip skipped"
	exit 1
fi

if [ ! -f "$initrd" ] || [ ! -f "$env_mk" ]; then
	fail_case setup "no $initrd or $env_mk: run make test SUITE=qemu (it builds them)"
	echo "${SUITE_LABEL:-qemu}: $pass passed, $fail failed"
	exit 1
fi
vmlinuz=$(sed -n 's/^HOSTKERNEL_VMLINUZ := //p' "$env_mk")

# wanted NAME: the case was asked for (or no case was named).
wanted() { [ "$only" = "  " ] || [[ "$only" == *" $1 "* ]]; }

# host LOG SMP ARGS...: boot the QEMU host, its console in LOG and what
# qemu-host.sh says in LOG.err; the status in $status.
host() {
	local log=$1 smp=$2 pool=${KSPAWN_POOL:-}
	shift 2
	# Four 16 MiB guests (-smp 5) need 72 MiB of pool, more than 64.
	[ -n "$pool" ] || [ "$smp" -lt 5 ] || pool=96M@0x10000000
	(cd "$top" && env SMP=$smp ${pool:+KSPAWN_POOL=$pool} scripts/qemu-host.sh --timeout "${QEMU_SUITE_TIMEOUT:-900}" \
		--probe "$build/kspawn-guest.elf" --log "$log" "$@" \
		"$vmlinuz" "$initrd") > /dev/null 2>"$log.err"
	status=$?
	# A boot that stalled before the host's init was booted again, or one
	# that ran out of time: say so, with where its vCPUs were.
	# (LC_ALL=C: a console line with bytes that are not UTF-8 still matches.)
	LC_ALL=C sed -n "s/^qemu-host: \(the host kernel did not reach its init.*\|timed out after.*\|  .*\)$/note qemu\/boot-smp$smp: \1/p" "$log.err"
}

# collect LOG SMP NAME...: each case's verdict line with its evidence, as
# the VM printed them, and the count; a case with no verdict fails.  A
# kernel record can land inside a verdict line: the verdicts are looked
# for with the console's lines joined again (console-lines), the evidence
# shown as printed (its kernel log lines look like records too).
collect() {
	local log=$1 smp=$2 name first=
	shift 2
	"$here/console-lines" < "$log" > "$log.verdicts"
	awk '/^(ok|FAIL) qemu\// { show = 1; print; next }
	     /^KSPAWN-HARNESS-/ { show = 0 }
	     /^\[ *[0-9]+\.[0-9]+\]/ { next }
	     show && /^ / { print "  " $0 }
	     show && !/^ / { show = 0 }' "$log"
	for name in "$@"; do
		if grep -q "^ok qemu/$name\$" "$log.verdicts"; then
			pass=$((pass + 1))
		elif grep -q "^FAIL qemu/$name" "$log.verdicts"; then
			fail=$((fail + 1))
		elif [ -n "$first" ]; then
			fail_case "$name" "no result: the boot (-smp $smp) ended before this case began (see qemu/$first)"
		else
			# What the console showed after the last verdict: the
			# case that hung, as the host kernel saw it.
			first=$name
			fail_case "$name" "no result: the boot (-smp $smp) ended with status $status before this case reported; the console after the last verdict:" \
				"$(awk '/^(ok|FAIL) qemu\// { n = 0; ev = 1; next }
					/^KSPAWN-HARNESS-DMESG-BEGIN/ { exit }
					ev && /^ / { next }
					{ ev = 0; line[n++] = $0 }
					END { for (i = (n > 30 ? n - 30 : 0); i < n; i++) print "| " line[i] }' "$log")"
		fi
	done
}

# run_boot SMP[@CPU][:ARG] CASE...: one boot with SMP CPUs (of QEMU's
# model CPU if given, e.g. 2@qemu64,+monitor; with ARG on the host
# kernel's command line if given), running the cases.
run_boot() {
	local spec=${1%%:*} arg= smp cpu= cases=() log name t0
	[ "$1" = "$spec" ] || arg=${1#*:}
	smp=${spec%%@*}
	[ "$spec" = "$smp" ] || cpu=${spec#*@}
	shift
	for name in "$@"; do
		wanted "$name" && cases+=("$name")
	done
	[ ${#cases[@]} -gt 0 ] || return 0
	log=$(mktemp)
	t0=$(date +%s)
	# A second disk for the host (/dev/vda): a guest's disk on a block
	# device; and an NVMe drive (/dev/nvme0n1), a real one's protocol.
	truncate -s 8M "$log.disk"
	truncate -s 8M "$log.nvme"
	host "$log" "$smp" ${cpu:+--qemu -cpu --qemu "$cpu"} \
		--qemu -drive --qemu "file=$log.disk,if=virtio,format=raw" \
		--qemu -drive --qemu "file=$log.nvme,if=none,id=nvm,format=raw" \
		--qemu -device --qemu "nvme,serial=kspawn-nvme,drive=nvm" \
		--run /tests/run-cases.sh ${arg:+--append "$arg"} \
		--append "harness.cases=$(IFS=,; echo "${cases[*]}")"
	collect "$log" "$smp" "${cases[@]}"
	# Where the boot's time went (run-cases.sh's last line), the
	# slowest case first.
	sed -n 's/^KSPAWN-HARNESS-TIMES //p' "$log.verdicts" | tr ' ' '\n' |
		sort -t= -k2,2nr | awk -F= -v smp="$smp" -v all=$(($(date +%s) - t0)) '
		{ list = list sep $1 " " $2 " s"; sep = ", " }
		END { print "note qemu/boot-smp" smp ": " all " s in all; " (list == "" ? "no case timed" : list) }'
	# The sentinel says how the init ended (1: a case failed); 121 is a
	# bad host kernel log, whatever the init's status: trouble outside
	# any case (boot, shutdown) is seen only here, and trouble inside one
	# is then reported twice, by its case and by this boot.
	if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
		fail_case "boot-smp$smp" "qemu-host.sh ended with status $status" \
			"$(sed 's/^/| /' "$log.err")"
	fi
	rm -f "$log" "$log.err" "$log.verdicts" "$log.disk" "$log.nvme"
}

# The kernel-log checks see every kind of trouble (guest/klog-selftest.sh):
# run-cases.sh flags a case that logs any of them (klog-cases, and again
# once the ring buffer wrapped: klog-cases-wrapped), and qemu-host.sh flags
# the boot they stay in (klog-console: status 121, each line listed).
run_klog() {
	local log kind missing=()
	wanted klog || return 0
	log=$(mktemp)
	host "$log" 2 --run /tests/klog-selftest.sh
	collect "$log" 2 klog-cases klog-cases-wrapped klog-hung-origin case-stuck
	while IFS= read -r kind; do
		grep -qF -- "$kind" "$log.err" || missing+=("not listed: $kind")
	done < <(sed -n 's/^KLOG-SELFTEST-KIND //p' "$log")
	if [ "$status" -ne 121 ] || [ ${#missing[@]} -gt 0 ] ||
		! grep -q '^KLOG-SELFTEST-KIND ' "$log"; then
		fail_case klog-console "qemu-host.sh ended with status $status, want 121 with every injected line listed" \
			"${missing[@]}" "$(sed 's/^/| /' "$log.err")"
	else
		echo "ok qemu/klog-console"
		pass=$((pass + 1))
	fi
	rm -f "$log" "$log.err" "$log.verdicts"
}

# FLUSH tested by a power loss (power-loss.sh): QEMU killed with SIGKILL
# the moment the guest says its FLUSH completed; the disk file must hold
# everything flushed.  The negative control, FLUSH disabled through the
# module's test_no_flush, must lose data in one of 3 boots, or the case
# says it could not show the loss: a skip here, a failure under CI.
run_power_loss() {
	local evidence lines st
	wanted power-loss || return 0
	evidence=$("$here/power-loss.sh" "$build" flush 2>&1)
	st=$?
	mapfile -t lines <<< "$evidence"
	if [ $st -eq 0 ]; then
		echo "ok qemu/power-loss (${lines[-1]})"
		pass=$((pass + 1))
	else
		fail_case power-loss "${lines[@]}"
	fi
	evidence=$("$here/power-loss.sh" "$build" noflush 3 2>&1)
	st=$?
	mapfile -t lines <<< "$evidence"
	if [ $st -eq 0 ]; then
		echo "ok qemu/power-loss-control (${lines[-1]})"
		pass=$((pass + 1))
	elif [ $st -eq 2 ] && [ -z "${CI:-}" ]; then
		echo "skip qemu/power-loss-control: could not demonstrate a loss without FLUSH in 3 tries"
		printf '    %s\n' "${lines[@]}"
		skip=$((skip + 1))
	elif [ $st -eq 2 ]; then
		fail_case power-loss-control "could not demonstrate a loss without FLUSH in 3 tries (a failure under CI)" "${lines[@]}"
	else
		fail_case power-loss-control "${lines[@]}"
	fi
}

# A reboot with a stop of a guest under way (guest/reboot-stopping.sh):
# the module's reboot notifier waits for that stop (a reboot once
# deadlocked there) before the kernel restarts, and QEMU (-no-reboot)
# exits.  The guest's core is pooled (parked after the stop) and the
# reboot comes from a SCHED_FIFO process, which once waited for that stop
# to end by spinning on CPU 0, the one online, until RT throttling let
# the stop finish (the kernel says "RT throttling activated").  The order
# is read from the console, which must show no kernel trouble.  (The
# plain reboot, a guest stopped by the notifier, is reboot-forced's
# third guest.)  reboot-rmmod (guest/reboot-rmmod.sh) is the same with an
# rmmod's stop under way: the notifier must still be there to wait for it.
run_reboot_waits() {	# NAME
	local name=$1 log order want QEMU_SUITE_TIMEOUT=180 back="parked in the pool"
	local trouble='BUG:|WARNING:|Oops|blocked for more than|stays offline|hung_task|RT throttling'
	# rmmod gives the pooled core back once the stop is over, and the
	# reboot may have shut hotplug by then: its add_cpu may fail.
	local excused='^$'
	[ "$name" != reboot-rmmod ] || excused='add_cpu failed'
	wanted "$name" || return 0
	log=$(mktemp)
	host "$log" 2 --run "/tests/$name.sh"
	order=$("$here/console-lines" < "$log" | grep -oE \
		"reboot-case: instance [0-9]+ [a-z]+|kspawn: going down: stopping every guest|kspawn: instance [0-9]+: stopped, CPU 1 $back|reboot: Restarting system" |
		sed 's/instance [0-9][0-9]*/instance N/' | uniq | tr '\n' '|')
	want="reboot-case: instance N running|kspawn: going down: stopping every guest|kspawn: instance N: stopped, CPU 1 $back|reboot: Restarting system|"
	if [ "$order" = "$want" ] &&
		! grep -E "$trouble" "$log" | grep -qvE "$excused"; then
		echo "ok qemu/$name"
		pass=$((pass + 1))
	else
		fail_case "$name" "the console's order: ${order:-nothing of it}" \
			"want: $want, and no kernel trouble" \
			"$(grep -E "$trouble" "$log" | grep -vE "$excused" | head -n 5 | sed 's/^/! /')" \
			"$(tail -n 40 "$log" | sed 's/^/| /')"
	fi
	rm -f "$log" "$log.err" "$log.verdicts"
}

# A forced stop joining the reboot's stop of a guest whose core Linux
# will not take back (guest/reboot-forced.sh, -smp 4) fails as that stop
# did (kspawnctl's status 1), not 0; the reboot then goes on, and the
# second guest's forced stop is 0.  (Before the fix the first said 0.)
# The third guest answers the reboot's polite stop: the module stops it
# on the way down, its core online again, before the kernel restarts (a
# kexec would otherwise leave it running under the next kernel).
# kspawnctl shows the module's lines after a failure: some come twice.
run_reboot_forced() {
	local log lines QEMU_SUITE_TIMEOUT=180
	local trouble='BUG:|WARNING:|Oops|blocked for more than|hung_task'
	wanted reboot-forced || return 0
	log=$(mktemp)
	host "$log" 4 --run /tests/reboot-forced.sh
	lines=$("$here/console-lines" < "$log" | grep -oE \
		'reboot-case: .*|kspawn: going down: stopping every guest|kspawn: instance [0-9]+: no halt before a forced stop came|kspawn: CPU 1: add_cpu failed|kspawn: instance [0-9]+: stopped, CPU [23] online again|reboot: Restarting system' |
		sed 's/instance [0-9][0-9]*/instance N/; s/instances [0-9, and]*/instances /')
	if echo "$lines" | grep -q '^reboot-case: forced stop of the first: status 1$' &&
		echo "$lines" | grep -q '^reboot-case: forced stop of the second: status 0$' &&
		[ "$(echo "$lines" | grep -c 'no halt before a forced stop came')" -ge 2 ] &&
		echo "$lines" | grep -q 'CPU 1: add_cpu failed' &&
		echo "$lines" | grep -q 'CPU 2 online again' &&
		[ "$(echo "$lines" | grep -E 'going down|CPU 3 online again|Restarting' | uniq | tr '\n' '|')" = \
			"kspawn: going down: stopping every guest|kspawn: instance N: stopped, CPU 3 online again|reboot: Restarting system|" ] &&
		! grep -qE "$trouble" "$log"; then
		echo "ok qemu/reboot-forced"
		pass=$((pass + 1))
	else
		fail_case reboot-forced "the console's lines: $(echo "$lines" | tr '\n' '|')" \
			"want: the first forced stop's status 1, the second's 0, both joining the reboot's stop, CPU 1 refused, CPU 2 back, the third guest stopped by the reboot with CPU 3 back before the restart, and no kernel trouble" \
			"$(grep -E "$trouble" "$log" | head -n 5 | sed 's/^/! /')" \
			"$(tail -n 40 "$log" | sed 's/^/| /')"
	fi
	rm -f "$log" "$log.err" "$log.verdicts"
}

# `make run` on a terminal, as a new user tries it (make-run-tty.sh): run
# from this machine, under a pseudo-terminal.
run_make_run_tty() {
	local log evidence lines
	wanted make-run-tty || return 0
	log=$(mktemp)
	if evidence=$("$here/make-run-tty.sh" "$build" "$log" 2>&1); then
		echo "ok qemu/make-run-tty ($evidence)"
		pass=$((pass + 1))
	else
		mapfile -t lines <<< "$evidence"
		fail_case make-run-tty "${lines[@]}"
	fi
	rm -f "$log"
}

for b in "${boots[@]}"; do
	case $b in
	klog) run_klog ;;
	make-run-tty) run_make_run_tty ;;
	power-loss) run_power_loss ;;
	reboot-stopping | reboot-rmmod) run_reboot_waits "$b" ;;
	reboot-forced) run_reboot_forced ;;
	*) run_boot $b ;;
	esac
done
echo "$label: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
