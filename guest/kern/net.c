/*
 * Guest glue for lib/net: one stack behind one spinlock (it is entered
 * from the network interrupt), sockets that threads block on, and the
 * clock for ARP.  The stack itself never calls the kernel.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/fpu.h"
#include "kern/net.h"
#include "kern/console.h"
#include "kern/mm.h"
#include "kern/sync.h"
#include "kern/sched.h"
#include "kern/time.h"
#include "lib/format.h"

#define POLL_SLICE_NS (10 * NSEC_PER_MSEC)

/* A socket with what threads wait on; the core socket comes first. */
struct net_sock {
	struct udp_sock us;
	struct wait_queue wq;
	uint8_t queue[];
};

static struct {
	struct spinlock lock;
	uint64_t flags;		/* saved by the holder, through net_sys */
	struct net_stack stack;
	struct netif *nif;
	unsigned int sleepers;	/* udp_recvfrom()s with the interrupt on (atomic) */
} net = { .lock = SPINLOCK_INIT };

static void sys_lock(void *ctx)
{
	uint64_t flags = spin_lock_irqsave(&net.lock);

	(void)ctx;
	net.flags = flags;
}

static void sys_unlock(void *ctx)
{
	(void)ctx;
	spin_unlock_irqrestore(&net.lock, net.flags);
}

static void sys_wake(void *ctx, struct udp_sock *s)
{
	(void)ctx;
	wq_wake_all(&((struct net_sock *)s)->wq);
}

static uint64_t sys_now_ms(void *ctx)
{
	(void)ctx;
	return time_ns() / NSEC_PER_MSEC;
}

/* A socket's callback: app code, in the network interrupt (fpu.h). */
static void sys_call_app(void *ctx, void (*run)(void *arg), void *arg)
{
	struct fpu_state interrupted;

	(void)ctx;
	fpu_save_for_app(&interrupted);
	run(arg);
	fpu_restore(&interrupted);
}

static void *sys_self(void *ctx)
{
	(void)ctx;
	return thread_self();
}

/*
 * A socket closed while a callback of it ran or a thread waited in
 * udp_recvfrom() on it: the net_sock, which embeds s first (kfree takes
 * its own lock).
 */
static void sys_release(void *ctx, struct udp_sock *s)
{
	(void)ctx;
	kfree(s);
}

static const struct net_sys sys = {
	.lock = sys_lock,
	.unlock = sys_unlock,
	.wake = sys_wake,
	.now_ms = sys_now_ms,
	.call_app = sys_call_app,
	.self = sys_self,
	.release = sys_release,
};

int net_up(uint32_t ip)
{
	struct netif *nif;
	uint64_t flags;

	if (!ip)
		return -EINVAL;
	if (net.nif)
		return -EALREADY;
	nif = netif_first();
	if (!nif)
		return -ENODEV;
	flags = spin_lock_irqsave(&net.lock);
	net_stack_init(&net.stack, &sys);
	nif->ip = ip;
	net_stack_attach(&net.stack, nif);
	__atomic_store_n(&net.nif, nif, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&net.lock, flags);
	return 0;
}

_Static_assert(NET_TICK_MS * HZ % 1000 == 0 && NET_TICK_MS * HZ >= 1000,
	       "NET_TICK_MS is a whole number of ticks");

void net_timer_tick(uint64_t tick)
{
	uint64_t flags;

	/* Set once, under the lock, after the stack is ready. */
	if (tick % (NET_TICK_MS * HZ / 1000) ||
	    !__atomic_load_n(&net.nif, __ATOMIC_ACQUIRE))
		return;
	flags = spin_lock_irqsave(&net.lock);
	/* An ARP request goes out now, not in the interrupted thread's batch. */
	netif_irq_enter();
	net_tick(&net.stack);
	netif_irq_exit();
	spin_unlock_irqrestore(&net.lock, flags);
}

struct netif *net_netif(void)
{
	return net.nif;
}

struct udp_sock *udp_bind(uint16_t port, udp_recv_fn fn, void *arg)
{
	size_t payload, qsize = 0;
	struct net_sock *ns;
	uint64_t flags;
	int err;

	if (!net.nif)
		return NULL;
	payload = net_udp_max_payload(&net.stack);
	if (!fn)
		qsize = NET_SOCK_QUEUE * (UDP_SLOT_HDR + payload);
	ns = kzalloc(sizeof(*ns) + qsize);
	if (!ns)
		return NULL;
	wq_init(&ns->wq);
	flags = spin_lock_irqsave(&net.lock);
	if (fn)
		err = udp_sock_open(&net.stack, &ns->us, port, fn, arg);
	else
		err = udp_sock_open_queue(&net.stack, &ns->us, port,
					  ns->queue, qsize, payload);
	spin_unlock_irqrestore(&net.lock, flags);
	if (err) {
		kfree(ns);
		return NULL;
	}
	return &ns->us;
}

int udp_sendto(struct udp_sock *s, uint32_t ip, uint16_t port,
	       const void *data, size_t len)
{
	uint64_t flags = spin_lock_irqsave(&net.lock);
	int err = udp_sock_sendto(s, ip, port, data, len);

	spin_unlock_irqrestore(&net.lock, flags);
	return err;
}

/*
 * Sleep until a datagram is queued or the deadline passes.  With a
 * driver that can be polled, wake every POLL_SLICE_NS to poll it: a
 * backstop should an interrupt be lost, not the normal path.
 */
static int wait_datagram(struct net_sock *ns, uint64_t deadline)
{
	uint64_t until = deadline;
	int r;

	if (net.nif->poll) {
		uint64_t slice = time_ns() + POLL_SLICE_NS;

		if (!until || slice < until)
			until = slice;
	}
	r = wq_wait(&ns->wq, &net.lock, until);
	if (r == -ETIMEDOUT && until == deadline)
		return -ETIMEDOUT;
	return 0;
}

static void poll_device(void)
{
	if (net.nif->poll)
		net.nif->poll(net.nif);
}

/*
 * A thread that will poll again soon leaves the receive interrupt off,
 * unless another thread is about to sleep waiting for it.  Such a thread
 * counts itself in sleepers before it turns the interrupt on; if that
 * happened between our look and our turning it off, we look again after
 * it and turn it back on for that thread.
 */
static void busy_poll_device(void)
{
	if (!net.nif->busy_poll ||
	    __atomic_load_n(&net.sleepers, __ATOMIC_SEQ_CST)) {
		poll_device();
		return;
	}
	net.nif->busy_poll(net.nif);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&net.sleepers, __ATOMIC_RELAXED))
		poll_device();
}

int udp_recvfrom(struct udp_sock *s, void *buf, size_t len, uint32_t *ip,
		 uint16_t *port, uint64_t timeout_ns)
{
	struct net_sock *ns = (struct net_sock *)s;
	uint64_t deadline = 0, flags;
	int n, armed = 0;

	if (timeout_ns != NET_WAIT_FOREVER && timeout_ns)
		deadline = time_after_ns(timeout_ns);
	for (;;) {
		if (armed)
			poll_device();
		else
			busy_poll_device();
		flags = spin_lock_irqsave(&net.lock);
		n = udp_sock_recv(s, buf, len, ip, port);
		if (n == -EAGAIN && timeout_ns && !armed) {
			/*
			 * A sleeper from now on (busy_poll_device()), then
			 * interrupts on and one more look before we block.
			 * s is held from here: a udp_close() in between leaves
			 * it to us (udp_sock_wait_begin).
			 */
			udp_sock_wait_begin(s);
			spin_unlock_irqrestore(&net.lock, flags);
			__atomic_add_fetch(&net.sleepers, 1, __ATOMIC_SEQ_CST);
			armed = 1;
			continue;
		}
		if (n == -EAGAIN && timeout_ns && wait_datagram(ns, deadline)) {
			n = udp_sock_recv(s, buf, len, ip, port);
			if (n == -EAGAIN)
				n = -ETIMEDOUT;
		}
		if (n != -EAGAIN || !timeout_ns)
			break;
		spin_unlock_irqrestore(&net.lock, flags);
	}
	/* Our last touch of s, which a udp_close() meanwhile may free. */
	if (armed)
		udp_sock_wait_end(&net.stack, s);
	spin_unlock_irqrestore(&net.lock, flags);
	if (armed)
		__atomic_sub_fetch(&net.sleepers, 1, __ATOMIC_SEQ_CST);
	return n;
}

void net_tx_begin(void)
{
	netif_tx_hold();
}

void net_tx_end(void)
{
	netif_tx_release();
}

void udp_close(struct udp_sock *s)
{
	int unused;

	if (!s)
		return;
	/* Through net_sys: udp_sock_drain() drops and retakes the lock. */
	sys_lock(NULL);
	udp_sock_close(s);
	unused = udp_sock_drain(&net.stack, s);
	sys_unlock(NULL);
	if (unused)
		kfree(s);
}

/* The replies so far, the driver polled first when it can be. */
static uint64_t ping_answered(void)
{
	uint64_t flags, n;

	poll_device();
	flags = spin_lock_irqsave(&net.lock);
	n = net.nif->stats.ping_answered;
	spin_unlock_irqrestore(&net.lock, flags);
	return n;
}

unsigned int net_ping(uint32_t ip, unsigned int count, unsigned int interval_ms,
		      unsigned int wait_ms)
{
	uint64_t base, flags, end;

	if (!net.nif)
		return 0;
	/* Replies to earlier runs (ARP held and sent them late) count not. */
	flags = spin_lock_irqsave(&net.lock);
	net_ping_new_run(&net.stack);
	spin_unlock_irqrestore(&net.lock, flags);
	base = ping_answered();
	for (unsigned int seq = 0; seq < count; seq++) {
		flags = spin_lock_irqsave(&net.lock);
		net_ping_send(&net.stack, ip, (uint16_t)seq);
		spin_unlock_irqrestore(&net.lock, flags);
		thread_sleep_ms(interval_ms);
	}
	end = time_after_ns(ms_to_ns(wait_ms));
	while (ping_answered() - base < count && time_ns() < end)
		thread_sleep_ms(1);
	return (unsigned int)(ping_answered() - base);
}

void net_get_stats(struct net_counters *out)
{
	uint64_t flags = spin_lock_irqsave(&net.lock);

	if (net.nif)
		*out = net.nif->stats;
	else
		memset(out, 0, sizeof(*out));
	spin_unlock_irqrestore(&net.lock, flags);
}

/* "who: queues: 0 tx T rx R; 1 tx ..." (each pair's frames). */
static void print_queues(const char *who)
{
	unsigned int pairs = netif_queue_pairs();
	char line[256];
	size_t at = 0;

	if (pairs < 2)
		return;
	for (unsigned int i = 0; i < pairs && at < sizeof(line); i++) {
		struct netif_queue_stats q;
		int n;

		netif_queue_stats(i, &q);
		n = ksnprintf(line + at, sizeof(line) - at, "%s%u tx %llu rx %llu",
			     i ? "; " : "", i, (unsigned long long)q.tx_frames,
			     (unsigned long long)q.rx_frames);
		if (n < 0)
			break;
		at += (size_t)n;
	}
	kprintf("%s: queues: %s\n", who, line);
}

/* "who: driver: tx publishes P kicks K; rx interrupts I" (every pair). */
static void print_driver(const char *who)
{
	unsigned int pairs = netif_queue_pairs();
	uint64_t pub = 0, kicks = 0, irqs = 0;

	for (unsigned int i = 0; i < pairs; i++) {
		struct netif_queue_stats q;

		netif_queue_stats(i, &q);
		pub += q.tx_publishes;
		kicks += q.tx_kicks;
		irqs += q.rx_irqs;
	}
	kprintf("%s: driver: tx publishes %llu kicks %llu; rx interrupts %llu\n",
		who, (unsigned long long)pub, (unsigned long long)kicks,
		(unsigned long long)irqs);
}

void net_print_stats(const char *who)
{
	struct net_counters c;

	net_get_stats(&c);
	kprintf("%s: rx %llu tx %llu dropped %llu tx_errors %llu; arp replies %llu requests %llu; ping replies %llu; udp in %llu out %llu; bad checksums %llu; fragments %llu\n",
		who, (unsigned long long)c.rx_frames,
		(unsigned long long)c.tx_frames,
		(unsigned long long)c.rx_dropped,
		(unsigned long long)c.tx_errors,
		(unsigned long long)c.arp_replies_sent,
		(unsigned long long)c.arp_requests_sent,
		(unsigned long long)c.icmp_echo_replies,
		(unsigned long long)c.udp_rx, (unsigned long long)c.udp_tx,
		(unsigned long long)(c.ip_bad_checksum + c.icmp_bad +
				     c.udp_bad_checksum),
		(unsigned long long)c.ip_fragments);
	print_driver(who);
	print_queues(who);
}
