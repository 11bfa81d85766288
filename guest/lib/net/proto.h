/*
 * The stack's layers as they call each other: not for drivers or apps
 * (netif.h, stack.h and udp.h are).  Frames are built in st->out, one at a
 * time, always under the stack's lock.
 */
#ifndef LIB_NET_PROTO_H
#define LIB_NET_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/net/stack.h"

#define ETH_TYPE_IP 0x0800
#define ETH_TYPE_ARP 0x0806
#define ARP_LEN 28
#define IP_HLEN 20
#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17
#define UDP_HLEN 8
#define ICMP_HLEN 8

extern const uint8_t net_bcast_mac[6];

/* stack.c */
void net_lock(struct net_stack *st);
void net_unlock(struct net_stack *st);
uint64_t net_now(struct net_stack *st);
size_t net_mtu(const struct net_stack *st);
/* Count a received frame that was not used, and why. */
void net_drop(struct netif *nif, uint64_t *why);

/* eth.c */
void eth_input(struct net_stack *st, const uint8_t *f, size_t len);
/* Start a frame in st->out; returns where its payload goes. */
uint8_t *eth_begin(struct net_stack *st, const uint8_t *dst, uint16_t type);
/* Pad a frame of len bytes in buf to the minimum; returns its length. */
size_t eth_pad(uint8_t *buf, size_t len);
/* Hand a whole frame to the driver and count it; 0 or -EIO. */
int eth_transmit(struct net_stack *st, const uint8_t *frame, size_t len);

/* arp.c */
void arp_input(struct net_stack *st, const uint8_t *a, size_t len);
/*
 * st->out holds a frame of len bytes (padded) for ip whose destination
 * MAC is not filled in: send it, or hold it until ARP resolves ip.
 */
int arp_output(struct net_stack *st, uint32_t ip, size_t len);
void arp_request(struct net_stack *st, uint32_t ip);

/* ipv4.c */
void ip_input(struct net_stack *st, const uint8_t *eth_src,
	      const uint8_t *p, size_t len);
/* An IPv4 header in st->out; returns where the payload goes. */
uint8_t *ip_begin(struct net_stack *st, uint32_t dst, uint8_t proto,
		  size_t payload);
/* Send what ip_begin started: to dst_mac, or through ARP when NULL. */
int ip_send(struct net_stack *st, uint32_t dst, const uint8_t *dst_mac,
	    size_t payload);

/* icmp.c */
void icmp_input(struct net_stack *st, const uint8_t *eth_src, uint32_t src,
		int broadcast, const uint8_t *m, size_t len);

/* udp.c */
void udp_input(struct net_stack *st, uint32_t src, uint32_t dst,
	       const uint8_t *u, size_t len);

#endif
