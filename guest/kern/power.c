#include "kern/power.h"
#include "kern/panic.h"
#include "kern/shared.h"
#include "kern/smp.h"
#include "kern/virtio.h"
#include "arch/x86_64/cpu.h"

#define DEBUG_EXIT_PORT 0xf4

void cpu_park(void)
{
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}

void guest_exit(int code)
{
	struct kspawn_state *st = shared_state();

	irq_disable();
	/*
	 * A panic under way on another CPU, its report still printing, ends
	 * the guest itself: stored here, "halted" (and this status) would
	 * reach the host first, which takes a halted guest for ended well
	 * and the panic for none.  Let it finish; it halts us too.
	 */
	if (code != GUEST_EXIT_PANIC && panic_under_way())
		cpu_park();
	smp_stop_others();
	st->exit_code = (uint32_t)code;
	if (st->state != KSPAWN_GUEST_PANICKED)
		__atomic_store_n(&st->state, KSPAWN_GUEST_HALTED,
				 __ATOMIC_RELEASE);
	/* QEMU ends with status (code << 1) | 1. */
	if (kspawn_hdr->flags & KSPAWN_HF_STANDALONE) {
		virtio_pci_report();
		outl(DEBUG_EXIT_PORT, (uint32_t)code);
	}
	cpu_park();
}
