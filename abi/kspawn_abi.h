/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * kspawn shared-memory ABI, version 2.1.
 *
 * This is the only header that the spawned (guest) kernel and the host side
 * (kspawn.ko, kspawnctl, the portable backends) both include.  Every field is
 * fixed-width and little-endian, there are no pointers (physical addresses are
 * uint64_t), and every structure size is pinned with _Static_assert so that a
 * layout change cannot slip in unnoticed.  abi/README.md documents each field
 * and the versioning rules; abi/layout.golden pins every offset.
 *
 * Everything the guest writes into these structures is untrusted input for
 * the host: the host validates it before use.
 */
#ifndef KSPAWN_ABI_H
#define KSPAWN_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#else
#include <stdint.h>
#include <stddef.h>
#endif

#define KSPAWN_ABI_MAJOR 2
#define KSPAWN_ABI_MINOR 1

/* "KSPAWN" followed by "\x01\xab", read as a little-endian uint64_t. */
#define KSPAWN_MAGIC 0xab014e574150534bULL

/*
 * Guest address space.  The guest image is linked for the top 2 GiB
 * (-mcmodel=kernel).  Its region (physical, 2 MiB aligned) is mapped linearly
 * at KSPAWN_VA_REGION, so that guest virtual = KSPAWN_VA_REGION +
 * (physical - region_base).  The image's PT_LOAD segments are linked at
 * KSPAWN_VA_REGION + KSPAWN_IMAGE_OFFSET and beyond (their p_paddr is the
 * offset from the region base), which leaves the first 1 MiB of the region to
 * the loader for boot page tables and the boot stack.  The shared area is
 * mapped at KSPAWN_VA_SHARED.
 */
#define KSPAWN_VA_REGION 0xffffffff80000000ULL
#define KSPAWN_VA_SHARED 0xffffffffc0000000ULL
#define KSPAWN_IMAGE_OFFSET 0x100000ULL
#define KSPAWN_REGION_ALIGN 0x200000ULL
#define KSPAWN_REGION_MIN (8ULL << 20)
#define KSPAWN_REGION_MAX (1ULL << 30)
#define KSPAWN_SHARED_MAX (256ULL << 20)

/*
 * The most image bytes the loader takes (kspawn.ko's load ioctl copies them
 * into the kernel whole, at every spawn): the ELF headers and every
 * segment's file bytes.  kspawnctl sends only those, not the symbols and
 * debug sections after them, and refuses a bigger image itself.
 */
#define KSPAWN_IMAGE_MAX_BYTES (64ULL << 20)

/*
 * A guest's virtio-blk disk: a RAM disk (kspawnctl run --ramdisk) is at
 * most KSPAWN_RAMDISK_MAX_BYTES, a host file or block device (--disk) at
 * least one sector.  kspawn.ko refuses others, kspawnctl says so first.
 */
#define KSPAWN_RAMDISK_MAX_BYTES (4ULL << 30)
#define KSPAWN_DISK_MIN_BYTES 512ULL

/*
 * ELF note carried by every guest image in section .note.kspawn, so that the
 * loader can refuse an image built for another ABI before spawning it.
 * Owner name "kspawn", type KSPAWN_NOTE_ABI, descriptor struct kspawn_note_abi.
 */
#define KSPAWN_NOTE_NAME "kspawn"
#define KSPAWN_NOTE_ABI 1
/*
 * Type KSPAWN_NOTE_APPS (optional): the names of the apps linked
 * into the image, each NUL-terminated, so that a loader can refuse a
 * command line naming none of them instead of starting a guest that
 * only says so on its console.  An image without it is not checked.
 */
#define KSPAWN_NOTE_APPS 2

struct kspawn_note_abi {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t min_region_mib;	/* smallest region the image runs in */
};

/* Header-level features (host_features / guest_features). */
#define KSPAWN_F_CONSOLE_IN (1ULL << 0)	/* host->guest console ring */
#define KSPAWN_F_DEBUG (1ULL << 1)	/* gdb debug channel */
#define KSPAWN_F_HEARTBEAT (1ULL << 2)	/* guest bumps state.heartbeat */
#define KSPAWN_F_STOP_IPI (1ULL << 3)	/* host may send stop_vector */
#define KSPAWN_F_IPI_DOORBELL (1ULL << 4) /* guest may IPI the host */
#define KSPAWN_F_DOORBELL_ECHO (1ULL << 5) /* 1.2: header.echo times it */
#define KSPAWN_F_MWAIT_WAKE (1ULL << 6)	/* 1.2: header.wake, not IPIs */
#define KSPAWN_F_ALL_V1 (KSPAWN_F_CONSOLE_IN | KSPAWN_F_DEBUG | \
			 KSPAWN_F_HEARTBEAT | KSPAWN_F_STOP_IPI | \
			 KSPAWN_F_IPI_DOORBELL | KSPAWN_F_DOORBELL_ECHO | \
			 KSPAWN_F_MWAIT_WAKE)

/* Header flags, set by whoever builds the header. */
#define KSPAWN_HF_STANDALONE (1U << 0)	/* booted by firmware (PVH), no host */

#define KSPAWN_MAX_CPUS 16
#define KSPAWN_CMDLINE_MAX 512

/* Indices into kspawn_header.boot_tsc: where the boot spent its time. */
enum kspawn_stamp {
	KSPAWN_STAMP_IOCTL = 0,		/* host: start ioctl entered */
	KSPAWN_STAMP_SIPI = 1,		/* host: first STARTUP IPI sent */
	KSPAWN_STAMP_TRAMPOLINE = 2,	/* trampoline reached long mode */
	KSPAWN_STAMP_KMAIN = 3,		/* guest entered kmain */
	KSPAWN_STAMP_APP_MAIN = 4,	/* app main() called */
	KSPAWN_STAMP_COUNT = 8
};

/*
 * Doorbell timing (1.2, KSPAWN_F_DOORBELL_ECHO), for benchmarks: the guest
 * bumps seq with its TSC in guest_tx_tsc and rings the doorbell; the
 * host's doorbell handler, seeing a new seq, stamps host_rx_tsc, stamps
 * host_tx_tsc and sends vector back to the guest's boot CPU.  Both one-way
 * latencies follow from the four stamps (the TSC is the machine's).  The
 * host answers within a budget (kspawn.ko: 25 000 at once, then 1 000 a
 * second); beyond it a ring goes unanswered and counts as a ring for
 * nothing, which can get the doorbell masked as a flood.
 */
struct kspawn_echo {
	uint64_t seq;			/* guest */
	uint64_t guest_tx_tsc;		/* guest: just before the IPI */
	uint64_t host_rx_tsc;		/* host: in its doorbell handler */
	uint64_t host_tx_tsc;		/* host: just before the IPI back */
	uint32_t vector;		/* guest: the echo's vector */
	uint32_t reserved0;
	uint8_t pad[24];
};

/*
 * A lighter doorbell into the guest (1.2, KSPAWN_F_MWAIT_WAKE): one cache
 * line per guest CPU.  A guest CPU going idle sets waiting, MONITORs the
 * line, looks at pending and MWAITs; the host, instead of an IPI, sets the
 * vector's bit in pending (the write ends the MWAIT) and sends the IPI
 * only if it then finds waiting clear.  The guest clears waiting before it
 * takes pending, and runs the handler of each vector found there.
 */
struct kspawn_wake {
	uint32_t waiting;		/* guest: 1 while it MWAITs on this line */
	uint32_t reserved0;
	uint64_t pending[4];		/* host: vectors not sent as IPIs */
	uint8_t pad[24];
};

/*
 * CPUs (1.3).  Every CPU of cpu_apic_id[ncpus] enters the guest at its ELF
 * entry point in long mode, interrupts off, on the host's page tables,
 * with %rdi = the header's virtual address and %esi = its index in
 * cpu_apic_id[]: CPU 0 first (it stamps boot_tsc[KSPAWN_STAMP_TRAMPOLINE]),
 * then each other CPU in order (it stamps cpu_tsc[index]).  CPUs other
 * than 0 arrive while CPU 0 already runs, and must wait for it to let
 * them in; a 1.2 guest, which does not know this, never gets more than one.
 */

/*
 * The header sits at offset 0 of the shared area.  The host fills it before
 * start; afterwards the guest writes only guest_features, boot_tsc[3..],
 * its fields of echo and wake, and (its CPUs' trampoline) cpu_tsc[1..].
 * The *_off fields locate the other structures inside the shared area, so a
 * later minor version may move or grow them.
 */
struct kspawn_header {
	uint64_t magic;			/* KSPAWN_MAGIC */
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t header_size;		/* bytes of this header the writer knows */
	uint64_t host_features;		/* KSPAWN_F_* offered by the host */
	uint64_t guest_features;	/* subset accepted by the guest */
	uint32_t flags;			/* KSPAWN_HF_* */
	uint32_t instance_id;
	uint64_t region_base;		/* physical, KSPAWN_REGION_ALIGN aligned */
	uint64_t region_size;
	uint64_t shared_base;		/* physical, page aligned */
	uint64_t shared_size;
	uint64_t tsc_khz;		/* 0: the guest calibrates */
	uint32_t ncpus;			/* entries used in cpu_apic_id */
	uint32_t host_apic_id;		/* target of guest->host IPIs */
	uint32_t cpu_apic_id[KSPAWN_MAX_CPUS];
	uint32_t state_off;		/* struct kspawn_state */
	uint32_t console_out_off;	/* struct kspawn_ring, guest->host */
	uint32_t console_in_off;	/* struct kspawn_ring, host->guest */
	uint32_t debug_out_off;		/* struct kspawn_ring, guest->host */
	uint32_t debug_in_off;		/* struct kspawn_ring, host->guest */
	uint32_t devices_off;		/* struct kspawn_device[ndevices] */
	uint32_t ndevices;
	uint32_t host_doorbell_vector;	/* with KSPAWN_F_IPI_DOORBELL */
	uint64_t boot_tsc[KSPAWN_STAMP_COUNT];
	uint64_t apic_timer_khz;	/* 1.2: timer input clock; 0: calibrate */
	char cmdline[KSPAWN_CMDLINE_MAX]; /* NUL-terminated */
	struct kspawn_echo echo;	/* 1.2, KSPAWN_F_DOORBELL_ECHO */
	struct kspawn_wake wake[KSPAWN_MAX_CPUS]; /* 1.2, KSPAWN_F_MWAIT_WAKE */
	uint64_t cpu_tsc[KSPAWN_MAX_CPUS]; /* 1.3: CPU i >= 1 reached long mode */
	uint8_t reserved[2112];		/* zero; room for minor versions */
};

/* Guest states (kspawn_state.state). */
enum kspawn_guest_state {
	KSPAWN_GUEST_BOOTING = 0,
	KSPAWN_GUEST_RUNNING = 1,
	KSPAWN_GUEST_PANICKED = 2,
	KSPAWN_GUEST_HALTED = 3,	/* stopped on its own or on request */
};

/* Host requests (kspawn_state.host_request). */
#define KSPAWN_REQ_NONE 0
#define KSPAWN_REQ_STOP 1	/* halt politely: set HALTED, then hlt */

#define KSPAWN_PANIC_MSG_MAX 256

/* Filled by the guest before it sets state = PANICKED. */
struct kspawn_panic {
	uint64_t vector;		/* exception vector, or ~0 for panic() */
	uint64_t error_code;
	uint64_t rip;
	uint64_t rsp;
	uint64_t rflags;
	uint64_t cr2;
	uint64_t gpr[16];		/* rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
	char message[KSPAWN_PANIC_MSG_MAX];
};

struct kspawn_state {
	uint32_t state;			/* enum kspawn_guest_state */
	uint32_t exit_code;		/* app's status once HALTED */
	uint64_t heartbeat;		/* bumped by the guest timer tick */
	uint32_t host_request;		/* KSPAWN_REQ_*, written by the host */
	uint32_t stop_vector;		/* guest IDT vector for stop IPIs */
	uint32_t debug_vector;		/* guest IDT vector for debug break-in */
	uint32_t apic_timer_khz;	/* 1.2: the timer input clock it used */
	struct kspawn_panic panic;
	/*
	 * 2.1: interrupts that reached the guest on a vector it never asked
	 * for, such as the host kernel's IPI broadcasts, and the last one's
	 * vector.  The guest acknowledges and counts them; it prints nothing.
	 */
	uint64_t stray_irqs;
	uint32_t stray_vector;
	uint32_t reserved0;
};

/*
 * Single-producer single-consumer byte ring.  head and tail run freely and
 * wrap modulo 2^32; the byte at index i lives at data[i & (size - 1)].  The
 * producer owns head, the consumer owns tail, and each sits on its own cache
 * line.  size is a power of two fixed by the host.  A producer that finds
 * the ring full may drop bytes; it then adds their number to dropped.
 */
struct kspawn_ring {
	uint32_t head;			/* producer: next byte to write */
	uint32_t dropped;		/* producer: bytes lost to a full ring */
	uint8_t pad0[56];
	uint32_t tail;			/* consumer: next byte to read */
	uint8_t pad1[60];
	uint32_t size;			/* bytes in data[], a power of two */
	uint8_t pad2[60];
	uint8_t data[];
};

/*
 * Devices.  Each slot describes one virtio device in the virtio 1.x model:
 * the host (device) fills device_id, num_queues, device_features, the
 * config space and queue size_max; the guest (driver) walks status through
 * ACKNOWLEDGE, DRIVER, FEATURES_OK and DRIVER_OK (linux/virtio_config.h),
 * writes driver_features and sets up its queues.  Queue memory is guest
 * memory inside the region; its addresses are guest physical addresses.
 */
#define KSPAWN_MAX_DEVICES 8
/* 2.0: room for a queue per guest CPU (blk) or a pair per CPU and a control queue (net). */
#define KSPAWN_MAX_QUEUES 16
#define KSPAWN_CONFIG_SIZE 256

struct kspawn_queue {
	uint16_t size_max;		/* host: largest size it accepts */
	uint16_t size;			/* guest: chosen size (split: a power of two) */
	uint16_t ready;			/* guest: 1 once addresses are valid */
	uint16_t reserved0;
	uint32_t vector;		/* guest IDT vector for used buffers; 0 = poll */
	uint32_t notify;		/* guest: +1 per kick, before the ring */
	uint64_t desc_addr;		/* guest physical */
	uint64_t driver_addr;		/* avail ring (split) / driver event (packed) */
	uint64_t device_addr;		/* used ring (split) / device event (packed) */
	uint8_t pad[24];		/* one cache line per queue */
};

struct kspawn_device {
	uint32_t device_id;		/* VIRTIO_ID_*; 0 = empty slot */
	uint32_t num_queues;
	uint64_t device_features;	/* host: VIRTIO_F_* and device bits */
	uint64_t driver_features;	/* guest: accepted subset */
	uint8_t status;			/* VIRTIO_CONFIG_S_* */
	/*
	 * guest: 1 = reset request; the host resets the device, sets every
	 * queue's ready, size, vector and addresses to 0, then clears it.
	 */
	uint8_t reset;
	uint16_t features_ack;		/* host (1.1): +1 per FEATURES_OK answer */
	/*
	 * host: odd while it rewrites config[], then even again (a
	 * seqlock): a driver reads it, the bytes, it again, and reads
	 * again while it was odd or changed.
	 */
	uint32_t config_generation;
	uint32_t config_vector;		/* guest IDT vector for config changes */
	uint32_t reserved1;
	uint8_t pad[24];
	uint8_t config[KSPAWN_CONFIG_SIZE]; /* virtio_net_config / virtio_blk_config */
	struct kspawn_queue queues[KSPAWN_MAX_QUEUES];
};

/* The layout a host uses when it has no reason to do otherwise. */
#define KSPAWN_CONSOLE_OUT_SIZE 16384
#define KSPAWN_CONSOLE_IN_SIZE 1024
#define KSPAWN_DEBUG_RING_SIZE 4096

_Static_assert(sizeof(struct kspawn_note_abi) == 8, "note size");
_Static_assert(sizeof(struct kspawn_header) == 4096, "header size");
_Static_assert(offsetof(struct kspawn_header, cmdline) == 256, "cmdline");
_Static_assert(sizeof(struct kspawn_echo) == 64, "echo size");
_Static_assert(sizeof(struct kspawn_wake) == 64, "wake size");
_Static_assert(offsetof(struct kspawn_header, wake) == 832, "wake");
_Static_assert(offsetof(struct kspawn_header, echo) == 768, "echo");
_Static_assert(offsetof(struct kspawn_header, cpu_tsc) == 1856, "cpu_tsc");
_Static_assert(sizeof(struct kspawn_panic) == 432, "panic size");
_Static_assert(sizeof(struct kspawn_state) == 480, "state size");
_Static_assert(sizeof(struct kspawn_ring) == 192, "ring size");
_Static_assert(offsetof(struct kspawn_ring, tail) == 64, "ring tail line");
_Static_assert(sizeof(struct kspawn_queue) == 64, "queue size");
_Static_assert(sizeof(struct kspawn_device) == 1344, "device size");
_Static_assert(offsetof(struct kspawn_device, config) == 64, "config");

#endif /* KSPAWN_ABI_H */
