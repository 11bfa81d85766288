/*
 * IPv4 (RFC 791) on one link: check every header field we rely on,
 * deliver ICMP and UDP for our address (and UDP for the limited
 * broadcast), build headers for what we send.  Fragments are counted and
 * dropped (no reassembly); options are skipped; nothing is forwarded.
 */
#include <errno.h>
#include <string.h>

#include "lib/net/proto.h"
#include "lib/net/bytes.h"
#include "lib/net/csum.h"

#define IP_BROADCAST 0xffffffffu
#define IP_FLAG_DF 0x4000
#define IP_FRAG_MASK 0x3fff	/* more-fragments flag and offset */
#define IP_TTL 64

/* The header's length if it is sound and fits in len, else 0. */
static size_t ip_header_ok(const uint8_t *p, size_t len)
{
	size_t ihl, total;

	if (len < IP_HLEN || p[0] >> 4 != 4)
		return 0;
	ihl = (size_t)(p[0] & 15) * 4;
	total = net_get16(p + 2);
	if (ihl < IP_HLEN || ihl > len || total < ihl || total > len)
		return 0;
	return ihl;
}

/* Multicast, broadcast, or 0.0.0.0: never a sender we answer. */
static int ip_martian(uint32_t ip)
{
	uint8_t b[4];

	net_put_ip(b, ip);
	return b[0] >= 224 || ip == 0;
}

void ip_input(struct net_stack *st, const uint8_t *eth_src,
	      const uint8_t *p, size_t len)
{
	struct netif *nif = st->nif;
	uint32_t src, dst;
	size_t ihl, total;
	int bcast;

	ihl = ip_header_ok(p, len);
	if (!ihl) {
		net_drop(nif, &nif->stats.ip_bad_header);
		return;
	}
	if (csum_fold(csum_add(0, p, ihl))) {
		net_drop(nif, &nif->stats.ip_bad_checksum);
		return;
	}
	if (net_get16(p + 6) & IP_FRAG_MASK) {
		net_drop(nif, &nif->stats.ip_fragments);
		return;
	}
	src = net_get_ip(p + 12);
	dst = net_get_ip(p + 16);
	if (ip_martian(src)) {
		net_drop(nif, &nif->stats.ip_martian);
		return;
	}
	bcast = dst == IP_BROADCAST;
	if (!nif->ip || (dst != nif->ip && !bcast)) {
		net_drop(nif, &nif->stats.ip_not_mine);
		return;
	}
	/* Ethernet may pad short packets: the header's length rules. */
	total = net_get16(p + 2);
	if (p[9] == IP_PROTO_ICMP)
		icmp_input(st, eth_src, src, bcast, p + ihl, total - ihl);
	else if (p[9] == IP_PROTO_UDP)
		udp_input(st, src, dst, p + ihl, total - ihl);
	else
		net_drop(nif, &nif->stats.ip_unknown_proto);
}

uint8_t *ip_begin(struct net_stack *st, uint32_t dst, uint8_t proto,
		  size_t payload)
{
	uint8_t *ip = eth_begin(st, NULL, ETH_TYPE_IP);

	ip[0] = 0x45;		/* version 4, 5 words: no options */
	ip[1] = 0;
	net_put16(ip + 2, (uint16_t)(IP_HLEN + payload));
	net_put16(ip + 4, st->ip_id++);
	net_put16(ip + 6, IP_FLAG_DF);
	ip[8] = IP_TTL;
	ip[9] = proto;
	net_put16(ip + 10, 0);
	net_put_ip(ip + 12, st->nif->ip);
	net_put_ip(ip + 16, dst);
	net_put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));
	return ip + IP_HLEN;
}

int ip_send(struct net_stack *st, uint32_t dst, const uint8_t *dst_mac,
	    size_t payload)
{
	size_t len = eth_pad(st->out, NET_ETH_HLEN + IP_HLEN + payload);

	if (!dst_mac)
		return arp_output(st, dst, len);
	memcpy(st->out, dst_mac, 6);
	return eth_transmit(st, st->out, len);
}
