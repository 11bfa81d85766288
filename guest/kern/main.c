/*
 * kmain: the one place both boot paths meet.  It brings the machine up in
 * dependency order (traps first, so that any later fault is reported rather
 * than resetting the machine), then runs the app the command line names.
 */
#include <stdlib.h>
#include <string.h>

#include "kern/main.h"
#include "kern/gdb.h"
#include "kern/mm.h"
#include "kern/app.h"
#include "kern/console.h"
#include "kern/panic.h"
#include "kern/power.h"
#include "kern/shared.h"
#include "kern/sched.h"
#include "kern/smp.h"
#include "kern/thread.h"
#include "kern/tick.h"
#include "kern/time.h"
#include "lib/cmdline.h"
#include "kern/virtio.h"
#include "kern/wake.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/apic.h"

static struct cmdline boot_cmdline;

/* The test image overrides it (kern/main.h); nothing to do here. */
__attribute__((weak)) void hostile_at_boot(struct kspawn_header *hdr)
{
	(void)hdr;
}

/*
 * Where boot time goes: a TSC stamp after each init step, printed with
 * the option boottime=1 (the printing comes after the app's main stamp,
 * so it does not count).  rdtsc is cheap enough to stamp every boot.
 */
#define BOOT_STEPS 16
static struct {
	const char *name;
	uint64_t tsc;
} boot_steps[BOOT_STEPS];
static unsigned int nboot_steps;

static void boot_step(const char *name)
{
	if (nboot_steps < BOOT_STEPS) {
		boot_steps[nboot_steps].name = name;
		boot_steps[nboot_steps++].tsc = rdtsc();
	}
}

/* "boottime: ioctl->sipi 1200 us, ... total 3000 us", from TSC stamps. */
static void boot_report(void)
{
	const uint64_t *stamp = kspawn_hdr->boot_tsc;
	uint64_t khz = tsc_khz(), prev = stamp[KSPAWN_STAMP_KMAIN];
	const char *opt = cmdline_opt(&boot_cmdline, "boottime");

	if (!opt || strcmp(opt, "1") || !khz)
		return;
	kprintf("boottime:");
	if (stamp[KSPAWN_STAMP_IOCTL] && stamp[KSPAWN_STAMP_SIPI] &&
	    stamp[KSPAWN_STAMP_TRAMPOLINE])
		kprintf(" ioctl->sipi %llu us, sipi->trampoline %llu us, trampoline->kmain %llu us,",
			(unsigned long long)((stamp[KSPAWN_STAMP_SIPI] -
					      stamp[KSPAWN_STAMP_IOCTL]) * 1000 / khz),
			(unsigned long long)((stamp[KSPAWN_STAMP_TRAMPOLINE] -
					      stamp[KSPAWN_STAMP_SIPI]) * 1000 / khz),
			(unsigned long long)((stamp[KSPAWN_STAMP_KMAIN] -
					      stamp[KSPAWN_STAMP_TRAMPOLINE]) * 1000 / khz));
	for (unsigned int i = 0; i < nboot_steps; i++) {
		kprintf(" %s %llu us,", boot_steps[i].name,
			(unsigned long long)((boot_steps[i].tsc - prev) * 1000 / khz));
		prev = boot_steps[i].tsc;
	}
	kprintf(" kmain->main %llu us, zeroed %zu KiB\n",
		(unsigned long long)((stamp[KSPAWN_STAMP_APP_MAIN] -
				      stamp[KSPAWN_STAMP_KMAIN]) * 1000 / khz),
		mm_pages_zeroed() * (PAGE_SIZE >> 10));
}

static void banner(const struct kspawn_header *hdr)
{
	kprintf("kspawn guest: ABI %u.%u, %s\n", hdr->abi_major, hdr->abi_minor,
		hdr->flags & KSPAWN_HF_STANDALONE ? "standalone (PVH)" :
						    "spawned");
	kprintf("cpu: %s, %s (family %u model %u stepping %u)%s\n",
		boot_cpu.vendor, boot_cpu.brand[0] ? boot_cpu.brand : "?",
		boot_cpu.family, boot_cpu.model, boot_cpu.stepping,
		boot_cpu.has_x2apic ? ", x2APIC" : "");
	kprintf("memory: region 0x%llx + %llu MiB, shared area 0x%llx + %llu KiB\n",
		(unsigned long long)hdr->region_base,
		(unsigned long long)(hdr->region_size >> 20),
		(unsigned long long)hdr->shared_base,
		(unsigned long long)(hdr->shared_size >> 10));
	kprintf("cmdline: %s\n", hdr->cmdline);
}

static int run_app(void)
{
	const char *name = boot_cmdline.argc ? boot_cmdline.argv[0] : "hello";
	const struct app *app = app_find(name);

	if (!app) {
		kprintf("kmain: no app named '%s'; apps in this image:\n",
			name);
		app_list();
		return 127;
	}
	if (!boot_cmdline.argc) {
		boot_cmdline.argv[0] = (char *)name;
		boot_cmdline.argc = 1;
	}
	boot_step("thread");
	kspawn_hdr->boot_tsc[KSPAWN_STAMP_APP_MAIN] = rdtsc();
	boot_report();
	return app->main(boot_cmdline.argc, boot_cmdline.argv);
}

#define MAIN_THREAD_STACK (256 * 1024)

/* Returning from the app is exit(): atexit handlers, stdio flushed. */
static int main_thread(void *arg)
{
	int status;

	(void)arg;
	gdb_wait_if_asked();
	status = run_app();
	kprintf("kmain: app exited with status %d\n", status);
	wake_report();
	exit(status);
}

static void start_main_thread(void)
{
	struct thread_attr attr = { .stack_size = MAIN_THREAD_STACK };

	if (!thread_create("main", main_thread, NULL, &attr))
		panic("kmain: cannot create the main thread");
}

void kmain(struct kspawn_header *hdr)
{
	const char *bad = shared_check(hdr);

	cpu_local_init(0, 0);	/* this_cpu() works from here on */
	if (bad)
		cpu_park();	/* no console we could trust to say so */
	hostile_at_boot(hdr);
	hdr->boot_tsc[KSPAWN_STAMP_KMAIN] = rdtsc();
	kspawn_hdr = hdr;
	trap_init();
	cpuinfo_init();
	boot_step("trap+cpuinfo");
	console_init(hdr);
	if (cmdline_parse(&boot_cmdline, hdr->cmdline, sizeof(hdr->cmdline)))
		kprintf("kmain: command line too long, truncated\n");
	banner(hdr);
	boot_step("console");
	mm_init(hdr);
	boot_step("mm");
	time_init(hdr);
	boot_step("time");
	apic_init(hdr);
	boot_step("apic");
	sched_init();
	boot_step("sched");
	tick_init(&boot_cmdline);
	boot_step("tick");
	smp_init(hdr);
	boot_step("smp");
	gdb_init(&boot_cmdline);
	virtio_init(&boot_cmdline);
	wake_init(&boot_cmdline);
	boot_step("devices");
	start_main_thread();
	boot_step("main thread");
	sched_idle();	/* the boot context becomes the idle thread */
}
