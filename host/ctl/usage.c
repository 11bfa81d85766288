/* kspawnctl --help and `kspawnctl help COMMAND`: the manual in brief. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char synopsis[] =
"usage: kspawnctl [--json] [--device PATH] COMMAND [ARGS]\n"
"       kspawnctl run IMAGE [--cpu N | --cpus LIST] [--mem SIZE] [--cmdline STR]\n"
"                     [--disk PATH [--cache none|writeback] | --ramdisk SIZE]\n"
"                     [--net loopback|netdev] [--doorbell-cpu N] [--no-verify]\n"
"       kspawnctl list\n"
"       kspawnctl status ID\n"
"       kspawnctl console ID [--follow] [--input] [--raw]\n"
"       kspawnctl stop ID [--force|-f]\n"
"       kspawnctl gdb ID [--listen [ADDR:]PORT | --tty DEV]\n"
"       kspawnctl reserve CPULIST\n"
"       kspawnctl release CPULIST\n"
"       kspawnctl help [COMMAND]\n"
"       kspawnctl --version\n";

static const char overview[] =
"\n"
"kspawnctl starts a small kernel (a kspawn guest image) on a CPU core and\n"
"memory that this Linux set aside, and watches and stops it.  It talks to\n"
"the kspawn.ko module through /dev/kspawn and needs root.  The memory pool\n"
"is reserved at boot (memmap=SIZE$BASE on the kernel command line) and\n"
"given to the module as its parameters.\n"
"\n"
"GLOBAL OPTIONS (before the command)\n"
"  --json          print results as JSON, for scripts: run, status and list\n"
"                  only (run and status print one object, list an array\n"
"                  of status objects); the others refuse it (status 2)\n"
"  --device PATH   the control device (default $KSPAWN_DEVICE if set and\n"
"                  not empty, else /dev/kspawn)\n"
"  -h, --help [COMMAND]  this text, or COMMAND's own as `kspawnctl help\n"
"                  COMMAND` gives it, whatever follows COMMAND (also -h\n"
"                  or --help anywhere after the command, except after\n"
"                  '--')\n"
"  --version       kspawnctl's version and ABI; nothing may follow it\n"
"                  but --help, which wins\n"
"An option's value is the next word, or follows '=' (--mem=16M); an\n"
"option with a value is given once (twice is a bad command line).  '--'\n"
"ends the options, before the command or after it: every word after it\n"
"is an operand (kspawnctl -- list, stop -- 5, run -- -x.elf).\n"
"\n"
"ENVIRONMENT\n"
"  KSPAWN_DEVICE   the control device, when --device does not say (empty\n"
"                  is unset)\n";

static const char run_help[] =
"kspawnctl run IMAGE [--cpu N | --cpus LIST] [--mem SIZE] [--cmdline STR]\n"
"              [--disk PATH [--cache none|writeback] | --ramdisk SIZE]\n"
"              [--net loopback|netdev] [--doorbell-cpu N] [--no-verify]\n"
"  Check IMAGE, load it into a region of the pool, take CPU N away from\n"
"  Linux and start the guest there.  Prints the new instance's ID; if\n"
"  that cannot be written (a full disk, a closed pipe), the guest is\n"
"  stopped again, and run says so and exits 1.  Ctrl-C, SIGTERM or SIGHUP\n"
"  while the guest is loaded and started wait for that: the ID is printed\n"
"  all the same, run says on stderr that the guest is running (kspawnctl\n"
"  stop ID) and exits 128 + the signal.\n"
"  Before calling the module, the image's ELF headers and its .note.kspawn\n"
"  ABI note are checked: an image built for another ABI major version, a\n"
"  truncated file, a segment outside the region or more than 64 MiB of\n"
"  headers and segments is refused here, with the reason, and nothing is\n"
"  started; so is a --cmdline naming an app the image's note does not\n"
"  list (status 2, the apps it has said).\n"
"  --cpu N         the CPU to use (default: the module chooses, at the\n"
"                  load, a free reserved one, else the highest online\n"
"                  one); never CPU 0 nor the last online CPU.  A\n"
"                  reserved CPU (kspawnctl reserve) is used as it is,\n"
"                  without CPU hotplug; any other is taken from Linux\n"
"                  for the guest and given back when it stops\n"
"  --cpus LIST     an SMP guest on these CPUs, e.g. 2-3 or 1,3 (at most\n"
"                  16; the lowest becomes the guest's CPU 0); each as --cpu\n"
"                  (one or the other, not both)\n"
"  --mem SIZE      region size, e.g. 16M, 64M (decimal, or hex after 0x;\n"
"                  suffix K, M, G, also as KiB or KB, any case: binary;\n"
"                  default the image's minimum from its note, at least\n"
"                  8M); rounded up to\n"
"                  2 MiB; from 8M to 1G, and at least the minimum the\n"
"                  image's note asks for (less is a bad command line)\n"
"  --cmdline STR   the guest's command line: app name and arguments, e.g.\n"
"                  \"hello a b\" (default: \"hello\"); at most 511 bytes,\n"
"                  16 KEY=VALUE options before the app's name and 16\n"
"                  words from it on\n"
"  --disk PATH     give the guest a virtio-blk disk backed by this host\n"
"                  file or block device (its size is the disk's); what\n"
"                  the guest flushes is on stable storage; PATH is at\n"
"                  most 255 bytes\n"
"  --cache MODE    how --disk is read and written (only with --disk):\n"
"                  none (the default: asynchronous O_DIRECT, many\n"
"                  requests in flight, or on a block device bios straight\n"
"                  to it; a file system that refuses O_DIRECT gets\n"
"                  writeback, logged) or writeback (through the host's\n"
"                  page cache)\n"
"  --ramdisk SIZE  a virtio-blk disk in host RAM instead, e.g. 16M, or\n"
"                  'default' for vdpa_sim_blk's 128M; whole 512-byte\n"
"                  sectors, at least one, at most 4G\n"
"  --net MODE      give the guest a virtio-net device: loopback (frames\n"
"                  to its own MAC, broadcast or multicast come back, as\n"
"                  with vdpa_sim_net) or netdev (wired to a new host\n"
"                  interface ksnetN, whose carrier follows the guest)\n"
"  --doorbell-cpu N  the online host CPU the guest's doorbell interrupts\n"
"                  (default CPU 0): its device work, and ksnetN's NAPI,\n"
"                  then run there, so that guests need not all share CPU\n"
"                  0.  Until the guest stops, Linux keeps that CPU online,\n"
"                  and it can neither run a guest nor join the pool\n"
"  --no-verify     skip kspawnctl's own image checks (to test the module's);\n"
"                  an IMAGE that cannot be read still fails (1)\n"
"  --              the next word is IMAGE even if it starts with '-'\n"
"                  (IMAGE is a file: a lone '-', stdin, is refused)\n";

static const char list_help[] =
"kspawnctl list\n"
"  One line per instance: ID, CPU (every CPU of an SMP guest, 2-3), state,\n"
"  region, command line (its first 60 bytes, then ... if longer: status\n"
"  shows it whole); then the pool of reserved CPUs and which of them are\n"
"  free.  One that stopped meanwhile is left out; one whose status the\n"
"  module would not give is said on stderr, and the status is then 1\n"
"  (or 4), after the rest is shown.\n";

static const char reserve_help[] =
"kspawnctl reserve CPULIST\n"
"  Take these CPUs (like 2-3,5) from Linux once and keep them parked for\n"
"  guests: a guest started on one needs no CPU hotplug, and a stopped\n"
"  guest leaves it parked and ready.  Linux cannot bring a reserved CPU\n"
"  online until it is released.  (The module parameter reserve=CPULIST\n"
"  does the same at load.)  A CPU in the pool already is said and makes\n"
"  the status 1, as release of one not in it does; the list's other\n"
"  CPUs are still reserved.\n";

static const char release_help[] =
"kspawnctl release CPULIST\n"
"  Give reserved CPUs back to Linux.  A CPU an instance holds stays\n"
"  reserved (stop the instance first); one not in the pool is said and\n"
"  makes the status 1.\n";

static const char status_help[] =
"kspawnctl status ID\n"
"  The instance's state as the module and the guest see it: its CPU (and\n"
"  a cpus: line with every CPU of a guest that has more than one), the\n"
"  doorbell (doorbell: CPU N, vector V, where the guest's IPIs reach the\n"
"  host; or none, the host polls), region and shared area, command line,\n"
"  heartbeat (how long since it last changed, and whether it stopped),\n"
"  exit code, the panic record (vector, error code, RIP, RSP, CR2,\n"
"  message) after a panic, console bytes lost to a full ring (a guest\n"
"  that wrote faster than the module drained; shown only if any),\n"
"  interrupts the guest got but never asked for (stray irqs: most often\n"
"  the host's IPI broadcasts, which no_ipi_broadcast=1 on the host stops),\n"
"  and the spawn latency from the boot TSC stamps: ioctl -> first STARTUP\n"
"  IPI -> trampoline in long mode -> kmain -> app main, in microseconds.\n"
"  With --json the same, as one object (cpus a list even of one CPU,\n"
"  heartbeat_age_ms null if no heartbeat was seen, console_dropped the\n"
"  bytes lost).\n";

static const char console_help[] =
"kspawnctl console ID [--follow] [--input] [--raw]\n"
"  Print what the guest wrote to its console since the last read (for\n"
"  10 s after a stop, what a stopped guest wrote that nobody read).\n"
"  On a terminal, a byte that could make the terminal act (escape\n"
"  sequences, other control bytes, malformed UTF-8; any byte from 0x80\n"
"  on unless LC_ALL, LC_CTYPE or LANG names UTF-8) is shown as '?';\n"
"  printable text, UTF-8, newlines, tabs, \\r and \\b pass.  A pipe or a\n"
"  file gets the bytes as they are.\n"
"  --follow, -f    keep printing until the guest halts, panics or hangs,\n"
"                  or another process stops it (or Ctrl-C: status 130);\n"
"                  exit status 0 if it halted or was stopped (its last\n"
"                  words printed), 9 if it panicked or hung, or its\n"
"                  instance is dead (also when another process stopped\n"
"                  it after that)\n"
"  --input, -i     --follow, and send what comes on stdin to the guest's\n"
"                  console input (its stdin: read(0), fgets), as fast\n"
"                  as the guest reads it, nothing dropped; at the end of\n"
"                  stdin (Ctrl-D) the sending stops, not the following.\n"
"                  Bytes read from stdin that the guest never took are\n"
"                  counted on stderr (its 1 KiB ring may hold more it\n"
"                  never read); a failed stdin ends it with status 1.\n"
"  --raw           the guest's bytes as they are on a terminal too (the\n"
"                  guest can then clear the screen, set the title, or\n"
"                  have the terminal answer as if you typed)\n";

static const char stop_help[] =
"kspawnctl stop ID [--force|-f]\n"
"  Ask the guest to halt (a flag and an IPI), force it with INIT if it does\n"
"  not, then give the CPU back to Linux and scrub and free the region.\n"
"  Then it waits for the guest's disk requests in flight, the guest\n"
"  stopped and its CPU back already (a write into a frozen file system\n"
"  waits for the thaw); after 5 s, and each minute after that, it\n"
"  prints the module's word on what it waits for (\"stop: ...\" on\n"
"  stderr).\n"
"  --force, -f     skip the polite request; a polite stop of the guest\n"
"                  under way (another kspawnctl stop) gives up waiting\n";

static const char gdb_help[] =
"kspawnctl gdb ID [--listen [ADDR:]PORT | --tty DEV]\n"
"  Bridge gdb to the guest's own gdb stub over the instance's debug\n"
"  channel, until Ctrl-C (status 130) or the instance goes (status 8;\n"
"  with no gdb connected, seen within half a second).  Start the\n"
"  guest with --cmdline 'gdb=wait APP ...' to have it wait for the\n"
"  debugger before the app's main (gdb=on: the stub listens, the guest\n"
"  does not wait).  A bad --listen or --tty is a bad command line (2),\n"
"  said before the device is opened.\n"
"  --listen [ADDR:]PORT  TCP (default 127.0.0.1:1234); then, in gdb:\n"
"                  target remote ADDR:PORT; one gdb at a time.  ADDR\n"
"                  is a loopback address, and only root and the user\n"
"                  who started the bridge (or sudo's SUDO_UID) may\n"
"                  connect: the stub owns the guest's kernel\n"
"  --tty DEV       a serial line instead, e.g. a second QEMU serial port\n"
"                  that QEMU exports to the machine outside; the line\n"
"                  hanging up (its other end closed) ends the bridge,\n"
"                  said, with status 0\n";

static const char exit_help[] =
"\n"
"EXIT STATUS\n"
"  0  success\n"
"  1  the operation failed (the message says why): also an IMAGE that\n"
"     cannot be opened or read, reserve of a CPU in the pool or release\n"
"     of one not in it, and output that cannot be written (\"writing\n"
"     output: ...\")\n"
"  2  bad command line: also a size no guest can have (--mem outside\n"
"     8M-1G, --ramdisk 0, over 4G or not whole 512-byte sectors, a\n"
"     --disk with not one sector), a --mem below what the image asks\n"
"     for, a --disk that is no regular file or block device, or options\n"
"     the module refused for an image that passed the checks\n"
"  3  kspawn.ko is not loaded (/dev/kspawn missing): load it with\n"
"     pool_base=, pool_size= and trampoline= (host/kmod/README.md); also\n"
"     a device path from --device or $KSPAWN_DEVICE that is missing\n"
"  4  permission denied: run as root (root refused too is said so: the\n"
"     device on a nodev mount, a security module, no CAP_SYS_ADMIN)\n"
"  5  bad image: not a regular file, not a kspawn guest ELF, truncated,\n"
"     or laid out wrongly (a segment outside the region its own note\n"
"     asks for, say)\n"
"  6  the image's ABI major version is not the one kspawnctl and the\n"
"     module speak, or the module speaks another ioctl version\n"
"  7  not enough resources: pool too small for --mem, too many instances\n"
"     (the module's limit), CPU busy, a --disk another instance (or a\n"
"     mount) holds, CPU 0, the last online CPU or one the machine\n"
"     lacks asked for (run, reserve, release), the machine suspending\n"
"  8  no such instance\n"
"  9  console --follow: the guest panicked or stopped its heartbeat, or\n"
"     its instance is dead (a guest another process stopped while it ran\n"
"     ends it with 0)\n"
"  130, 143  console --follow or gdb ended by Ctrl-C (SIGINT) or SIGTERM\n"
"     (128 + the signal, as a shell says it); run interrupted while its\n"
"     guest started (also 129, SIGHUP): the guest runs, its ID printed\n"
"\n"
"EXAMPLES\n"
"  id=$(kspawnctl run kspawn-guest.elf --cpu 1 --cmdline 'hello a b')\n"
"  kspawnctl console $id --follow\n"
"  kspawnctl status $id\n"
"  kspawnctl stop $id\n";

static const struct {
	const char *name;
	const char *text;
} commands[] = {
	{ "run", run_help },
	{ "list", list_help },
	{ "status", status_help },
	{ "console", console_help },
	{ "stop", stop_help },
	{ "gdb", gdb_help },
	{ "reserve", reserve_help },
	{ "release", release_help },
};

/*
 * "usage: " and a command's synopsis: the lines of its text up to the
 * first that starts its description ("  Word"); the rest of the text.
 */
static const char *put_usage(FILE *out, const char *t)
{
	fputs("usage: ", out);
	for (int first = 1; *t && !(!strncmp(t, "  ", 2) && t[2] != ' ');
	     first = 0) {
		size_t n = strcspn(t, "\n");

		fprintf(out, "%s%.*s\n", first ? "" : "       ", (int)n, t);
		t += n + (t[n] == '\n');
	}
	return t;
}

void usage(const char *cmd, int to_stderr)
{
	FILE *out = to_stderr ? stderr : stdout;
	const char *rest;
	size_t i;

	for (i = 0; cmd && i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		rest = put_usage(out, commands[i].text);
		if (to_stderr)	/* after a bad command line: no more */
			fprintf(out, "Try 'kspawnctl help %s' for more.\n", cmd);
		else
			fputs(rest, out);
		return;
	}
	fputs(synopsis, out);
	if (to_stderr) {
		fputs("Try 'kspawnctl --help' for more.\n", out);
		return;
	}
	fputs(overview, out);
	fputs("\nCOMMANDS\n", out);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		fputs(commands[i].text, out);
		fputc('\n', out);
	}
	fputs(exit_help + 1, out);
}
