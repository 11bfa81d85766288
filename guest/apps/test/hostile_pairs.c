/*
 * The hostile app's queue-pair modes (hostile.c lists them): pairs,
 * pairs-stale and pairs-deaf, each a guest that sets its net device's
 * queue pairs (MQ_VQ_PAIRS_SET on the control queue) behind its driver's
 * back, so that the host's ksnetN must follow a count it did not expect.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "apps/test/hostile.h"

#define FLAP_NS (3 * NSEC_PER_SEC)

/* One MQ_VQ_PAIRS_SET on the control queue q: 0 once the device said OK. */
static int pairs_set(struct virtio_dev *d, unsigned int q, uint8_t *cmd,
		     uint16_t pairs)
{
	struct virtq *vq = &d->vq[q];
	volatile uint8_t *ack = cmd + 64;
	struct virtq_buf out = { cmd, 4 }, in = { cmd + 64, 1 };
	uint64_t end = time_ns() + NSEC_PER_SEC;
	void *got;

	cmd[0] = VIRTIO_NET_CTRL_MQ;
	cmd[1] = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
	memcpy(cmd + 2, &pairs, sizeof(pairs));
	*ack = VIRTIO_NET_ERR;
	if (virtq_add(vq, &out, 1, &in, 1, cmd))
		return -1;
	if (virtq_publish(vq))
		virtio_kick(d, q);
	while (!(got = virtq_get(vq, NULL)) && time_ns() < end)
		cpu_relax();
	return got == cmd && *ack == VIRTIO_NET_OK ? 0 : -1;
}

/*
 * The pairs modes' start: the network up as ip_arg on a driver with at
 * least min_pairs pairs, a page for commands and the device's most
 * pairs (its ctrl queue is 2 * max).  The driver set its pairs once at
 * start; the control queue is ours from then on (its interrupt handler
 * serves data queues only).  NULL if any of it is missing.
 */
static struct virtio_dev *pairs_start(const char *ip_arg,
				      unsigned int min_pairs, uint8_t **cmd,
				      uint16_t *max)
{
	struct virtio_dev *d;
	uint32_t ip = 0;

	*cmd = page_alloc(1);
	*max = 0;
	if (!*cmd || !ip_arg || net_parse_ip(ip_arg, &ip) || net_up(ip) ||
	    !(d = vnet_dev()) || netif_queue_pairs() < min_pairs)
		return NULL;
	virtio_config(d, offsetof(struct virtio_net_config,
				  max_virtqueue_pairs), max, sizeof(*max));
	return d;
}

int hostile_pairs_flap(const char *ip_arg)
{
	struct virtio_dev *d;
	uint16_t max;
	long sets = 0;
	uint8_t *cmd;
	uint64_t end;

	d = pairs_start(ip_arg, 2, &cmd, &max);
	if (!d) {
		kprintf("hostile: pairs: needs --net, ip=A.B.C.D, MQ and 2 CPUs\n");
		return 1;
	}
	kprintf("hostile: pairs: flapping\n");
	end = time_ns() + FLAP_NS;
	while (time_ns() < end || sets % 2) {
		if (pairs_set(d, 2 * max, cmd, (uint16_t)(sets % 2 + 1))) {
			kprintf("hostile: pairs: the device refused set %ld\n",
				sets);
			return 1;
		}
		sets++;
	}
	kprintf("hostile: pairs: %ld sets in 3 s, the last to 2\n", sets);
	return 0;
}

/* pairs-stale's sender, on the last guest CPU: its pair to our driver. */
static int send_stale(void *arg)
{
	struct udp_sock *s = arg;
	char msg[32] = "stale pair";
	long sent = 0;

	for (int i = 0; i < 50; i++)
		sent += !udp_sendto(s, net_ip4(169, 254, 1, 1), 9, msg,
				    sizeof(msg));
	kprintf("hostile: pairs-stale: sent %ld from CPU %u\n", sent,
		sched_cpu());
	return 0;
}

/*
 * pairs-stale: on n CPUs (n >= 3), set n - 1 pairs behind the driver's
 * back, give the host time to shrink ksnetN to them, then send from CPU
 * n - 1, which our driver still maps to pair n - 1: frames on a pair the
 * device serves (its queues are set up) but the host no longer counts
 * among its receive queues, while it counts more than one (Linux warns
 * only then).
 */
int hostile_pairs_stale(const char *ip_arg)
{
	unsigned int n = sched_ncpus();
	struct thread_attr a = { .cpus = 1u << (n - 1) };
	struct udp_sock *s = NULL;
	struct virtio_dev *d;
	struct thread *t;
	uint16_t max;
	uint8_t *cmd;

	d = n >= 3 ? pairs_start(ip_arg, n, &cmd, &max) : NULL;
	if (!d || !(s = udp_bind(9, NULL, NULL))) {
		kprintf("hostile: pairs-stale: needs --net, ip=A.B.C.D, MQ and 3 CPUs\n");
		return 1;
	}
	/* The host's MAC first: a datagram waiting for ARP is held. */
	for (int i = 0; i < 30 && net_ping(net_ip4(169, 254, 1, 1), 1, 10,
					   1000) != 1; i++)
		;
	if (pairs_set(d, 2 * max, cmd, (uint16_t)(n - 1))) {
		kprintf("hostile: pairs-stale: the device refused %u pairs\n",
			n - 1);
		return 1;
	}
	kprintf("hostile: pairs-stale: %u pairs set\n", n - 1);
	thread_sleep_ms(1000);
	t = thread_create("stale", send_stale, s, &a);
	if (!t)
		return 1;
	thread_join(t);
	thread_sleep_ms(500);
	kprintf("hostile: pairs-stale: done\n");
	return 0;
}

struct deaf_args {
	struct virtio_dev *d;
	uint8_t *cmd;
	uint16_t max;
};

/* Every buffer receive queue 0 was given is used: the host has no room. */
static int rx0_full(struct virtio_dev *d)
{
	struct virtq_state s;

	virtq_state(&d->vq[0], &s);
	return s.used == s.published;
}

/*
 * pairs-deaf's CPU 0: deaf until the host filled receive queue 0 (at
 * most 9 s; a split ring's used index says it), then 1 pair set, polled,
 * its interrupt never taken, then 3 s more for the host's resize.  Not
 * fixed times: a loaded TCG host once sent its burst after the guest
 * listened again, and nothing was ever held.
 */
static int deaf_cpu0(void *arg)
{
	struct deaf_args *a = arg;
	uint64_t t0, full;
	int err, was_full;

	kprintf("hostile: pairs-deaf: network up, deaf until receive queue 0 is full\n");
	thread_sleep_ms(50);	/* let the host take the line above */
	irq_disable();
	t0 = time_ns();
	while (!rx0_full(a->d) && time_ns() - t0 < 9 * NSEC_PER_SEC)
		cpu_relax();
	was_full = rx0_full(a->d);
	full = time_ns();
	/* The host's next frame finds no room and holds its queue. */
	while (time_ns() - full < NSEC_PER_SEC / 2)
		cpu_relax();
	err = pairs_set(a->d, 2 * a->max, a->cmd, 1);
	while (time_ns() - full < 3 * NSEC_PER_SEC)
		cpu_relax();
	irq_enable();
	kprintf("hostile: pairs-deaf: receive queue 0 %s after %lu ms, %s, listening again\n",
		was_full ? "full" : "not full",
		(unsigned long)((full - t0) / 1000000),
		err ? "the device refused 1 pair" : "1 pair set while deaf");
	return 0;
}

int hostile_pairs_deaf(const char *ip_arg)
{
	struct thread_attr attr = { .cpus = 1u };
	struct deaf_args a;
	struct thread *t;

	a.d = pairs_start(ip_arg, 2, &a.cmd, &a.max);
	/* A packed ring keeps no used index: rx0_full() could not tell. */
	if (!a.d || a.d->vq[0].packed) {
		kprintf("hostile: pairs-deaf: needs --net, ip=A.B.C.D, MQ, 2 CPUs and split rings\n");
		return 1;
	}
	t = thread_create("deaf", deaf_cpu0, &a, &attr);
	if (!t)
		return 1;
	thread_join(t);
	for (int s = 0; s < 60; s++)
		thread_sleep_ms(1000);
	return 0;
}
