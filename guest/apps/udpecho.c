/*
 * udpecho [ip=169.254.1.2] [port=7] [seconds=N]: bring up the first network
 * device, answer ARP and ping, and echo every UDP datagram to port 7 back
 * to its sender; runs until stopped (or for N seconds), then prints what it
 * did.  netcheck tests the device's loopback mode instead.
 */
#include <stdlib.h>
#include <string.h>

#include "kern/app.h"
#include "kern/console.h"
#include "kern/sched.h"
#include "kern/time.h"
#include "kern/virtio_net.h"

static void echo(struct netif *nif, uint32_t src_ip, uint16_t src_port,
		 uint16_t dst_port, const uint8_t *data, size_t len, void *arg)
{
	(void)arg;
	udp_send(nif, src_ip, dst_port, src_port, data, len);
}

static const char *opt(int argc, char **argv, const char *key, const char *def)
{
	size_t n = strlen(key);

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	return def;
}

static int udpecho_main(int argc, char **argv)
{
	uint32_t ip = net_parse_ip(opt(argc, argv, "ip", "169.254.1.2"));
	int port = atoi(opt(argc, argv, "port", "7"));
	long seconds = atol(opt(argc, argv, "seconds", "0"));
	uint64_t end = time_ns() + (uint64_t)seconds * 1000000000ULL;
	struct netif *nif;

	if (!ip) {
		kprintf("udpecho: bad ip=\n");
		return 2;
	}
	nif = vnet_init(ip);
	if (!nif) {
		kprintf("udpecho: no network device (kspawnctl run --net loopback|netdev)\n");
		return 1;
	}
	udp_bind(nif, (uint16_t)port, echo, NULL);
	kprintf("udpecho: answering ARP, ping and UDP port %d\n", port);
	while (!seconds || time_ns() < end) {
		vnet_poll();
		thread_sleep_ms(10);
	}
	kprintf("udpecho: rx %llu tx %llu arp %llu ping %llu udp %llu dropped %llu\n",
		(unsigned long long)nif->stats.rx_frames,
		(unsigned long long)nif->stats.tx_frames,
		(unsigned long long)nif->stats.arp_replies,
		(unsigned long long)nif->stats.echo_replies,
		(unsigned long long)nif->stats.udp_in,
		(unsigned long long)nif->stats.dropped);
	return 0;
}
APP(udpecho, udpecho_main, "answer ARP, ping and UDP echo [ip=A.B.C.D] [port=7] [seconds=N]");
