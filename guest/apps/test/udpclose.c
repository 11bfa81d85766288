/*
 * udpclose: a socket closed under threads blocked in udp_recvfrom() on
 * it, through the guest's real stack and driver (kspawnctl run --net
 * loopback).  Three receivers block on one queued socket: two for ever,
 * one with a 10 s timeout, each on another CPU where the guest has more
 * than one.  Once all three are seen blocked, the socket is closed: each
 * must return -EBADF at once (not time out, not sleep for ever), and the
 * last of them frees it (kern/net.c; the unit test test_net_udp_close
 * runs the same under ASan).  A receive on a fresh socket still works
 * afterwards: its datagram to ourselves comes back through the device.
 *
 * Prints "udpclose: ok" or "udpclose: FAIL ...".
 */
#include <errno.h>
#include <string.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"

#define PORT 7100
#define RECEIVERS 3
#define SEEN_MS 5000		/* a bound for slow machines, not a timing */

struct receiver {
	struct udp_sock *s;
	uint64_t timeout_ns;
	int result;
};

static int receive(void *arg)
{
	struct receiver *r = arg;
	uint8_t buf[64];

	r->result = udp_recvfrom(r->s, buf, sizeof(buf), NULL, NULL,
				 r->timeout_ns);
	return 0;
}

/* Whether every thread in t was seen blocked, within SEEN_MS. */
static int all_blocked(struct thread **t, int n)
{
	for (int ms = 0; ms < SEEN_MS; ms += 10) {
		int blocked = 0;

		for (int i = 0; i < n; i++) {
			struct thread_info info;

			thread_get_info(t[i], &info);
			blocked += info.state == THREAD_BLOCKED;
		}
		if (blocked == n)
			return 1;
		thread_sleep_ms(10);
	}
	return 0;
}

/* A datagram to ourselves on a fresh socket: the stack still works. */
static int echo_self(uint32_t ip)
{
	struct udp_sock *s = udp_bind(PORT + 1, NULL, NULL);
	uint8_t msg[32], in[64];
	int n;

	if (!s)
		return 0;
	memset(msg, 0x5c, sizeof(msg));
	udp_sendto(s, ip, PORT + 1, msg, sizeof(msg));
	do
		n = udp_recvfrom(s, in, sizeof(in), NULL, NULL,
				 2 * NSEC_PER_SEC);
	while (n >= 0 && (n != (int)sizeof(msg) || memcmp(in, msg, n)));
	udp_close(s);
	return n == (int)sizeof(msg);
}

static int udpclose_main(int argc, char **argv)
{
	struct receiver r[RECEIVERS];
	struct thread *t[RECEIVERS];
	unsigned int ncpus = sched_ncpus();
	struct udp_sock *s;
	uint32_t ip;
	int started = 0, ok = 1;

	(void)argc;
	(void)argv;
	if (net_parse_ip("169.254.1.2", &ip) || net_up(ip) ||
	    !(s = udp_bind(PORT, NULL, NULL))) {
		kprintf("udpclose: FAIL no network\n");
		return 1;
	}
	for (int i = 0; i < RECEIVERS; i++) {
		struct thread_attr attr = {
			.cpus = ncpus > 1 ? 1U << ((sched_cpu() + 1 + i) % ncpus)
					  : 0 };

		r[i] = (struct receiver){
			.s = s, .result = 1,
			.timeout_ns = i == RECEIVERS - 1 ? 10 * NSEC_PER_SEC
							 : NET_WAIT_FOREVER };
		t[i] = thread_create("udprecv", receive, &r[i], &attr);
		started += !!t[i];
	}
	if (started != RECEIVERS || !all_blocked(t, RECEIVERS)) {
		kprintf("udpclose: FAIL receivers not started or not blocked\n");
		return 1;
	}
	udp_close(s);
	for (int i = 0; i < RECEIVERS; i++) {
		thread_join(t[i]);
		kprintf("udpclose: receiver %d (%s) returned %d\n", i,
			r[i].timeout_ns == NET_WAIT_FOREVER ? "for ever" :
							      "10 s",
			r[i].result);
		ok &= r[i].result == -EBADF;
	}
	if (!ok) {
		kprintf("udpclose: FAIL a receiver did not get -EBADF (%d)\n",
			-EBADF);
		return 1;
	}
	if (!echo_self(ip)) {
		kprintf("udpclose: FAIL a fresh socket got nothing back\n");
		return 1;
	}
	kprintf("udpclose: ok\n");
	return 0;
}
APP(udpclose, udpclose_main,
	"close a socket under threads blocked in udp_recvfrom() on it");
