/*
 * lib/virtio_pci: finding a virtio function on a fake PCI bus (modern and
 * transitional ids, multi-function, 32- and 64-bit BARs), walking its
 * capability list (bounded when it loops, refusing what lacks the common
 * or notify structure), and what the transport writes: bus mastering and
 * MSI-X on with every entry masked, a queue's addresses, its MSI-X entry
 * aimed at the message the machine gave, notifications at
 * queue_notify_off * notify_off_multiplier and never outside the area,
 * not by one byte when the area's length is odd.
 * The BAR is an exact-size heap block, so ASan sees any stray access.
 * A split queue whose size is not a power of two, the device's maximum
 * or the size asked for, is refused with a line saying so, never enabled;
 * a packed one takes any size.  The device's maximum is read once: one
 * that says 0 on a second look does not get a queue of size 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/pci_regs.h>

#include "lib/virtio_pci.h"

#define BDF (3u << 3)			/* 00:03.0 */
#define BAR_BASE 0xfe000000ull
#define BAR_SIZE 0x4000u
#define COMMON_OFF 0x0000u
#define NOTIFY_OFF 0x1000u
#define NOTIFY_LEN 0x1000u
#define NOTIFY_MULT 4u
#define DEVICE_OFF 0x2000u
#define DEVICE_LEN 0x100u
#define MSIX_OFF 0x3000u
#define MSIX_N 4u
#define MSI_ADDR 0xfee00000u

static uint8_t cfg[256];		/* function 00:03.0 */
static uint8_t *bar;			/* BAR_SIZE bytes, BAR 4 */

static uint32_t cfg_read(uint32_t bdf, unsigned int off, unsigned int size)
{
	uint32_t v = 0;

	assert_true(off + size <= sizeof(cfg));
	if (bdf != BDF)
		return size == 4 ? ~0u : size == 2 ? 0xffff : 0xff;
	memcpy(&v, cfg + off, size);
	return v;
}

static void cfg_write(uint32_t bdf, unsigned int off, unsigned int size,
		      uint32_t v)
{
	assert_int_equal(bdf, BDF);
	assert_true(off + size <= sizeof(cfg));
	memcpy(cfg + off, &v, size);
}

static void *map(uint64_t pa, size_t len)
{
	if (pa < BAR_BASE || pa + len > BAR_BASE + BAR_SIZE)
		return NULL;
	return bar + (pa - BAR_BASE);
}

static int msi(uint32_t vector, uint64_t *addr, uint32_t *data)
{
	*addr = MSI_ADDR;
	*data = vector;
	return 0;
}

static const struct virtio_pci_bus bus = {
	.cfg_read = cfg_read, .cfg_write = cfg_write, .map = map, .msi = msi,
};

static void put16(unsigned int off, uint16_t v)
{
	memcpy(cfg + off, &v, 2);
}

static void put32(unsigned int off, uint32_t v)
{
	memcpy(cfg + off, &v, 4);
}

static void vendor_cap(unsigned int pos, unsigned int next, uint8_t type,
		       uint32_t off, uint32_t len)
{
	cfg[pos + PCI_CAP_LIST_ID] = PCI_CAP_ID_VNDR;
	cfg[pos + PCI_CAP_LIST_NEXT] = (uint8_t)next;
	cfg[pos + offsetof(struct virtio_pci_cap, cap_len)] = 16;
	cfg[pos + offsetof(struct virtio_pci_cap, cfg_type)] = type;
	cfg[pos + offsetof(struct virtio_pci_cap, bar)] = 4;
	put32(pos + offsetof(struct virtio_pci_cap, offset), off);
	put32(pos + offsetof(struct virtio_pci_cap, length), len);
}

/* A modern virtio-blk at 00:03.0: MSI-X, then common, notify, device. */
static int setup(void **state)
{
	(void)state;
	memset(cfg, 0, sizeof(cfg));
	bar = calloc(1, BAR_SIZE);
	put16(PCI_VENDOR_ID, 0x1af4);
	put16(PCI_DEVICE_ID, 0x1040 + VIRTIO_ID_BLOCK);
	put16(PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(PCI_BASE_ADDRESS_0 + 16, (uint32_t)BAR_BASE |
	      PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	put32(PCI_BASE_ADDRESS_0 + 20, 0);
	cfg[PCI_CAPABILITY_LIST] = 0x40;
	cfg[0x40 + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSIX;
	cfg[0x40 + PCI_CAP_LIST_NEXT] = 0x50;
	put16(0x40 + PCI_MSIX_FLAGS, MSIX_N - 1);
	put32(0x40 + PCI_MSIX_TABLE, MSIX_OFF | 4);
	vendor_cap(0x50, 0x60, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFF,
		   sizeof(struct virtio_pci_common_cfg));
	vendor_cap(0x60, 0x78, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_OFF,
		   NOTIFY_LEN);
	cfg[0x60 + offsetof(struct virtio_pci_cap, cap_len)] = 20;
	put32(0x60 + offsetof(struct virtio_pci_notify_cap,
			      notify_off_multiplier), NOTIFY_MULT);
	vendor_cap(0x78, 0, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFF, DEVICE_LEN);
	((struct virtio_pci_common_cfg *)(bar + COMMON_OFF))->num_queues = 2;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(bar);
	return 0;
}

static void test_finds_the_modern_device(void **state)
{
	struct virtio_pci p;

	(void)state;
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), 0);
	assert_int_equal(p.bdf, BDF);
	assert_ptr_equal(p.common, bar + COMMON_OFF);
	assert_ptr_equal(p.notify, bar + NOTIFY_OFF);
	assert_int_equal(p.notify_mult, NOTIFY_MULT);
	assert_ptr_equal(p.config, bar + DEVICE_OFF);
	assert_int_equal(p.config_len, DEVICE_LEN);
	assert_ptr_equal(p.msix, bar + MSIX_OFF);
	assert_int_equal(p.msix_entries, MSIX_N);
	assert_int_equal(p.num_queues, 2);
	assert_true(cfg_read(BDF, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
	/* Not another type, and not a second one. */
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_NET, 0), -1);
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 1), -1);
}

static void test_transitional_id_by_subsystem(void **state)
{
	struct virtio_pci p;

	(void)state;
	put16(PCI_DEVICE_ID, 0x1000);
	put16(PCI_SUBSYSTEM_ID, VIRTIO_ID_NET);
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_NET, 0), 0);
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), -1);
	put16(PCI_VENDOR_ID, 0x8086);	/* someone else's 0x1000 */
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_NET, 0), -1);
}

static void test_32bit_bar(void **state)
{
	struct virtio_pci p;

	(void)state;
	put32(PCI_BASE_ADDRESS_0 + 16, (uint32_t)BAR_BASE);
	put32(PCI_BASE_ADDRESS_0 + 20, 0xdead0000);	/* not its top half */
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), 0);
	assert_ptr_equal(p.common, bar + COMMON_OFF);
}

static void test_refuses_what_it_cannot_drive(void **state)
{
	struct virtio_pci p;

	(void)state;
	/* No common configuration: a legacy-only device. */
	cfg[0x50 + offsetof(struct virtio_pci_cap, cfg_type)] =
		VIRTIO_PCI_CAP_ISR_CFG;
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), -1);
	cfg[0x50 + offsetof(struct virtio_pci_cap, cfg_type)] =
		VIRTIO_PCI_CAP_COMMON_CFG;
	/* An odd notify multiplier (notifications must be 2-byte aligned). */
	put32(0x60 + offsetof(struct virtio_pci_notify_cap,
			      notify_off_multiplier), 3);
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), -1);
	put32(0x60 + offsetof(struct virtio_pci_notify_cap,
			      notify_off_multiplier), NOTIFY_MULT);
	/* The BAR unassigned, or an I/O BAR. */
	put32(PCI_BASE_ADDRESS_0 + 16, PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), -1);
	put32(PCI_BASE_ADDRESS_0 + 16, 0xc001);
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), -1);
	/* A structure reaching past its BAR. */
	free(bar);
	setup(NULL);
	put32(0x50 + offsetof(struct virtio_pci_cap, offset), BAR_SIZE - 8);
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), -1);
}

static void test_capability_loop_is_bounded(void **state)
{
	struct virtio_pci p;

	(void)state;
	cfg[0x40 + PCI_CAP_LIST_NEXT] = 0x40;	/* MSI-X names itself */
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), -1);
	cfg[0x40 + PCI_CAP_LIST_NEXT] = 0x50;
	cfg[0x78 + PCI_CAP_LIST_NEXT] = 0x50;	/* a cycle after all three */
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), 0);
	cfg[0x78 + PCI_CAP_LIST_NEXT] = 0x20;	/* into the header: ends */
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), 0);
	/* Capabilities at the very end of config space are not read past it. */
	cfg[0x78 + PCI_CAP_LIST_NEXT] = 0xf0;
	vendor_cap(0xf0, 0xf8, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFF, 8);
	cfg[0xf8 + PCI_CAP_LIST_ID] = PCI_CAP_ID_VNDR;
	cfg[0xf8 + PCI_CAP_LIST_NEXT] = 0;
	cfg[0xf8 + 2] = 16;
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), 0);
	/* A notify capability too short for its multiplier is not taken. */
	cfg[0x60 + offsetof(struct virtio_pci_cap, cap_len)] = 16;
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), -1);
}

static void wait(struct virtio_dev *d)
{
	(void)d;
}

/* Ring memory: the test's heap, named by its own addresses. */
static void *ring_mem[4];
static unsigned int nring_mem;
static char said[256];

static void *alloc(size_t bytes)
{
	void *m;

	assert_true(nring_mem < 4);
	m = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
	assert_non_null(m);
	memset(m, 0, bytes);
	return ring_mem[nring_mem++] = m;
}

static uint64_t addr(const void *va)
{
	return (uint64_t)(uintptr_t)va;
}

static void say(struct virtio_dev *d, const char *line)
{
	(void)d;
	snprintf(said, sizeof(said), "%s", line);
}

static const struct virtio_platform plat = {
	.wait = wait, .alloc = alloc, .addr = addr, .say = say,
};

static void test_attach_queue_and_notify(void **state)
{
	volatile struct virtio_pci_common_cfg *c;
	struct virtio_pci p;
	struct virtio_dev d;
	uint32_t *msix;
	uint16_t n;

	(void)state;
	assert_int_equal(virtio_pci_find(&p, &bus, VIRTIO_ID_BLOCK, 0), 0);
	virtio_pci_attach(&d, &p, &plat);
	c = p.common;
	msix = (uint32_t *)(bar + MSIX_OFF);
	assert_true(cfg_read(BDF, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	assert_true(cfg_read(BDF, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
	assert_true(cfg_read(BDF, 0x40 + PCI_MSIX_FLAGS, 2) &
		    PCI_MSIX_FLAGS_ENABLE);
	assert_false(cfg_read(BDF, 0x40 + PCI_MSIX_FLAGS, 2) &
		     PCI_MSIX_FLAGS_MASKALL);
	for (unsigned int e = 0; e < MSIX_N; e++)
		assert_int_equal(msix[e * 4 + 3], PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_int_equal(c->msix_config, VIRTIO_MSI_NO_VECTOR);

	c->queue_size = 128;
	c->queue_notify_off = 5;
	assert_int_equal(d.ops->queue_max(&d, 1), 128);
	assert_int_equal(d.ops->queue_max(&d, 2), 0);	/* num_queues 2 */
	d.ops->queue_setup(&d, 1, 64, 0x123456789000ull, 0x2000, 0x3000, 0x31);
	assert_int_equal(c->queue_select, 1);
	assert_int_equal(c->queue_size, 64);
	assert_int_equal(c->queue_desc_lo, 0x56789000u);
	assert_int_equal(c->queue_desc_hi, 0x1234u);
	assert_int_equal(c->queue_avail_lo, 0x2000u);
	assert_int_equal(c->queue_used_lo, 0x3000u);
	assert_int_equal(c->queue_enable, 1);
	/* Queue 1 is MSI-X entry 2, the machine's message, unmasked. */
	assert_int_equal(c->queue_msix_vector, 2);
	assert_int_equal(msix[2 * 4 + 0], MSI_ADDR);
	assert_int_equal(msix[2 * 4 + 2], 0x31);
	assert_int_equal(msix[2 * 4 + 3], 0);
	assert_int_equal(msix[1 * 4 + 3], PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_true(virtio_pci_msix(&d, 1));
	assert_false(virtio_pci_msix(&d, 0));

	d.ops->notify(&d, 1);
	memcpy(&n, bar + NOTIFY_OFF + 5 * NOTIFY_MULT, 2);
	assert_int_equal(n, 1);

	/*
	 * A queue_notify_off past the area: the queue is refused, and a
	 * notify for it writes nothing (ASan would see it).
	 */
	c->queue_size = 128;
	c->queue_notify_off = NOTIFY_LEN / NOTIFY_MULT;
	assert_int_equal(d.ops->queue_max(&d, 0), 0);
	c->queue_notify_off = NOTIFY_LEN / NOTIFY_MULT - 1;
	assert_int_equal(d.ops->queue_max(&d, 0), 128);
	c->queue_notify_off = 0xffff;
	d.ops->queue_setup(&d, 0, 64, 0x1000, 0x2000, 0x3000, 0);
	assert_int_equal(c->queue_msix_vector, VIRTIO_MSI_NO_VECTOR);
	d.ops->notify(&d, 0);

	/* Config reads stay inside the device's structure. */
	bar[DEVICE_OFF + 8] = 0xab;
	uint8_t buf[4] = { 1, 2, 3, 4 };

	d.ops->read_config(&d, 8, buf, 1);
	assert_int_equal(buf[0], 0xab);
	d.ops->read_config(&d, DEVICE_LEN - 2, buf, 4);
	assert_int_equal(buf[0] | buf[1] | buf[2] | buf[3], 0);

	/* Whole fields: 64-bit (two halves), 16-bit, a 6-byte array. */
	uint64_t cap = 0x0123456789abcdefull, got64 = 0;
	uint16_t v16 = 0xbeef, got16 = 0;
	uint8_t mac[6] = { 2, 0x6b, 0x73, 0, 0, 9 }, gotmac[6] = { 0 };

	memcpy(bar + DEVICE_OFF + 0x10, &cap, 8);
	memcpy(bar + DEVICE_OFF + 0x1a, &v16, 2);
	memcpy(bar + DEVICE_OFF + 0x20, mac, 6);
	d.ops->read_config(&d, 0x10, &got64, 8);
	d.ops->read_config(&d, 0x1a, &got16, 2);
	d.ops->read_config(&d, 0x20, gotmac, 6);
	assert_true(got64 == cap);
	assert_int_equal(got16, v16);
	assert_memory_equal(gotmac, mac, 6);
}

/* The block function attached, VERSION_1 negotiated: its common config. */
static volatile struct virtio_pci_common_cfg *
attach_v1(struct virtio_pci *p, struct virtio_dev *d)
{
	assert_int_equal(virtio_pci_find(p, &bus, VIRTIO_ID_BLOCK, 0), 0);
	virtio_pci_attach(d, p, &plat);
	d->features = 1ULL << VIRTIO_F_VERSION_1;
	return p->common;
}

static void test_split_queue_size_power_of_two(void **state)
{
	volatile struct virtio_pci_common_cfg *c;
	struct virtio_pci p;
	struct virtio_dev d;

	(void)state;
	c = attach_v1(&p, &d);

	/* A hostile maximum: refused whatever the driver asks for. */
	said[0] = 0;
	c->queue_size = 100;
	assert_int_equal(virtio_queue(&d, 0, 0, NULL), -2);
	assert_int_equal(c->queue_enable, 0);
	assert_int_equal(nring_mem, 0);
	assert_non_null(strstr(said, "queue 0: size 100 (device's maximum 100) is not a power of two"));
	c->queue_size = 100;
	assert_int_equal(virtio_queue(&d, 0, 64, NULL), -2);
	assert_int_equal(c->queue_enable, 0);

	/* A driver asking for a size that is not one: refused too. */
	c->queue_size = 128;
	assert_int_equal(virtio_queue(&d, 1, 48, NULL), -2);
	assert_int_equal(c->queue_enable, 0);

	/* A power of two is taken. */
	c->queue_size = 128;
	assert_int_equal(virtio_queue(&d, 1, 64, NULL), 0);
	assert_int_equal(c->queue_size, 64);
	assert_int_equal(c->queue_enable, 1);

	/* Packed rings take any size (virtio 1.1, 2.8). */
	d.features |= 1ULL << VIRTIO_F_RING_PACKED;
	c->queue_select = 0;
	c->queue_enable = 0;
	c->queue_size = 100;
	assert_int_equal(virtio_queue(&d, 0, 0, NULL), 0);
	assert_int_equal(c->queue_size, 100);
	assert_int_equal(c->queue_enable, 1);

	while (nring_mem)
		free(ring_mem[--nring_mem]);
}

/*
 * A notify area of odd length (the device's to say): the queue whose
 * 2-byte write would end one byte past it is refused; the one before
 * is taken.
 */
static void test_notify_area_edge(void **state)
{
	volatile struct virtio_pci_common_cfg *c;
	struct virtio_pci p;
	struct virtio_dev d;

	(void)state;
	put32(0x60 + offsetof(struct virtio_pci_cap, length), NOTIFY_LEN + 1);
	c = attach_v1(&p, &d);
	c->queue_size = 128;
	c->queue_notify_off = NOTIFY_LEN / NOTIFY_MULT;
	assert_int_equal(d.ops->queue_max(&d, 0), 0);
	c->queue_notify_off = NOTIFY_LEN / NOTIFY_MULT - 1;
	assert_int_equal(d.ops->queue_max(&d, 0), 128);
}

/* The PCI transport's queue_max, but 0 from the second look on. */
static const struct virtio_transport_ops *pci_ops;
static int max_reads;

static uint16_t max_then_zero(struct virtio_dev *d, unsigned int q)
{
	return max_reads++ ? 0 : pci_ops->queue_max(d, q);
}

static void test_queue_max_read_once(void **state)
{
	volatile struct virtio_pci_common_cfg *c;
	struct virtio_transport_ops ops;
	struct virtio_pci p;
	struct virtio_dev d;

	(void)state;
	c = attach_v1(&p, &d);
	pci_ops = d.ops;
	ops = *d.ops;
	ops.queue_max = max_then_zero;
	d.ops = &ops;
	max_reads = 0;
	c->queue_size = 8;
	assert_int_equal(virtio_queue(&d, 0, 0, NULL), 0);
	assert_int_equal(d.vq[0].size, 8);
	assert_int_equal(c->queue_size, 8);
	assert_int_equal(c->queue_enable, 1);
	while (nring_mem)
		free(ring_mem[--nring_mem]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_finds_the_modern_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transitional_id_by_subsystem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit_bar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_what_it_cannot_drive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capability_loop_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_queue_and_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_queue_size_power_of_two, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_max_read_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_area_edge, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
