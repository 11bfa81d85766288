/*
 * udpping ADDR PORT rtt|pps|tput [size=64] [count=N] [window=32]: a UDP echo
 * client for the net benchmarks, run from a Linux host against a guest's
 * udpecho (over ksnet0) or against `udpcheck serve` in another network
 * namespace (over a veth pair): the same program on both sides, so only
 * the path differs.
 *
 *   rtt: one datagram in flight; prints "rtt_p50_us X us", "rtt_p99_us".
 *   pps: window datagrams in flight; prints "pps N pkt/s".
 *   tput: the same, and first "mbit_s N Mbit/s", the UDP payload carried
 *   each way (for size=1472, full 1500-byte packets).
 *   Both then "warmup N datagrams": count / 10 go first, unmeasured.
 *
 * Every reply's sequence number and bytes are checked; a lost, stray or
 * corrupted reply makes it exit 1 (a benchmark of a broken path is no
 * benchmark).  Diagnostics go to stderr.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/lib/hostbench.h"
#include "guest/lib/percentile.h"

#define MAX_SIZE 1472
#define REPLY_TIMEOUT_MS 1000

struct ping {
	int s;
	size_t size;
	uint8_t out[MAX_SIZE], in[MAX_SIZE + 1];
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

	for (int i = 4; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return atol(argv[i] + n + 1);
	return def;
}

static void fill(uint8_t *p, size_t size, uint32_t seq)
{
	memcpy(p, &seq, 4);
	for (size_t i = 4; i < size; i++)
		p[i] = (uint8_t)(seq * 13 + i);
}

static int send_seq(struct ping *p, uint32_t seq)
{
	fill(p->out, p->size, seq);
	return send(p->s, p->out, p->size, 0) == (ssize_t)p->size ? 0 : -1;
}

/* The next reply's sequence number, after checking it; -1 on any fault. */
static int64_t recv_seq(struct ping *p)
{
	struct pollfd pfd = { .fd = p->s, .events = POLLIN };
	uint32_t seq;
	ssize_t n;

	if (poll(&pfd, 1, REPLY_TIMEOUT_MS) != 1) {
		fprintf(stderr, "udpping: no reply within %d ms\n",
			REPLY_TIMEOUT_MS);
		return -1;
	}
	n = recv(p->s, p->in, sizeof(p->in), 0);
	if (n != (ssize_t)p->size) {
		fprintf(stderr, "udpping: reply of %zd bytes, sent %zu\n", n,
			p->size);
		return -1;
	}
	memcpy(&seq, p->in, 4);
	fill(p->out, p->size, seq);
	if (memcmp(p->in, p->out, p->size)) {
		fprintf(stderr, "udpping: reply %u corrupted\n", seq);
		return -1;
	}
	return seq;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int rtt(struct ping *p, long warm, long count)
{
	uint64_t *lat = calloc((size_t)count, sizeof(*lat));

	if (!lat)
		return 1;
	for (long i = -warm; i < count; i++) {
		uint64_t t0 = now_ns();
		uint32_t seq = (uint32_t)(i + warm);

		if (send_seq(p, seq) || recv_seq(p) != seq)
			return 1;
		if (i >= 0)
			lat[i] = now_ns() - t0;
	}
	qsort(lat, (size_t)count, sizeof(*lat), cmp_u64);
	printf("rtt_p50_us %.1f us\n",
	       (double)lat[percentile_index(count, 50)] / 1000.0);
	printf("rtt_p99_us %.1f us\n",
	       (double)lat[percentile_index(count, 99)] / 1000.0);
	free(lat);
	return 0;
}

/*
 * Datagrams *seq up to end, window in flight, all back.  Replies must
 * come back in order on these paths (one queue, one CPU each side); one
 * that does not is a fault like a lost one.
 */
static int stream(struct ping *p, uint32_t *seq, uint32_t end, long window)
{
	uint32_t sent = *seq, back = *seq;

	while (back < end) {
		while (sent < end && sent - back < window)
			if (send_seq(p, sent++))
				return 1;
		if (recv_seq(p) != back++) {
			fprintf(stderr, "udpping: reply %u out of order\n",
				back - 1);
			return 1;
		}
	}
	*seq = end;
	return 0;
}

static int pps(struct ping *p, long warm, long count, long window, int tput)
{
	uint32_t seq = 0;
	uint64_t t0, t1;

	if (stream(p, &seq, (uint32_t)warm, window))
		return 1;
	t0 = now_ns();
	if (stream(p, &seq, (uint32_t)(warm + count), window))
		return 1;
	t1 = now_ns();
	if (tput)
		printf("mbit_s %.1f Mbit/s\n", (double)count * (double)p->size *
		       8e3 / (double)(t1 - t0));
	printf("pps %.0f pkt/s\n", (double)count * 1e9 / (double)(t1 - t0));
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	const char *env = getenv("BENCH_SMALL");
	int small = env && *env && strcmp(env, "0");
	struct ping *p = calloc(1, sizeof(*p));
	long count, window;

	if (argc < 4 || !p || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
	    (strcmp(argv[3], "rtt") && strcmp(argv[3], "pps") &&
	     strcmp(argv[3], "tput"))) {
		fprintf(stderr, "usage: udpping ADDR PORT rtt|pps|tput [size=64] "
				"[count=N] [window=32]\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)atoi(argv[2]));
	p->size = (size_t)opt(argc, argv, "size", 64);
	count = opt(argc, argv, "count", small ? 200 : 5000);
	window = opt(argc, argv, "window", 32);
	if (p->size < 4 || p->size > MAX_SIZE || count < 1 || window < 1) {
		fprintf(stderr, "udpping: size must be 4..%d, count and window "
				"positive\n", MAX_SIZE);
		return 2;
	}
	p->s = socket(AF_INET, SOCK_DGRAM, 0);
	if (p->s < 0 || connect(p->s, (struct sockaddr *)&to, sizeof(to))) {
		perror("udpping: socket");
		return 1;
	}
	if (!strcmp(argv[3], "rtt") ? rtt(p, hb_warm(count), count) :
	    pps(p, hb_warm(count), count, window, !strcmp(argv[3], "tput")))
		return 1;
	printf("warmup %ld datagrams\n", hb_warm(count));
	return 0;
}
