/*
 * lib/net UDP: two stacks ("guest" with an echo socket on port 7, "peer"
 * with a queued socket) joined by a fake wire: datagrams of every size
 * make the round trip intact, ARP included.  Checksums are checked with
 * the test's own implementation; bad ones, short headers and wrong
 * lengths are dropped and counted; the queue's order, limits and
 * truncation; sendto's errors; binding rules; the lock is held around the
 * stack and released around callbacks, which run through net_sys.call_app
 * (where the guest keeps the interrupted thread's SSE state).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net_fake.h"

static struct net_stack guest, peer;
static struct netif gnif, pnif;
static struct fake_link glink, plink;
static int lock_depth, locks, max_depth, depth_in_callback = -1;

static void count_lock(void *ctx)
{
	(void)ctx;
	locks++;
	if (++lock_depth > max_depth)
		max_depth = lock_depth;
}

static void count_unlock(void *ctx)
{
	(void)ctx;
	assert_true(lock_depth > 0);
	lock_depth--;
}

static int wakes;

static void count_wake(void *ctx, struct udp_sock *s)
{
	(void)ctx;
	(void)s;
	assert_int_equal(lock_depth, 1);	/* called with the lock held */
	wakes++;
}

static int app_calls, in_call_app;

static void count_call_app(void *ctx, void (*run)(void *arg), void *arg)
{
	(void)ctx;
	assert_int_equal(lock_depth, 0);	/* called unlocked */
	app_calls++;
	in_call_app = 1;
	run(arg);
	in_call_app = 0;
}

static const struct net_sys sys = {
	.lock = count_lock, .unlock = count_unlock, .wake = count_wake,
	.call_app = count_call_app,
};

static int setup(void **state)
{
	(void)state;
	fake_netif(&gnif, &glink, US_MAC, US_IP);
	fake_netif(&pnif, &plink, PEER_MAC, PEER_IP);
	net_stack_init(&guest, &sys);
	net_stack_init(&peer, NULL);
	net_stack_attach(&guest, &gnif);
	net_stack_attach(&peer, &pnif);
	lock_depth = locks = max_depth = wakes = app_calls = 0;
	depth_in_callback = -1;
	return 0;
}

/* Move what one side sent to the other's input. */
static void carry(struct fake_link *from, struct netif *to)
{
	static uint8_t buf[FAKE_FRAMES][2048];
	static size_t len[FAKE_FRAMES];
	unsigned int n = from->n;

	memcpy(buf, from->frame, sizeof(buf[0]) * n);
	memcpy(len, from->len, sizeof(len[0]) * n);
	from->n = 0;
	for (unsigned int i = 0; i < n; i++)
		feed(to, buf[i], len[i]);
}

/* Carry frames both ways until the wire is quiet. */
static void pump(void)
{
	while (glink.n || plink.n) {
		carry(&glink, &pnif);
		carry(&plink, &gnif);
	}
}

static void echo(struct udp_sock *s, uint32_t ip, uint16_t port,
		 const void *data, size_t len, void *arg)
{
	(void)arg;
	depth_in_callback = lock_depth;
	assert_true(in_call_app);
	assert_int_equal(udp_sock_sendto(s, ip, port, data, len), 0);
}

/* 0..40 one by one, then larger steps, ending on exactly 1472. */
static size_t next_size(size_t len)
{
	if (len < 40)
		return len + 1;
	if (len < 1472 && len + 37 > 1472)
		return 1472;
	return len + 37;
}

static void test_echo_round_trip(void **state)
{
	static uint8_t qbuf[8 * 1480];
	struct udp_sock es = { 0 }, ps = { 0 };
	uint8_t out[1472], in[1600];
	unsigned int seed = 1;

	(void)state;
	assert_int_equal(udp_sock_open(&guest, &es, 7, echo, NULL), 0);
	assert_int_equal(udp_sock_open_queue(&peer, &ps, 40000, qbuf,
					     sizeof(qbuf), 1472), 0);
	for (size_t len = 0; len <= 1472; len = next_size(len)) {
		uint32_t from;
		uint16_t port;

		for (size_t i = 0; i < len; i++)
			out[i] = (uint8_t)rand_r(&seed);
		assert_int_equal(udp_sock_sendto(&ps, ip_of(US_IP), 7, out,
						 len), 0);
		pump();
		assert_int_equal(udp_sock_recv(&ps, in, sizeof(in), &from,
					       &port), (int)len);
		assert_memory_equal(in, out, len);
		assert_int_equal(from, ip_of(US_IP));
		assert_int_equal(port, 7);
		assert_int_equal(udp_sock_recv(&ps, in, sizeof(in), NULL,
					       NULL), -EAGAIN);
	}
	/* The last size is the largest: 1500-byte IP packets. */
	assert_int_equal(udp_sock_sendto(&ps, ip_of(US_IP), 7, out, 1473),
			 -EMSGSIZE);
	assert_int_equal(gnif.stats.udp_bad_checksum, 0);
	assert_int_equal(pnif.stats.udp_bad_checksum, 0);
	/* Nothing dropped but each other's announcement (not for them). */
	assert_int_equal(gnif.stats.rx_dropped, 1);
	assert_int_equal(gnif.stats.arp_ignored, 1);
	assert_int_equal(pnif.stats.rx_dropped, 1);
	assert_int_equal(pnif.stats.arp_ignored, 1);
	assert_int_equal(gnif.stats.udp_rx, gnif.stats.udp_tx);
	assert_int_equal(gnif.stats.udp_rx, 80);
	assert_int_equal(app_calls, 80);	/* each through call_app */
	/* Locking: balanced, never nested, released around the callback. */
	assert_int_equal(lock_depth, 0);
	assert_int_equal(max_depth, 1);
	assert_int_equal(depth_in_callback, 0);
	udp_sock_close(&es);
	udp_sock_close(&ps);
}

/*
 * The netif's mtu (the device's, VIRTIO_NET_F_MTU) lowers the largest
 * datagram, and never raises it past what the stack's 1514-byte frame
 * buffer holds: a 9000-byte mtu still sends 1472 bytes at most.
 */
static void test_mtu_bounds_payload(void **state)
{
	static const uint8_t big[1473];
	struct udp_sock s = { 0 };
	uint8_t q[64];

	(void)state;
	assert_int_equal(udp_sock_open_queue(&guest, &s, 1234, q, sizeof(q),
					     16), 0);
	gnif.mtu = 9000;
	assert_int_equal(net_udp_max_payload(&guest), 1472);
	assert_int_equal(udp_sock_sendto(&s, ip_of(PEER_IP), 7, big, 1473),
			 -EMSGSIZE);
	gnif.mtu = 576;
	assert_int_equal(net_udp_max_payload(&guest), 548);
	assert_int_equal(udp_sock_sendto(&s, ip_of(PEER_IP), 7, big, 549),
			 -EMSGSIZE);
	assert_int_equal(udp_sock_sendto(&s, ip_of(PEER_IP), 7, big, 548), 0);
	udp_sock_close(&s);
}

/* The guest's own datagram, checked against the reference checksum. */
static void test_checksum_computed(void **state)
{
	struct udp_sock s = { 0 };
	uint8_t q[64], f[128];
	const uint8_t *u;
	size_t plen;

	(void)state;
	/* Let the guest know the peer's MAC first. */
	feed(&gnif, f, build_arp(f, BCAST_MAC, 1, PEER_MAC, PEER_IP, US_IP));
	glink.n = 0;
	assert_int_equal(udp_sock_open_queue(&guest, &s, 1234, q, sizeof(q),
					     16), 0);
	assert_int_equal(udp_sock_sendto(&s, ip_of(PEER_IP), 4321, "abc", 3),
			 0);
	assert_int_equal(glink.n, 1);
	u = check_ip_out(glink.frame[0], glink.len[0], 17, &plen);
	assert_int_equal(plen, 11);
	assert_int_equal(be16(u), 1234);
	assert_int_equal(be16(u + 2), 4321);
	assert_int_equal(be16(u + 4), 11);
	assert_int_not_equal(be16(u + 6), 0);
	assert_int_equal(ref_csum(u, 11, ref_pseudo(US_IP, PEER_IP, 17, 11)),
			 0);
	assert_memory_equal(u + 8, "abc", 3);
	udp_sock_close(&s);
}

static void test_bad_datagrams_dropped(void **state)
{
	struct udp_sock s = { 0 };
	uint8_t q[256], f[256], u[64];
	size_t ulen, len;

	(void)state;
	assert_int_equal(udp_sock_open_queue(&guest, &s, 9, q, sizeof(q), 32),
			 0);
	/* Good, then with one payload bit flipped: bad checksum. */
	len = build_udp_frame(f, 5, 9, (const uint8_t *)"payload", 7);
	feed(&gnif, f, len);
	f[len - 1] ^= 0x10;
	feed(&gnif, f, len);
	assert_int_equal(gnif.stats.udp_bad_checksum, 1);
	/* No checksum at all (0) is allowed in IPv4. */
	ulen = build_udp(u, PEER_IP, US_IP, 5, 9, (const uint8_t *)"nosum", 5);
	set16(u + 6, 0);
	feed(&gnif, f, build_ip(f, PEER_IP, US_IP, 17, u, ulen, 0, 0));
	assert_int_equal(udp_sock_pending(&s), 2);
	/* Shorter than a UDP header. */
	feed(&gnif, f, build_ip(f, PEER_IP, US_IP, 17, u, 7, 0, 0));
	/* Length field below 8, and beyond the IP payload. */
	ulen = build_udp(u, PEER_IP, US_IP, 5, 9, (const uint8_t *)"x", 1);
	set16(u + 4, 7);
	feed(&gnif, f, build_ip(f, PEER_IP, US_IP, 17, u, ulen, 0, 0));
	set16(u + 4, 10);
	feed(&gnif, f, build_ip(f, PEER_IP, US_IP, 17, u, ulen, 0, 0));
	/* To port 0. */
	ulen = build_udp(u, PEER_IP, US_IP, 5, 0, (const uint8_t *)"x", 1);
	feed(&gnif, f, build_ip(f, PEER_IP, US_IP, 17, u, ulen, 0, 0));
	assert_int_equal(gnif.stats.udp_bad, 4);
	/* To a port nobody has. */
	feed(&gnif, f, build_udp_frame(f, 5, 10, (const uint8_t *)"x", 1));
	assert_int_equal(gnif.stats.udp_no_port, 1);
	assert_int_equal(gnif.stats.rx_dropped, 6);
	assert_int_equal(udp_sock_pending(&s), 2);
	assert_int_equal(glink.n, 1);		/* the announcement only */
	udp_sock_close(&s);
}

static void test_shorter_udp_length_trims(void **state)
{
	struct udp_sock s = { 0 };
	uint8_t q[256], f[256], u[64], in[64];
	size_t ulen;

	(void)state;
	assert_int_equal(udp_sock_open_queue(&guest, &s, 9, q, sizeof(q), 32),
			 0);
	/* IP carries 4 bytes more than the UDP length says: ignored. */
	ulen = build_udp(u, PEER_IP, US_IP, 5, 9, (const uint8_t *)"abcd", 4);
	memcpy(u + ulen, "JUNK", 4);
	feed(&gnif, f, build_ip(f, PEER_IP, US_IP, 17, u, ulen + 4, 0, 0));
	assert_int_equal(udp_sock_recv(&s, in, sizeof(in), NULL, NULL), 4);
	assert_memory_equal(in, "abcd", 4);
	udp_sock_close(&s);
}

static void test_queue_order_limits_truncation(void **state)
{
	struct udp_sock s = { 0 };
	uint8_t q[3 * (UDP_SLOT_HDR + 16)], f[256], in[64];
	uint32_t from;
	uint16_t port;

	(void)state;
	assert_int_equal(udp_sock_open_queue(&guest, &s, 9, q, sizeof(q), 16),
			 0);
	/* Too big for a slot, with every slot free. */
	feed(&gnif, f, build_udp_frame(f, 1, 9, (const uint8_t *)
				       "seventeen bytes!!", 17));
	for (int i = 0; i < 5; i++) {
		char msg[8];

		msg[0] = (char)('a' + i);
		feed(&gnif, f, build_udp_frame(f, (uint16_t)(100 + i), 9,
					       (const uint8_t *)msg, 1));
	}
	assert_int_equal(gnif.stats.udp_queue_full, 3);
	assert_int_equal(wakes, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(udp_sock_recv(&s, in, sizeof(in), &from,
					       &port), 1);
		assert_int_equal(in[0], 'a' + i);
		assert_int_equal(port, 100 + i);
		assert_int_equal(from, ip_of(PEER_IP));
	}
	assert_int_equal(udp_sock_recv(&s, in, sizeof(in), NULL, NULL),
			 -EAGAIN);
	/* A receive buffer shorter than the datagram: its length is told. */
	feed(&gnif, f, build_udp_frame(f, 1, 9, (const uint8_t *)"0123456789",
				       10));
	memset(in, 0, sizeof(in));
	assert_int_equal(udp_sock_recv(&s, in, 4, NULL, NULL), 10);
	assert_memory_equal(in, "0123\0", 5);
	/* No buffer at all: the datagram is taken, its length told. */
	feed(&gnif, f, build_udp_frame(f, 1, 9, (const uint8_t *)"abc", 3));
	assert_int_equal(udp_sock_recv(&s, NULL, 0, NULL, NULL), 3);
	assert_int_equal(udp_sock_pending(&s), 0);
	udp_sock_close(&s);
}

static void test_binding_and_send_errors(void **state)
{
	struct udp_sock a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 }, e = { 0 };
	uint8_t q[64], q2[64];

	(void)state;
	assert_int_equal(udp_sock_sendto(&a, ip_of(PEER_IP), 7, "x", 1),
			 -ENOTCONN);
	assert_int_equal(udp_sock_open_queue(&guest, &a, 7, q, sizeof(q), 8),
			 0);
	assert_int_equal(udp_sock_open_queue(&guest, &b, 7, q, sizeof(q), 8),
			 -EADDRINUSE);
	assert_int_equal(udp_sock_open_queue(&guest, &a, 8, q2, sizeof(q2), 8),
			 -EINVAL);			/* already bound */
	assert_ptr_equal(a.slots, q);			/* ... and left so */
	assert_int_equal(udp_sock_open(&guest, &a, 8, echo, NULL), -EINVAL);
	assert_null(a.fn);
	assert_int_equal(udp_sock_open_queue(&guest, &b, 8, q, 4, 8),
			 -EINVAL);			/* not one slot */
	assert_int_equal(udp_sock_open(&guest, &c, 0, echo, NULL), 0);
	assert_int_equal(udp_sock_open(&guest, &d, 0, echo, NULL), 0);
	assert_true(c.port >= UDP_EPHEMERAL_FIRST);
	assert_true(d.port >= UDP_EPHEMERAL_FIRST);
	assert_int_not_equal(c.port, d.port);
	assert_int_equal(udp_sock_recv(&c, q, sizeof(q), NULL, NULL), -EINVAL);
	assert_int_equal(udp_sock_sendto(&a, ip_of(PEER_IP), 0, "x", 1),
			 -EINVAL);
	assert_int_equal(udp_sock_sendto(&a, 0, 7, "x", 1), -EINVAL);
	assert_int_equal(udp_sock_sendto(&a, net_ip4(224, 0, 0, 1), 7, "x", 1),
			 -EINVAL);
	gnif.ip = 0;
	assert_int_equal(udp_sock_sendto(&a, ip_of(PEER_IP), 7, "x", 1),
			 -ENETDOWN);
	gnif.ip = ip_of(US_IP);
	/* Closed: the port is free again, and closing twice is harmless. */
	udp_sock_close(&a);
	udp_sock_close(&a);
	assert_int_equal(udp_sock_open_queue(&guest, &b, 7, q, sizeof(q), 8),
			 0);
	udp_sock_close(&b);
	udp_sock_close(&c);
	udp_sock_close(&d);
	/*
	 * Closed under a receiving thread, which still reads it: not to be
	 * opened again until that thread let go of it.
	 */
	assert_int_equal(udp_sock_open_queue(&guest, &e, 9, q, sizeof(q), 8),
			 0);
	udp_sock_wait_begin(&e);
	count_lock(NULL);		/* as the platform's close holds it */
	udp_sock_close(&e);
	count_unlock(NULL);
	assert_int_equal(udp_sock_open_queue(&guest, &e, 9, q2, sizeof(q2), 8),
			 -EINVAL);
	assert_ptr_equal(e.slots, q);
	udp_sock_wait_end(&guest, &e);
	assert_int_equal(udp_sock_open_queue(&guest, &e, 9, q2, sizeof(q2), 8),
			 0);
	udp_sock_close(&e);
	assert_null(guest.socks);
}

static void test_broadcast(void **state)
{
	static const uint8_t bcast_ip[4] = { 255, 255, 255, 255 };
	struct udp_sock s = { 0 };
	uint8_t q[64], f[128], u[32];
	size_t ulen;

	(void)state;
	assert_int_equal(udp_sock_open_queue(&guest, &s, 9, q, sizeof(q), 8),
			 0);
	/* Received on the limited broadcast address. */
	ulen = build_udp(u, PEER_IP, bcast_ip, 5, 9, (const uint8_t *)"b", 1);
	build_ip(f, PEER_IP, bcast_ip, 17, u, ulen, 0, 0);
	memcpy(f, BCAST_MAC, 6);
	feed(&gnif, f, 14 + 20 + ulen);
	assert_int_equal(udp_sock_pending(&s), 1);
	/* Sent to it: broadcast MAC, no ARP. */
	glink.n = 0;
	assert_int_equal(udp_sock_sendto(&s, ip_of(bcast_ip), 9, "b", 1), 0);
	assert_int_equal(glink.n, 1);
	assert_memory_equal(glink.frame[0], BCAST_MAC, 6);
	udp_sock_close(&s);
}

/*
 * A device that finishes checksums (tx_csum_partial): the field holds the
 * pseudo-header's sum, and completing the sum over the datagram gives the
 * reference checksum; net_udp_partial() finds the field, and only in a
 * UDP/IPv4 frame.
 */
static void test_checksum_left_partial(void **state)
{
	struct udp_sock s = { 0 };
	uint8_t q[64], f[128], u0[11];
	const uint8_t *u;
	uint16_t start = 0, offset = 0;
	size_t plen;

	(void)state;
	gnif.tx_csum_partial = 1;
	feed(&gnif, f, build_arp(f, BCAST_MAC, 1, PEER_MAC, PEER_IP, US_IP));
	glink.n = 0;
	assert_int_equal(udp_sock_open_queue(&guest, &s, 1234, q, sizeof(q),
					     16), 0);
	assert_int_equal(udp_sock_sendto(&s, ip_of(PEER_IP), 4321, "abc", 3),
			 0);
	assert_int_equal(glink.n, 1);
	u = check_ip_out(glink.frame[0], glink.len[0], 17, &plen);
	assert_int_equal(plen, 11);
	memcpy(u0, u, sizeof(u0));
	set16(u0 + 6, 0);
	assert_int_equal((uint16_t)~be16(u + 6),
			 ref_csum(u0, 0, ref_pseudo(US_IP, PEER_IP, 17, 11)));
	assert_int_equal(ref_csum(u, 11, 0),
			 ref_csum(u0, 11, ref_pseudo(US_IP, PEER_IP, 17, 11)));
	assert_true(net_udp_partial(glink.frame[0], glink.len[0], &start,
				    &offset));
	assert_int_equal(start, 14 + 20);
	assert_int_equal(offset, 6);
	assert_false(net_udp_partial(f, build_arp(f, BCAST_MAC, 1, PEER_MAC,
						   PEER_IP, US_IP),
				     &start, &offset));
	assert_false(net_udp_partial(glink.frame[0], 14 + 20 + 7, &start,
				     &offset));
	udp_sock_close(&s);
}

/*
 * What the device checked (net_input_flags): a datagram whose checksum
 * field holds only the pseudo-header's sum (virtio NEEDS_CSUM) is taken
 * with NET_RX_L4_CSUM_OK, dropped without it, and the flag does not
 * outlive its frame.  The IP header's checksum is checked regardless.
 */
static void test_device_checked_checksum(void **state)
{
	struct udp_sock s = { 0 };
	uint8_t q[256], f[256];
	size_t len;

	(void)state;
	assert_int_equal(udp_sock_open_queue(&guest, &s, 9, q, sizeof(q), 32),
			 0);
	len = build_udp_frame(f, 5, 9, (const uint8_t *)"partial", 7);
	f[len - 1] ^= 0x10;		/* the sum no longer matches */
	net_input_flags(&gnif, f, len, NET_RX_L4_CSUM_OK);
	assert_int_equal(udp_sock_pending(&s), 1);
	assert_int_equal(gnif.stats.udp_bad_checksum, 0);
	net_input(&gnif, f, len);
	assert_int_equal(gnif.stats.udp_bad_checksum, 1);
	net_input_flags(&gnif, f, len, 0);
	assert_int_equal(gnif.stats.udp_bad_checksum, 2);
	f[len - 1] ^= 0x10;
	f[NET_ETH_HLEN + 10] ^= 0x01;	/* the IP header's checksum */
	net_input_flags(&gnif, f, len, NET_RX_L4_CSUM_OK);
	assert_int_equal(gnif.stats.ip_bad_checksum, 1);
	assert_int_equal(udp_sock_pending(&s), 1);
	udp_sock_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_echo_round_trip, setup),
		cmocka_unit_test_setup(test_mtu_bounds_payload, setup),
		cmocka_unit_test_setup(test_checksum_computed, setup),
		cmocka_unit_test_setup(test_checksum_left_partial, setup),
		cmocka_unit_test_setup(test_bad_datagrams_dropped, setup),
		cmocka_unit_test_setup(test_device_checked_checksum, setup),
		cmocka_unit_test_setup(test_shorter_udp_length_trims, setup),
		cmocka_unit_test_setup(test_queue_order_limits_truncation,
				       setup),
		cmocka_unit_test_setup(test_binding_and_send_errors, setup),
		cmocka_unit_test_setup(test_broadcast, setup),
	};

	return cmocka_run_group_tests_name("net_udp", tests, NULL, NULL);
}
