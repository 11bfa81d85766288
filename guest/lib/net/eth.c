/* Ethernet II: accept frames for our MAC or broadcast, build headers. */
#include <errno.h>
#include <string.h>

#include "lib/net/proto.h"
#include "lib/net/bytes.h"

const uint8_t net_bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void eth_input(struct net_stack *st, const uint8_t *f, size_t len)
{
	struct netif *nif = st->nif;
	uint16_t type;

	if (len < NET_ETH_HLEN) {
		net_drop(nif, &nif->stats.eth_short);
		return;
	}
	/* A group source address is forged: never answer it. */
	if (f[6] & 1) {
		net_drop(nif, &nif->stats.eth_bad_src);
		return;
	}
	if (memcmp(f, nif->mac, 6) && memcmp(f, net_bcast_mac, 6)) {
		net_drop(nif, &nif->stats.eth_not_mine);
		return;
	}
	type = net_get16(f + 12);
	if (type == ETH_TYPE_ARP)
		arp_input(st, f + NET_ETH_HLEN, len - NET_ETH_HLEN);
	else if (type == ETH_TYPE_IP)
		ip_input(st, f + 6, f + NET_ETH_HLEN, len - NET_ETH_HLEN);
	else
		net_drop(nif, &nif->stats.eth_unknown_type);
}

uint8_t *eth_begin(struct net_stack *st, const uint8_t *dst, uint16_t type)
{
	if (dst)
		memcpy(st->out, dst, 6);
	memcpy(st->out + 6, st->nif->mac, 6);
	net_put16(st->out + 12, type);
	return st->out + NET_ETH_HLEN;
}

size_t eth_pad(uint8_t *buf, size_t len)
{
	if (len >= NET_FRAME_MIN)
		return len;
	memset(buf + len, 0, NET_FRAME_MIN - len);
	return NET_FRAME_MIN;
}

int eth_transmit(struct net_stack *st, const uint8_t *frame, size_t len)
{
	struct netif *nif = st->nif;

	if (nif->send(nif, frame, len,
		      nif->tx_csum_partial ? NET_TX_CSUM_PARTIAL : 0)) {
		nif->stats.tx_errors++;
		return -EIO;
	}
	nif->stats.tx_frames++;
	nif->stats.tx_bytes += len;
	return 0;
}
