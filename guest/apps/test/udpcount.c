/*
 * udpcount [ip=169.254.1.2] [port=9]: bring up the network and count the
 * UDP datagrams that arrive on port, without answering; after each burst
 * (200 ms without one) print "udpcount: N datagrams" and the stack's
 * counters.  qemu/xdp-native
 * sends it frames that an XDP program in the host redirected into the
 * guest: the guest's own count of them.
 */
#include <errno.h>
#include <stdlib.h>

#include "kspawn.h"

static int udpcount_main(int argc, char **argv)
{
	const char *addr = app_opt(argc, argv, "ip", "169.254.1.2");
	int port = atoi(app_opt(argc, argv, "port", "9"));
	static uint8_t buf[NET_FRAME_MAX];
	long got = 0, shown = 0;
	struct udp_sock *s;
	uint32_t ip;

	if (net_parse_ip(addr, &ip) || port < 1 || port > 65535) {
		kprintf("udpcount: bad ip= or port=\n");
		return 2;
	}
	if (net_up(ip) || !(s = udp_bind((uint16_t)port, NULL, NULL))) {
		kprintf("udpcount: cannot bring the network up on port %d\n",
			port);
		return 1;
	}
	kprintf("udpcount: counting UDP port %d on %s\n", port, addr);
	for (;;) {
		uint32_t peer;
		uint16_t pport;
		int n = udp_recvfrom(s, buf, sizeof(buf), &peer, &pport,
				     200 * NSEC_PER_MSEC);

		if (n >= 0) {
			got++;
		} else if (n == -ETIMEDOUT && got != shown) {
			kprintf("udpcount: %ld datagrams\n", got);
			net_print_stats("udpcount");
			shown = got;
		}
	}
	return 0;
}
APP(udpcount, udpcount_main, "count UDP datagrams to a port [ip=] [port=9]");
