/*
 * For the test_net_*.c programs: a fake link that records what the stack
 * sends, and frame builders written independently of guest/lib/net (their
 * own checksum), so the stack is checked against a second implementation
 * rather than against itself.  Include after cmocka.h.
 */
#ifndef TESTS_UNIT_NET_FAKE_H
#define TESTS_UNIT_NET_FAKE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/net/udp.h"

#define FAKE_FRAMES 64

struct fake_link {
	uint8_t frame[FAKE_FRAMES][2048];
	size_t len[FAKE_FRAMES];
	unsigned int n;
	int refuse;			/* send() fails while set */
};

static const uint8_t US_MAC[6] = { 0x02, 0x6b, 0x73, 0x00, 0x00, 0x02 };
static const uint8_t PEER_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t BCAST_MAC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t US_IP[4] = { 169, 254, 1, 2 };
static const uint8_t PEER_IP[4] = { 169, 254, 1, 1 };

static inline uint32_t ip_of(const uint8_t b[4])
{
	uint32_t ip;

	memcpy(&ip, b, 4);
	return ip;
}

static inline int fake_send(struct netif *nif, const void *frame, size_t len,
			    unsigned int flags)
{
	(void)flags;
	struct fake_link *l = nif->priv;

	assert_true(len >= 60 && len <= NET_FRAME_MAX);
	if (l->refuse)
		return -1;
	assert_true(l->n < FAKE_FRAMES);
	memcpy(l->frame[l->n], frame, len);
	l->len[l->n++] = len;
	return 0;
}

static inline void fake_netif(struct netif *nif, struct fake_link *l,
			      const uint8_t mac[6], const uint8_t ip[4])
{
	memset(nif, 0, sizeof(*nif));
	memset(l, 0, sizeof(*l));
	memcpy(nif->mac, mac, 6);
	nif->ip = ip_of(ip);
	nif->mtu = 1500;
	nif->send = fake_send;
	nif->priv = l;
}

/* Feed an exact-size heap copy: ASan reports any read past its end. */
static inline void feed(struct netif *nif, const uint8_t *frame, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, frame, len);
	net_input(nif, copy, len);
	free(copy);
}

/* ---- an independent Internet checksum and frame builders --------------- */

static inline uint16_t ref_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i < len; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)~sum;
}

static inline uint32_t ref_pseudo(const uint8_t src[4], const uint8_t dst[4],
				  uint8_t proto, size_t len)
{
	return (uint32_t)(src[0] << 8 | src[1]) + (uint32_t)(src[2] << 8 | src[3]) +
	       (uint32_t)(dst[0] << 8 | dst[1]) + (uint32_t)(dst[2] << 8 | dst[3]) +
	       proto + (uint32_t)len;
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void set16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline size_t build_eth(uint8_t *f, const uint8_t dst[6],
			       const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	set16(f + 12, type);
	return 14;
}

/* An ARP packet from PEER (op 1 request, 2 reply) asking about tpa. */
static inline size_t build_arp(uint8_t *f, const uint8_t eth_dst[6],
			       unsigned int op, const uint8_t sha[6],
			       const uint8_t spa[4], const uint8_t tpa[4])
{
	uint8_t *a = f + build_eth(f, eth_dst, sha, 0x0806);

	set16(a, 1);
	set16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	set16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, tpa, 4);
	return 14 + 28;
}

/*
 * An IPv4 packet PEER -> dst after an Ethernet header to US_MAC, with
 * opt_words words of options (NOPs); returns the frame's length.
 */
static inline size_t build_ip(uint8_t *f, const uint8_t src[4],
			      const uint8_t dst[4], uint8_t proto,
			      const uint8_t *payload, size_t len,
			      unsigned int opt_words, unsigned int frag)
{
	uint8_t *ip = f + build_eth(f, US_MAC, PEER_MAC, 0x0800);
	size_t ihl = 20 + 4 * opt_words;

	memset(ip, 0, ihl);
	ip[0] = (uint8_t)(0x40 | (ihl / 4));
	set16(ip + 2, (unsigned int)(ihl + len));
	set16(ip + 4, 0x1234);
	set16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	memset(ip + 20, 1, ihl - 20);		/* NOP options */
	set16(ip + 10, ref_csum(ip, ihl, 0));
	memcpy(ip + ihl, payload, len);
	return 14 + ihl + len;
}

static inline size_t build_echo(uint8_t *m, uint16_t id, uint16_t seq,
				const uint8_t *data, size_t len)
{
	m[0] = 8;
	m[1] = 0;
	set16(m + 2, 0);
	set16(m + 4, id);
	set16(m + 6, seq);
	memcpy(m + 8, data, len);
	set16(m + 2, ref_csum(m, 8 + len, 0));
	return 8 + len;
}

static inline size_t build_udp(uint8_t *u, const uint8_t src[4],
			       const uint8_t dst[4], uint16_t sport,
			       uint16_t dport, const uint8_t *data, size_t len)
{
	uint16_t sum;

	set16(u, sport);
	set16(u + 2, dport);
	set16(u + 4, (unsigned int)(8 + len));
	set16(u + 6, 0);
	memcpy(u + 8, data, len);
	sum = ref_csum(u, 8 + len, ref_pseudo(src, dst, 17, 8 + len));
	set16(u + 6, sum ? sum : 0xffff);
	return 8 + len;
}

/* A whole UDP frame PEER:sport -> US:dport. */
static inline size_t build_udp_frame(uint8_t *f, uint16_t sport,
				     uint16_t dport, const uint8_t *data,
				     size_t len)
{
	uint8_t u[1600];
	size_t ulen = build_udp(u, PEER_IP, US_IP, sport, dport, data, len);

	return build_ip(f, PEER_IP, US_IP, 17, u, ulen, 0, 0x4000);
}

/* Check a frame the stack sent is IPv4 from us with a sound header. */
static inline const uint8_t *check_ip_out(const uint8_t *f, size_t len,
					  uint8_t proto, size_t *payload)
{
	const uint8_t *ip = f + 14;

	assert_memory_equal(f + 6, US_MAC, 6);
	assert_int_equal(be16(f + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ref_csum(ip, 20, 0), 0);
	assert_int_equal(ip[9], proto);
	assert_true(ip[8] > 0);
	assert_int_equal(be16(ip + 6) & 0x3fff, 0);	/* not a fragment */
	assert_memory_equal(ip + 12, US_IP, 4);
	assert_true(14 + (size_t)be16(ip + 2) <= len);
	*payload = be16(ip + 2) - 20;
	return ip + 20;
}

#endif
