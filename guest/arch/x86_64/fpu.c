#include <string.h>

#include "arch/x86_64/fpu.h"
#include "arch/x86_64/asm.h"
#include "arch/x86_64/cpu.h"

#define CR0_NE (1 << 5)	/* x87 errors as #MF, not as IRQ 13 */

static struct fpu_state clean_state;

void fpu_cpu_init(void)
{
	uint64_t cr0 = read_cr0();

	cr0 &= ~(uint64_t)(CR0_EM | CR0_TS);
	cr0 |= CR0_MP | CR0_NE;
	write_cr0(cr0);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	/* Default x87 and MXCSR: exceptions masked, round to nearest. */
	__asm__ volatile("fninit");
	__asm__ volatile("ldmxcsr %0" : : "m"((uint32_t){ FPU_MXCSR_DEFAULT }));
}

void fpu_init(void)
{
	fpu_cpu_init();
	fpu_save(&clean_state);
}

void fpu_state_init(struct fpu_state *st)
{
	memcpy(st, &clean_state, sizeof(*st));
}
