/*
 * netbench [ip=169.254.1.2] [peer=169.254.1.1] [port=7] [count=1000]
 *          [size=64] [sizes=64,512,1472] [window=1] [wait=1] [ping=0]:
 * once the peer's echo server answers (the warm-up), ping the peer
 * ping times (ICMP echo, data checked), then UDP request/response
 * against that echo server.  Keeps window requests in flight, checks
 * every reply's sequence number and content, and prints one line per
 * size: lost and corrupted replies, replies per second, round-trip
 * p50/p99 and the UDP payload rate both ways in Mbit/s.  size is the UDP
 * payload (8..1472; 1472 fills a 1500-byte MTU); sizes= runs count
 * requests of each size in turn.  A request with no reply for wait
 * seconds counts as lost (tests on a loaded machine give emulated peers
 * longer).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kspawn.h"
#include "lib/percentile.h"

#define MAGIC 0x6b73706eu		/* "kspn" */
#define HDR 8				/* sequence number, magic */
#define LOST 2
#define MAX_SIZES 16

struct bench {
	struct udp_sock *s;
	uint32_t peer;
	uint16_t port;
	size_t size;
	long count, window, pings;
	long sizes[MAX_SIZES];
	int nsizes;
	uint64_t wait_ns;		/* before a request counts as lost */
	uint64_t *sent_at, *rtt;
	uint8_t *state;			/* 0 in flight or unsent, 1 back, LOST */
	long next, inflight, received, lost, corrupt, stray;
	uint8_t buf[NET_FRAME_MAX];
};

static void fill(uint8_t *p, size_t size, uint32_t seq)
{
	uint32_t magic = MAGIC;

	memcpy(p, &seq, 4);
	memcpy(p + 4, &magic, 4);
	for (size_t i = HDR; i < size; i++)
		p[i] = (uint8_t)(seq * 7 + i);
}

static int send_one(struct bench *b, uint32_t seq)
{
	fill(b->buf, b->size, seq);
	return udp_sendto(b->s, b->peer, b->port, b->buf, b->size);
}

/* Send one request and wait for its reply (ARP happens here). */
static int warm_up(struct bench *b)
{
	for (int i = 0; i < 5; i++) {
		uint32_t from;
		uint16_t fport;

		if (send_one(b, UINT32_MAX))
			continue;
		while (udp_recvfrom(b->s, b->buf, sizeof(b->buf), &from,
				    &fport, b->wait_ns) >= 0)
			if (from == b->peer && fport == b->port)
				return 0;
	}
	return -1;
}

static void give_up_inflight(struct bench *b)
{
	for (long i = 0; i < b->next; i++) {
		if (!b->state[i]) {
			b->state[i] = LOST;
			b->lost++;
		}
	}
	b->inflight = 0;
}

static void take_reply(struct bench *b, int n, uint32_t from, uint16_t fport)
{
	static uint8_t want[NET_FRAME_MAX];
	uint32_t seq;

	if (from != b->peer || fport != b->port || n < HDR) {
		b->stray++;
		return;
	}
	memcpy(&seq, b->buf, 4);
	if (seq >= (uint32_t)b->next || b->state[seq]) {
		b->stray++;		/* late, after we gave up on it */
		return;
	}
	b->state[seq] = 1;
	b->inflight--;
	fill(want, b->size, seq);
	if ((size_t)n != b->size || memcmp(b->buf, want, b->size)) {
		b->corrupt++;
		return;
	}
	b->rtt[b->received++] = time_ns() - b->sent_at[seq];
}

static void run(struct bench *b)
{
	while (b->next < b->count || b->inflight) {
		uint32_t from;
		uint16_t fport;
		int n;

		while (b->inflight < b->window && b->next < b->count) {
			b->sent_at[b->next] = time_ns();
			if (send_one(b, (uint32_t)b->next)) {
				b->state[b->next] = LOST;
				b->lost++;
			} else {
				b->inflight++;
			}
			b->next++;
		}
		if (!b->inflight)
			continue;
		n = udp_recvfrom(b->s, b->buf, sizeof(b->buf), &from, &fport,
				 b->wait_ns);
		if (n == -ETIMEDOUT)
			give_up_inflight(b);
		else if (n >= 0)
			take_reply(b, n, from, fport);
	}
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(struct bench *b, uint64_t elapsed)
{
	uint64_t p50 = 0, p99 = 0, pps = 0, mbit = 0;

	if (b->received) {
		qsort(b->rtt, (size_t)b->received, sizeof(*b->rtt), cmp);
		p50 = b->rtt[percentile_index(b->received, 50)] / 1000;
		p99 = b->rtt[percentile_index(b->received, 99)] / 1000;
	}
	if (elapsed) {
		pps = (uint64_t)b->received * NSEC_PER_SEC / elapsed;
		/* Payload both ways: each reply carried size bytes twice. */
		mbit = pps * b->size * 2 * 8 / 1000000;
	}
	kprintf("netbench: count=%ld lost=%ld pps=%llu p50_us=%llu p99_us=%llu size=%lu window=%ld corrupt=%ld stray=%ld mbit_s=%llu\n",
		b->count, b->lost, (unsigned long long)pps,
		(unsigned long long)p50, (unsigned long long)p99,
		(unsigned long)b->size, b->window, b->corrupt, b->stray,
		(unsigned long long)mbit);
}

/* sizes=A,B,...: into b->sizes; else the one size=.  0 or -1. */
static int parse_sizes(struct bench *b, const char *list, long size)
{
	b->nsizes = 0;
	if (!*list) {
		b->sizes[b->nsizes++] = size;
		return 0;
	}
	while (*list) {
		char *end;
		long v = strtol(list, &end, 10);

		if (end == list || b->nsizes == MAX_SIZES ||
		    (*end && *end != ','))
			return -1;
		b->sizes[b->nsizes++] = v;
		list = *end ? end + 1 : end;
	}
	return 0;
}

static int parse(struct bench *b, int argc, char **argv, uint32_t *ip)
{
	const char *me = app_opt(argc, argv, "ip", "169.254.1.2");
	const char *peer = app_opt(argc, argv, "peer", "169.254.1.1");
	long port = atol(app_opt(argc, argv, "port", "7"));
	long size = atol(app_opt(argc, argv, "size", "64"));
	long wait = atol(app_opt(argc, argv, "wait", "1"));
	const char *sizes = app_opt(argc, argv, "sizes", "");
	int bad_size = parse_sizes(b, sizes, size);

	b->pings = atol(app_opt(argc, argv, "ping", "0"));
	b->count = atol(app_opt(argc, argv, "count", "1000"));
	b->window = atol(app_opt(argc, argv, "window", "1"));
	if (net_parse_ip(me, ip) || !net_ip_is_link_local(*ip) ||
	    net_parse_ip(peer, &b->peer) || !net_ip_is_link_local(b->peer)) {
		kprintf("netbench: ip= and peer= must be link-local 169.254.x.y\n");
		return -1;
	}
	for (int i = 0; i < b->nsizes; i++)
		if (b->sizes[i] < HDR || b->sizes[i] > 1472)
			bad_size = 1;
	if (port < 1 || port > 65535 || bad_size ||
	    b->count < 1 || b->count > 10000000 || b->window < 1 ||
	    b->window > 1024 || wait < 1 || wait > 3600 || b->pings < 0 ||
	    b->pings > 10000) {
		kprintf("netbench: bad port=, size= or sizes= (8..1472, at most 16), count=, window= (1..1024), wait= (1..3600) or ping= (0..10000)\n");
		return -1;
	}
	b->wait_ns = (uint64_t)wait * NSEC_PER_SEC;
	b->port = (uint16_t)port;
	b->size = (size_t)b->sizes[0];
	return 0;
}

static int setup(struct bench *b, uint32_t ip)
{
	int err = net_up(ip);

	if (err == -ENODEV) {
		kprintf("netbench: no network device (kspawnctl run --net netdev)\n");
		return -1;
	}
	b->s = err ? NULL : udp_bind(0, NULL, NULL);
	b->sent_at = calloc((size_t)b->count, sizeof(*b->sent_at));
	b->rtt = calloc((size_t)b->count, sizeof(*b->rtt));
	b->state = calloc((size_t)b->count, 1);
	if (!b->s || !b->sent_at || !b->rtt || !b->state) {
		kprintf("netbench: cannot set up (network %d, memory)\n", err);
		return -1;
	}
	return 0;
}

static int netbench_main(int argc, char **argv)
{
	static struct bench b;
	int failed = 0;
	uint64_t t0;
	uint32_t ip;

	if (parse(&b, argc, argv, &ip))
		return 2;
	if (setup(&b, ip))
		return 1;
	if (warm_up(&b)) {
		kprintf("netbench: no answer from the peer's echo server\n");
		net_print_stats("netbench");
		return 1;
	}
	/*
	 * After the warm-up: the peer's address is resolved.  Before, the
	 * first ping waited for ARP, and the stack holds one frame per
	 * unresolved address: when the ARP reply took over 10 ms (a loaded
	 * machine), the next ping took its place and it was never sent.
	 */
	if (b.pings) {
		unsigned int got = net_ping(b.peer, (unsigned int)b.pings, 10,
					    (unsigned int)(b.wait_ns / NSEC_PER_MSEC));

		kprintf("netbench: ping %ld sent, %u answered\n", b.pings, got);
		if (got != (unsigned int)b.pings)
			return 1;
	}
	for (int i = 0; i < b.nsizes; i++) {
		/* Each size from a clean slate: sequence numbers start at 0. */
		b.size = (size_t)b.sizes[i];
		b.next = b.inflight = b.received = 0;
		b.lost = b.corrupt = b.stray = 0;
		memset(b.state, 0, (size_t)b.count);
		t0 = time_ns();
		run(&b);
		report(&b, time_ns() - t0);
		failed |= b.lost || b.corrupt;
	}
	return failed;
}
APP(netbench, netbench_main,
	"UDP round trips to an echo peer [ip=] [peer=] [port=7] [count=N] [size=64] [sizes=64,512,1472] [window=1] [wait=1] [ping=N]");
