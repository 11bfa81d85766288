/*
 * kspawn.h: everything an app may use, and the only kspawn header an app
 * includes (besides the C library's, newlib's: stdio, malloc, strings,
 * time and errno work as usual, per thread).  The declarations live with
 * the code that implements them; each line below says what it brings.
 *
 * An app is a main function registered by name:
 *
 *	#include "kspawn.h"
 *
 *	static int hello_main(int argc, char **argv)
 *	{
 *		kprintf("Hello from %s\n", argv[0]);
 *		return 0;
 *	}
 *	APP(hello, hello_main, "print a greeting");
 *
 * It runs in a thread of its own at THREAD_PRIO_NORMAL; its return value
 * is the guest's exit status.  An app in guest/apps/ goes into the image a
 * user runs (build/kspawn-guest.elf), one in guest/apps/test/ into the
 * test image only (build/kspawn-guest-test.elf); guest/README.md lists them.
 */
#ifndef KSPAWN_H
#define KSPAWN_H

/* APP(), app_opt(): register an app, read a KEY=VALUE argument. */
#include "kern/app.h"
/* kprintf(), console_write(), console_getc(): the console. */
#include "kern/console.h"
/* panic(): stop the guest with a report (exit status 112). */
#include "kern/panic.h"
/* time_ns(), ticks(), tsc_khz(), time_wall_ns(); NSEC_PER_SEC, HZ. */
#include "kern/time.h"
/* thread_create(), thread_join(), thread_yield(), thread_sleep_ms() and
 * the rest of the threads, priorities, thread_get_info(). */
#include "kern/sched.h"
/* Spinlocks, wait queues, mutex, semaphore, condition variable. */
#include "kern/sync.h"
/* The first block device: vblk_init(), vblk_submit()/vblk_wait() or
 * vblk_submit_cb() (a queue per guest CPU with multiqueue),
 * vblk_read(), vblk_write(), vblk_flush(), vblk_discard(). */
#include "kern/virtio_blk.h"
/* The network: net_up(), udp_bind(), udp_sendto(), udp_recvfrom(),
 * net_parse_ip(), net_print_stats(). */
#include "kern/net.h"
/* Raw frames in batches, instead of the stack: net_raw_open(),
 * net_raw_recv(), net_raw_send() (l2fwd). */
#include "kern/net_raw.h"

/*
 * For the test apps only (guest/apps/test/, which define KSPAWN_INTERNALS
 * before including this file): the kernel's insides they poke at.
 */
#ifdef KSPAWN_INTERNALS
/* kspawn_hdr, shared_state(), virt_to_phys(): the shared area, raw. */
#include "kern/shared.h"
/* mm_free_pages(), page_alloc(), PAGE_SIZE. */
#include "kern/mm.h"
/* The virtio transport and its queues (hostile breaks their rules). */
#include "kern/virtio.h"
/* cpu_relax(), irq_save()/irq_restore(). */
#include "arch/x86_64/cpu.h"
/* apic_id(), apic_send_ipi(), the timer. */
#include "arch/x86_64/apic.h"
/* irq_alloc_vector(), irq_set_handler(), struct trap_frame. */
#include "arch/x86_64/trap.h"
/* hostile_at_boot(): kmain's first call, for hostile stamps. */
#include "kern/main.h"
/* hostile_ap_arrives(): smp_ap_main's hook, for hostile lateap(-hang). */
#include "kern/smp.h"
/* guest_exit(): end the guest from any CPU (crash exitrace). */
#include "kern/power.h"
#endif

#endif
