/* SPDX-License-Identifier: GPL-2.0 */
/* The real-mode trampoline's bytes (tramp16.S) and parameters. */
#ifndef KSPAWN_TRAMPOLINE_H
#define KSPAWN_TRAMPOLINE_H

#include <linux/types.h>

extern const u8 kspawn_trampoline_start[];
extern const u8 kspawn_trampoline_end[];
extern const u8 kspawn_trampoline_params[];

/* The layout of the parameter block at the end of tramp16.S. */
struct kspawn_tramp_params {
	u64 cr3;
	u64 entry;
	u64 header;
	u64 stamp;
	u64 index;			/* %rsi: the guest CPU's index (ABI 1.3) */
	u64 done;			/* the core's, last: it left the page */
};

#endif
