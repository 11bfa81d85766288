/*
 * netburst [frames=32]: the network driver's batching, counted by the
 * driver itself (netif_queue_stats), on a loopback device (kspawnctl run
 * --net loopback: every frame to our MAC comes back).
 *
 *  - frames UDP datagrams to our own address between net_tx_begin() and
 *    net_tx_end() must be published to the device once, with at most one
 *    kick, whatever the timing;
 *  - a thread that polls for them with udp_recvfrom(..., 0) until all are
 *    back takes no receive interrupt meanwhile (its polls leave the
 *    interrupt off, kern/net.c);
 *  - a batch is its thread's: with another thread inside net_tx_begin()
 *    and blocked there (as one preempted in its batch), a datagram we
 *    send is published before our send returns, not when that thread
 *    ends its batch (on an SMP guest that thread runs on another CPU).
 *
 * Prints "netburst: sent N back N publishes P kicks K rx_irqs I",
 * "netburst: with another thread's batch open: published P" and
 * "netburst: ok" or "netburst: FAIL ...".
 */
#include <stdlib.h>
#include <string.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"

#define PORT 7000
#define WAIT_NS (5 * NSEC_PER_SEC)

static struct semaphore holding, done_holding;

/* The driver's counts over every queue pair (one per CPU with MQ). */
static void stats(struct netif_queue_stats *t)
{
	struct netif_queue_stats q;

	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < netif_queue_pairs(); i++) {
		netif_queue_stats(i, &q);
		t->tx_publishes += q.tx_publishes;
		t->tx_kicks += q.tx_kicks;
		t->rx_irqs += q.rx_irqs;
	}
}

/* Open a batch and block inside it until told. */
static int holder(void *arg)
{
	(void)arg;
	net_tx_begin();
	sema_up(&holding);
	sema_down(&done_holding);
	net_tx_end();
	return 0;
}

/* Publishes of one datagram sent while another thread's batch is open. */
static long send_past_holder(struct udp_sock *s, uint32_t ip)
{
	/* On another CPU if there is one: its batch open there, our send here. */
	struct thread_attr attr = {
		.cpus = sched_ncpus() > 1 ?
			1U << ((sched_cpu() + 1) % sched_ncpus()) : 0 };
	struct netif_queue_stats a, b;
	uint8_t msg[64] = { 0xee };
	struct thread *t;

	sema_init(&holding, 0);
	sema_init(&done_holding, 0);
	t = thread_create("holder", holder, NULL, &attr);
	if (!t)
		return -1;
	sema_down(&holding);
	stats(&a);
	udp_sendto(s, ip, PORT, msg, sizeof(msg));
	stats(&b);
	sema_up(&done_holding);
	thread_join(t);
	return (long)(b.tx_publishes - a.tx_publishes);
}

static int netburst_main(int argc, char **argv)
{
	long frames = atol(app_opt(argc, argv, "frames", "32"));
	struct netif_queue_stats a, b, c;
	uint8_t msg[64], in[128];
	long sent = 0, back = 0;
	struct udp_sock *s;
	uint64_t end;
	uint32_t ip;
	long past;

	if (frames < 1 || frames > 32 || net_parse_ip("169.254.1.2", &ip) ||
	    net_up(ip)) {
		kprintf("netburst: FAIL bad frames= or no network\n");
		return 1;
	}
	s = udp_bind(PORT, NULL, NULL);
	if (!s)
		return 1;
	/* Our announcement's echo comes and goes first; then drain. */
	thread_sleep_ms(200);
	while (udp_recvfrom(s, in, sizeof(in), NULL, NULL, 0) >= 0)
		;
	stats(&a);
	net_tx_begin();
	for (long i = 0; i < frames; i++) {
		memset(msg, (int)i, sizeof(msg));
		sent += !udp_sendto(s, ip, PORT, msg, sizeof(msg));
	}
	net_tx_end();
	stats(&b);
	end = time_ns() + WAIT_NS;
	while (back < sent && time_ns() < end) {
		int n = udp_recvfrom(s, in, sizeof(in), NULL, NULL, 0);

		if (n == (int)sizeof(msg) && in[0] == (uint8_t)back)
			back++;
	}
	stats(&c);
	past = send_past_holder(s, ip);
	kprintf("netburst: with another thread's batch open: published %ld\n",
		past);
	kprintf("netburst: sent %ld back %ld publishes %llu kicks %llu rx_irqs %llu\n",
		sent, back,
		(unsigned long long)(b.tx_publishes - a.tx_publishes),
		(unsigned long long)(b.tx_kicks - a.tx_kicks),
		(unsigned long long)(c.rx_irqs - b.rx_irqs));
	udp_close(s);
	if (sent != frames || back != sent)
		kprintf("netburst: FAIL frames lost\n");
	else if (b.tx_publishes - a.tx_publishes != 1 ||
		 b.tx_kicks - a.tx_kicks > 1)
		kprintf("netburst: FAIL the burst was not published once\n");
	else if (c.rx_irqs != b.rx_irqs)
		kprintf("netburst: FAIL receive interrupts while polling\n");
	else if (past != 1)
		kprintf("netburst: FAIL another thread's batch held our frame back\n");
	else
		kprintf("netburst: ok\n");
	return 0;
}
APP(netburst, netburst_main,
	"count the driver's publishes and interrupts for a burst on a loopback device [frames=N]");
