/*
 * The slot transport: a device in the ABI device table (struct
 * kspawn_device in the shared area).  Status, features and queue fields
 * are plain shared memory; the host looks at them when it polls, or when
 * the platform's doorbell (an IPI into the host) wakes it.  Each queue's
 * notify word counts kicks, bumped before the ring: the host's doorbell
 * handler compares the words to learn which queue a ring was for.
 */
#include <string.h>

#include "lib/virtio.h"

struct kspawn_device *virtio_slot_find(struct kspawn_header *h,
				       uint32_t device_id, unsigned int n)
{
	struct kspawn_device *devs;
	uint64_t end = h->devices_off +
		       (uint64_t)h->ndevices * sizeof(struct kspawn_device);

	if (!h->devices_off || h->ndevices > KSPAWN_MAX_DEVICES ||
	    end > h->shared_size)
		return NULL;
	devs = (struct kspawn_device *)((char *)h + h->devices_off);
	for (uint32_t i = 0; i < h->ndevices; i++)
		if (devs[i].device_id == device_id && !n--)
			return &devs[i];
	return NULL;
}

static struct kspawn_device *slot_of(struct virtio_dev *d)
{
	return d->priv;
}

static uint8_t get_status(struct virtio_dev *d)
{
	return __atomic_load_n(&slot_of(d)->status, __ATOMIC_ACQUIRE);
}

static void ring(struct virtio_dev *d)
{
	if (d->plat->doorbell)
		d->plat->doorbell(d);
}

static void set_status(struct virtio_dev *d, uint8_t status)
{
	__atomic_store_n(&slot_of(d)->status, status, __ATOMIC_RELEASE);
	ring(d);
}

static uint64_t get_features(struct virtio_dev *d)
{
	return slot_of(d)->device_features;
}

static void set_features(struct virtio_dev *d, uint64_t features)
{
	slot_of(d)->driver_features = features;
}

/*
 * The host's backend answers FEATURES_OK from its device thread, by
 * leaving the bit or clearing it, and counts the answer in features_ack,
 * so we know when to look.  A host that never answers gets a generous
 * moment (it polls every few ms at most) and is then taken at its word.
 */
#define FEATURES_WAIT_MS 100

static int features_ok(struct virtio_dev *d)
{
	uint16_t ack = __atomic_load_n(&slot_of(d)->features_ack,
				       __ATOMIC_ACQUIRE);

	set_status(d, get_status(d) | VIRTIO_CONFIG_S_FEATURES_OK);
	for (int ms = 0; ms < FEATURES_WAIT_MS; ms++) {
		int answered = __atomic_load_n(&slot_of(d)->features_ack,
					       __ATOMIC_ACQUIRE) != ack;

		if (!(get_status(d) & VIRTIO_CONFIG_S_FEATURES_OK))
			return 0;
		if (answered)
			return 1;
		d->plat->wait(d);
	}
	return 1;
}

/*
 * The host rewrites a configuration as a seqlock writer, its generation
 * odd meanwhile (ABI: config_generation): the generation, the bytes, the
 * generation again, and once more while it was odd or changed, or the
 * bytes may be half old, half new (a MAC from two addresses).  A host
 * that never finishes gets CONFIG_SPINS looks, then CONFIG_WAITS more a
 * platform wait apart, and the last bytes read.
 */
#define CONFIG_SPINS 1000
#define CONFIG_WAITS 100

static void read_config(struct virtio_dev *d, unsigned int off, void *buf,
			unsigned int len)
{
	const struct kspawn_device *s = slot_of(d);

	/* Past the slot's bytes: zeroes, as virtio_pci.c gives. */
	if (off > KSPAWN_CONFIG_SIZE || len > KSPAWN_CONFIG_SIZE - off) {
		memset(buf, 0, len);
		return;
	}
	for (unsigned int i = 0; i < CONFIG_SPINS + CONFIG_WAITS; i++) {
		uint32_t gen = __atomic_load_n(&s->config_generation,
					       __ATOMIC_ACQUIRE);

		memcpy(buf, s->config + off, len);
		/* The bytes read before the generation is read again. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!(gen & 1) &&
		    __atomic_load_n(&s->config_generation,
				    __ATOMIC_RELAXED) == gen)
			return;
		if (i >= CONFIG_SPINS)
			d->plat->wait(d);
	}
}

static uint16_t queue_max(struct virtio_dev *d, unsigned int q)
{
	if (q >= KSPAWN_MAX_QUEUES || q >= slot_of(d)->num_queues)
		return 0;
	return slot_of(d)->queues[q].size_max;
}

static void queue_setup(struct virtio_dev *d, unsigned int q, uint16_t size,
			uint64_t desc, uint64_t driver, uint64_t device,
			uint32_t vector)
{
	struct kspawn_queue *sq = &slot_of(d)->queues[q];

	sq->size = size;
	sq->vector = vector;
	sq->desc_addr = desc;
	sq->driver_addr = driver;
	sq->device_addr = device;
	__atomic_store_n(&sq->ready, 1, __ATOMIC_RELEASE);
}

static void notify(struct virtio_dev *d, unsigned int q)
{
	__atomic_fetch_add(&slot_of(d)->queues[q].notify, 1, __ATOMIC_RELEASE);
	ring(d);
}

/* The host reads it once per interrupt, and sends none outside 32..255. */
static void config_vector(struct virtio_dev *d, uint32_t vector)
{
	__atomic_store_n(&slot_of(d)->config_vector, vector, __ATOMIC_RELEASE);
}

/*
 * The slot's reset handshake (ABI: reset): the host resets the device
 * when it sees the request, waiting for the backing store's requests on
 * the old rings first, and then clears it.  Status 0 alone would not say
 * when that happened.
 */
static void reset(struct virtio_dev *d)
{
	__atomic_store_n(&slot_of(d)->reset, 1, __ATOMIC_RELEASE);
	ring(d);
	while (__atomic_load_n(&slot_of(d)->reset, __ATOMIC_ACQUIRE))
		d->plat->wait(d);
}

static const struct virtio_transport_ops slot_ops = {
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
	.config_vector = config_vector,
};

void virtio_slot_attach(struct virtio_dev *d, struct kspawn_device *slot,
			const struct virtio_platform *plat)
{
	memset(d, 0, sizeof(*d));
	d->ops = &slot_ops;
	d->plat = plat;
	d->priv = slot;
}

struct kspawn_device *virtio_slot_of(struct virtio_dev *d)
{
	return d->ops == &slot_ops ? d->priv : NULL;
}
