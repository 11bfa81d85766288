/* Ethernet, ARP, IPv4, ICMP echo and UDP: see netif.h. */
#include <string.h>

#include "lib/net/netif.h"

#define ETH_HDR 14
#define ETH_ARP 0x0806
#define ETH_IP 0x0800
#define IP_HDR 20
#define PROTO_ICMP 1
#define PROTO_UDP 17
#define UDP_HDR 8

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The Internet checksum's running sum of len bytes. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void arp_learn(struct netif *nif, uint32_t ip, const uint8_t *mac)
{
	unsigned int i;

	for (i = 0; i < NET_ARP_SLOTS; i++)
		if (nif->arp[i].ip == ip)
			break;
	if (i == NET_ARP_SLOTS)
		i = nif->arp_next++ % NET_ARP_SLOTS;
	nif->arp[i].ip = ip;
	memcpy(nif->arp[i].mac, mac, 6);
}

static const uint8_t *arp_lookup(struct netif *nif, uint32_t ip)
{
	for (unsigned int i = 0; i < NET_ARP_SLOTS; i++)
		if (nif->arp[i].ip == ip)
			return nif->arp[i].mac;
	return NULL;
}

static uint8_t *eth_start(struct netif *nif, const uint8_t *dst, uint16_t type)
{
	memcpy(nif->out, dst, 6);
	memcpy(nif->out + 6, nif->mac, 6);
	put16(nif->out + 12, type);
	return nif->out + ETH_HDR;
}

static void eth_send(struct netif *nif, size_t payload)
{
	size_t len = ETH_HDR + payload < 60 ? 60 : ETH_HDR + payload;

	if (ETH_HDR + payload < 60)
		memset(nif->out + ETH_HDR + payload, 0, 60 - ETH_HDR - payload);
	if (nif->send(nif, nif->out, len) == 0)
		nif->stats.tx_frames++;
}

static void arp_send(struct netif *nif, uint16_t op, const uint8_t *mac,
		     uint32_t ip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *a = eth_start(nif, op == 1 ? bcast : mac, ETH_ARP);

	put16(a, 1);
	put16(a + 2, ETH_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, nif->mac, 6);
	put32(a + 14, nif->ip);
	memcpy(a + 18, op == 1 ? (const uint8_t *)"\0\0\0\0\0\0" : mac, 6);
	put32(a + 24, ip);
	eth_send(nif, 28);
}

static void arp_input(struct netif *nif, const uint8_t *a, size_t len)
{
	uint32_t sender, target;

	if (len < 28 || get16(a) != 1 || get16(a + 2) != ETH_IP || a[4] != 6 ||
	    a[5] != 4) {
		nif->stats.dropped++;
		return;
	}
	sender = get32(a + 14);
	target = get32(a + 24);
	if (target != nif->ip)
		return;
	arp_learn(nif, sender, a + 8);
	if (get16(a + 6) == 1) {
		arp_send(nif, 2, a + 8, sender);
		nif->stats.arp_replies++;
	}
}

/* An IPv4 header in nif->out after Ethernet; returns the payload. */
static uint8_t *ip_start(struct netif *nif, const uint8_t *mac, uint32_t dst,
			 uint8_t proto, size_t payload)
{
	uint8_t *ip = eth_start(nif, mac, ETH_IP);

	memset(ip, 0, IP_HDR);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HDR + payload));
	ip[6] = 0x40;			/* don't fragment */
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, nif->ip);
	put32(ip + 16, dst);
	put16(ip + 10, fold(sum16(0, ip, IP_HDR)));
	return ip + IP_HDR;
}

static void icmp_input(struct netif *nif, const uint8_t *mac, uint32_t src,
		       const uint8_t *m, size_t len)
{
	uint8_t *r;

	if (len < 8 || fold(sum16(0, m, len)) != 0) {
		nif->stats.bad_checksum++;
		return;
	}
	if (m[0] != 8 || len > sizeof(nif->out) - ETH_HDR - IP_HDR)
		return;				/* only echo requests */
	r = ip_start(nif, mac, src, PROTO_ICMP, len);
	memcpy(r, m, len);
	r[0] = 0;				/* echo reply */
	r[2] = r[3] = 0;
	put16(r + 2, fold(sum16(0, r, len)));
	eth_send(nif, IP_HDR + len);
	nif->stats.echo_replies++;
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, size_t len)
{
	uint8_t ph[12];

	put32(ph, src);
	put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = PROTO_UDP;
	put16(ph + 10, (uint16_t)len);
	return sum16(0, ph, sizeof(ph));
}

static void udp_input(struct netif *nif, uint32_t src, uint32_t dst,
		      const uint8_t *u, size_t len)
{
	uint16_t ulen, port;

	if (len < UDP_HDR || (ulen = get16(u + 4)) < UDP_HDR || ulen > len) {
		nif->stats.dropped++;
		return;
	}
	if (get16(u + 6) && fold(sum16(pseudo_sum(src, dst, ulen), u, ulen))) {
		nif->stats.bad_checksum++;
		return;
	}
	nif->stats.udp_in++;
	port = get16(u + 2);
	for (unsigned int i = 0; i < NET_UDP_PORTS; i++)
		if (nif->udp[i].fn && nif->udp[i].port == port)
			nif->udp[i].fn(nif, src, get16(u), port, u + UDP_HDR,
				       ulen - UDP_HDR, nif->udp[i].arg);
}

static void ip_input(struct netif *nif, const uint8_t *mac, const uint8_t *ip,
		     size_t len)
{
	size_t ihl, total;
	uint32_t src, dst;

	if (len < IP_HDR || (ip[0] >> 4) != 4 || (ihl = (ip[0] & 15) * 4u) < IP_HDR ||
	    ihl > len || (total = get16(ip + 2)) < ihl || total > len) {
		nif->stats.dropped++;
		return;
	}
	if (fold(sum16(0, ip, ihl))) {
		nif->stats.bad_checksum++;
		return;
	}
	if ((get16(ip + 6) & 0x3fff) != 0) {	/* MF set or an offset */
		nif->stats.fragments++;
		return;
	}
	src = get32(ip + 12);
	dst = get32(ip + 16);
	if (dst != nif->ip)
		return;
	arp_learn(nif, src, mac);
	if (ip[9] == PROTO_ICMP)
		icmp_input(nif, mac, src, ip + ihl, total - ihl);
	else if (ip[9] == PROTO_UDP)
		udp_input(nif, src, dst, ip + ihl, total - ihl);
}

void net_input(struct netif *nif, const uint8_t *frame, size_t len)
{
	nif->stats.rx_frames++;
	if (len < ETH_HDR) {
		nif->stats.dropped++;
		return;
	}
	if (get16(frame + 12) == ETH_ARP)
		arp_input(nif, frame + ETH_HDR, len - ETH_HDR);
	else if (get16(frame + 12) == ETH_IP)
		ip_input(nif, frame + 6, frame + ETH_HDR, len - ETH_HDR);
}

int udp_bind(struct netif *nif, uint16_t port, udp_fn fn, void *arg)
{
	for (unsigned int i = 0; i < NET_UDP_PORTS; i++) {
		if (!nif->udp[i].fn) {
			nif->udp[i].port = port;
			nif->udp[i].fn = fn;
			nif->udp[i].arg = arg;
			return 0;
		}
	}
	return -1;
}

int udp_send(struct netif *nif, uint32_t dst_ip, uint16_t src_port,
	     uint16_t dst_port, const void *data, size_t len)
{
	const uint8_t *mac = arp_lookup(nif, dst_ip);
	uint8_t *u;

	if (len > sizeof(nif->out) - ETH_HDR - IP_HDR - UDP_HDR)
		return -1;
	if (!mac) {
		nif->stats.no_route++;
		arp_send(nif, 1, NULL, dst_ip);
		return -1;
	}
	u = ip_start(nif, mac, dst_ip, PROTO_UDP, UDP_HDR + len);
	put16(u, src_port);
	put16(u + 2, dst_port);
	put16(u + 4, (uint16_t)(UDP_HDR + len));
	put16(u + 6, 0);
	memcpy(u + UDP_HDR, data, len);
	put16(u + 6, fold(sum16(pseudo_sum(nif->ip, dst_ip, UDP_HDR + len), u,
				UDP_HDR + len)) ?: 0xffff);
	eth_send(nif, IP_HDR + UDP_HDR + len);
	nif->stats.udp_out++;
	return 0;
}

uint32_t net_parse_ip(const char *s)
{
	uint32_t ip = 0;

	for (int i = 0; i < 4; i++) {
		unsigned int v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned int)(*s++ - '0');
			digits++;
		}
		if (!digits || v > 255 || (i < 3 && *s++ != '.'))
			return 0;
		ip = ip << 8 | v;
	}
	return *s ? 0 : ip;
}
