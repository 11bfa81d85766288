/*
 * lib/net ARP: replies built byte for byte, the gratuitous announcement,
 * resolution for our own sends (the waiting frames go out in order when
 * the reply comes; one request a second; refresh after the TTL), the
 * pool of waiting frames (its shares, its age limit), the cache's merge
 * rules and eviction, address conflicts, and malformed packets.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net_fake.h"

static struct net_stack st;
static struct netif nif;
static struct fake_link link;
static uint64_t now_ms;

static uint64_t clock_ms(void *ctx)
{
	(void)ctx;
	return now_ms;
}

static const struct net_sys sys = { .now_ms = clock_ms };

static int setup(void **state)
{
	(void)state;
	now_ms = 5000;
	fake_netif(&nif, &link, US_MAC, US_IP);
	net_stack_init(&st, &sys);
	net_stack_attach(&st, &nif);
	assert_int_equal(link.n, 1);		/* the announcement */
	link.n = 0;
	return 0;
}

/* Check an ARP frame from us: op, Ethernet destination, target. */
static void check_arp_out(unsigned int i, unsigned int op,
			  const uint8_t eth_dst[6], const uint8_t tha[6],
			  const uint8_t tpa[4])
{
	const uint8_t *f = link.frame[i];

	assert_int_equal(link.len[i], 60);		/* 42, padded */
	assert_memory_equal(f, eth_dst, 6);
	assert_memory_equal(f + 6, US_MAC, 6);
	assert_int_equal(be16(f + 12), 0x0806);
	assert_int_equal(be16(f + 14), 1);		/* Ethernet */
	assert_int_equal(be16(f + 16), 0x0800);		/* IPv4 */
	assert_int_equal(f[18], 6);
	assert_int_equal(f[19], 4);
	assert_int_equal(be16(f + 20), op);
	assert_memory_equal(f + 22, US_MAC, 6);		/* sender */
	assert_memory_equal(f + 28, US_IP, 4);
	assert_memory_equal(f + 32, tha, 6);		/* target */
	assert_memory_equal(f + 38, tpa, 4);
	for (int k = 42; k < 60; k++)
		assert_int_equal(f[k], 0);		/* zero padding */
}

static void test_gratuitous_on_attach(void **state)
{
	static const uint8_t zero[6];

	(void)state;
	fake_netif(&nif, &link, US_MAC, US_IP);
	net_stack_init(&st, &sys);
	net_stack_attach(&st, &nif);
	assert_int_equal(link.n, 1);
	check_arp_out(0, 1, BCAST_MAC, zero, US_IP);
	assert_int_equal(nif.stats.arp_requests_sent, 1);
}

static void test_reply_to_request(void **state)
{
	uint8_t f[64];
	size_t len = build_arp(f, BCAST_MAC, 1, PEER_MAC, PEER_IP, US_IP);

	(void)state;
	feed(&nif, f, len);
	assert_int_equal(link.n, 1);
	check_arp_out(0, 2, PEER_MAC, PEER_MAC, PEER_IP);
	assert_int_equal(nif.stats.arp_replies_sent, 1);
	assert_int_equal(nif.stats.rx_dropped, 0);
	/* The asker was learned: it asked for us. */
	assert_non_null(net_arp_lookup(&st, ip_of(PEER_IP)));
	assert_memory_equal(net_arp_lookup(&st, ip_of(PEER_IP)), PEER_MAC, 6);
}

static void test_request_for_another_ignored(void **state)
{
	static const uint8_t other[4] = { 169, 254, 9, 9 };
	uint8_t f[64];
	size_t len = build_arp(f, BCAST_MAC, 1, PEER_MAC, PEER_IP, other);

	(void)state;
	feed(&nif, f, len);
	assert_int_equal(link.n, 0);
	assert_int_equal(nif.stats.arp_ignored, 1);
	assert_int_equal(nif.stats.rx_dropped, 1);
	assert_null(net_arp_lookup(&st, ip_of(PEER_IP)));	/* not learned */
}

static void test_send_waits_for_resolution(void **state)
{
	static const uint8_t zero[6];
	struct udp_sock s = { 0 };
	uint8_t q[64], f[64];
	size_t payload;
	const uint8_t *u;

	(void)state;
	assert_int_equal(udp_sock_open(&st, &s, 5000, NULL, NULL), -EINVAL);
	assert_int_equal(udp_sock_open_queue(&st, &s, 5000, q, sizeof(q), 8), 0);
	assert_int_equal(udp_sock_sendto(&s, ip_of(PEER_IP), 7, "first", 5), 0);
	assert_int_equal(link.n, 1);			/* only the request */
	check_arp_out(0, 1, BCAST_MAC, zero, PEER_IP);
	/* A second datagram waits behind the first; no new request yet. */
	assert_int_equal(udp_sock_sendto(&s, ip_of(PEER_IP), 7, "second", 6), 0);
	assert_int_equal(link.n, 1);
	assert_int_equal(nif.stats.arp_held_dropped, 0);
	/* A second later the request is repeated. */
	now_ms += 1000;
	assert_int_equal(udp_sock_sendto(&s, ip_of(PEER_IP), 7, "third", 5), 0);
	assert_int_equal(link.n, 2);
	check_arp_out(1, 1, BCAST_MAC, zero, PEER_IP);
	/* The reply releases the three, in order, addressed to the peer. */
	build_arp(f, US_MAC, 2, PEER_MAC, PEER_IP, US_IP);
	feed(&nif, f, 42);
	assert_int_equal(link.n, 5);
	for (int i = 0; i < 3; i++) {
		static const char *const want[] = { "first", "second", "third" };

		assert_memory_equal(link.frame[2 + i], PEER_MAC, 6);
		u = check_ip_out(link.frame[2 + i], link.len[2 + i], 17,
				 &payload);
		assert_int_equal(payload, 8 + strlen(want[i]));
		assert_memory_equal(u + 8, want[i], strlen(want[i]));
	}
	assert_int_equal(nif.stats.arp_held_dropped, 0);
	/* Now resolved: the next send goes straight out. */
	assert_int_equal(udp_sock_sendto(&s, ip_of(PEER_IP), 7, "fourth", 6), 0);
	assert_int_equal(link.n, 6);
	assert_memory_equal(link.frame[5], PEER_MAC, 6);
	udp_sock_close(&s);
}

/* Send one-byte datagrams tag..tag+n-1 to ip (unresolved: all held). */
static void send_tagged(struct udp_sock *s, const uint8_t ip[4], int tag,
			int n)
{
	for (int i = 0; i < n; i++) {
		uint8_t b = (uint8_t)(tag + i);

		assert_int_equal(udp_sock_sendto(s, ip_of(ip), 7, &b, 1), 0);
	}
}

/* The tags of the datagrams sent from link frame first on, to mac. */
static void expect_tags(unsigned int first, const uint8_t mac[6],
			const int *tags, int n)
{
	size_t payload;
	const uint8_t *u;

	assert_int_equal(link.n, first + n);
	for (int i = 0; i < n; i++) {
		assert_memory_equal(link.frame[first + i], mac, 6);
		u = check_ip_out(link.frame[first + i], link.len[first + i], 17,
				 &payload);
		assert_int_equal(payload, 9);
		assert_int_equal(u[8], tags[i]);
	}
}

static void resolve(const uint8_t mac[6], const uint8_t ip[4])
{
	uint8_t f[64];

	build_arp(f, US_MAC, 2, mac, ip, US_IP);
	feed(&nif, f, 42);
}

static void test_held_share_per_address(void **state)
{
	struct udp_sock s = { 0 };
	uint8_t q[64];
	int tags[NET_ARP_HELD_PER_IP];

	(void)state;
	assert_int_equal(udp_sock_open_queue(&st, &s, 5000, q, sizeof(q), 8), 0);
	/* Two more than one address may hold: its two oldest go. */
	send_tagged(&s, PEER_IP, 0, NET_ARP_HELD_PER_IP + 2);
	assert_int_equal(nif.stats.arp_held_dropped, 2);
	link.n = 0;
	resolve(PEER_MAC, PEER_IP);
	for (int i = 0; i < NET_ARP_HELD_PER_IP; i++)
		tags[i] = i + 2;
	expect_tags(0, PEER_MAC, tags, NET_ARP_HELD_PER_IP);
	udp_sock_close(&s);
}

static void test_held_pool_shared(void **state)
{
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa };
	static const uint8_t mac_c[6] = { 2, 0, 0, 0, 0, 0xc };
	uint8_t ip_a[4] = { 169, 254, 3, 1 }, ip_b[4] = { 169, 254, 3, 2 };
	uint8_t ip_c[4] = { 169, 254, 3, 3 };
	struct udp_sock s = { 0 };
	uint8_t q[64];
	int tags[NET_ARP_HELD_PER_IP];

	(void)state;
	assert_int_equal(udp_sock_open_queue(&st, &s, 5000, q, sizeof(q), 8), 0);
	/* A and B fill the pool between them, A first. */
	send_tagged(&s, ip_a, 0, NET_ARP_HELD_PER_IP);
	send_tagged(&s, ip_b, 100, NET_ARP_HELD - NET_ARP_HELD_PER_IP);
	assert_int_equal(nif.stats.arp_held_dropped, 0);
	/* C's two frames push out the two oldest of all: A's first two. */
	send_tagged(&s, ip_c, 200, 2);
	assert_int_equal(nif.stats.arp_held_dropped, 2);
	link.n = 0;
	resolve(mac_a, ip_a);
	for (int i = 0; i < NET_ARP_HELD_PER_IP - 2; i++)
		tags[i] = i + 2;
	expect_tags(0, mac_a, tags, NET_ARP_HELD_PER_IP - 2);
	link.n = 0;
	resolve(mac_c, ip_c);
	tags[0] = 200;
	tags[1] = 201;
	expect_tags(0, mac_c, tags, 2);
	udp_sock_close(&s);
}

static void test_held_too_long_dropped(void **state)
{
	static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 0xb };
	uint8_t ip_b[4] = { 169, 254, 3, 2 }, ip_c[4] = { 169, 254, 3, 3 };
	struct udp_sock s = { 0 };
	uint8_t q[64];
	int tags[1] = { 1 };

	(void)state;
	assert_int_equal(udp_sock_open_queue(&st, &s, 5000, q, sizeof(q), 8), 0);
	send_tagged(&s, PEER_IP, 0, 1);
	now_ms += NET_ARP_HOLD_MS - 1;
	send_tagged(&s, PEER_IP, 1, 1);
	send_tagged(&s, ip_b, 50, 1);
	now_ms += 1;
	/* The first waited its limit: the reply sends only the later two. */
	link.n = 0;
	resolve(PEER_MAC, PEER_IP);
	expect_tags(0, PEER_MAC, tags, 1);
	assert_int_equal(nif.stats.arp_held_dropped, 1);
	/* Aged out when another frame is held too, not only at a reply. */
	now_ms += NET_ARP_HOLD_MS;
	send_tagged(&s, ip_c, 60, 1);
	assert_int_equal(nif.stats.arp_held_dropped, 2);	/* B's */
	link.n = 0;
	resolve(mac_b, ip_b);
	assert_int_equal(link.n, 0);
	udp_sock_close(&s);
}

/* The order survives held_seq wrapping round. */
static void test_held_order_across_wrap(void **state)
{
	struct udp_sock s = { 0 };
	uint8_t q[64];
	int tags[5] = { 0, 1, 2, 3, 4 };

	(void)state;
	st.held_seq = UINT32_MAX - 2;
	assert_int_equal(udp_sock_open_queue(&st, &s, 5000, q, sizeof(q), 8), 0);
	send_tagged(&s, PEER_IP, 0, 5);
	link.n = 0;
	resolve(PEER_MAC, PEER_IP);
	expect_tags(0, PEER_MAC, tags, 5);
	udp_sock_close(&s);
}

/*
 * A pending entry pushed out of the cache takes its frames with it: a
 * reply for the address later sends nothing stale.
 */
static void test_held_go_with_their_entry(void **state)
{
	uint8_t f[64], ip[4] = { 169, 254, 4, 0 }, mac[6] = { 2, 0, 0, 0, 4, 0 };
	struct udp_sock s = { 0 };
	uint8_t q[64];

	(void)state;
	assert_int_equal(udp_sock_open_queue(&st, &s, 5000, q, sizeof(q), 8), 0);
	send_tagged(&s, PEER_IP, 0, 2);
	/* NET_ARP_SLOTS others who ask for us, each newer. */
	for (int i = 0; i < NET_ARP_SLOTS; i++) {
		ip[3] = (uint8_t)i;
		mac[5] = (uint8_t)i;
		now_ms += 1;
		build_arp(f, BCAST_MAC, 1, mac, ip, US_IP);
		feed(&nif, f, 42);
	}
	assert_int_equal(nif.stats.arp_held_dropped, 2);
	link.n = 0;
	resolve(PEER_MAC, PEER_IP);
	assert_int_equal(link.n, 0);
	udp_sock_close(&s);
}

/*
 * Time alone: while a frame waits, net_tick() asks again once a second
 * (the first request, or its answer, may have been lost); after
 * NET_ARP_HOLD_MS the frame goes, and with it the asking.
 */
static void test_tick_asks_again(void **state)
{
	static const uint8_t zero[6];
	struct udp_sock s = { 0 };
	uint8_t q[64];

	(void)state;
	assert_int_equal(udp_sock_open_queue(&st, &s, 5000, q, sizeof(q), 8), 0);
	send_tagged(&s, PEER_IP, 0, 1);
	assert_int_equal(link.n, 1);			/* the request */
	for (int t = 0; t < 3 * 1000 / NET_TICK_MS; t++) {
		now_ms += NET_TICK_MS;
		net_tick(&st);
	}
	/* At 1 s and 2 s; at 3 s the frame is gone, nothing asked. */
	assert_int_equal(link.n, 3);
	check_arp_out(1, 1, BCAST_MAC, zero, PEER_IP);
	check_arp_out(2, 1, BCAST_MAC, zero, PEER_IP);
	assert_int_equal(nif.stats.arp_held_dropped, 1);
	for (int t = 0; t < 30; t++) {
		now_ms += NET_TICK_MS;
		net_tick(&st);
	}
	assert_int_equal(link.n, 3);
	/* Asked again in time: the answer sends what waited. */
	link.n = 0;
	send_tagged(&s, PEER_IP, 7, 1);
	now_ms += 1000;
	net_tick(&st);
	resolve(PEER_MAC, PEER_IP);
	assert_int_equal(link.n, 3);			/* two requests, it */
	assert_memory_equal(link.frame[2], PEER_MAC, 6);
	udp_sock_close(&s);
}

/*
 * Without a clock (sys NULL: now_ms is not read) nothing ages: held
 * frames wait for the reply, however long.
 */
static void test_held_no_clock(void **state)
{
	struct udp_sock s = { 0 };
	uint8_t q[64];
	int tags[2] = { 0, 1 };

	(void)state;
	net_stack_init(&st, NULL);
	net_stack_attach(&st, &nif);
	link.n = 0;
	assert_int_equal(udp_sock_open_queue(&st, &s, 5000, q, sizeof(q), 8), 0);
	send_tagged(&s, PEER_IP, 0, 2);
	link.n = 0;
	resolve(PEER_MAC, PEER_IP);
	expect_tags(0, PEER_MAC, tags, 2);
	assert_int_equal(nif.stats.arp_held_dropped, 0);
	udp_sock_close(&s);
}

static void test_refresh_after_ttl(void **state)
{
	static const uint8_t zero[6];
	static const uint8_t new_mac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
	struct udp_sock s = { 0 };
	uint8_t q[64], f[64];

	(void)state;
	build_arp(f, BCAST_MAC, 1, PEER_MAC, PEER_IP, US_IP);
	feed(&nif, f, 42);
	link.n = 0;
	assert_int_equal(udp_sock_open_queue(&st, &s, 0, q, sizeof(q), 8), 0);
	assert_true(s.port >= UDP_EPHEMERAL_FIRST);
	now_ms += NET_ARP_TTL_MS;
	/* Old entry: used (no frame lost) and asked about again. */
	assert_int_equal(udp_sock_sendto(&s, ip_of(PEER_IP), 7, "x", 1), 0);
	assert_int_equal(link.n, 2);
	check_arp_out(0, 1, BCAST_MAC, zero, PEER_IP);
	assert_memory_equal(link.frame[1], PEER_MAC, 6);
	/* Any ARP from the peer updates its entry, even one not for us. */
	build_arp(f, BCAST_MAC, 1, new_mac, PEER_IP, PEER_IP);
	feed(&nif, f, 42);
	assert_memory_equal(net_arp_lookup(&st, ip_of(PEER_IP)), new_mac, 6);
	udp_sock_close(&s);
}

static void test_cache_eviction(void **state)
{
	uint8_t f[64], ip[4] = { 169, 254, 2, 0 }, mac[6] = { 2, 0, 0, 0, 2, 0 };

	(void)state;
	for (int i = 0; i < NET_ARP_SLOTS + 4; i++) {
		ip[3] = (uint8_t)i;
		mac[5] = (uint8_t)i;
		now_ms += 10;
		build_arp(f, BCAST_MAC, 1, mac, ip, US_IP);
		feed(&nif, f, 42);
	}
	assert_int_equal(nif.stats.arp_replies_sent, NET_ARP_SLOTS + 4);
	/* The oldest four made room for the newest. */
	for (int i = 0; i < NET_ARP_SLOTS + 4; i++) {
		const uint8_t *m;

		ip[3] = (uint8_t)i;
		m = net_arp_lookup(&st, ip_of(ip));
		if (i < 4) {
			assert_null(m);
		} else {
			assert_non_null(m);
			assert_int_equal(m[5], i);
		}
	}
}

static void test_conflict_and_own_echo(void **state)
{
	static const uint8_t thief[6] = { 0x02, 0, 0, 0, 0, 0x66 };
	uint8_t f[64];

	(void)state;
	/* Our own announcement coming back (loopback mode): ignored. */
	build_arp(f, BCAST_MAC, 1, US_MAC, US_IP, US_IP);
	feed(&nif, f, 42);
	assert_int_equal(nif.stats.arp_conflicts, 0);
	/* Someone else claims our address: counted, not answered. */
	build_arp(f, BCAST_MAC, 1, thief, US_IP, US_IP);
	feed(&nif, f, 42);
	assert_int_equal(nif.stats.arp_conflicts, 1);
	assert_int_equal(link.n, 0);
	assert_null(net_arp_lookup(&st, ip_of(US_IP)));
}

static void test_probe_is_answered(void **state)
{
	static const uint8_t zero_ip[4];
	uint8_t f[64];

	(void)state;
	/* RFC 5227 probe: sender 0.0.0.0 asks who has our address. */
	build_arp(f, BCAST_MAC, 1, PEER_MAC, zero_ip, US_IP);
	feed(&nif, f, 42);
	assert_int_equal(link.n, 1);
	check_arp_out(0, 2, PEER_MAC, PEER_MAC, zero_ip);
	assert_null(net_arp_lookup(&st, 0));
}

static void test_malformed(void **state)
{
	static const uint8_t group[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	uint8_t good[64], f[64];
	size_t len = build_arp(good, BCAST_MAC, 1, PEER_MAC, PEER_IP, US_IP);
	uint64_t bad = 0;

	(void)state;
	for (size_t cut = 14; cut < len; cut++) {	/* truncated */
		feed(&nif, good, cut);
		assert_int_equal(nif.stats.arp_bad, ++bad);
	}
	memcpy(f, good, len);
	set16(f + 14, 6);				/* hardware: IEEE 802 */
	feed(&nif, f, len);
	memcpy(f, good, len);
	f[14 + 4] = 8;					/* hardware length */
	feed(&nif, f, len);
	memcpy(f, good, len);
	f[14 + 5] = 16;					/* protocol length */
	feed(&nif, f, len);
	memcpy(f, good, len);
	set16(f + 14 + 2, 0x86dd);			/* protocol type */
	feed(&nif, f, len);
	memcpy(f, good, len);
	set16(f + 14 + 6, 3);				/* opcode */
	feed(&nif, f, len);
	build_arp(f, BCAST_MAC, 1, group, PEER_IP, US_IP);	/* group sender */
	memcpy(f + 6, PEER_MAC, 6);		/* (in ARP only) */
	feed(&nif, f, len);
	bad += 6;
	assert_int_equal(nif.stats.arp_bad, bad);
	assert_int_equal(nif.stats.rx_dropped, bad);
	assert_int_equal(link.n, 0);
	assert_null(net_arp_lookup(&st, ip_of(PEER_IP)));
	/* The good one still works after all that. */
	feed(&nif, good, len);
	assert_int_equal(link.n, 1);
}

static void test_unconfigured_answers_nothing(void **state)
{
	uint8_t f[64];

	(void)state;
	nif.ip = 0;
	build_arp(f, BCAST_MAC, 1, PEER_MAC, PEER_IP, (const uint8_t[4]){ 0 });
	feed(&nif, f, 42);
	assert_int_equal(link.n, 0);
	assert_int_equal(nif.stats.arp_ignored, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_gratuitous_on_attach, setup),
		cmocka_unit_test_setup(test_reply_to_request, setup),
		cmocka_unit_test_setup(test_request_for_another_ignored, setup),
		cmocka_unit_test_setup(test_send_waits_for_resolution, setup),
		cmocka_unit_test_setup(test_held_share_per_address, setup),
		cmocka_unit_test_setup(test_held_pool_shared, setup),
		cmocka_unit_test_setup(test_held_too_long_dropped, setup),
		cmocka_unit_test_setup(test_held_order_across_wrap, setup),
		cmocka_unit_test_setup(test_held_go_with_their_entry, setup),
		cmocka_unit_test_setup(test_held_no_clock, setup),
		cmocka_unit_test_setup(test_tick_asks_again, setup),
		cmocka_unit_test_setup(test_refresh_after_ttl, setup),
		cmocka_unit_test_setup(test_cache_eviction, setup),
		cmocka_unit_test_setup(test_conflict_and_own_echo, setup),
		cmocka_unit_test_setup(test_probe_is_answered, setup),
		cmocka_unit_test_setup(test_malformed, setup),
		cmocka_unit_test_setup(test_unconfigured_answers_nothing, setup),
	};

	return cmocka_run_group_tests_name("net_arp", tests, NULL, NULL);
}
