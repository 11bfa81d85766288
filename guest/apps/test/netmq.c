/*
 * netmq [ip=169.254.1.2] peer=169.254.1.1 [count=N] [seconds=N]: the
 * network driver's queue pairs (one per guest CPU with VIRTIO_NET_F_MQ).
 * Brings the network up, pings the peer until it answers (ARP), then one thread pinned to
 * each guest CPU sends count UDP datagrams to peer port 9 and reports the
 * CPU it sent from; then echoes UDP port 7 for seconds, so that the host
 * can send flows that land on different pairs, and prints the counters
 * (per pair with more than one).
 */
#include <stdlib.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"

#define MAX_CPUS 16

struct sender {
	struct udp_sock *s;
	uint32_t peer;
	long count, sent;
	unsigned int cpu;		/* where it ran */
};

static int send_all(void *arg)
{
	struct sender *w = arg;
	char msg[32] = "netmq";

	w->cpu = sched_cpu();
	for (long i = 0; i < w->count; i++)
		if (!udp_sendto(w->s, w->peer, 9, msg, sizeof(msg)))
			w->sent++;
	return 0;
}

static void echo(struct udp_sock *s, long seconds)
{
	uint64_t end = time_ns() + (uint64_t)seconds * NSEC_PER_SEC;
	static uint8_t buf[2048];
	long echoed = 0;

	for (uint64_t now = time_ns(); now < end; now = time_ns()) {
		uint32_t ip;
		uint16_t port;
		int n = udp_recvfrom(s, buf, sizeof(buf), &ip, &port,
				     end - now);

		if (n >= 0 && !udp_sendto(s, ip, port, buf, (size_t)n))
			echoed++;
	}
	kprintf("netmq: echoed %ld\n", echoed);
}

static int netmq_main(int argc, char **argv)
{
	static struct sender w[MAX_CPUS];
	struct thread *t[MAX_CPUS];
	unsigned int ncpus = sched_ncpus();
	long count = atol(app_opt(argc, argv, "count", "50"));
	long seconds = atol(app_opt(argc, argv, "seconds", "0"));
	uint32_t ip, peer;
	struct udp_sock *s;

	if (net_parse_ip(app_opt(argc, argv, "ip", "169.254.1.2"), &ip) ||
	    net_parse_ip(app_opt(argc, argv, "peer", ""), &peer) ||
	    count < 0 || seconds < 0 || ncpus > MAX_CPUS) {
		kprintf("netmq: bad ip=, peer=, count= or seconds=\n");
		return 2;
	}
	if (net_up(ip)) {
		kprintf("netmq: no network\n");
		return 1;
	}
	s = udp_bind(7, NULL, NULL);
	if (!s)
		return 1;
	kprintf("netmq: up, %u CPUs, %u queue pairs\n", ncpus,
		netif_queue_pairs());
	/* The host brings its end up after the spawn: ARP once it is. */
	for (int i = 0; i < 60 && net_ping(peer, 1, 10, 1000) != 1; i++)
		;
	kprintf("netmq: peer %s\n", net_ping(peer, 1, 10, 1000) == 1 ?
		"answers" : "does not answer");
	for (unsigned int c = 0; c < ncpus; c++) {
		struct thread_attr a = { .cpus = 1u << c };

		w[c] = (struct sender){ .s = s, .peer = peer, .count = count };
		t[c] = thread_create("netmq", send_all, &w[c], &a);
	}
	for (unsigned int c = 0; c < ncpus; c++) {
		if (!t[c])
			continue;
		thread_join(t[c]);
		kprintf("netmq: cpu %u sent %ld\n", w[c].cpu, w[c].sent);
	}
	kprintf("netmq: sending done\n");
	echo(s, seconds);
	net_print_stats("netmq");
	udp_close(s);
	return 0;
}
APP(netmq, netmq_main,
	"queue pairs: send from every CPU, then echo UDP port 7 peer=IP [count=N] [seconds=N]");
