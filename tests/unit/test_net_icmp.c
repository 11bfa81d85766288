/*
 * lib/net ICMP: a ping request gets an echo reply with the same
 * identifier, sequence and data and correct IPv4 and ICMP checksums
 * (checked with the test's own checksum), sent straight back to the
 * asker's MAC; options and Ethernet padding are handled; broadcasts,
 * other ICMP types, bad checksums and giants get no answer.  Our own
 * pings (net_ping_send) go out through ARP, are answered by a second
 * stack, and only replies carrying our identifier and data count.
 */
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

static int setup(void **state)
{
	(void)state;
	fake_netif(&nif, &link, US_MAC, US_IP);
	net_stack_init(&st, NULL);
	net_stack_attach(&st, &nif);
	link.n = 0;
	return 0;
}

/* The one frame sent must be the echo reply to a request with data. */
static void check_reply(uint16_t id, uint16_t seq, const uint8_t *data,
			size_t len)
{
	const uint8_t *m;
	size_t plen;

	assert_int_equal(link.n, 1);
	assert_memory_equal(link.frame[0], PEER_MAC, 6);
	m = check_ip_out(link.frame[0], link.len[0], 1, &plen);
	assert_memory_equal(link.frame[0] + 14 + 16, PEER_IP, 4);
	assert_int_equal(plen, 8 + len);
	assert_int_equal(m[0], 0);			/* echo reply */
	assert_int_equal(m[1], 0);
	assert_int_equal(ref_csum(m, plen, 0), 0);
	assert_int_equal(be16(m + 4), id);
	assert_int_equal(be16(m + 6), seq);
	assert_memory_equal(m + 8, data, len);
	assert_int_equal(nif.stats.icmp_echo_replies, 1);
}

static void test_echo_reply(void **state)
{
	uint8_t data[56], m[64], f[128];
	size_t mlen, len;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	mlen = build_echo(m, 0x4242, 7, data, sizeof(data));
	len = build_ip(f, PEER_IP, US_IP, 1, m, mlen, 0, 0x4000);
	feed(&nif, f, len);
	check_reply(0x4242, 7, data, sizeof(data));
	/* The checksum, spelled out: the request's plus 0x0800 (type 8->0). */
	assert_int_equal(be16(link.frame[0] + 34 + 2),
			 (uint16_t)(be16(m + 2) + 0x0800 +
				    (be16(m + 2) + 0x0800 > 0xffff)));
	assert_int_equal(nif.stats.rx_dropped, 0);
}

static void test_odd_length_and_options(void **state)
{
	static const uint8_t data[] = "odd length payload!";	/* 20 bytes */
	uint8_t m[64], f[128];
	size_t mlen, len;

	(void)state;
	mlen = build_echo(m, 1, 2, data, 19);
	len = build_ip(f, PEER_IP, US_IP, 1, m, mlen, 3, 0x4000);
	feed(&nif, f, len);
	check_reply(1, 2, data, 19);
}

/*
 * A reply whose sum's first fold carries out of 16 bits again (data of
 * all ones, identifier and sequence 0x8000): its checksum is only right
 * if that carry is folded in too.
 */
static void test_echo_reply_carries(void **state)
{
	uint8_t data[56], m[64], f[128];
	size_t mlen, len;

	(void)state;
	memset(data, 0xff, sizeof(data));
	mlen = build_echo(m, 0x8000, 0x8000, data, sizeof(data));
	len = build_ip(f, PEER_IP, US_IP, 1, m, mlen, 0, 0x4000);
	feed(&nif, f, len);
	check_reply(0x8000, 0x8000, data, sizeof(data));
}

static void test_ethernet_padding_ignored(void **state)
{
	uint8_t m[16], f[128];
	size_t mlen, len;

	(void)state;
	mlen = build_echo(m, 9, 9, (const uint8_t *)"ab", 2);
	len = build_ip(f, PEER_IP, US_IP, 1, m, mlen, 0, 0);
	memset(f + len, 0xee, sizeof(f) - len);	/* junk after the packet */
	feed(&nif, f, 60);
	check_reply(9, 9, (const uint8_t *)"ab", 2);
}

static void test_no_answer(void **state)
{
	static const uint8_t bcast_ip[4] = { 255, 255, 255, 255 };
	uint8_t m[1600], data[1600] = { 0 }, f[1700];
	size_t mlen, len;

	(void)state;
	/* To the broadcast address. */
	mlen = build_echo(m, 1, 1, data, 8);
	len = build_ip(f, PEER_IP, bcast_ip, 1, m, mlen, 0, 0);
	memcpy(f, BCAST_MAC, 6);
	feed(&nif, f, len);
	/* Not an echo request (an echo reply, a destination unreachable). */
	m[0] = 0;
	set16(m + 2, 0);
	set16(m + 2, ref_csum(m, mlen, 0));
	feed(&nif, f, build_ip(f, PEER_IP, US_IP, 1, m, mlen, 0, 0));
	m[0] = 3;
	set16(m + 2, 0);
	set16(m + 2, ref_csum(m, mlen, 0));
	feed(&nif, f, build_ip(f, PEER_IP, US_IP, 1, m, mlen, 0, 0));
	assert_int_equal(nif.stats.icmp_ignored, 3);
	/* Bad ICMP checksum; too short for ICMP. */
	mlen = build_echo(m, 1, 1, data, 8);
	m[9] ^= 1;
	feed(&nif, f, build_ip(f, PEER_IP, US_IP, 1, m, mlen, 0, 0));
	feed(&nif, f, build_ip(f, PEER_IP, US_IP, 1, m, 7, 0, 0));
	assert_int_equal(nif.stats.icmp_bad, 2);
	/* An echo whose reply would not fit our MTU (1501 bytes). */
	mlen = build_echo(m, 1, 1, data, 1473);
	feed(&nif, f, build_ip(f, PEER_IP, US_IP, 1, m, mlen, 0, 0));
	assert_int_equal(nif.stats.icmp_ignored, 4);
	assert_int_equal(link.n, 0);
	assert_int_equal(nif.stats.rx_dropped, 6);
	/* The largest ping that fits is answered, even with IP options. */
	mlen = build_echo(m, 1, 1, data, 1472);
	feed(&nif, f, build_ip(f, PEER_IP, US_IP, 1, m, mlen, 2, 0));
	check_reply(1, 1, data, 1472);
	assert_int_equal(link.len[0], 1514);
}

static void test_driver_refuses(void **state)
{
	uint8_t m[16], f[128];
	size_t mlen = build_echo(m, 1, 1, (const uint8_t *)"x", 1);

	uint64_t sent = nif.stats.tx_frames;	/* the announcement */

	(void)state;
	link.refuse = 1;
	feed(&nif, f, build_ip(f, PEER_IP, US_IP, 1, m, mlen, 0, 0));
	assert_int_equal(nif.stats.tx_errors, 1);
	assert_int_equal(nif.stats.tx_frames, sent);
	assert_int_equal(nif.stats.icmp_echo_replies, 0);
}

/* Frames one stack sent, given to the other, until both are quiet. */
static void shuttle(struct fake_link *la, struct netif *na,
		    struct fake_link *lb, struct netif *nb)
{
	for (int round = 0; round < 16 && (la->n || lb->n); round++) {
		struct fake_link a = *la, b = *lb;

		la->n = lb->n = 0;
		for (unsigned int i = 0; i < a.n; i++)
			feed(nb, a.frame[i], a.len[i]);
		for (unsigned int i = 0; i < b.n; i++)
			feed(na, b.frame[i], b.len[i]);
	}
	assert_int_equal(la->n + lb->n, 0);
}

/* An echo reply from the peer: identifier id, sequence seq, our data. */
static void feed_reply(uint16_t id, uint16_t seq,
		       const uint8_t data[NET_PING_DATA])
{
	uint8_t m[64], f[128];
	size_t len = build_echo(m, id, seq, data, NET_PING_DATA);

	m[0] = 0;
	set16(m + 2, 0);
	set16(m + 2, ref_csum(m, len, 0));
	feed(&nif, f, build_ip(f, PEER_IP, US_IP, 1, m, len, 0, 0));
}

static void test_ping_another_stack(void **state)
{
	static struct net_stack peer;
	static struct netif pnif;
	static struct fake_link plink;
	uint8_t data[NET_PING_DATA] = { 0 };

	(void)state;
	fake_netif(&pnif, &plink, PEER_MAC, PEER_IP);
	net_stack_init(&peer, NULL);
	net_stack_attach(&peer, &pnif);
	link.n = plink.n = 0;		/* the gratuitous ARPs */
	for (uint16_t seq = 0; seq < 5; seq++) {
		assert_int_equal(net_ping_send(&st, ip_of(PEER_IP), seq), 0);
		shuttle(&link, &nif, &plink, &pnif);
	}
	assert_int_equal(nif.stats.ping_sent, 5);
	assert_int_equal(pnif.stats.icmp_echo_replies, 5);
	assert_int_equal(nif.stats.ping_answered, 5);
	/* The same reply again (a duplicating link) counts once. */
	for (unsigned int i = 0; i < NET_PING_DATA; i++)
		data[i] = (uint8_t)(3 * 31 + i);
	feed_reply(NET_PING_ID, 3, data);
	assert_int_equal(nif.stats.ping_answered, 5);
	assert_int_equal(nif.stats.icmp_ignored, 1);
	memset(data, 0, sizeof(data));
	/* A reply with our identifier but other data, or another's: not ours. */
	feed_reply(NET_PING_ID, 1, data);
	feed_reply(0x4242, 1, data);
	assert_int_equal(nif.stats.ping_answered, 5);
	assert_int_equal(nif.stats.icmp_ignored, 3);
	/*
	 * A new run: a late reply to the last run's ping (as one ARP held
	 * sends with the run after it) counts no more; the new run's does.
	 */
	assert_int_equal(net_ping_send(&st, ip_of(PEER_IP), 0), 0);
	net_ping_new_run(&st);
	assert_int_equal(net_ping_send(&st, ip_of(PEER_IP), 0), 0);
	shuttle(&link, &nif, &plink, &pnif);
	assert_int_equal(pnif.stats.icmp_echo_replies, 7);
	assert_int_equal(nif.stats.ping_answered, 6);
	assert_int_equal(nif.stats.icmp_ignored, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_echo_reply, setup),
		cmocka_unit_test_setup(test_odd_length_and_options, setup),
		cmocka_unit_test_setup(test_echo_reply_carries, setup),
		cmocka_unit_test_setup(test_ethernet_padding_ignored, setup),
		cmocka_unit_test_setup(test_no_answer, setup),
		cmocka_unit_test_setup(test_driver_refuses, setup),
		cmocka_unit_test_setup(test_ping_another_stack, setup),
	};

	return cmocka_run_group_tests_name("net_icmp", tests, NULL, NULL);
}
