/*
 * kern/virtio.c, the kernel's glue under the virtio drivers, on a fake
 * machine: the lib/ calls it makes (slot and PCI transports, the
 * handshake) and the kernel's (APIC, IDT vectors, pages, console) are
 * stubs that record what they were given.  The host's doorbell is taken
 * only when offered and not declined, with a vector of 32-255 and an APIC
 * ID the guest can address; vring=packed and indirect=off reach the
 * features asked of the device; a spawned guest never looks at PCI, one
 * booted alone does and gives back what it allocated when nothing is
 * there; a refusal of the handshake is said on the console; a queue's
 * interrupt reaches its handler through the vector the platform gave.
 * The guest and QEMU boots cover the rest (real devices).
 * unit-sources: guest/kern/virtio.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kern/virtio.h"
#include "kern/shared.h"
#include "lib/cmdline.h"
#include "lib/virtio_pci.h"
#include "kern/console.h"
#include "kern/mm.h"
#include "kern/sched.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/pci.h"
#include "arch/x86_64/trap.h"

/* ---- the fake machine ---------------------------------------------------- */

static struct kspawn_header hdr;
struct kspawn_header *kspawn_hdr = &hdr;

static int x2apic, ipis, eois;
static uint32_t ipi_dest;
static unsigned int ipi_vector;

int apic_is_x2apic(void) { return x2apic; }
void apic_eoi(void) { eois++; }

int apic_send_ipi(uint32_t dest, unsigned int vector)
{
	ipis++;
	ipi_dest = dest;
	ipi_vector = vector;
	return 0;
}

static int next_vector;			/* what irq_alloc_vector gives */
static irq_handler_t handler;

int irq_alloc_vector(irq_handler_t h)
{
	handler = h;
	return next_vector;
}

static char said[256];

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(said, sizeof(said), fmt, ap);
	va_end(ap);
	return n;
}

static size_t pages_asked;

void *page_alloc(size_t npages)
{
	pages_asked = npages;
	return NULL;
}

uint64_t virt_to_phys(const void *va) { return (uint64_t)(uintptr_t)va; }
void *kzalloc(size_t size) { return calloc(1, size); }
void kfree(void *p) { free(p); }
void *mmio_map(uint64_t pa, size_t size) { (void)size; return (void *)(uintptr_t)pa; }
void thread_sleep_ms(uint64_t ms) { (void)ms; }
uint32_t pci_cfg_read(uint32_t bdf, unsigned int off, unsigned int size)
{
	(void)bdf; (void)off; (void)size;
	return 0xffffffff;
}
void pci_cfg_write(uint32_t bdf, unsigned int off, unsigned int size,
		   uint32_t v)
{
	(void)bdf; (void)off; (void)size; (void)v;
}
int pci_msi_message(uint32_t vector, uint64_t *addr, uint32_t *data)
{
	(void)vector; (void)addr; (void)data;
	return -1;
}

/* ---- the lib/ calls ------------------------------------------------------ */

static struct kspawn_device slot = { .device_id = 2 };
static int have_slot, pci_looks, start_result;
static uint64_t start_wanted;
static const struct virtio_platform *platform;

struct kspawn_device *virtio_slot_find(struct kspawn_header *h,
				       uint32_t device_id, unsigned int nth)
{
	(void)h; (void)nth;
	return have_slot && device_id == slot.device_id ? &slot : NULL;
}

void virtio_slot_attach(struct virtio_dev *d, struct kspawn_device *s,
			const struct virtio_platform *plat)
{
	d->priv = s;
	platform = plat;
}

struct kspawn_device *virtio_slot_of(struct virtio_dev *d)
{
	return d->priv;
}

int virtio_start(struct virtio_dev *d, uint64_t wanted)
{
	start_wanted = wanted;
	d->features = wanted;
	return start_result;
}

int virtio_pci_find(struct virtio_pci *p, const struct virtio_pci_bus *bus,
		    uint32_t device_id, unsigned int nth)
{
	(void)p; (void)bus; (void)device_id; (void)nth;
	pci_looks++;
	return -1;			/* an empty bus */
}

void virtio_pci_attach(struct virtio_dev *d, struct virtio_pci *p,
		       const struct virtio_platform *plat)
{
	(void)d; (void)p; (void)plat;
	fail_msg("attached to a PCI function the bus does not have");
}

int virtio_pci_msix(const struct virtio_dev *d, unsigned int q)
{
	(void)d; (void)q;
	return 0;
}

void virtq_state(struct virtq *q, struct virtq_state *s)
{
	(void)q;
	memset(s, 0, sizeof(*s));
}

/* ---- tests ---------------------------------------------------------------- */

static void boot(const char *line)
{
	struct cmdline c;

	assert_int_equal(cmdline_parse(&c, line, strlen(line) + 1), 0);
	virtio_init(&c);
}

static void offer(uint64_t features, uint32_t vector, uint32_t apic)
{
	memset(&hdr, 0, sizeof(hdr));
	hdr.host_features = features;
	hdr.host_doorbell_vector = vector;
	hdr.host_apic_id = apic;
	ipis = 0;
}

/* Each refusal leaves the guest polled: no bit taken, no IPI ever sent. */
static void refused(void)
{
	assert_false(hdr.guest_features & KSPAWN_F_IPI_DOORBELL);
	assert_int_equal(virtio_ring_host(), -1);
	assert_int_equal(ipis, 0);
}

/* First: the doorbell, once taken, stays taken (it is a boot's choice). */
static void test_doorbell_refused(void **state)
{
	(void)state;
	x2apic = 0;
	offer(0, 200, 3);
	boot("hello");
	refused();
	offer(KSPAWN_F_IPI_DOORBELL, 200, 3);
	boot("doorbell=off hello");
	refused();
	offer(KSPAWN_F_IPI_DOORBELL, 31, 3);	/* an exception's vector */
	boot("hello");
	refused();
	offer(KSPAWN_F_IPI_DOORBELL, 256, 3);
	boot("hello");
	refused();
	offer(KSPAWN_F_IPI_DOORBELL, 200, 0x100);	/* past xAPIC's 8 bits */
	boot("hello");
	refused();
}

static void test_doorbell_taken(void **state)
{
	(void)state;
	x2apic = 1;
	offer(KSPAWN_F_IPI_DOORBELL, 255, 0x100);
	boot("hello");
	assert_true(hdr.guest_features & KSPAWN_F_IPI_DOORBELL);
	assert_int_equal(virtio_ring_host(), 0);
	assert_int_equal(ipis, 1);
	assert_int_equal(ipi_dest, 0x100);
	assert_int_equal(ipi_vector, 255);
}

#define PACKED (1ULL << VIRTIO_F_RING_PACKED)
#define INDIRECT (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define WANTED ((1ULL << VIRTIO_F_VERSION_1) | INDIRECT)

static void test_open_features(void **state)
{
	struct virtio_dev d = { 0 };

	(void)state;
	have_slot = 1;
	start_result = 0;
	boot("hello");
	assert_int_equal(virtio_open(&d, 2, WANTED), 0);
	assert_int_equal(start_wanted, WANTED);
	boot("vring=packed indirect=off hello");
	assert_int_equal(virtio_open(&d, 2, WANTED), 0);
	assert_int_equal(start_wanted, (WANTED | PACKED) & ~INDIRECT);
	boot("vring=split indirect=on hello");
	assert_int_equal(virtio_open(&d, 2, WANTED), 0);
	assert_int_equal(start_wanted, WANTED);
}

static void test_open_refused(void **state)
{
	struct virtio_dev d = { 0 };

	(void)state;
	have_slot = 1;
	boot("hello");
	start_result = -1;
	assert_int_equal(virtio_open(&d, 2, WANTED), -1);
	assert_non_null(strstr(said, "device 2 lacks VERSION_1"));
	start_result = -2;
	assert_int_equal(virtio_open(&d, 2, WANTED), -1);
	assert_non_null(strstr(said, "device 2 refused features"));
	start_result = 0;
}

/* No slot: spawned, PCI is the host's and never looked at; alone, it is. */
static void test_open_no_device(void **state)
{
	struct virtio_dev d = { 0 };

	(void)state;
	have_slot = 0;
	pci_looks = 0;
	memset(&hdr, 0, sizeof(hdr));
	assert_int_equal(virtio_open(&d, 2, WANTED), -1);
	assert_int_equal(pci_looks, 0);
	hdr.flags = KSPAWN_HF_STANDALONE;
	assert_int_equal(virtio_open(&d, 2, WANTED), -1);
	assert_int_equal(pci_looks, 1);	/* ASan: what it allocated, freed */
}

static struct virtio_dev *irq_dev;
static unsigned int irq_queue, irq_calls;

static void on_irq(struct virtio_dev *d, unsigned int q)
{
	irq_dev = d;
	irq_queue = q;
	irq_calls++;
}

static void test_platform(void **state)
{
	struct virtio_dev d = { 0 };
	struct trap_frame tf = { 0 };

	(void)state;
	have_slot = 1;
	boot("hello");
	assert_int_equal(virtio_open(&d, 2, WANTED), 0);
	assert_non_null(platform);
	/* Whole pages for any size. */
	platform->alloc(1);
	assert_int_equal(pages_asked, 1);
	platform->alloc(4097);
	assert_int_equal(pages_asked, 2);
	/* No vector left: the queue is polled. */
	next_vector = -1;
	assert_int_equal(platform->irq_vector(&d, 1), 0);
	/* A vector: its interrupt is the queue's, acknowledged first. */
	next_vector = 77;
	assert_int_equal(platform->irq_vector(&d, 1), 77);
	d.on_irq[1] = on_irq;
	eois = 0;
	tf.vector = 77;
	handler(&tf);
	assert_int_equal(eois, 1);
	assert_int_equal(irq_calls, 1);
	assert_ptr_equal(irq_dev, &d);
	assert_int_equal(irq_queue, 1);
	/* The console names the slot's device. */
	platform->say(&d, "said something");
	assert_string_equal(said, "virtio: device 2 said something\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doorbell_refused),
		cmocka_unit_test(test_doorbell_taken),
		cmocka_unit_test(test_open_features),
		cmocka_unit_test(test_open_refused),
		cmocka_unit_test(test_open_no_device),
		cmocka_unit_test(test_platform),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
