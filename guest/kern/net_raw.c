/*
 * Raw frames (kern/net_raw.h): the device's frames, copied from its
 * receive path (interrupt or poll) into a ring that one lock guards, and
 * taken from there by the app in batches.  The copy lets the driver give
 * its buffer back at once, as the stack's path does.
 */
#include <errno.h>
#include <string.h>

#include "kern/net_raw.h"
#include "kern/mm.h"
#include "kern/sched.h"
#include "kern/sync.h"
#include "kern/time.h"

#define POLL_SLICE_NS (10 * NSEC_PER_MSEC)

static struct {
	struct spinlock lock;
	struct wait_queue wq;
	struct netif *nif;
	struct net_frame *ring;		/* NET_RAW_SLOTS */
	uint32_t head, tail;		/* free-running; head - tail held */
	struct net_raw_stats stats;
} raw = { .lock = SPINLOCK_INIT, .wq = WAIT_QUEUE_INIT(raw.wq) };

/* The driver's receive path, instead of the stack (netif.h, raw_rx). */
static void raw_rx(struct netif *nif, const void *frame, size_t len)
{
	uint64_t flags = spin_lock_irqsave(&raw.lock);
	struct net_frame *f;

	(void)nif;
	if (!raw.ring || raw.head - raw.tail >= NET_RAW_SLOTS || !len ||
	    len > NET_FRAME_MAX) {
		raw.stats.rx_dropped++;
	} else {
		f = &raw.ring[raw.head % NET_RAW_SLOTS];
		memcpy(f->data, frame, len);
		f->len = (uint16_t)len;
		raw.head++;
		raw.stats.rx++;
		/* Only the first frame of a batch finds a sleeper. */
		if (raw.head - raw.tail == 1)
			wq_wake_all(&raw.wq);
	}
	spin_unlock_irqrestore(&raw.lock, flags);
}

int net_raw_open(void)
{
	struct netif *nif = netif_first();
	struct net_frame *ring;
	uint64_t flags;

	if (!nif)
		return -ENODEV;
	ring = kzalloc(NET_RAW_SLOTS * sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	flags = spin_lock_irqsave(&raw.lock);
	if (raw.nif) {
		spin_unlock_irqrestore(&raw.lock, flags);
		kfree(ring);
		return -EALREADY;
	}
	raw.ring = ring;
	raw.head = raw.tail = 0;
	memset(&raw.stats, 0, sizeof(raw.stats));
	raw.nif = nif;
	spin_unlock_irqrestore(&raw.lock, flags);
	/* From here on the driver's frames come to raw_rx. */
	__atomic_store_n(&nif->raw_rx, raw_rx, __ATOMIC_RELEASE);
	return 0;
}

const uint8_t *net_raw_mac(void)
{
	return raw.nif ? raw.nif->mac : NULL;
}

int net_raw_recv(struct net_frame *f, int max, uint64_t timeout_ns)
{
	uint64_t deadline = 0, flags;
	int n = 0;

	if (!raw.nif || max < 0)
		return -EINVAL;
	if (timeout_ns && timeout_ns != NET_WAIT_FOREVER)
		deadline = time_after_ns(timeout_ns);
	for (;;) {
		/* Frames waiting in the device come now, without an IRQ. */
		if (raw.nif->poll)
			raw.nif->poll(raw.nif);
		flags = spin_lock_irqsave(&raw.lock);
		while (n < max && raw.head != raw.tail) {
			struct net_frame *s = &raw.ring[raw.tail % NET_RAW_SLOTS];

			f[n].len = s->len;
			memcpy(f[n].data, s->data, s->len);
			raw.tail++;
			n++;
		}
		if (n || !timeout_ns || !max) {
			spin_unlock_irqrestore(&raw.lock, flags);
			return n;
		}
		if (deadline && time_ns() >= deadline) {
			spin_unlock_irqrestore(&raw.lock, flags);
			return 0;
		}
		/* A backstop against a lost interrupt: poll again soon. */
		{
			uint64_t until = time_ns() + POLL_SLICE_NS;

			if (deadline && deadline < until)
				until = deadline;
			wq_wait(&raw.wq, &raw.lock, until);
		}
		spin_unlock_irqrestore(&raw.lock, flags);
	}
}

/* The longest frame the link takes (netif.h: 14 + mtu, 0 is 1500). */
static size_t frame_limit(const struct netif *nif)
{
	size_t most = NET_ETH_HLEN + (size_t)(nif->mtu ? nif->mtu :
					      NET_MTU_DEFAULT);

	return most < NET_FRAME_MAX ? most : NET_FRAME_MAX;
}

/*
 * A frame too long for the link is one bad frame of the app's: skipped,
 * the batch goes on.  The driver refusing one means its ring is full,
 * and the frames after it would be refused too: the batch ends there.
 */
int net_raw_send(struct net_frame *f, int n)
{
	struct netif *nif = raw.nif;
	uint64_t flags;
	size_t most;
	int sent = 0;

	if (!nif || n <= 0)
		return 0;
	most = frame_limit(nif);
	netif_tx_hold();	/* the batch reaches the device at once */
	flags = spin_lock_irqsave(&raw.lock);
	for (int i = 0; i < n; i++) {
		size_t len = f[i].len;

		if (len > most)
			continue;
		if (len < NET_FRAME_MIN) {
			memset(f[i].data + len, 0, NET_FRAME_MIN - len);
			len = NET_FRAME_MIN;
		}
		if (nif->send(nif, f[i].data, len, 0))
			break;
		sent++;
	}
	raw.stats.tx += (uint64_t)sent;
	raw.stats.tx_dropped += (uint64_t)(n - sent);
	spin_unlock_irqrestore(&raw.lock, flags);
	netif_tx_release();
	return sent;
}

void net_raw_get_stats(struct net_raw_stats *out)
{
	uint64_t flags = spin_lock_irqsave(&raw.lock);

	*out = raw.stats;
	spin_unlock_irqrestore(&raw.lock, flags);
}

void net_raw_close(void)
{
	struct net_frame *ring;
	uint64_t flags;

	if (!raw.nif)
		return;
	__atomic_store_n(&raw.nif->raw_rx, NULL, __ATOMIC_RELEASE);
	flags = spin_lock_irqsave(&raw.lock);
	ring = raw.ring;
	raw.ring = NULL;
	raw.nif = NULL;
	spin_unlock_irqrestore(&raw.lock, flags);
	kfree(ring);
}
