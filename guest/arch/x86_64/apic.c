/*
 * Local APIC driver.  Registers are named by their xAPIC MMIO offset; in
 * x2APIC mode the same register is MSR 0x800 + offset / 16, except the
 * ICR, which becomes one 64-bit MSR.
 */
#include <stddef.h>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/pit.h"
#include "arch/x86_64/trap.h"
#include "kern/console.h"
#include "kern/mm.h"
#include "kern/panic.h"
#include "kern/time.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1ULL << 10)	/* x2APIC mode */
#define APIC_BASE_EN (1ULL << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ULL
#define X2APIC_MSR(reg) (0x800 + ((reg) >> 4))

#define APIC_ID 0x020
#define APIC_VERSION 0x030
#define APIC_TPR 0x080
#define APIC_EOI 0x0b0
#define APIC_SVR 0x0f0
#define APIC_ESR 0x280
#define APIC_LVT_CMCI 0x2f0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PERF 0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0

#define SVR_ENABLE (1 << 8)
#define LVT_MASKED (1 << 16)
#define LVT_TIMER_PERIODIC (1 << 17)
#define ICR_LEVEL_ASSERT (1 << 14)
#define ICR_BUSY (1 << 12)
#define TIMER_DIV_16 0x3

/*
 * Against the TSC, 2 ms pins the timer down far closer than the tick
 * needs, and every millisecond here is a millisecond of spawn latency.
 */
#define CALIBRATE_NS (2 * NSEC_PER_MSEC)
/* A look long enough to check a clock the host gives us within 20%. */
#define CHECK_NS (100 * 1000)

static int x2apic;
static volatile uint32_t *mmio;
static uint64_t timer_hz;
static unsigned int max_lvt;

static uint32_t apic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR(reg));
	return mmio[reg / 4];
}

static void apic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR(reg), v);
	else
		mmio[reg / 4] = v;
}

int apic_is_x2apic(void)
{
	return x2apic;
}

uint32_t apic_id(void)
{
	uint32_t id = apic_read(APIC_ID);

	return x2apic ? id : id >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

/* Spurious interrupts must not be acknowledged: there is nothing in service. */
static void spurious_irq(struct trap_frame *tf)
{
	(void)tf;
}

static void error_irq(struct trap_frame *tf)
{
	uint32_t esr;

	(void)tf;
	apic_write(APIC_ESR, 0);	/* latch the error bits */
	esr = apic_read(APIC_ESR);
	apic_eoi();
	kprintf("apic: error interrupt, ESR 0x%x\n", esr);
}

/*
 * Go to x2APIC mode when we can.  The only legal way there is through
 * xAPIC mode (enabled, not extended), and there is no legal way back, so
 * an APIC already in x2APIC mode is left as it is.
 */
static void enable_mode(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_EN)) {
		base &= ~APIC_BASE_EXTD;
		base |= APIC_BASE_EN;
		wrmsr(MSR_APIC_BASE, base);
	}
	x2apic = boot_cpu.has_x2apic || (base & APIC_BASE_EXTD);
	if (x2apic && !(base & APIC_BASE_EXTD))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	if (x2apic || mmio)	/* another CPU mapped the same address */
		return;
	mmio = mmio_map(base & APIC_BASE_ADDR_MASK, PAGE_SIZE);
	if (!mmio)
		panic("apic: cannot map the xAPIC registers at 0x%llx",
		      (unsigned long long)(base & APIC_BASE_ADDR_MASK));
}

/* Every local interrupt source off until a driver asks for it. */
static void mask_local_sources(void)
{
	apic_write(APIC_LVT_TIMER, LVT_MASKED);
	apic_write(APIC_LVT_LINT0, LVT_MASKED);
	apic_write(APIC_LVT_LINT1, LVT_MASKED);
	if (max_lvt >= 4)
		apic_write(APIC_LVT_PERF, LVT_MASKED);
	if (max_lvt >= 5)
		apic_write(APIC_LVT_THERMAL, LVT_MASKED);
	if (max_lvt >= 6)
		apic_write(APIC_LVT_CMCI, LVT_MASKED);
	apic_write(APIC_TIMER_INIT, 0);
}

void apic_init(const struct kspawn_header *hdr)
{
	if (hdr->flags & KSPAWN_HF_STANDALONE)
		pic_mask_all();	/* else its IRQ 0 could arrive as #DF */
	enable_mode();
	max_lvt = (apic_read(APIC_VERSION) >> 16) & 0xff;
	irq_set_handler(APIC_VEC_SPURIOUS, spurious_irq);
	irq_set_handler(APIC_VEC_ERROR, error_irq);
	irq_set_eoi(apic_eoi);
	mask_local_sources();
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SVR, SVR_ENABLE | APIC_VEC_SPURIOUS);
	apic_write(APIC_ESR, 0);
	apic_write(APIC_ESR, 0);	/* clear whatever INIT left behind */
	apic_write(APIC_LVT_ERROR, APIC_VEC_ERROR);
	/* Drop anything left in service from before INIT. */
	apic_eoi();
	kprintf("apic: %s mode, APIC ID %u, %u LVT entries\n",
		x2apic ? "x2APIC" : "xAPIC", apic_id(), max_lvt + 1);
}

int apic_send_ipi(uint32_t dest, unsigned int vector)
{
	uint32_t lo = vector | ICR_LEVEL_ASSERT;
	uint64_t flags;

	if (vector < IRQ_VECTOR_BASE || vector > 255)
		return -1;
	if (x2apic) {
		/*
		 * A WRMSR to an x2APIC register does not wait for earlier
		 * stores (Intel SDM, x2APIC): without the fence the IPI can
		 * reach its CPU before the ring index or run-queue entry it
		 * announces, and the handler finds nothing to do.
		 */
		__asm__ volatile("mfence; lfence" ::: "memory");
		wrmsr(X2APIC_MSR(APIC_ICR_LO), ((uint64_t)dest << 32) | lo);
		return 0;
	}
	if (dest > 0xff)
		return -1;
	/* The two halves must not interleave with another sender's. */
	flags = irq_save();
	while (apic_read(APIC_ICR_LO) & ICR_BUSY)
		cpu_relax();
	apic_write(APIC_ICR_HI, dest << 24);
	apic_write(APIC_ICR_LO, lo);
	irq_restore(flags);
	return 0;
}

/* Count the timer down for ns of TSC time, masked. */
static uint64_t measure_timer_hz(uint64_t ns)
{
	uint64_t start, end;
	uint32_t left;

	apic_write(APIC_TIMER_DIV, TIMER_DIV_16);
	apic_write(APIC_LVT_TIMER, LVT_MASKED);
	start = time_ns();
	apic_write(APIC_TIMER_INIT, 0xffffffff);
	do {
		end = time_ns();
	} while (end - start < ns);
	left = apic_read(APIC_TIMER_CUR);
	apic_write(APIC_TIMER_INIT, 0);
	return (uint64_t)(0xffffffffu - left) * NSEC_PER_SEC / (end - start);
}

/* Within 20% of seen. */
static int near(uint64_t told, uint64_t seen)
{
	return told >= seen - seen / 5 && told <= seen + seen / 5;
}

int apic_timer_start(unsigned int hz, unsigned int vector,
		     uint64_t input_khz)
{
	const char *how = timer_hz ? "known" : "TSC-calibrated";
	uint64_t count;

	if (!hz || vector < IRQ_VECTOR_BASE || vector > 255)
		return -1;
	if (!timer_hz && input_khz) {
		uint64_t told = input_khz * 1000 / 16;	/* TIMER_DIV_16 */
		uint64_t seen = measure_timer_hz(CHECK_NS);

		/*
		 * The host passes on what other guests measured, or what its
		 * admin set: a guest that lied, or a wrong apic_timer_khz=,
		 * must not set our tick.  Taken if a quick look agrees within
		 * 20%, or a second one does (a look can lose its CPU under a
		 * hypervisor), else measured in full.
		 */
		if (!near(told, seen))
			seen = measure_timer_hz(CHECK_NS);
		if (near(told, seen)) {
			timer_hz = told;
			how = "from the host";
		} else {
			kprintf("apic: the host's timer clock, %llu kHz, is not this one (about %llu kHz): measuring it\n",
				(unsigned long long)input_khz,
				(unsigned long long)(seen * 16 / 1000));
		}
	}
	if (!timer_hz)
		timer_hz = measure_timer_hz(CALIBRATE_NS);
	count = timer_hz / hz;
	if (count < 16 || count > 0xffffffffu)
		return -1;
	apic_write(APIC_TIMER_DIV, TIMER_DIV_16);
	apic_write(APIC_LVT_TIMER, LVT_TIMER_PERIODIC | vector);
	apic_write(APIC_TIMER_INIT, (uint32_t)count);
	kprintf("apic: timer %llu kHz (%s), periodic at %u Hz\n",
		(unsigned long long)(timer_hz / 1000), how, hz);
	return 0;
}

void apic_timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, LVT_MASKED);
	apic_write(APIC_TIMER_INIT, 0);
}

uint64_t apic_timer_hz(void)
{
	return timer_hz;
}

uint64_t apic_timer_input_khz(void)
{
	return timer_hz * 16 / 1000;
}
