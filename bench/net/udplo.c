// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * udplo: the peer of nethosted, Linux's own loopback for the same two
 * measurements.  A client thread on CPU 0 sends numbered UDP datagrams to
 * an echo thread on CPU 1 over 127.0.0.1; the echo thread sends each back.
 *
 *   udplo rtt [size=64] [count=N] [wait=spin|block]
 *   udplo pps [size=64] [window=32] [count=N] [wait=spin|block]
 *
 * rtt: one datagram in flight; stdout "rtt_p50_us X us", "rtt_p99_us X us".
 * pps: window datagrams in flight; stdout "pps N pkt/s".
 * size is the UDP payload (8 to 1500).  layout= is accepted and ignored,
 * so that the harness can give both sides one argument list.
 *
 * wait=spin (the default) polls with MSG_DONTWAIT on both sides, as
 * nethosted's two threads poll their rings: the comparison is then of the
 * paths, not of wake-ups.  wait=block sleeps in recvmmsg() instead, as
 * most programs do.  Both sides move datagrams in batches (sendmmsg,
 * recvmmsg), Linux's own answer to per-packet system-call costs.
 *
 * Every reply is checked as nethosted checks frames (lib/hostbench.c);
 * any loss or damage: no metrics, exit 1.  BENCH_CORRUPT=N has the echo
 * thread damage datagram N (from 1), BENCH_LOSE=N has it drop datagram N.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/lib/hostbench.h"

#define MAX_SIZE 1500
#define BUF 2048
#define BATCH 64		/* datagrams per sendmmsg/recvmmsg */
#define MAX_WINDOW 128
#define STALL_S 10		/* nothing back this long: lost */
#define STALL_NS (STALL_S * 1000000000ULL)
#define SOCKBUF (4 << 20)
#define DEFAULT_RTT_COUNT 300000L
#define DEFAULT_PPS_COUNT 1000000L

#define USAGE "udplo rtt|pps [size=64] [window=32] [count=N] [wait=spin|block]"

/* A batch of datagram buffers for sendmmsg/recvmmsg. */
struct batch {
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint8_t buf[BATCH][BUF];
};

struct run {
	int rtt_mode, block;
	long size, window, count;
	struct hb_stream st;
	uint64_t sent_at;		/* rtt mode: of the one in flight */
	uint64_t *rtt;			/* rtt mode: ns, per reply */
	long nrtt;
	uint64_t t0, t1;
	int fd;
	struct batch tx, rx;
};

static int echo_fd, block;
static long corrupt_at, lose_at;
static atomic_int echo_ready;
static struct batch echo_b;

static void batch_init(struct batch *b)
{
	memset(b->msg, 0, sizeof(b->msg));
	for (int i = 0; i < BATCH; i++) {
		b->iov[i] = (struct iovec){ b->buf[i], BUF };
		b->msg[i].msg_hdr.msg_iov = &b->iov[i];
		b->msg[i].msg_hdr.msg_iovlen = 1;
	}
}

/* All n of b, however many calls it takes; 0 or -1. */
static int send_all(int fd, struct batch *b, int n)
{
	int done = 0;

	while (done < n) {
		int k = sendmmsg(fd, b->msg + done, (unsigned int)(n - done),
				 0);

		/* A full socket buffer or a signal: try again. */
		if (k < 0 && errno != EAGAIN && errno != EINTR &&
		    errno != ENOBUFS)
			return -1;
		done += k > 0 ? k : 0;
	}
	return 0;
}

/* Up to BATCH datagrams; 0 if none (spin, or a block that timed out). */
static int recv_some(int fd, struct batch *b, int block_mode)
{
	int flags = block_mode ? MSG_WAITFORONE : MSG_DONTWAIT;
	int n;

	for (int i = 0; i < BATCH; i++)
		b->iov[i].iov_len = BUF;
	n = recvmmsg(fd, b->msg, BATCH, flags, NULL);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	return n < 0 ? 0 : n;
}

/* ---- the echo thread on CPU 1 ---- */

/* Apply BENCH_CORRUPT/BENCH_LOSE to the datagrams just received. */
static int tamper(struct batch *b, int n, long *count)
{
	int kept = 0;

	for (int i = 0; i < n; i++) {
		long no = ++*count;

		if (no == corrupt_at) {
			b->buf[i][b->msg[i].msg_len - 1] ^= 0x40;
			fprintf(stderr, "BENCH_CORRUPT: datagram %ld damaged\n",
				no);
		}
		if (no == lose_at) {
			fprintf(stderr, "BENCH_LOSE: datagram %ld dropped\n",
				no);
			continue;
		}
		if (kept != i) {
			memcpy(b->buf[kept], b->buf[i], b->msg[i].msg_len);
			b->msg[kept].msg_len = b->msg[i].msg_len;
		}
		kept++;
	}
	return kept;
}

/* Send back what came in; an empty datagram ends it. */
static void *echo_thread(void *arg)
{
	struct batch *b = &echo_b;
	long count = 0;

	(void)arg;
	hb_pin(1);
	batch_init(b);
	atomic_store(&echo_ready, 1);
	for (;;) {
		int n = recv_some(echo_fd, b, block);

		if (n < 0) {
			perror("udplo: echo: recvmmsg");
			exit(1);
		}
		for (int i = 0; i < n; i++)
			if (!b->msg[i].msg_len)
				return NULL;
		if (corrupt_at || lose_at)
			n = tamper(b, n, &count);
		for (int i = 0; i < n; i++)
			b->iov[i].iov_len = b->msg[i].msg_len;
		if (send_all(echo_fd, b, n)) {
			perror("udplo: echo: sendmmsg");
			exit(1);
		}
	}
}

/* ---- sockets: two on 127.0.0.1, each connected to the other ---- */

static int udp_socket(struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = SOCKBUF;
	socklen_t len = sizeof(*a);

	*a = (struct sockaddr_in){ .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) ||
	    getsockname(fd, (struct sockaddr *)a, &len))
		return -1;
	/* Room for a whole window either way (capped by rmem_max). */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

static int open_pair(struct run *s)
{
	struct sockaddr_in ca, ea;
	struct timeval tv = { .tv_sec = STALL_S };

	s->fd = udp_socket(&ca);
	echo_fd = udp_socket(&ea);
	if (s->fd < 0 || echo_fd < 0 ||
	    connect(s->fd, (struct sockaddr *)&ea, sizeof(ea)) ||
	    connect(echo_fd, (struct sockaddr *)&ca, sizeof(ca)))
		return -1;
	/* wait=block: a receive that waits this long means a loss. */
	return setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* ---- the client on CPU 0 ---- */

/* Keep window datagrams in flight. */
static int fill_window(struct run *s)
{
	int n = 0;

	while (n < BATCH && s->st.sent + n < s->count &&
	       s->st.sent + n - s->st.next < s->window) {
		hb_payload_make(s->tx.buf[n], (uint64_t)(s->st.sent + n),
				s->size);
		s->tx.iov[n].iov_len = (size_t)s->size;
		n++;
	}
	if (!n)
		return 0;
	if (s->rtt_mode)
		s->sent_at = hb_now_ns();
	s->st.sent += n;
	return send_all(s->fd, &s->tx, n);
}

/* Every reply there is (or the first, blocking); how many, or -1. */
static int receive(struct run *s)
{
	int n = recv_some(s->fd, &s->rx, s->block);
	uint64_t now = s->rtt_mode && n > 0 ? hb_now_ns() : 0;

	for (int i = 0; i < n; i++) {
		const uint8_t *p = s->rx.buf[i];
		long len = (long)s->rx.msg[i].msg_len;
		int whole = len == s->size && hb_payload_ok(p, s->size);

		if (len < 8)
			p = (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff";
		if (hb_stream_back(&s->st, hb_payload_seq(p), whole) &&
		    s->rtt_mode)
			s->rtt[s->nrtt++] = now - s->sent_at;
	}
	return n;
}

/*
 * Nothing came back: after STALL_S, what is in flight is lost.  A blocking
 * receive returns empty only after its SO_RCVTIMEO of STALL_S.
 */
static void stalled(struct run *s, struct hb_wait *w)
{
	if (!s->block && !hb_idle(w, STALL_NS))
		return;
	fprintf(stderr, "nothing back for %d s: %ld in flight lost\n", STALL_S,
		s->st.sent - s->st.next);
	hb_stream_give_up(&s->st);
}

static int measure(struct run *s)
{
	struct hb_wait w = { 0 };

	s->t0 = hb_now_ns();
	while (s->st.next < s->count) {
		int n;

		if (fill_window(s))
			return perror("udplo: sendmmsg"), -1;
		n = receive(s);
		if (n < 0)
			return perror("udplo: recvmmsg"), -1;
		if (n)
			hb_busy(&w);
		else
			stalled(s, &w);
	}
	s->t1 = hb_now_ns();
	return 0;
}

static void parse(int argc, char **argv, struct run *s)
{
	static const char *const keys[] = { "size", "window", "count",
					    "wait", "layout", NULL };
	const char *wait = hb_opt(argc, argv, 2, "wait", "spin");
	const char *count = hb_opt(argc, argv, 2, "count", NULL);

	if (argc < 2 || (strcmp(argv[1], "rtt") && strcmp(argv[1], "pps")) ||
	    (strcmp(wait, "spin") && strcmp(wait, "block"))) {
		fprintf(stderr, "usage: %s\n", USAGE);
		exit(2);
	}
	hb_check_args(argc, argv, 2, keys, USAGE);
	s->rtt_mode = !strcmp(argv[1], "rtt");
	s->block = block = !strcmp(wait, "block");
	s->size = hb_num("size", hb_opt(argc, argv, 2, "size", "64"), 8,
			 MAX_SIZE);
	s->window = s->rtt_mode ? 1 :
		    hb_num("window", hb_opt(argc, argv, 2, "window", "32"), 1,
			   MAX_WINDOW);
	s->count = s->rtt_mode ? DEFAULT_RTT_COUNT : DEFAULT_PPS_COUNT;
	if (count)
		s->count = hb_num("count", count, 1, 1L << 28);
	s->count = hb_scale(s->count);
	corrupt_at = hb_env_num("BENCH_CORRUPT");
	lose_at = hb_env_num("BENCH_LOSE");
}

/* The metrics, unless a datagram was lost or damaged: then none at all. */
static int report(struct run *s)
{
	double secs = (s->t1 - s->t0) / 1e9;
	int failed = s->st.lost || s->st.damaged;

	fprintf(stderr, "udplo: %s size=%ld window=%ld wait=%s: %ld datagrams in %.3f s, %ld lost, %ld damaged%s\n",
		s->rtt_mode ? "rtt" : "pps", s->size, s->window,
		s->block ? "block" : "spin", s->count, secs, s->st.lost,
		s->st.damaged, failed ? ": FAIL" : "");
	if (failed)
		return 1;
	if (!s->rtt_mode) {
		hb_metric("pps", s->count / secs, 0, "pkt/s");
		return 0;
	}
	hb_sort(s->rtt, s->nrtt);
	hb_metric("rtt_p50_us", hb_pct_us(s->rtt, s->nrtt, 50), 2, "us");
	hb_metric("rtt_p99_us", hb_pct_us(s->rtt, s->nrtt, 99), 2, "us");
	return 0;
}

/* The empty datagram that ends the echo thread. */
static void stop_echo(struct run *s, pthread_t t)
{
	while (send(s->fd, "", 0, 0) < 0 && (errno == EAGAIN || errno == EINTR))
		;
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	static struct run s;
	pthread_t echo;
	int err;

	parse(argc, argv, &s);
	s.rtt = s.rtt_mode ? malloc(sizeof(*s.rtt) * (size_t)s.count) : NULL;
	if (s.rtt_mode && !s.rtt)
		return fprintf(stderr, "out of memory\n"), 1;
	if (open_pair(&s))
		return perror("udplo: sockets on 127.0.0.1"), 1;
	batch_init(&s.tx);
	batch_init(&s.rx);
	hb_pin(0);
	if (pthread_create(&echo, NULL, echo_thread, NULL)) {
		fprintf(stderr, "udplo: cannot start the second thread\n");
		return 1;
	}
	while (!atomic_load(&echo_ready))
		;
	err = measure(&s);
	stop_echo(&s, echo);
	err = err ? 1 : report(&s);
	free(s.rtt);
	close(s.fd);
	close(echo_fd);
	return err;
}
