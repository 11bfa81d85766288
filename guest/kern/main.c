/*
 * kmain: the one place both boot paths meet.  It brings the machine up in
 * dependency order (traps first, so that any later fault is reported rather
 * than resetting the machine), then runs the app the command line names.
 */
#include <string.h>

#include "kern/main.h"
#include "kern/app.h"
#include "kern/console.h"
#include "kern/power.h"
#include "kern/shared.h"
#include "lib/cmdline.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/trap.h"

static struct cmdline boot_cmdline;

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
	return app->main(boot_cmdline.argc, boot_cmdline.argv);
}

void kmain(struct kspawn_header *hdr)
{
	const char *bad = shared_check(hdr);
	int status;

	if (bad)
		cpu_park();	/* no console we could trust to say so */
	kspawn_hdr = hdr;
	trap_init();
	cpuinfo_init();
	console_init(hdr);
	if (cmdline_parse(&boot_cmdline, hdr->cmdline, sizeof(hdr->cmdline)))
		kprintf("kmain: command line too long, truncated\n");
	banner(hdr);
	status = run_app();
	kprintf("kmain: app exited with status %d\n", status);
	guest_exit(status);
}
