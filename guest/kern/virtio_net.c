/*
 * virtio-net driver, and the network driver's part of kern/net.h:
 * netif_first() brings up the first device.  Receive buffers are kept
 * posted and their frames handed to the stack (lib/net) from the queue's
 * interrupt; frames are sent by copy into one of NBUF transmit buffers.
 *
 * Multiqueue: with VIRTIO_NET_F_MQ (and CTRL_VQ) the driver sets up one
 * queue pair per guest CPU (at most the device's max_virtqueue_pairs and
 * PAIRS_MAX: the slot's 16 queues hold 7 pairs and ctrl) and tells the
 * device with MQ_VQ_PAIRS_SET.  Each CPU sends on its own pair's transmit
 * queue; frames come in on every pair's receive queue, whichever pair the
 * host steered a flow to.  Without MQ (either side, or the command line's
 * netmq=off), or if the device refuses the command, one pair as before.
 *
 * Offloads: the receive side's (MRG_RXBUF, GUEST_CSUM) are in
 * kern/virtio_net_rx.c, with the rest of the receive path.  With CSUM
 * the stack leaves UDP checksums partial (netif.h, tx_csum_partial) and
 * the header says NEEDS_CSUM; without it frames are sent whole.
 *
 * Batches: between netif_tx_hold() and netif_tx_release() (net_tx_begin
 * and net_tx_end for apps) the calling thread's frames are added to the
 * transmit ring but not published, so a burst costs the device one look
 * and at most one kick; the release publishes every pair's.  The hold is
 * the thread's: other threads' frames, and those our receive interrupt
 * sends (replies, on whatever thread it interrupted), publish as usual, so a holder that
 * is preempted or blocks delays only its own (a frame sent after a held
 * one on the same pair publishes both).  A pair publishes on its own
 * once half its buffers wait, so a long batch keeps the device busy.
 *
 * Receive interrupts: the interrupt handler re-arms the queue after it
 * emptied it, as does poll(), which threads call before they block.
 * busy_poll() leaves it disarmed: a thread that keeps polling (udpecho's
 * loop) takes the frames itself, and the device sends no interrupt for
 * each one that lands between two of its polls.
 *
 * Locks, per pair: lock covers its receive ring and big, tx_lock its
 * transmit ring and free buffers.  net_input() runs under lock, and may
 * send (replies, on this CPU's pair), so send() takes a tx_lock only;
 * no code holds two pairs' locks.
 */
#include <string.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>

#include "kern/console.h"
#include "kern/mm.h"
#include "kern/net.h"
#include "kern/sched.h"
#include "kern/shared.h"
#include "kern/sync.h"
#include "kern/thread.h"
#include "kern/virtio.h"
#include "kern/virtio_net.h"
#include "lib/cmdline.h"
#include "arch/x86_64/cpu.h"

#define WANTED ((1ULL << VIRTIO_F_VERSION_1) | \
		(1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_NET_F_MAC) | \
		(1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_STATUS) | \
		(1ULL << VIRTIO_NET_F_MRG_RXBUF) | \
		(1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_CSUM) | \
		(1ULL << VIRTIO_F_IN_ORDER))
#define WANTED_MQ ((1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_VQ))
#define CTRL_WAIT_MS 1000	/* for the device's ack, then one pair */

struct vnet vnet;

/*
 * A queue whose used ring the device broke (lib/virtq.h, broken) gives
 * nothing back again, and this driver does not
 * reset the device: traffic on the queue stops.  Said once, not silently.
 */
static void note_broken(unsigned int q, uint8_t *said)
{
	if (!vnet.dev.vq[q].broken || *said)
		return;
	*said = 1;
	kprintf("virtio-net: the device broke queue %u's used ring: no more traffic on it\n",
		q);
}

/* Sent frames' buffers back to the free stack; tx_lock held. */
static void reap_tx_locked(struct vnet_pair *p)
{
	unsigned int q = TXQ(p - vnet.p);
	uint8_t *buf;

	while ((buf = virtq_get(&vnet.dev.vq[q], NULL)))
		p->tx_free[p->tx_top++] = (uint8_t)((buf - p->tx) / BUF);
	note_broken(q, &p->tx_broken_said);
}

/* What send() added, made visible to the device; tx_lock held. */
static void tx_publish(struct vnet_pair *p)
{
	unsigned int q = TXQ(p - vnet.p);

	if (!p->tx_unpublished)
		return;
	p->tx_unpublished = 0;
	p->st.tx_publishes++;
	if (virtq_publish(&vnet.dev.vq[q])) {
		p->st.tx_kicks++;
		virtio_kick(&vnet.dev, q);
	}
}

static void reap_tx(struct vnet_pair *p)
{
	uint64_t flags = spin_lock_irqsave(&p->tx_lock);

	reap_tx_locked(p);
	spin_unlock_irqrestore(&p->tx_lock, flags);
}

/* Per CPU: in an interrupt, whose frames are no thread's batch. */
static int in_irq[KSPAWN_MAX_CPUS];

void netif_irq_enter(void)
{
	in_irq[this_cpu()->index]++;
}

void netif_irq_exit(void)
{
	in_irq[this_cpu()->index]--;
}

/*
 * The stack's send: copy behind a zeroed header, on the pair of the CPU
 * we run on (read with interrupts off, so that we stay there).
 */
static int send(struct netif *nif, const void *frame, size_t len,
		unsigned int tx_flags)
{
	struct vnet_pair *p;
	struct virtq_buf out;
	unsigned int q;
	uint64_t flags;
	uint8_t *buf, idx;
	int r = -1, held;

	(void)nif;
	if (len > vnet.tx_max)
		return -1;
	flags = irq_save();
	/* The thread's batch; not what our interrupt sends in it. */
	held = thread_self()->tx_hold && !in_irq[this_cpu()->index];
	p = &vnet.p[this_cpu()->index % vnet.pairs];
	q = TXQ(p - vnet.p);
	spin_lock(&p->tx_lock);
	if (!p->tx_top) {
		tx_publish(p);		/* a held batch filled the ring */
		reap_tx_locked(p);
	}
	if (!p->tx_top)
		goto out;
	idx = p->tx_free[--p->tx_top];
	buf = p->tx + (size_t)idx * BUF;
	memset(buf, 0, HDR);
	if (vnet.nif.tx_csum_partial && (tx_flags & NET_TX_CSUM_PARTIAL)) {
		struct virtio_net_hdr_v1 *h = (void *)buf;
		uint16_t start, offset;

		if (net_udp_partial(frame, len, &start, &offset)) {
			h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			h->csum_start = start;
			h->csum_offset = offset;
		}
	}
	memcpy(buf + HDR, frame, len);
	out = (struct virtq_buf){ buf, (uint32_t)(HDR + len) };
	/*
	 * A device may give a queue smaller than NBUF: the ring is full
	 * before the buffers run out.  What it sent makes room; if nothing
	 * did, the buffer goes back, the frame is not sent.
	 */
	if (virtq_add(&vnet.dev.vq[q], &out, 1, NULL, 0, buf)) {
		tx_publish(p);
		reap_tx_locked(p);
		if (virtq_add(&vnet.dev.vq[q], &out, 1, NULL, 0, buf)) {
			p->tx_free[p->tx_top++] = idx;
			goto out;
		}
	}
	p->st.tx_frames++;
	p->tx_unpublished++;
	if (!held || p->tx_unpublished >= NBUF / 2)
		tx_publish(p);
	r = 0;
out:
	spin_unlock(&p->tx_lock);
	irq_restore(flags);
	return r;
}

void netif_tx_hold(void)
{
	thread_self()->tx_hold++;
}

/* Every pair's held frames published (any CPU's: a thread may move). */
void netif_tx_release(void)
{
	thread_self()->tx_hold--;
	for (unsigned int i = 0; i < vnet.ready; i++) {
		struct vnet_pair *p = &vnet.p[i];
		uint64_t flags = spin_lock_irqsave(&p->tx_lock);

		tx_publish(p);
		spin_unlock_irqrestore(&p->tx_lock, flags);
	}
}

/*
 * Frames in, buffers back; p->lock held.  With arm, the interrupt is
 * asked for once the queue is empty; without, it is left off.
 */
static void reap_rx(struct vnet_pair *p, int arm)
{
	struct virtq *vq = &vnet.dev.vq[RXQ(p - vnet.p)];
	int posted = 0;

	if (!arm)
		virtq_disarm(vq);
	do {
		uint8_t *buf;
		uint32_t len;

		while ((buf = virtq_get(vq, &len))) {
			vnet_rx_frame(p, buf, len);
			posted = 1;
		}
	} while (arm && virtq_arm(vq));
	note_broken(RXQ(p - vnet.p), &p->rx_broken_said);
	if (posted && virtq_publish(vq))
		virtio_kick(&vnet.dev, RXQ(p - vnet.p));
	reap_tx(p);
}

static void on_irq(struct virtio_dev *d, unsigned int q)
{
	struct vnet_pair *p = &vnet.p[q / 2];

	(void)d;
	if (q / 2 >= vnet.ready)
		return;
	/*
	 * A transmit completion reaps only what was sent: re-arming the
	 * receive side here would undo a busy poller's interrupt off.
	 */
	if (q != RXQ(q / 2)) {
		reap_tx(p);
		return;
	}
	spin_lock(&p->lock);
	p->st.rx_irqs++;
	netif_irq_enter();
	reap_rx(p, 1);
	netif_irq_exit();
	spin_unlock(&p->lock);
}

static void poll_pairs(int arm)
{
	for (unsigned int i = 0; i < vnet.ready; i++) {
		struct vnet_pair *p = &vnet.p[i];
		uint64_t flags = spin_lock_irqsave(&p->lock);

		reap_rx(p, arm);
		spin_unlock_irqrestore(&p->lock, flags);
	}
}

/* The interface's poll: serve received frames now, on every pair. */
static void poll(struct netif *nif)
{
	(void)nif;
	poll_pairs(1);
}

/* The same, the receive interrupts left off (see the top). */
static void busy_poll(struct netif *nif)
{
	(void)nif;
	poll_pairs(0);
}

/* Pair i's queues and buffers; its receive buffers posted. */
static int pair_init(unsigned int i)
{
	struct vnet_pair *p = &vnet.p[i];
	uint8_t *pages = page_alloc((2 * NBUF * BUF + BIG + PAGE_SIZE - 1) /
				    PAGE_SIZE);

	spin_init(&p->lock);
	spin_init(&p->tx_lock);
	if (!pages || virtio_queue(&vnet.dev, RXQ(i), NBUF, on_irq) ||
	    virtio_queue(&vnet.dev, TXQ(i), NBUF, on_irq))
		return -1;
	p->rx = pages;
	p->tx = pages + NBUF * BUF;
	p->big = pages + 2 * NBUF * BUF;
	for (int b = 0; b < NBUF; b++)
		p->tx_free[b] = (uint8_t)b;
	p->tx_top = NBUF;
	for (int b = 0; b < NBUF; b++)
		vnet_post_rx(p, p->rx + (size_t)b * BUF);
	virtq_publish(&vnet.dev.vq[RXQ(i)]);
	return 0;
}

/*
 * MQ_VQ_PAIRS_SET on the ctrl queue (queue 2 * max), after DRIVER_OK,
 * its ack polled for: 0 once the device said OK, -1 if it did not, -2
 * without a ctrl queue.  DRIVER_OK is set here whatever happens: without
 * its ctrl queue the device still serves one pair, as the spec has it
 * before any MQ_VQ_PAIRS_SET.  The command's page is freed once the
 * device gave it back (or never had it); a device that keeps it past
 * CTRL_WAIT_MS may still write its ack there, so then the page stays
 * the device's, one page lost rather than one reused under it.
 */
static int set_pairs(unsigned int ctrlq, uint16_t pairs)
{
	struct virtq *vq = &vnet.dev.vq[ctrlq];
	struct virtq_buf out, in;
	uint8_t *cmd = page_alloc(1), *ack;
	int r = -1;

	/* The ctrl queue is set up before DRIVER_OK, as every queue. */
	if (!cmd || virtio_queue(&vnet.dev, ctrlq, 4, NULL)) {
		if (cmd)
			page_free(cmd, 1);
		virtio_ready(&vnet.dev);
		kprintf("virtio-net: no control queue: one queue pair\n");
		return -2;
	}
	ack = cmd + 64;
	cmd[0] = VIRTIO_NET_CTRL_MQ;
	cmd[1] = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
	memcpy(cmd + 2, &pairs, 2);
	*ack = VIRTIO_NET_ERR;
	out = (struct virtq_buf){ cmd, 4 };
	in = (struct virtq_buf){ ack, 1 };
	virtio_ready(&vnet.dev);
	if (virtq_add(vq, &out, 1, &in, 1, cmd)) {
		page_free(cmd, 1);
		return -1;
	}
	if (virtq_publish(vq))
		virtio_kick(&vnet.dev, ctrlq);
	for (int ms = 0; ms < CTRL_WAIT_MS; ms++) {
		if (virtq_get(vq, NULL) == cmd) {
			r = *(volatile uint8_t *)ack == VIRTIO_NET_OK ? 0 : -1;
			page_free(cmd, 1);
			break;
		}
		thread_sleep_ms(1);
	}
	return r;
}

/* netmq=off on the kernel command line: one pair, as without MQ. */
static int mq_wanted(void)
{
	static struct cmdline c;
	const char *v;

	if (cmdline_parse(&c, kspawn_hdr->cmdline, sizeof(kspawn_hdr->cmdline)))
		return 1;
	v = cmdline_opt(&c, "netmq");
	return !v || strcmp(v, "off");
}

/*
 * The pairs the device offers with MQ negotiated, 0 if unusable here
 * (none, or more than the queues we can name: then without MQ).
 */
static unsigned int max_pairs(void)
{
	uint16_t max = 0;

	if (!virtio_has(&vnet.dev, VIRTIO_NET_F_MQ))
		return 0;
	virtio_config(&vnet.dev,
		      offsetof(struct virtio_net_config, max_virtqueue_pairs),
		      &max, sizeof(max));
	return max >= VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN && max <= PAIRS_MAX ?
	       max : 0;
}

/*
 * The largest frame our receive buffers can take: one buffer's worth; with
 * mergeable buffers, what every one pair_init() can post on the smallest
 * receive queue holds (each posts at most NBUF, and a smaller ring takes
 * fewer), and at most big.
 */
static size_t largest_rx_frame(unsigned int pairs)
{
	size_t most = BIG;

	if (!virtio_has(&vnet.dev, VIRTIO_NET_F_MRG_RXBUF))
		return BUF - HDR;
	for (unsigned int i = 0; i < (pairs ? pairs : 1); i++) {
		size_t slots = virtio_queue_size(&vnet.dev, RXQ(i), NBUF);
		size_t room = slots * MRG_BUF;

		if (room < HDR + most)
			most = room > HDR ? room - HDR : 0;
	}
	return most;
}

/*
 * The device's MTU with VIRTIO_NET_F_MTU, 0 if it cannot be ours: under
 * IPv4's least, or a frame bigger than our receive buffers hold
 * (largest_rx_frame()), where the driver must be able to take one
 * (virtio 1.x, 5.1.4.2).  Such an mtu is not negotiated, as Linux's
 * virtnet_validate() does, and the device keeps to 1500 then.
 */
static uint16_t device_mtu(unsigned int pairs)
{
	size_t most = largest_rx_frame(pairs);
	uint16_t mtu = 0;

	if (!virtio_has(&vnet.dev, VIRTIO_NET_F_MTU))
		return 0;
	virtio_config(&vnet.dev, offsetof(struct virtio_net_config, mtu), &mtu,
		      sizeof(mtu));
	if (mtu >= ETH_MIN_MTU && ETH_HLEN + (size_t)mtu <= most)
		return mtu;
	kprintf("virtio-net: the device's MTU %u is not from %u to %zu: not using it\n",
		mtu, ETH_MIN_MTU, most > ETH_HLEN ? most - ETH_HLEN : 0);
	return 0;
}

static void vnet_init(void)
{
	uint64_t wanted = WANTED | (mq_wanted() ? WANTED_MQ : 0), drop = 0;
	unsigned int max, want;
	uint16_t mtu;

	if (virtio_open(&vnet.dev, VIRTIO_ID_NET, wanted))
		return;
	max = max_pairs();
	if (!max && virtio_has(&vnet.dev, VIRTIO_NET_F_MQ))
		drop |= WANTED_MQ;
	mtu = device_mtu(max);
	if (!mtu && virtio_has(&vnet.dev, VIRTIO_NET_F_MTU))
		drop |= 1ULL << VIRTIO_NET_F_MTU;
	if (drop && virtio_start(&vnet.dev, vnet.dev.features & ~drop))
		return;
	/*
	 * The device's link carries frames of ETH_HLEN + mtu at most, and
	 * the driver must send none longer (virtio 1.x, 5.1.6.2); the stack
	 * sizes its packets by the netif's mtu (at most 1500 of it).
	 */
	vnet.nif.mtu = mtu;
	vnet.tx_max = BUF - HDR;
	if (mtu && ETH_HLEN + (uint32_t)mtu < vnet.tx_max)
		vnet.tx_max = ETH_HLEN + (uint32_t)mtu;
	want = sched_ncpus();
	if (want > max)
		want = max ? max : 1;
	vnet.mrg = virtio_has(&vnet.dev, VIRTIO_NET_F_MRG_RXBUF);
	vnet.guest_csum = virtio_has(&vnet.dev, VIRTIO_NET_F_GUEST_CSUM);
	vnet.rx_buf = vnet.mrg ? MRG_BUF : BUF;
	/* Served from the start: the device may use them once it acked. */
	for (unsigned int i = 0; i < want; i++) {
		if (pair_init(i)) {
			virtio_fail(&vnet.dev);
			return;
		}
		vnet.ready = i + 1;
	}
	vnet.nif.tx_csum_partial = virtio_has(&vnet.dev, VIRTIO_NET_F_CSUM);
	virtio_config(&vnet.dev, offsetof(struct virtio_net_config, mac),
		      vnet.nif.mac, sizeof(vnet.nif.mac));
	vnet.nif.send = send;
	vnet.nif.poll = poll;
	vnet.nif.busy_poll = busy_poll;
	vnet.pairs = 1;
	if (max) {
		int e = set_pairs(2 * max, (uint16_t)want);

		if (!e)
			vnet.pairs = want;
		else if (e == -1)
			kprintf("virtio-net: the device refused %u queue pairs\n",
				want);
	} else {
		virtio_ready(&vnet.dev);
	}
	vnet.up = 1;
	kprintf("virtio-net: %02x:%02x:%02x:%02x:%02x:%02x, %s rings%s%s%s%s, %u queue pair%s\n",
		vnet.nif.mac[0], vnet.nif.mac[1], vnet.nif.mac[2],
		vnet.nif.mac[3], vnet.nif.mac[4], vnet.nif.mac[5],
		vnet.dev.vq[RXQ(0)].packed ? "packed" : "split",
		vnet.dev.vq[RXQ(0)].in_order ? " in order" : "",
		vnet.mrg ? ", mergeable buffers" : "",
		vnet.guest_csum ? ", receive checksum offload" : "",
		vnet.nif.tx_csum_partial ? ", transmit checksum offload" : "",
		vnet.pairs, vnet.pairs == 1 ? "" : "s");
}

struct netif *netif_first(void)
{
	if (!vnet.up)
		vnet_init();
	return vnet.up ? &vnet.nif : NULL;
}

struct virtio_dev *vnet_dev(void)
{
	return vnet.up ? &vnet.dev : NULL;
}

unsigned int netif_queue_pairs(void)
{
	return vnet.up ? vnet.pairs : 0;
}

void netif_queue_stats(unsigned int pair, struct netif_queue_stats *out)
{
	const struct netif_queue_stats *st;

	memset(out, 0, sizeof(*out));
	if (!vnet.up || pair >= vnet.ready)
		return;
	st = &vnet.p[pair].st;
	out->tx_frames = __atomic_load_n(&st->tx_frames, __ATOMIC_RELAXED);
	out->rx_frames = __atomic_load_n(&st->rx_frames, __ATOMIC_RELAXED);
	out->rx_bad = __atomic_load_n(&st->rx_bad, __ATOMIC_RELAXED);
	out->tx_publishes = __atomic_load_n(&st->tx_publishes,
					    __ATOMIC_RELAXED);
	out->tx_kicks = __atomic_load_n(&st->tx_kicks, __ATOMIC_RELAXED);
	out->rx_irqs = __atomic_load_n(&st->rx_irqs, __ATOMIC_RELAXED);
}
