/*
 * ICMP (RFC 792): echo requests get their echo reply; replies to our own
 * pings of the current run are counted; every other message is counted
 * and ignored (we send no errors).
 */
#include <string.h>

#include "lib/net/proto.h"
#include "lib/net/bytes.h"
#include "lib/net/csum.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

/* The data of our ping with sequence seq: a pattern the reply must echo. */
static void ping_data(uint8_t *d, uint16_t seq)
{
	for (unsigned int i = 0; i < NET_PING_DATA; i++)
		d[i] = (uint8_t)(seq * 31 + i);
}

int net_ping_send(struct net_stack *st, uint32_t ip, uint16_t seq)
{
	size_t len = ICMP_HLEN + NET_PING_DATA;
	uint8_t *m = ip_begin(st, ip, IP_PROTO_ICMP, len);

	m[0] = ICMP_ECHO_REQUEST;
	m[1] = 0;
	net_put16(m + 2, 0);
	net_put16(m + 4, st->ping_id);
	net_put16(m + 6, seq);
	ping_data(m + ICMP_HLEN, seq);
	net_put16(m + 2, csum_fold(csum_add(0, m, len)));
	if (ip_send(st, ip, NULL, len))
		return -1;
	st->nif->stats.ping_sent++;
	return 0;
}

void net_ping_new_run(struct net_stack *st)
{
	st->ping_id++;
	memset(st->ping_seen, 0, sizeof(st->ping_seen));
}

/* A reply to one of this run's pings, with the data we sent for it? */
static int our_reply(const struct net_stack *st, const uint8_t *m,
		     size_t len)
{
	uint8_t want[NET_PING_DATA];

	if (len != ICMP_HLEN + NET_PING_DATA || net_get16(m + 4) != st->ping_id)
		return 0;
	ping_data(want, net_get16(m + 6));
	return !memcmp(m + ICMP_HLEN, want, sizeof(want));
}

/* Is this the first reply of the run for sequence seq?  Marks it seen. */
static int first_answer(struct net_stack *st, uint16_t seq)
{
	uint64_t bit = 1ULL << (seq % 64);

	if (st->ping_seen[seq / 64] & bit)
		return 0;
	st->ping_seen[seq / 64] |= bit;
	return 1;
}

void icmp_input(struct net_stack *st, const uint8_t *eth_src, uint32_t src,
		int broadcast, const uint8_t *m, size_t len)
{
	struct netif *nif = st->nif;
	uint8_t *r;

	if (len < ICMP_HLEN || csum_fold(csum_add(0, m, len))) {
		net_drop(nif, &nif->stats.icmp_bad);
		return;
	}
	if (m[0] == ICMP_ECHO_REPLY && m[1] == 0 && !broadcast &&
	    our_reply(st, m, len)) {
		if (first_answer(st, net_get16(m + 6)))
			nif->stats.ping_answered++;
		else
			net_drop(nif, &nif->stats.icmp_ignored);
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
