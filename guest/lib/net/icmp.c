/*
 * ICMP (RFC 792): echo requests get their echo reply; every other message
 * is counted and ignored (we send no errors).
 */
#include <string.h>

#include "lib/net/proto.h"
#include "lib/net/bytes.h"
#include "lib/net/csum.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

void icmp_input(struct net_stack *st, const uint8_t *eth_src, uint32_t src,
		int broadcast, const uint8_t *m, size_t len)
{
	struct netif *nif = st->nif;
	uint8_t *r;

	if (len < ICMP_HLEN || csum_fold(csum_add(0, m, len))) {
		net_drop(nif, &nif->stats.icmp_bad);
		return;
	}
	/* No answers to broadcasts (smurf amplification) or to giants. */
	if (m[0] != ICMP_ECHO_REQUEST || m[1] != 0 || broadcast ||
	    IP_HLEN + len > net_mtu(st)) {
		net_drop(nif, &nif->stats.icmp_ignored);
		return;
	}
	r = ip_begin(st, src, IP_PROTO_ICMP, len);
	memcpy(r, m, len);
	r[0] = ICMP_ECHO_REPLY;
	net_put16(r + 2, 0);
	net_put16(r + 2, csum_fold(csum_add(0, r, len)));
	/* Straight back to the sender's MAC: no ARP needed to answer. */
	if (ip_send(st, src, eth_src, len) == 0)
		nif->stats.icmp_echo_replies++;
}
