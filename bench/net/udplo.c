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
 * Both then "warmup N datagrams": count / 10 more go first, unmeasured.
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

static const struct hb_net_cmd cmd = {
	.name = "udplo",
	.usage = "udplo rtt|pps [size=64] [window=32] [count=N] [wait=spin|block]",
	.choice = "wait",
	.words = { "spin", "block" },
	.ignored = "layout",
	.max_size = MAX_SIZE,
	.max_window = MAX_WINDOW,
	.rtt_count = 300000,
	.pps_count = 1000000,
	.things = "datagrams",
};

/* A batch of datagram buffers for sendmmsg/recvmmsg. */
struct batch {
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint8_t buf[BATCH][BUF];
};

static int client_fd, echo_fd;
static struct batch tx, rx, echo_b;
/*
 * The echo thread's copies of wait= and the BENCH_ variables: it reads
 * nothing that the client writes as it counts.
 */
static int block;
static long corrupt_at, lose_at;

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

static int open_pair(void)
{
	struct sockaddr_in ca, ea;
	struct timeval tv = { .tv_sec = STALL_S };

	client_fd = udp_socket(&ca);
	echo_fd = udp_socket(&ea);
	if (client_fd < 0 || echo_fd < 0 ||
	    connect(client_fd, (struct sockaddr *)&ea, sizeof(ea)) ||
	    connect(echo_fd, (struct sockaddr *)&ca, sizeof(ca)))
		return -1;
	/* wait=block: a receive that waits this long means a loss. */
	return setsockopt(client_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* ---- the client on CPU 0 ---- */

/* Keep window datagrams in flight. */
static int fill_window(struct hb_net *s)
{
	int n = 0;

	while (n < BATCH && s->st.sent + n < s->count &&
	       s->st.sent + n - s->st.next < s->window) {
		hb_payload_make(tx.buf[n], (uint64_t)(s->st.sent + n), s->size);
		tx.iov[n].iov_len = (size_t)s->size;
		n++;
	}
	if (!n)
		return 0;
	if (s->rtt_mode)
		s->sent_at = hb_now_ns();
	s->st.sent += n;
	return send_all(client_fd, &tx, n);
}

/* Every reply there is (or the first, blocking); how many, or -1. */
static int receive(struct hb_net *s)
{
	int n = recv_some(client_fd, &rx, s->alt);
	uint64_t now = s->rtt_mode && n > 0 ? hb_now_ns() : 0;

	for (int i = 0; i < n; i++) {
		const uint8_t *p = rx.buf[i];
		long len = (long)rx.msg[i].msg_len;
		int whole = len == s->size && hb_payload_ok(p, s->size);

		if (len < 8)
			p = (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff";
		hb_net_back(s, hb_payload_seq(p), whole, now);
	}
	return n;
}

/*
 * Nothing came back: after STALL_S, what is in flight is lost.  A blocking
 * receive returns empty only after its SO_RCVTIMEO of STALL_S.
 */
static void stalled(struct hb_net *s, struct hb_wait *w)
{
	if (!s->alt && !hb_idle(w, STALL_NS))
		return;
	fprintf(stderr, "nothing back for %d s: %ld in flight lost\n", STALL_S,
		s->st.sent - s->st.next);
	hb_stream_give_up(&s->st);
}

static int measure(struct hb_net *s)
{
	struct hb_wait w = { 0 };

	while (s->st.next < s->count) {
		int n;

		if (fill_window(s))
			return perror("udplo: sendmmsg"), -1;
		n = receive(s);
		if (n < 0)
			return perror("udplo: recvmmsg"), -1;
		if (n) {
			hb_net_warmed(s);
			hb_busy(&w);
		} else {
			stalled(s, &w);
		}
	}
	s->t1 = hb_now_ns();
	return 0;
}

/* The empty datagram that ends the echo thread. */
static void stop_echo(struct hb_peer *echo)
{
	while (send(client_fd, "", 0, 0) < 0 &&
	       (errno == EAGAIN || errno == EINTR))
		;
	hb_peer_join(echo);
}

int main(int argc, char **argv)
{
	struct hb_net s;
	struct hb_peer echo;
	int err;

	hb_net_init(&s, &cmd, argc, argv);
	block = s.alt;
	corrupt_at = s.corrupt_at;
	lose_at = s.lose_at;
	if (open_pair())
		return perror("udplo: sockets on 127.0.0.1"), 1;
	batch_init(&tx);
	batch_init(&rx);
	batch_init(&echo_b);
	/* The echo thread on CPU 1. */
	hb_peer_start(&echo, cmd.name, echo_thread, NULL);
	err = measure(&s);
	stop_echo(&echo);
	err = err ? 1 : hb_net_report(&s, 0);
	hb_net_free(&s);
	close(client_fd);
	close(echo_fd);
	return err;
}
