// SPDX-License-Identifier: GPL-2.0
/*
 * The shared area: the ABI header, the guest's state record, the console
 * and debug rings and the device table, laid out by the host and located
 * for the guest by the header's *_off fields.
 */
#include <linux/align.h>
#include <linux/string.h>
#include <asm/apic.h>
#include <asm/tsc.h>

#include "kspawn.h"

#define RING_BYTES(n) (sizeof(struct kspawn_ring) + (n))

struct layout {
	u32 state, con_out, con_in, dbg_out, dbg_in, devices, end;
};

static void layout(struct layout *l)
{
	u32 off = sizeof(struct kspawn_header);

	l->state = off;
	off = ALIGN(off + sizeof(struct kspawn_state), 64);
	l->con_out = off;
	off = ALIGN(off + RING_BYTES(KSPAWN_CONSOLE_OUT_SIZE), 64);
	l->con_in = off;
	off = ALIGN(off + RING_BYTES(KSPAWN_CONSOLE_IN_SIZE), 64);
	l->dbg_out = off;
	off = ALIGN(off + RING_BYTES(KSPAWN_DEBUG_RING_SIZE), 64);
	l->dbg_in = off;
	off = ALIGN(off + RING_BYTES(KSPAWN_DEBUG_RING_SIZE), 64);
	l->devices = off;
	off += KSPAWN_MAX_DEVICES * sizeof(struct kspawn_device);
	l->end = ALIGN(off, PAGE_SIZE);
}

size_t kspawn_shared_bytes(void)
{
	struct layout l;

	layout(&l);
	return l.end;
}

/* The rings, empty, with the host's own copy of each size. */
static int init_rings(struct kspawn_instance *in, const struct layout *l)
{
	void *s = in->shared;

	if (byte_ring_init(&in->con_out, s + l->con_out,
			   KSPAWN_CONSOLE_OUT_SIZE) ||
	    byte_ring_init(&in->con_in, s + l->con_in,
			   KSPAWN_CONSOLE_IN_SIZE) ||
	    byte_ring_init(&in->dbg_out, s + l->dbg_out,
			   KSPAWN_DEBUG_RING_SIZE) ||
	    byte_ring_init(&in->dbg_in, s + l->dbg_in,
			   KSPAWN_DEBUG_RING_SIZE))
		return -EINVAL;
	return 0;
}

static void fill_header(struct kspawn_instance *in, const struct layout *l,
			const char *cmdline)
{
	struct kspawn_header *h = in->shared;

	h->magic = KSPAWN_MAGIC;
	h->abi_major = KSPAWN_ABI_MAJOR;
	h->abi_minor = KSPAWN_ABI_MINOR;
	h->header_size = sizeof(*h);
	h->host_features = KSPAWN_F_CONSOLE_IN | KSPAWN_F_DEBUG |
			   KSPAWN_F_HEARTBEAT | KSPAWN_F_STOP_IPI |
			   KSPAWN_F_MWAIT_WAKE;
	h->instance_id = in->id;
	h->region_base = in->region_phys;
	h->region_size = in->region_size;
	h->shared_base = in->shared_phys;
	h->shared_size = in->shared_size;
	h->tsc_khz = tsc_khz;
	h->apic_timer_khz = READ_ONCE(kspawn_apic_timer_khz);
	h->ncpus = in->ncpus;
	for (unsigned int i = 0; i < in->ncpus; i++)
		h->cpu_apic_id[i] = in->apic_id[i];
	h->host_apic_id = kspawn_cpu_apic_id(0);
	h->state_off = l->state;
	h->console_out_off = l->con_out;
	h->console_in_off = l->con_in;
	h->debug_out_off = l->dbg_out;
	h->debug_in_off = l->dbg_in;
	h->devices_off = l->devices;
	h->ndevices = 0;
	strscpy(h->cmdline, cmdline, sizeof(h->cmdline));
}

int kspawn_shared_setup(struct kspawn_instance *in, const char *cmdline)
{
	struct layout l;

	layout(&l);
	if (l.end > in->shared_size)
		return -EINVAL;
	/* No memset: the shared area comes out of the pool zeroed. */
	fill_header(in, &l, cmdline);
	in->hdr = in->shared;
	in->gstate = in->shared + l.state;
	return init_rings(in, &l);
}
