/*
 * The guest's small network stack: Ethernet, ARP, IPv4, ICMP echo and UDP
 * on one link.  Portable (no kernel calls): a driver gives it frames with
 * net_input() and sends what it builds through netif.send; the guest
 * kernel and the hosted tests drive it the same way.  Input is hostile:
 * every header is bounds-checked against the frame's length.  Not handled:
 * TCP, IP fragments (dropped, counted), options, routing beyond the link.
 */
#ifndef LIB_NET_NETIF_H
#define LIB_NET_NETIF_H

#include <stddef.h>
#include <stdint.h>

#define NET_ARP_SLOTS 8
#define NET_UDP_PORTS 4
#define NET_FRAME_MAX 1514

struct netif;
typedef void (*udp_fn)(struct netif *nif, uint32_t src_ip, uint16_t src_port,
		       uint16_t dst_port, const uint8_t *data, size_t len,
		       void *arg);

struct net_stats {
	uint64_t rx_frames, tx_frames, dropped, bad_checksum, fragments;
	uint64_t arp_replies, echo_replies, udp_in, udp_out, no_route;
};

struct netif {
	uint8_t mac[6];
	uint32_t ip;			/* host byte order */
	int (*send)(struct netif *nif, const void *frame, size_t len);
	void *priv;
	struct {
		uint32_t ip;
		uint8_t mac[6];
	} arp[NET_ARP_SLOTS];
	unsigned int arp_next;
	struct {
		uint16_t port;
		udp_fn fn;
		void *arg;
	} udp[NET_UDP_PORTS];
	struct net_stats stats;
	uint8_t out[NET_FRAME_MAX];	/* frame being built */
};

void net_input(struct netif *nif, const uint8_t *frame, size_t len);
int udp_bind(struct netif *nif, uint16_t port, udp_fn fn, void *arg);
/* 0, or -1 if the peer's MAC is not known yet (an ARP request went out). */
int udp_send(struct netif *nif, uint32_t dst_ip, uint16_t src_port,
	     uint16_t dst_port, const void *data, size_t len);
uint32_t net_parse_ip(const char *s);	/* "169.254.1.2" -> host order; 0 bad */

#endif
