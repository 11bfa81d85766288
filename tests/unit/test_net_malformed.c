/*
 * lib/net against hostile frames: each broken field of an otherwise good
 * ping (truncated, bad version or IHL, bad total length, bad checksum,
 * fragments, strangers' addresses, short UDP ...) is dropped, counted
 * under its own reason and in rx_dropped, and answered with nothing.
 * Every frame is an exact-size heap copy, so AddressSanitizer fails the
 * test on any read past its end; a random sweep checks the same.
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
static struct udp_sock sock;
static uint8_t qbuf[4 * 1480];

static int setup(void **state)
{
	(void)state;
	fake_netif(&nif, &link, US_MAC, US_IP);
	net_stack_init(&st, NULL);
	net_stack_attach(&st, &nif);
	memset(&sock, 0, sizeof(sock));
	assert_int_equal(udp_sock_open_queue(&st, &sock, 9, qbuf, sizeof(qbuf),
					     1472), 0);
	link.n = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	udp_sock_close(&sock);
	return 0;
}

/* A good ping with 8 bytes of data: 14 + 20 + 16 = 50 bytes. */
static size_t good_ping(uint8_t *f)
{
	uint8_t m[32];
	size_t mlen = build_echo(m, 1, 1, (const uint8_t *)"12345678", 8);

	return build_ip(f, PEER_IP, US_IP, 1, m, mlen, 0, 0x4000);
}

static void fix_ip_checksum(uint8_t *f)
{
	size_t ihl = (size_t)(f[14] & 15) * 4;

	set16(f + 24, 0);
	if (ihl >= 20 && 14 + ihl <= 50)
		set16(f + 24, ref_csum(f + 14, ihl, 0));
}

struct bad_case {
	const char *what;
	size_t off_counter;	/* offsetof(struct net_counters, ...) */
	void (*mutate)(uint8_t *f, size_t *len);
};

#define COUNTER(name) offsetof(struct net_counters, name)

static void m_version(uint8_t *f, size_t *len)
{
	(void)len;
	f[14] = 0x65;
	fix_ip_checksum(f);
}

static void m_ihl_small(uint8_t *f, size_t *len)
{
	(void)len;
	f[14] = 0x44;
	set16(f + 24, 0);
}

static void m_ihl_past_end(uint8_t *f, size_t *len)
{
	(void)len;
	f[14] = 0x4f;		/* 60-byte header in a 36-byte packet */
	set16(f + 24, 0);
}

static void m_total_below_ihl(uint8_t *f, size_t *len)
{
	(void)len;
	set16(f + 16, 19);
	fix_ip_checksum(f);
}

static void m_total_past_end(uint8_t *f, size_t *len)
{
	set16(f + 16, (unsigned int)(*len - 14 + 1));
	fix_ip_checksum(f);
}

static void m_checksum(uint8_t *f, size_t *len)
{
	(void)len;
	f[24] ^= 0x01;
}

static void m_more_fragments(uint8_t *f, size_t *len)
{
	(void)len;
	set16(f + 20, 0x2000);
	fix_ip_checksum(f);
}

static void m_fragment_offset(uint8_t *f, size_t *len)
{
	(void)len;
	set16(f + 20, 0x0001);
	fix_ip_checksum(f);
}

static void m_other_dst(uint8_t *f, size_t *len)
{
	(void)len;
	f[33] = 3;
	fix_ip_checksum(f);
}

static void m_multicast_src(uint8_t *f, size_t *len)
{
	(void)len;
	f[26] = 224;
	fix_ip_checksum(f);
}

static void m_tcp(uint8_t *f, size_t *len)
{
	(void)len;
	f[23] = 6;
	fix_ip_checksum(f);
}

static void m_other_mac(uint8_t *f, size_t *len)
{
	(void)len;
	f[5] ^= 1;
}

static void m_group_src_mac(uint8_t *f, size_t *len)
{
	(void)len;
	f[6] |= 1;
}

static void m_ipv6(uint8_t *f, size_t *len)
{
	(void)len;
	set16(f + 12, 0x86dd);
}

static void m_short_icmp(uint8_t *f, size_t *len)
{
	*len = 14 + 20 + 4;
	set16(f + 16, 24);
	fix_ip_checksum(f);
}

static void m_short_udp(uint8_t *f, size_t *len)
{
	*len = 14 + 20 + 4;
	f[23] = 17;
	set16(f + 16, 24);
	fix_ip_checksum(f);
}

static const struct bad_case cases[] = {
	{ "version 6 header", COUNTER(ip_bad_header), m_version },
	{ "IHL below 5", COUNTER(ip_bad_header), m_ihl_small },
	{ "IHL past the end", COUNTER(ip_bad_header), m_ihl_past_end },
	{ "total length below IHL", COUNTER(ip_bad_header), m_total_below_ihl },
	{ "total length past the end", COUNTER(ip_bad_header),
	  m_total_past_end },
	{ "header checksum", COUNTER(ip_bad_checksum), m_checksum },
	{ "more fragments", COUNTER(ip_fragments), m_more_fragments },
	{ "fragment offset", COUNTER(ip_fragments), m_fragment_offset },
	{ "another destination", COUNTER(ip_not_mine), m_other_dst },
	{ "multicast source", COUNTER(ip_martian), m_multicast_src },
	{ "TCP", COUNTER(ip_unknown_proto), m_tcp },
	{ "another MAC", COUNTER(eth_not_mine), m_other_mac },
	{ "group source MAC", COUNTER(eth_bad_src), m_group_src_mac },
	{ "IPv6", COUNTER(eth_unknown_type), m_ipv6 },
	{ "short ICMP", COUNTER(icmp_bad), m_short_icmp },
	{ "short UDP", COUNTER(udp_bad), m_short_udp },
};

static uint64_t counter(size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)&nif.stats + off, sizeof(v));
	return v;
}

static void test_each_bad_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t f[128];
		size_t len = good_ping(f);
		uint64_t before = counter(cases[i].off_counter);
		uint64_t dropped = nif.stats.rx_dropped;

		cases[i].mutate(f, &len);
		feed(&nif, f, len);
		if (counter(cases[i].off_counter) != before + 1 ||
		    nif.stats.rx_dropped != dropped + 1 || link.n)
			fail_msg("%s: not dropped and counted", cases[i].what);
	}
	/* The unmodified frame is answered: the cases were near misses. */
	{
		uint8_t f[128];

		feed(&nif, f, good_ping(f));
		assert_int_equal(link.n, 1);
	}
}

static void test_every_truncation(void **state)
{
	uint8_t f[1600], data[1000];
	size_t len;

	(void)state;
	memset(data, 0x5a, sizeof(data));
	len = build_udp_frame(f, 1000, 9, data, sizeof(data));
	for (size_t cut = 0; cut < len; cut++)
		feed(&nif, f, cut);
	assert_int_equal(nif.stats.eth_short, 14);
	assert_int_equal(nif.stats.ip_bad_header, len - 14);
	assert_int_equal(nif.stats.rx_dropped, len);
	assert_int_equal(link.n, 0);
	assert_int_equal(udp_sock_pending(&sock), 0);
	feed(&nif, f, len);
	assert_int_equal(udp_sock_pending(&sock), 1);
}

static void test_before_attach(void **state)
{
	struct netif lone;
	struct fake_link l;
	uint8_t f[128];

	(void)state;
	fake_netif(&lone, &l, US_MAC, US_IP);
	feed(&lone, f, good_ping(f));
	assert_int_equal(lone.stats.no_stack, 1);
	assert_int_equal(lone.stats.rx_dropped, 1);
	assert_int_equal(l.n, 0);
}

/*
 * Random frames, half of them with a plausible Ethernet and IPv4 header
 * to us, so parsing gets deep: nothing may be read out of bounds, every
 * frame counted, and what the stack sends stays well formed.
 */
static void test_random_sweep(void **state)
{
	unsigned int seed = 7;
	uint8_t f[256];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(f);

		for (size_t k = 0; k < len; k++)
			f[k] = (uint8_t)rand_r(&seed);
		if (i % 2 && len >= 34) {
			build_eth(f, US_MAC, PEER_MAC, 0x0800);
			f[14] = (uint8_t)(0x45 + rand_r(&seed) % 3);
			set16(f + 16, (unsigned int)(len - 14 -
						     (size_t)rand_r(&seed) % 4));
			set16(f + 20, 0);
			f[23] = i % 4 == 1 ? 1 : 17;
			memcpy(f + 26, PEER_IP, 4);
			memcpy(f + 30, US_IP, 4);
			set16(f + 24, 0);
			set16(f + 24, ref_csum(f + 14, (size_t)(f[14] & 15) * 4,
					       0));
		}
		feed(&nif, f, len);
		for (unsigned int k = 0; k < link.n; k++) {
			size_t plen;

			if (be16(link.frame[k] + 12) == 0x0800)
				check_ip_out(link.frame[k], link.len[k],
					     link.frame[k][23], &plen);
		}
		link.n = 0;
		while (udp_sock_recv(&sock, f, sizeof(f), NULL, NULL) >= 0)
			;
	}
	assert_int_equal(nif.stats.rx_frames, 20000);
	assert_true(nif.stats.rx_dropped <= 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_bad_field, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_every_truncation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_before_attach, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_random_sweep, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("net_malformed", tests, NULL, NULL);
}
