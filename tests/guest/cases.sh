# Guest boot cases: the guest booted alone under QEMU with a command line.
#
#   guest_case NAME STATUS "CMDLINE" "REGEX"...
#
# STATUS is the guest's exit status (panic = 112, host stop request = 113,
# unknown app = 127).  Every REGEX (extended, grep -E) must match a line of
# the console output; a REGEX starting with ! must match none.  The image
# is build/kspawn-guest-test.elf; GUEST_IMAGE=NAME before guest_case boots
# build/NAME instead.

guest_case hello 0 "hello alpha beta" \
	"^kspawn guest: ABI 2\.[0-9]+, standalone \(PVH\)" \
	"^cpu: (GenuineIntel|AuthenticAMD|[A-Za-z]+), .*family [0-9]+ model [0-9]+" \
	"^memory: region 0x0 \+ [0-9]+ MiB" "^memory: [0-9]+ KiB free" \
	"^Hello from the spawned kernel!" "argv\[1\] = alpha" "argv\[2\] = beta"
guest_case unknown-app 127 "nosuchapp" \
	"no app named 'nosuchapp'" "^  hello +print a greeting"
# The image a user runs has the apps a user runs, and no test app.
GUEST_IMAGE=kspawn-guest.elf guest_case shipped-apps 127 "nosuchapp" \
	"^  hello +print a greeting" "^  blkcheck " "^  udpecho " "^  ctxbench " \
	"!^  (schedtest|libctest|crash|hostile|rogue|spin) "
GUEST_IMAGE=kspawn-guest.elf guest_case shipped-hello 0 "hello alpha" \
	"^Hello from the spawned kernel!" "argv\[1\] = alpha"
guest_case crash-div0 112 "crash div0" \
	"^PANIC: #DE divide error \(vector 0\)" "RIP ffffffff8[0-9a-f]+" \
	"^  #0 +0x[0-9a-f]+ divide\+0x" "thread_start\+0x" "guest stopped after panic"
guest_case crash-null 112 "crash null" \
	"^PANIC: #PF page fault \(vector 14\): read of unmapped address 0x0 - NULL pointer dereference" \
	"CR2 0000000000000000" "^  #0 +0x[0-9a-f]+ crash_main\+0x"
guest_case crash-ud2 112 "crash ud2" \
	"^PANIC: #UD invalid opcode \(vector 6\)" "^  #0 +0x[0-9a-f]+ crash_main\+0x" \
	"main_thread\+0x"
guest_case crash-stack 112 "crash stack" \
	"^PANIC: #PF page fault \(vector 14\): write of unmapped address 0x[0-9a-f]+ - stack overflow \(guard page\)" \
	"^  #0 +0x[0-9a-f]+ recurse"
guest_case crash-write-text 112 "crash wtext" \
	"^PANIC: #PF page fault \(vector 14\): write protection violation at 0xffffffff8"
guest_case crash-exec-data 112 "crash xdata" \
	"^PANIC: #PF page fault \(vector 14\): execute protection violation at 0xffffffff8"
guest_case crash-gp 112 "crash gp" "^PANIC: #GP general protection \(vector 13\)"
guest_case crash-panic 112 "crash panic" \
	"^PANIC: crash: panic\(\) called on purpose \(42\)" "^  #1 +0x[0-9a-f]+ main_thread\+0x"
guest_case schedtest 0 "schedtest" \
	"^PASS pc-condvar: 100000 items, 0 lost, 0 duplicated" \
	"^PASS pc-semaphore: 100000 items, 0 lost, 0 duplicated" \
	"^PASS timeout-zero" \
	"^PASS fpu: SSE nearest" "^PASS sleep: idle CPU" "^PASS starvation" \
	"^PASS priority" "^PASS idle: 1 idle threads for 1 CPUs" "^PASS irq-preempt: (4[5-9]|50) of 50" "^PASS churn" "^PASS smp: 1 CPUs" \
	"^PASS broadcast" "^PASS preempt-front" "^PASS attr" "^PASS pages" \
	"^PASS mutex-steal" "^PASS mutex-fair" "!^FAIL"
guest_case schedtest-stop 113 "schedtest stop" "!^FAIL"
guest_case schedtest-stop-ipi 113 "schedtest stop-ipi" "!^FAIL"
guest_case libctest 0 "libctest" \
	"^PASS printf" "^PASS malloc" "^PASS sbrk" "^PASS kill" "^PASS fds" "^PASS qsort" "^PASS time" "^PASS usleep" "^PASS errno:" \
	"^PASS clock-edges" "^PASS sbrk-edge" \
	"^PASS errno-smp: 2 threads on 1 CPUs" "!^FAIL"
guest_case heap-option 0 "heap=8 hello" "^memory: [0-9]+ KiB free, 8192 KiB for malloc"
# Positive numbers only: no timing is asserted.
guest_case ctxbench 0 "ctxbench rounds=2000" \
	"^ctxbench: rounds=2000 warm=200 switch_ns=([1-9][0-9]*\.[0-9]|0\.[1-9]) yield_ns=([1-9][0-9]*\.[0-9]|0\.[1-9])"
# App code in an interrupt (a blk completion callback) clobbering every
# SSE register and MXCSR leaves the interrupted thread's as they were.
fpuirq_disk=$(mktemp)
truncate -s 1M "$fpuirq_disk"
KSPAWN_QEMU_DEVICES="-drive file=$fpuirq_disk,format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0" \
	guest_case fpuirq 0 "fpuirq" "^PASS fpuirq: 50 rounds, 800 callbacks in interrupts" "!^FAIL"
rm -f "$fpuirq_disk"
