/* A new thread's first context: a switch_frame that "returns" into it. */
#include <stdint.h>

#include "arch/x86_64/context.h"

void thread_trampoline(void);

void *context_init(void *top, void (*start)(void *), void *arg)
{
	/*
	 * After the ret in context_switch, %rsp is the frame's end; keep it
	 * 16-byte aligned so the call in thread_trampoline meets the ABI.
	 */
	uintptr_t end = ((uintptr_t)top & ~(uintptr_t)15) - 16;
	struct switch_frame *f = (struct switch_frame *)end - 1;

	*f = (struct switch_frame){
		.r12 = (uint64_t)(uintptr_t)start,
		.r13 = (uint64_t)(uintptr_t)arg,
		.rip = (uint64_t)(uintptr_t)thread_trampoline,
	};
	return f;
}
