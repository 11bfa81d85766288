/*
 * The modern virtio-pci transport (virtio 1.x, 4.1); see lib/virtio_pci.h.
 * Everything the device says (capability lists, BARs, sizes) is read once
 * and bounded before use: a capability list that loops or points outside
 * config space ends the walk.
 */
#include <string.h>
#include <linux/pci_regs.h>

#include "lib/virtio_pci.h"

#define VENDOR_VIRTIO 0x1af4
#define DEV_TRANSITIONAL_FIRST 0x1000	/* type in the subsystem id */
#define DEV_TRANSITIONAL_LAST 0x103f
#define DEV_MODERN_BASE 0x1040		/* 0x1040 + VIRTIO_ID_* */
#define DEV_MODERN_LAST 0x107f
#define CAP_WALK_MAX 48			/* (256 - 64) / 4 entries at most */
#define NBARS 6
#define RESET_WAIT_MS 1000
#define DEVICE_CFG_MAX 4096		/* more than any device's config */
#define NOTIFY_MAP_MAX 0x10000		/* QEMU's is 4 KiB; queues past: refused */

static struct virtio_pci *pci_of(struct virtio_dev *d)
{
	return d->priv;
}

static uint32_t cfg8(const struct virtio_pci *p, unsigned int off)
{
	return p->bus->cfg_read(p->bdf, off, 1);
}

static uint32_t cfg32(const struct virtio_pci *p, unsigned int off)
{
	return p->bus->cfg_read(p->bdf, off, 4);
}

/* The type of virtio device at bdf (VIRTIO_ID_*), or 0 if none. */
static uint32_t virtio_type(const struct virtio_pci_bus *bus, uint32_t bdf)
{
	uint32_t id = bus->cfg_read(bdf, PCI_VENDOR_ID, 4);
	uint32_t dev = id >> 16;

	if ((id & 0xffff) != VENDOR_VIRTIO)
		return 0;
	if (dev >= DEV_MODERN_BASE && dev <= DEV_MODERN_LAST)
		return dev - DEV_MODERN_BASE;
	if (dev >= DEV_TRANSITIONAL_FIRST && dev <= DEV_TRANSITIONAL_LAST)
		return bus->cfg_read(bdf, PCI_SUBSYSTEM_ID, 2);
	return 0;
}

/* Physical address of memory BAR n, 0 if it is none (I/O, unassigned). */
static uint64_t bar_addr(const struct virtio_pci *p, unsigned int n)
{
	uint32_t lo, hi = 0;

	if (n >= NBARS)
		return 0;
	lo = cfg32(p, PCI_BASE_ADDRESS_0 + 4 * n);
	if (lo & PCI_BASE_ADDRESS_SPACE_IO)
		return 0;
	if ((lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
	    PCI_BASE_ADDRESS_MEM_TYPE_64) {
		if (n + 1 >= NBARS)
			return 0;
		hi = cfg32(p, PCI_BASE_ADDRESS_0 + 4 * (n + 1));
	}
	return ((uint64_t)hi << 32) | (lo & PCI_BASE_ADDRESS_MEM_MASK);
}

static volatile void *map_in_bar(const struct virtio_pci *p, unsigned int bar,
				 uint32_t off, uint32_t len)
{
	uint64_t base = bar_addr(p, bar);

	if (!base || !len)
		return NULL;
	return p->bus->map(base + off, len);
}

/* One virtio vendor capability at config offset pos (virtio 1.x 4.1.4). */
static void take_vendor_cap(struct virtio_pci *p, unsigned int pos)
{
	unsigned int cap_len, type, bar, need = sizeof(struct virtio_pci_cap);
	uint32_t off, len;

	/* The whole structure inside config space, and as long as it says. */
	if (pos + need > PCI_CFG_SPACE_SIZE)
		return;
	cap_len = cfg8(p, pos + offsetof(struct virtio_pci_cap, cap_len));
	type = cfg8(p, pos + offsetof(struct virtio_pci_cap, cfg_type));
	bar = cfg8(p, pos + offsetof(struct virtio_pci_cap, bar));
	off = cfg32(p, pos + offsetof(struct virtio_pci_cap, offset));
	len = cfg32(p, pos + offsetof(struct virtio_pci_cap, length));
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		need = sizeof(struct virtio_pci_notify_cap);
	if (cap_len < need || pos + need > PCI_CFG_SPACE_SIZE)
		return;

	/* The first capability of each type that we can use is the one. */
	switch (type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		if (!p->common && len >= sizeof(*p->common))
			p->common = map_in_bar(p, bar, off, sizeof(*p->common));
		break;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		if (!p->notify && len >= 2) {
			if (len > NOTIFY_MAP_MAX)
				len = NOTIFY_MAP_MAX;
			p->notify_mult = cfg32(p, pos +
				offsetof(struct virtio_pci_notify_cap,
					 notify_off_multiplier));
			p->notify = map_in_bar(p, bar, off, len);
			p->notify_len = len;
		}
		break;
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		if (!p->config && len) {
			if (len > DEVICE_CFG_MAX)
				len = DEVICE_CFG_MAX;
			p->config = map_in_bar(p, bar, off, len);
			p->config_len = len;
		}
		break;
	}
}

static void take_msix_cap(struct virtio_pci *p, unsigned int pos)
{
	uint32_t ctrl = p->bus->cfg_read(p->bdf, pos + PCI_MSIX_FLAGS, 2);
	uint32_t table = cfg32(p, pos + PCI_MSIX_TABLE);
	uint16_t n = (uint16_t)((ctrl & PCI_MSIX_FLAGS_QSIZE) + 1);

	if (p->msix)
		return;
	p->msix_cap = pos;
	p->msix = map_in_bar(p, table & PCI_MSIX_TABLE_BIR,
			     table & PCI_MSIX_TABLE_OFFSET,
			     (uint32_t)n * PCI_MSIX_ENTRY_SIZE);
	p->msix_entries = p->msix ? n : 0;
}

static int walk_caps(struct virtio_pci *p)
{
	unsigned int pos;

	if (!(p->bus->cfg_read(p->bdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return -1;
	pos = cfg8(p, PCI_CAPABILITY_LIST) & ~3u;
	for (int i = 0; i < CAP_WALK_MAX && pos >= 0x40 && pos <= 0xfc; i++) {
		unsigned int id = cfg8(p, pos + PCI_CAP_LIST_ID);

		if (id == PCI_CAP_ID_VNDR)
			take_vendor_cap(p, pos);
		else if (id == PCI_CAP_ID_MSIX)
			take_msix_cap(p, pos);
		pos = cfg8(p, pos + PCI_CAP_LIST_NEXT) & ~3u;
	}
	return p->common && p->notify && p->notify_mult % 2 == 0 ? 0 : -1;
}

static int probe(struct virtio_pci *p, const struct virtio_pci_bus *bus,
		 uint32_t bdf, uint32_t device_id)
{
	uint32_t cmd;

	memset(p, 0, sizeof(*p));
	p->bus = bus;
	p->bdf = bdf;
	p->device_id = device_id;
	/* Decode memory first: BARs are read while walking the list. */
	cmd = bus->cfg_read(bdf, PCI_COMMAND, 2);
	bus->cfg_write(bdf, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY);
	if (walk_caps(p))
		return -1;
	p->num_queues = p->common->num_queues;
	return 0;
}

int virtio_pci_find(struct virtio_pci *p, const struct virtio_pci_bus *bus,
		    uint32_t device_id, unsigned int n)
{
	/* Bus 0 is all QEMU's pc and q35 machines put devices on here. */
	for (uint32_t dev = 0; dev < 32; dev++) {
		unsigned int nfn = 1;

		for (uint32_t fn = 0; fn < nfn; fn++) {
			uint32_t bdf = dev << 3 | fn;

			if (bus->cfg_read(bdf, PCI_VENDOR_ID, 2) == 0xffff)
				continue;
			if (!fn && (bus->cfg_read(bdf, PCI_HEADER_TYPE, 1) &
				    0x80))
				nfn = 8;	/* multi-function */
			if (virtio_type(bus, bdf) != device_id)
				continue;
			if (!probe(p, bus, bdf, device_id) && !n--)
				return 0;
		}
	}
	return -1;
}

static uint8_t get_status(struct virtio_dev *d)
{
	return pci_of(d)->common->device_status;
}

/*
 * Writing 0 resets the device; it is done when status reads 0 again
 * (virtio 1.x 4.1.4.3.2), which QEMU does at once.
 */
static void set_status(struct virtio_dev *d, uint8_t status)
{
	pci_of(d)->common->device_status = status;
	for (int ms = 0; !status && ms < RESET_WAIT_MS && get_status(d); ms++)
		d->plat->wait(d);
}

static uint64_t get_features(struct virtio_dev *d)
{
	volatile struct virtio_pci_common_cfg *c = pci_of(d)->common;
	uint64_t f;

	c->device_feature_select = 0;
	f = c->device_feature;
	c->device_feature_select = 1;
	return f | (uint64_t)c->device_feature << 32;
}

static void set_features(struct virtio_dev *d, uint64_t features)
{
	volatile struct virtio_pci_common_cfg *c = pci_of(d)->common;

	c->guest_feature_select = 0;
	c->guest_feature = (uint32_t)features;
	c->guest_feature_select = 1;
	c->guest_feature = (uint32_t)(features >> 32);
}

/* The device answers FEATURES_OK at once, by keeping the bit or not. */
static int features_ok(struct virtio_dev *d)
{
	set_status(d, get_status(d) | VIRTIO_CONFIG_S_FEATURES_OK);
	return !!(get_status(d) & VIRTIO_CONFIG_S_FEATURES_OK);
}

/*
 * A field of the device's configuration the way virtio 1.x 4.1.3.1 wants
 * it read: a 16- or 32-bit field in one access of its width, a 64-bit one
 * as two 32-bit halves, anything else (arrays: a MAC) byte by byte.
 */
static void read_field(const volatile uint8_t *src, uint8_t *out,
		       unsigned int len)
{
	if (len == 2 && !((uintptr_t)src & 1)) {
		uint16_t v = *(const volatile uint16_t *)src;

		memcpy(out, &v, 2);
	} else if ((len == 4 || len == 8) && !((uintptr_t)src & 3)) {
		for (unsigned int i = 0; i < len; i += 4) {
			uint32_t v = *(const volatile uint32_t *)(src + i);

			memcpy(out + i, &v, 4);
		}
	} else {
		for (unsigned int i = 0; i < len; i++)
			out[i] = src[i];
	}
}

/*
 * Bytes of the device's configuration, read again while config_generation
 * moves under us (virtio 1.x 4.1.4.3.1), a few times at most.
 */
static void read_config(struct virtio_dev *d, unsigned int off, void *buf,
			unsigned int len)
{
	struct virtio_pci *p = pci_of(d);

	if (off > p->config_len || len > p->config_len - off) {
		memset(buf, 0, len);
		return;
	}
	for (int tries = 0; tries < 4; tries++) {
		uint8_t gen = p->common->config_generation;

		read_field(p->config + off, buf, len);
		if (p->common->config_generation == gen)
			return;
	}
}

static int notify_in_area(const struct virtio_pci *p, uint16_t notify_off)
{
	return (uint64_t)notify_off * p->notify_mult + 2 <= p->notify_len;
}

static uint16_t queue_max(struct virtio_dev *d, unsigned int q)
{
	struct virtio_pci *p = pci_of(d);

	if (q >= KSPAWN_MAX_QUEUES || q >= p->num_queues)
		return 0;
	p->common->queue_select = (uint16_t)q;
	/* A queue we could not notify is one we cannot use. */
	if (!notify_in_area(p, p->common->queue_notify_off))
		return 0;
	return p->common->queue_size;
}

static void set64(volatile uint32_t *lo, volatile uint32_t *hi, uint64_t v)
{
	*lo = (uint32_t)v;
	*hi = (uint32_t)(v >> 32);
}

/*
 * MSI-X entry q + 1 raises vector on this CPU (entry 0 would be the
 * configuration's, which we leave without one); returns the entry, or
 * VIRTIO_MSI_NO_VECTOR if there is none to give (the queue is polled).
 */
static uint16_t msix_entry(struct virtio_pci *p, unsigned int q,
			   uint32_t vector)
{
	unsigned int e = q + 1;
	volatile uint32_t *ent;
	uint64_t addr;
	uint32_t data;

	if (!vector || e >= p->msix_entries || !p->bus->msi ||
	    p->bus->msi(vector, &addr, &data))
		return VIRTIO_MSI_NO_VECTOR;
	ent = p->msix + e * PCI_MSIX_ENTRY_SIZE / 4;
	ent[PCI_MSIX_ENTRY_LOWER_ADDR / 4] = (uint32_t)addr;
	ent[PCI_MSIX_ENTRY_UPPER_ADDR / 4] = (uint32_t)(addr >> 32);
	ent[PCI_MSIX_ENTRY_DATA / 4] = data;
	ent[PCI_MSIX_ENTRY_VECTOR_CTRL / 4] = 0;	/* unmasked */
	return (uint16_t)e;
}

static void queue_setup(struct virtio_dev *d, unsigned int q, uint16_t size,
			uint64_t desc, uint64_t driver, uint64_t device,
			uint32_t vector)
{
	struct virtio_pci *p = pci_of(d);
	volatile struct virtio_pci_common_cfg *c = p->common;
	uint16_t entry = msix_entry(p, q, vector);

	c->queue_select = (uint16_t)q;
	c->queue_size = size;
	set64(&c->queue_desc_lo, &c->queue_desc_hi, desc);
	set64(&c->queue_avail_lo, &c->queue_avail_hi, driver);
	set64(&c->queue_used_lo, &c->queue_used_hi, device);
	c->queue_msix_vector = entry;
	/* The device says no by reading back NO_VECTOR: then we poll. */
	p->msix_ok[q] = entry != VIRTIO_MSI_NO_VECTOR &&
			c->queue_msix_vector == entry;
	p->notify_off[q] = c->queue_notify_off;
	c->queue_enable = 1;
}

static void notify(struct virtio_dev *d, unsigned int q)
{
	struct virtio_pci *p = pci_of(d);
	uint64_t off = (uint64_t)p->notify_off[q] * p->notify_mult;

	/* queue_max() refused such a queue; this only keeps us in bounds. */
	if (!notify_in_area(p, p->notify_off[q]))
		return;
	/* The ring's stores before the device hears of them. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*(volatile uint16_t *)(p->notify + off) = (uint16_t)q;
}

/* The same reset, waited for as long as it takes (as Linux's vp_reset). */
static void reset(struct virtio_dev *d)
{
	set_status(d, 0);
	while (get_status(d))
		d->plat->wait(d);
}

static const struct virtio_transport_ops pci_ops = {
	.get_status = get_status,
	.set_status = set_status,
	.get_features = get_features,
	.set_features = set_features,
	.features_ok = features_ok,
	.read_config = read_config,
	.queue_max = queue_max,
	.queue_setup = queue_setup,
	.notify = notify,
	.reset = reset,
};

void virtio_pci_attach(struct virtio_dev *d, struct virtio_pci *p,
		       const struct virtio_platform *plat)
{
	uint32_t cmd = p->bus->cfg_read(p->bdf, PCI_COMMAND, 2);

	memset(d, 0, sizeof(*d));
	d->ops = &pci_ops;
	d->plat = plat;
	d->priv = p;
	/* Bus mastering for the rings; INTx off, MSI-X is how we listen. */
	p->bus->cfg_write(p->bdf, PCI_COMMAND, 2,
			  cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			  PCI_COMMAND_INTX_DISABLE);
	p->common->msix_config = VIRTIO_MSI_NO_VECTOR;
	if (p->msix) {
		uint32_t ctrl = p->bus->cfg_read(p->bdf,
						 p->msix_cap + PCI_MSIX_FLAGS,
						 2);

		for (unsigned int e = 0; e < p->msix_entries; e++)
			p->msix[e * PCI_MSIX_ENTRY_SIZE / 4 +
				PCI_MSIX_ENTRY_VECTOR_CTRL / 4] =
				PCI_MSIX_ENTRY_CTRL_MASKBIT;
		p->bus->cfg_write(p->bdf, p->msix_cap + PCI_MSIX_FLAGS, 2,
				  (ctrl | PCI_MSIX_FLAGS_ENABLE) &
				  ~PCI_MSIX_FLAGS_MASKALL);
	}
}

int virtio_pci_msix(const struct virtio_dev *d, unsigned int q)
{
	const struct virtio_pci *p = d->priv;

	return d->ops == &pci_ops && q < KSPAWN_MAX_QUEUES && p->msix_ok[q];
}
