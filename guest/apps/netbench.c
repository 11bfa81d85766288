/*
 * netbench [ip=A.B.C.D] [peer=A.B.C.D] [port=7] [count=N]: UDP
 * request/response against an echo server on the peer, one datagram at a
 * time; prints the round-trip p50/p99 and the rate, one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kern/app.h"
#include "kern/console.h"
#include "kern/sched.h"
#include "kern/time.h"
#include "kern/virtio_net.h"

static volatile long replies;

static void on_reply(struct netif *nif, uint32_t src, uint16_t sport,
		     uint16_t dport, const uint8_t *data, size_t len, void *arg)
{
	(void)nif;
	(void)src;
	(void)sport;
	(void)dport;
	(void)data;
	(void)len;
	(void)arg;
	replies++;
}

static const char *opt(int argc, char **argv, const char *key, const char *def)
{
	size_t n = strlen(key);

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	return def;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int netbench_main(int argc, char **argv)
{
	uint32_t ip = net_parse_ip(opt(argc, argv, "ip", "169.254.1.2"));
	uint32_t peer = net_parse_ip(opt(argc, argv, "peer", "169.254.1.1"));
	uint16_t port = (uint16_t)atoi(opt(argc, argv, "port", "7"));
	long count = atol(opt(argc, argv, "count", "1000")), lost = 0;
	uint64_t *rtt = malloc(sizeof(uint64_t) * (size_t)(count > 0 ? count : 1));
	uint8_t payload[64] = "kspawn netbench";
	struct netif *nif = vnet_init(ip);
	uint64_t t0, t1;

	if (!nif || !rtt || count < 1 || !peer) {
		kprintf("netbench: no network device or bad arguments\n");
		return 1;
	}
	udp_bind(nif, 40000, on_reply, NULL);
	/* Resolve the peer first (ARP), without counting it. */
	for (int i = 0; i < 100 && udp_send(nif, peer, 40000, port, payload, 1); i++) {
		vnet_poll();
		thread_sleep_ms(10);
	}
	thread_sleep_ms(50);
	vnet_poll();
	t0 = time_ns();
	for (long i = 0; i < count; i++) {
		long want = replies + 1;
		uint64_t start = time_ns(), deadline = start + 1000000000ULL;

		udp_send(nif, peer, 40000, port, payload, sizeof(payload));
		while (replies < want && time_ns() < deadline)
			vnet_poll();
		if (replies < want)
			lost++;
		rtt[i] = time_ns() - start;
	}
	t1 = time_ns();
	qsort(rtt, (size_t)count, sizeof(*rtt), cmp);
	kprintf("netbench: count=%ld lost=%ld pps=%llu p50_us=%llu p99_us=%llu\n",
		count, lost,
		(unsigned long long)((uint64_t)count * 1000000000ULL / (t1 - t0)),
		(unsigned long long)(rtt[count / 2] / 1000),
		(unsigned long long)(rtt[count * 99 / 100] / 1000));
	return lost ? 1 : 0;
}
APP(netbench, netbench_main, "UDP round trips to an echo peer [ip=] [peer=] [port=7] [count=N]");
