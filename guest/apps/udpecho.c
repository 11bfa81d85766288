/*
 * udpecho [ip=169.254.1.2] [port=7] [seconds=N] [count=N] [burst=N]: bring
 * up the first network device with a link-local address, answer ARP and ping
 * (the stack does, from the network interrupt) and echo every UDP
 * datagram to port back to its sender.  Runs until stopped, for N
 * seconds, or until N datagrams were echoed; then prints its counters.
 *
 * Datagrams that are waiting already are echoed as one burst (up to
 * burst, 32 by default; 1: each on its own): the driver publishes the
 * replies to the device together.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kspawn.h"

struct echo {
	struct udp_sock *s;
	long echoed, errors, count, burst;
	uint8_t buf[NET_FRAME_MAX];
};

/*
 * Echo the datagram of n bytes in e->buf, then those already waiting, up
 * to e->burst or the count, as one burst.
 */
static void echo_burst(struct echo *e, int n, uint32_t peer, uint16_t pport)
{
	net_tx_begin();
	for (int k = 0; n >= 0; k++) {
		if (udp_sendto(e->s, peer, pport, e->buf, (size_t)n))
			e->errors++;
		else
			e->echoed++;
		if (k + 1 >= e->burst || (e->count && e->echoed >= e->count))
			break;
		n = udp_recvfrom(e->s, e->buf, sizeof(e->buf), &peer, &pport,
				 0);
	}
	net_tx_end();
}

static int bring_up(const char *addr)
{
	uint32_t ip;
	int err;

	if (net_parse_ip(addr, &ip) || !net_ip_is_link_local(ip)) {
		kprintf("udpecho: bad ip=%s (want a link-local 169.254.x.y)\n",
			addr);
		return 2;
	}
	err = net_up(ip);
	if (err == -ENODEV) {
		kprintf("udpecho: no network device (kspawnctl run --net loopback|netdev)\n");
		return 1;
	}
	if (err) {
		kprintf("udpecho: cannot bring the network up (%d)\n", err);
		return 1;
	}
	return 0;
}

static int udpecho_main(int argc, char **argv)
{
	const char *addr = app_opt(argc, argv, "ip", "169.254.1.2");
	int port = atoi(app_opt(argc, argv, "port", "7"));
	long seconds = atol(app_opt(argc, argv, "seconds", "0"));
	long count = atol(app_opt(argc, argv, "count", "0"));
	long burst = atol(app_opt(argc, argv, "burst", "32"));
	uint64_t end = time_ns() + (uint64_t)seconds * NSEC_PER_SEC;
	static struct echo e;
	int status;

	if (port < 1 || port > 65535 || seconds < 0 || count < 0 ||
	    burst < 1) {
		kprintf("udpecho: bad port=, seconds=, count= or burst=\n");
		return 2;
	}
	status = bring_up(addr);
	if (status)
		return status;
	e.count = count;
	e.burst = burst;
	e.s = udp_bind((uint16_t)port, NULL, NULL);
	if (!e.s) {
		kprintf("udpecho: cannot bind UDP port %d\n", port);
		return 1;
	}
	kprintf("udpecho: answering ARP, ping and UDP port %d on %s\n", port,
		addr);
	for (;;) {
		uint64_t now = time_ns(), wait = NET_WAIT_FOREVER;
		uint32_t peer;
		uint16_t pport;
		int n;

		if (count && e.echoed >= count)
			break;
		if (seconds) {
			if (now >= end)
				break;
			wait = end - now;
		}
		n = udp_recvfrom(e.s, e.buf, sizeof(e.buf), &peer, &pport,
				 wait);
		if (n >= 0)
			echo_burst(&e, n, peer, pport);
	}
	kprintf("udpecho: echoed %ld datagrams, %ld not sent\n", e.echoed,
		e.errors);
	net_print_stats("udpecho");
	udp_close(e.s);
	return 0;
}
APP(udpecho, udpecho_main,
	"answer ARP, ping and UDP echo [ip=169.254.x.y] [port=7] [seconds=N] [count=N] [burst=N]");
