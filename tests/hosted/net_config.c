/*
 * Hosted: the net device's configuration rewritten while the driver reads
 * it (host/backend/net.c set_config, guest/lib/virtio_slot.c read_config,
 * ABI: config_generation).  One thread sets the MAC over the ctrl queue,
 * A and B in turn, polling the device, which rewrites the configuration
 * each time; another thread reads the MAC through the driver's
 * virtio_config() all the while.  Each MAC it reads must be A, B or the
 * first one, never bytes of two.
 *
 *   config-generation  one rewrite: the generation moves by two and is
 *                      even after (odd only while the bytes change)
 *   config-torn-SPLIT  REWRITES rewrites, reads meanwhile: none torn
 *   config-odd-waited  a read that finds the generation odd, the MAC
 *                      half rewritten, waits for the rewrite to end
 *                      and returns the new MAC whole
 *   config-past-end    a read that does not fit the slot's bytes gives
 *                      zeroes (as the PCI transport's), not what the
 *                      caller's buffer held
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "net_config: N failed"
 * last.  Run under ASan and UBSan by tests/hosted/run.sh.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/backend/net.h"
#include "hosted/virtio_hosted.h"
#include "tests/hosted/verdict.h"

#define BASE 0x40000000ULL
#define REGION_BYTES (4u << 20)
#define CTRL_OFF 0x200000
#define REWRITES 1000000
#define F(bit) (1ULL << (bit))

static uint8_t *region;
static struct kb_region kr;
static struct kspawn_device slot;
static struct kb_net net;
static struct virtio_dev vd;
static const uint8_t mac0[6] = { 0x02, 0x6b, 0x73, 0, 0, 1 };
static const uint8_t mac_a[6] = { 0x02, 0x11, 0x11, 0x11, 0x11, 0x11 };
static const uint8_t mac_b[6] = { 0x0a, 0xee, 0xee, 0xee, 0xee, 0xee };
static volatile int writing;

static int up(void)
{
	uint64_t want = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CTRL_VQ) |
			F(VIRTIO_NET_F_CTRL_MAC_ADDR);

	memset(region, 0, REGION_BYTES);
	memset(&slot, 0, sizeof(slot));
	kb_net_init(&net, &slot, &kr, &no_notify_ops, NULL, KB_NET_LOOPBACK, NULL, NULL,
		    mac0);
	vh_region(region, BASE, REGION_BYTES, 0);
	virtio_slot_attach(&vd, &slot, &vh_platform);
	vh_poll(&net.dev);
	if (virtio_start(&vd, want) || vd.features != want)
		return -1;
	for (uint32_t q = 0; q < slot.num_queues; q++)
		if (virtio_queue(&vd, q, 64, NULL))
			return -1;
	virtio_ready(&vd);
	kb_device_poll(&net.dev, 1);
	/* From here the writer alone polls the device; a reader's wait sleeps. */
	vh_poll(NULL);
	return net.dev.live && !virtio_broken(&vd) ? 0 : -1;
}

/* VIRTIO_NET_CTRL_MAC_ADDR_SET on the ctrl queue (2: no MQ); its ack or -1. */
static int set_mac(const uint8_t *mac)
{
	uint8_t *cmd = region + CTRL_OFF, *ack = cmd + 64;
	struct virtq_buf out = { cmd, 8 }, in = { ack, 1 };
	struct virtq *q = &vd.vq[2];

	cmd[0] = VIRTIO_NET_CTRL_MAC;
	cmd[1] = VIRTIO_NET_CTRL_MAC_ADDR_SET;
	memcpy(cmd + 2, mac, 6);
	*ack = 0xff;
	if (virtq_add(q, &out, 1, &in, 1, cmd))
		return -1;
	virtq_publish(q);
	kb_device_poll(&net.dev, 8);
	return virtq_get(q, NULL) == cmd ? *ack : -1;
}

static uint32_t generation(void)
{
	return __atomic_load_n(&slot.config_generation, __ATOMIC_ACQUIRE);
}

static void generation_case(void)
{
	uint32_t before, after;
	int ack;

	if (up()) {
		printf("FAIL config-generation: device not up\n");
		failures++;
		return;
	}
	before = generation();
	ack = set_mac(mac_a);
	after = generation();
	if (ack == VIRTIO_NET_OK && after == before + 2 && !(after & 1)) {
		printf("ok config-generation\n");
		return;
	}
	printf("FAIL config-generation: ack %d, generation %u -> %u (want +2, even)\n",
	       ack, before, after);
	failures++;
}

static void past_end_case(void)
{
	uint8_t buf[8];
	int zero = 1;

	if (up()) {
		printf("FAIL config-past-end: device not up\n");
		failures++;
		return;
	}
	memset(buf, 0xa5, sizeof(buf));
	virtio_config(&vd, KSPAWN_CONFIG_SIZE - 4, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		zero &= !buf[i];
	if (zero) {
		printf("ok config-past-end\n");
		return;
	}
	printf("FAIL config-past-end: 8 bytes from %u of %u read as %02x %02x ... (want zeroes)\n",
	       KSPAWN_CONFIG_SIZE - 4, KSPAWN_CONFIG_SIZE, buf[0], buf[1]);
	failures++;
}

static uint8_t odd_read[6];
static volatile int odd_started;

static void *odd_reader(void *arg)
{
	(void)arg;
	__atomic_store_n(&odd_started, 1, __ATOMIC_RELEASE);
	virtio_config(&vd, offsetof(struct virtio_net_config, mac), odd_read,
		      sizeof(odd_read));
	return NULL;
}

/*
 * A rewrite caught in the middle, deterministically: the generation made
 * odd and half of mac_b written by hand, as the device's writer would
 * leave them, then the rest 5 ms after a reader started.  The reader must
 * have waited (it may for 100 platform waits) and read mac_b whole.
 */
static void odd_case(void)
{
	uint8_t *cfg_mac = slot.config + offsetof(struct virtio_net_config, mac);
	uint32_t gen;
	pthread_t t;

	if (up()) {
		printf("FAIL config-odd-waited: device not up\n");
		failures++;
		return;
	}
	gen = generation();
	__atomic_store_n(&slot.config_generation, gen + 1, __ATOMIC_RELEASE);
	memcpy(cfg_mac, mac_b, 3);
	odd_started = 0;
	if (pthread_create(&t, NULL, odd_reader, NULL)) {
		printf("FAIL config-odd-waited: no thread\n");
		failures++;
		return;
	}
	while (!__atomic_load_n(&odd_started, __ATOMIC_ACQUIRE))
		;
	usleep(5000);
	memcpy(cfg_mac + 3, mac_b + 3, 3);
	__atomic_store_n(&slot.config_generation, gen + 2, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	if (!memcmp(odd_read, mac_b, 6)) {
		printf("ok config-odd-waited\n");
		return;
	}
	printf("FAIL config-odd-waited: read %02x:%02x:%02x:%02x:%02x:%02x while the generation was odd (want %02x:%02x:%02x:%02x:%02x:%02x, once it is even)\n",
	       odd_read[0], odd_read[1], odd_read[2], odd_read[3],
	       odd_read[4], odd_read[5], mac_b[0], mac_b[1], mac_b[2],
	       mac_b[3], mac_b[4], mac_b[5]);
	failures++;
}

static int bad_acks;

static void *writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < REWRITES; i++)
		bad_acks += set_mac(i & 1 ? mac_b : mac_a) != VIRTIO_NET_OK;
	__atomic_store_n(&writing, 0, __ATOMIC_RELEASE);
	return NULL;
}

static void torn_case(void)
{
	uint64_t reads = 0, torn = 0;
	uint8_t m[6], first_torn[6];
	pthread_t t;

	if (up()) {
		printf("FAIL config-torn-split: device not up\n");
		failures++;
		return;
	}
	writing = 1;
	if (pthread_create(&t, NULL, writer, NULL)) {
		printf("FAIL config-torn-split: no thread\n");
		failures++;
		return;
	}
	while (__atomic_load_n(&writing, __ATOMIC_ACQUIRE)) {
		virtio_config(&vd, offsetof(struct virtio_net_config, mac), m,
			      sizeof(m));
		reads++;
		if (memcmp(m, mac_a, 6) && memcmp(m, mac_b, 6) &&
		    memcmp(m, mac0, 6) && !torn++)
			memcpy(first_torn, m, 6);
	}
	pthread_join(t, NULL);
	if (!torn && !bad_acks && reads) {
		printf("ok config-torn-split %d rewrites, %llu reads\n",
		       REWRITES, (unsigned long long)reads);
		return;
	}
	printf("FAIL config-torn-split: %llu of %llu MAC reads torn (first %02x:%02x:%02x:%02x:%02x:%02x), %d refused rewrites\n",
	       (unsigned long long)torn, (unsigned long long)reads,
	       first_torn[0], first_torn[1], first_torn[2], first_torn[3],
	       first_torn[4], first_torn[5], bad_acks);
	failures++;
}

int main(void)
{
	region = aligned_alloc(4096, REGION_BYTES);
	kr = (struct kb_region){ region, BASE, REGION_BYTES };
	generation_case();
	odd_case();
	past_end_case();
	torn_case();
	printf("net_config: %d failed\n", failures);
	free(region);
	return failures != 0;
}
