/*
 * l2ping IFNAME DSTMAC [size=64] [count=N] [window=32] [warm=N]: fire
 * raw Ethernet frames (EtherType 0x88b5, local experimental) at DSTMAC
 * through IFNAME, window in flight, and count what comes back with the
 * MACs swapped (an l2fwd in a guest, or an XDP_TX program that swaps
 * them on a veth).  Checks every frame's sequence number and bytes;
 * prints "pps N pkt/s", "back N frames", "warmup N frames".  A frame not
 * back within a second, or corrupted, makes it exit 1 ("lost" says how
 * many were outstanding).  BENCH_SMALL=1 makes the default count 200.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETH_P_L2PING 0x88b5
#define HLEN 14
#define MAX_SIZE 1514
#define TIMEOUT_MS 1000

struct l2 {
	int s;
	size_t size;
	uint8_t me[6], peer[6];
	uint8_t out[MAX_SIZE], in[MAX_SIZE + 64];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long opt(int argc, char **argv, const char *key, long def)
{
	size_t n = strlen(key);

	for (int i = 3; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return atol(argv[i] + n + 1);
	return def;
}

/* A frame from src to dst with seq; its payload follows from seq. */
static void fill(struct l2 *l, uint8_t *p, const uint8_t *dst,
		 const uint8_t *src, uint32_t seq)
{
	uint16_t type = htons(ETH_P_L2PING);

	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	memcpy(p + 12, &type, 2);
	memcpy(p + HLEN, &seq, 4);
	for (size_t i = HLEN + 4; i < l->size; i++)
		p[i] = (uint8_t)(seq * 13 + i);
}

static int send_seq(struct l2 *l, uint32_t seq)
{
	fill(l, l->out, l->peer, l->me, seq);
	return send(l->s, l->out, l->size, 0) == (ssize_t)l->size ? 0 : -1;
}

/* The next frame back, checked: its seq, or -1 (timeout, corrupted). */
static int64_t recv_seq(struct l2 *l)
{
	struct pollfd pfd = { .fd = l->s, .events = POLLIN };

	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		uint32_t seq;
		ssize_t n;

		if (poll(&pfd, 1, TIMEOUT_MS) != 1)
			return -1;
		n = recvfrom(l->s, l->in, sizeof(l->in), 0,
			     (struct sockaddr *)&from, &fl);
		if (n < 0)
			return -1;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;	/* our own, seen going out */
		if ((size_t)n < HLEN + 4 || (size_t)n != l->size) {
			fprintf(stderr, "l2ping: frame of %zd bytes, sent %zu\n",
				n, l->size);
			return -1;
		}
		memcpy(&seq, l->in + HLEN, 4);
		fill(l, l->out, l->me, l->peer, seq);
		if (memcmp(l->in, l->out, l->size)) {
			fprintf(stderr, "l2ping: frame %u came back changed\n",
				seq);
			return -1;
		}
		return seq;
	}
}

/* Frames *seq up to end, window in flight, every one back in order. */
static int stream(struct l2 *l, uint32_t *seq, uint32_t end, long window)
{
	uint32_t sent = *seq, back = *seq;

	while (back < end) {
		int64_t got;

		while (sent < end && sent - back < window)
			if (send_seq(l, sent++))
				return -1;
		got = recv_seq(l);
		if (got != back) {
			fprintf(stderr, "l2ping: want frame %u back, got %lld; lost %u\n",
				back, (long long)got, sent - back);
			return -1;
		}
		back++;
	}
	*seq = end;
	return 0;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int open_if(struct l2 *l, const char *name)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_L2PING) };
	struct ifreq ifr;

	l->s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_L2PING));
	sa.sll_ifindex = (int)if_nametoindex(name);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (l->s < 0 || !sa.sll_ifindex ||
	    bind(l->s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    ioctl(l->s, SIOCGIFHWADDR, &ifr))
		return -1;
	memcpy(l->me, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("BENCH_SMALL");
	int small = env && *env && strcmp(env, "0");
	static struct l2 l;
	long count, window, warm;
	uint32_t seq = 0;
	uint64_t t0, t1;

	if (argc < 3 || parse_mac(argv[2], l.peer)) {
		fprintf(stderr, "usage: l2ping IFNAME DSTMAC [size=64] [count=N] [window=32] [warm=N]\n");
		return 2;
	}
	l.size = (size_t)opt(argc, argv, "size", 64);
	count = opt(argc, argv, "count", small ? 200 : 5000);
	window = opt(argc, argv, "window", 32);
	warm = opt(argc, argv, "warm", count / 10);
	if (l.size < 60 || l.size > MAX_SIZE || count < 1 || window < 1 ||
	    warm < 0) {
		fprintf(stderr, "l2ping: size must be 60..%d, count and window positive\n",
			MAX_SIZE);
		return 2;
	}
	if (open_if(&l, argv[1])) {
		perror("l2ping: socket");
		return 1;
	}
	if (stream(&l, &seq, (uint32_t)warm, window))
		return 1;
	t0 = now_ns();
	if (stream(&l, &seq, (uint32_t)(warm + count), window))
		return 1;
	t1 = now_ns();
	printf("pps %.0f pkt/s\n", (double)count * 1e9 / (double)(t1 - t0));
	printf("back %ld frames\n", count);
	printf("warmup %ld frames\n", warm);
	return 0;
}
