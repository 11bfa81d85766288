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
 *    interrupt off, kern/net.c).
 *
 * Prints "netburst: sent N back N publishes P kicks K rx_irqs I" and
 * "netburst: ok" or "netburst: FAIL ...".
 */
#include <stdlib.h>
#include <string.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"

#define PORT 7000
#define WAIT_NS (5 * NSEC_PER_SEC)

static int netburst_main(int argc, char **argv)
{
	long frames = atol(app_opt(argc, argv, "frames", "32"));
	struct netif_queue_stats a, b, c;
	uint8_t msg[64], in[128];
	long sent = 0, back = 0;
	struct udp_sock *s;
	uint64_t end;
	uint32_t ip;

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
	netif_queue_stats(0, &a);
	net_tx_begin();
	for (long i = 0; i < frames; i++) {
		memset(msg, (int)i, sizeof(msg));
		sent += !udp_sendto(s, ip, PORT, msg, sizeof(msg));
	}
	net_tx_end();
	netif_queue_stats(0, &b);
	end = time_ns() + WAIT_NS;
	while (back < sent && time_ns() < end) {
		int n = udp_recvfrom(s, in, sizeof(in), NULL, NULL, 0);

		if (n == (int)sizeof(msg) && in[0] == (uint8_t)back)
			back++;
	}
	netif_queue_stats(0, &c);
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
	else
		kprintf("netburst: ok\n");
	return 0;
}
APP(netburst, netburst_main,
	"count the driver's publishes and interrupts for a burst on a loopback device [frames=N]");
