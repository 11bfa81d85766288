/*
 * ARP (RFC 826) for IPv4 over Ethernet: answer requests for our address,
 * keep a small cache, resolve addresses for our own sends (their frames
 * wait for the reply, in order, in a small pool; the request is repeated
 * each second while they wait, net_tick()), and announce ourselves.
 *
 * Merging follows RFC 826: a sender already in the cache is refreshed from
 * any ARP packet; a new sender is added only when it asked for us, so
 * chatter between others does not fill the cache.
 */
#include <stddef.h>
#include <string.h>

#include "lib/net/proto.h"
#include "lib/net/bytes.h"

#define ARP_HW_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

static struct arp_entry *arp_find(struct net_stack *st, uint32_t ip)
{
	for (int i = 0; i < NET_ARP_SLOTS; i++)
		if (st->arp[i].state != ARP_FREE && st->arp[i].ip == ip)
			return &st->arp[i];
	return NULL;
}

/* Is a held before b?  Wrap-safe: the pool is far smaller than 2^31. */
static int held_before(const struct arp_held *a, const struct arp_held *b)
{
	return (int32_t)(a->seq - b->seq) < 0;
}

static void held_drop(struct net_stack *st, struct arp_held *h)
{
	h->len = 0;
	st->nif->stats.arp_held_dropped++;
}

/* Drop what waited too long, and with forget, all that waits for ip. */
static void held_expire(struct net_stack *st, int forget, uint32_t ip,
			uint64_t now)
{
	for (int i = 0; i < NET_ARP_HELD; i++) {
		struct arp_held *h = &st->held[i];

		if (h->len && ((forget && h->ip == ip) ||
			       now - h->held_ms >= NET_ARP_HOLD_MS))
			held_drop(st, h);
	}
}

/*
 * Hold the frame in st->out for ip.  Room comes from a free slot, else
 * from ip's oldest frame once ip holds its share, else from the oldest
 * frame of all.
 */
static void held_add(struct net_stack *st, uint32_t ip, size_t len,
		     uint64_t now)
{
	struct arp_held *free_slot = NULL, *oldest = NULL, *oldest_ip = NULL;
	struct arp_held *h;
	int mine = 0;

	held_expire(st, 0, 0, now);
	for (int i = 0; i < NET_ARP_HELD; i++) {
		h = &st->held[i];
		if (!h->len) {
			free_slot = free_slot ? free_slot : h;
			continue;
		}
		if (!oldest || held_before(h, oldest))
			oldest = h;
		if (h->ip == ip) {
			mine++;
			if (!oldest_ip || held_before(h, oldest_ip))
				oldest_ip = h;
		}
	}
	if (mine >= NET_ARP_HELD_PER_IP)
		h = oldest_ip;
	else
		h = free_slot ? free_slot : oldest;
	if (h->len)
		held_drop(st, h);
	memcpy(h->frame, st->out, len);
	h->len = (uint16_t)len;
	h->ip = ip;
	h->seq = st->held_seq++;
	h->held_ms = now;
}

/* ip resolved to mac: send what waited for it, oldest first. */
static void held_release(struct net_stack *st, uint32_t ip,
			 const uint8_t *mac, uint64_t now)
{
	held_expire(st, 0, 0, now);
	for (int n = 0; n < NET_ARP_HELD; n++) {
		struct arp_held *next = NULL;

		for (int i = 0; i < NET_ARP_HELD; i++) {
			struct arp_held *h = &st->held[i];

			if (h->len && h->ip == ip &&
			    (!next || held_before(h, next)))
				next = h;
		}
		if (!next)
			return;
		memcpy(next->frame, mac, 6);
		eth_transmit(st, next->frame, next->len);
		next->len = 0;
	}
}

/* A free entry, or the least recently confirmed one (its frames are lost). */
static struct arp_entry *arp_alloc(struct net_stack *st, uint32_t ip)
{
	struct arp_entry *e = NULL;

	for (int i = 0; i < NET_ARP_SLOTS && !e; i++)
		if (st->arp[i].state == ARP_FREE)
			e = &st->arp[i];
	if (!e) {
		e = &st->arp[0];
		for (int i = 1; i < NET_ARP_SLOTS; i++)
			if (st->arp[i].updated_ms < e->updated_ms)
				e = &st->arp[i];
	}
	if (e->state == ARP_PENDING)
		held_expire(st, 1, e->ip, net_now(st));
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	e->state = ARP_PENDING;
	return e;
}

static void arp_send(struct net_stack *st, uint16_t op, const uint8_t *dst,
		     const uint8_t *tha, uint32_t tpa)
{
	uint8_t *a = eth_begin(st, dst, ETH_TYPE_ARP);

	net_put16(a, ARP_HW_ETHER);
	net_put16(a + 2, ETH_TYPE_IP);
	a[4] = 6;
	a[5] = 4;
	net_put16(a + 6, op);
	memcpy(a + 8, st->nif->mac, 6);
	net_put_ip(a + 14, st->nif->ip);
	memcpy(a + 18, tha, 6);
	net_put_ip(a + 24, tpa);
	eth_transmit(st, st->out, eth_pad(st->out, NET_ETH_HLEN + ARP_LEN));
}

void arp_request(struct net_stack *st, uint32_t ip)
{
	static const uint8_t unknown[6];

	arp_send(st, ARP_OP_REQUEST, net_bcast_mac, unknown, ip);
	st->nif->stats.arp_requests_sent++;
}

/* Learn ip's MAC and send the frames that waited for it. */
static void arp_confirm(struct net_stack *st, struct arp_entry *e,
			const uint8_t *mac)
{
	int was_pending = e->state == ARP_PENDING;

	memcpy(e->mac, mac, 6);
	e->state = ARP_RESOLVED;
	e->updated_ms = net_now(st);
	if (was_pending)
		held_release(st, e->ip, mac, e->updated_ms);
}

static int arp_header_ok(const uint8_t *a, size_t len)
{
	uint16_t op;

	if (len < ARP_LEN || net_get16(a) != ARP_HW_ETHER ||
	    net_get16(a + 2) != ETH_TYPE_IP || a[4] != 6 || a[5] != 4)
		return 0;
	op = net_get16(a + 6);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return 0;
	return !(a[8] & 1);	/* a group sender address is forged */
}

void arp_input(struct net_stack *st, const uint8_t *a, size_t len)
{
	struct netif *nif = st->nif;
	uint32_t spa, tpa;
	struct arp_entry *e;
	int for_us;

	if (!arp_header_ok(a, len)) {
		net_drop(nif, &nif->stats.arp_bad);
		return;
	}
	spa = net_get_ip(a + 14);
	tpa = net_get_ip(a + 24);
	if (!nif->ip) {
		net_drop(nif, &nif->stats.arp_ignored);
		return;
	}
	if (spa == nif->ip) {
		/* Our own announcement coming back (loopback), or a thief. */
		if (memcmp(a + 8, nif->mac, 6))
			nif->stats.arp_conflicts++;
		net_drop(nif, &nif->stats.arp_ignored);
		return;
	}
	for_us = tpa == nif->ip;
	e = spa ? arp_find(st, spa) : NULL;
	if (!e && spa && for_us)
		e = arp_alloc(st, spa);
	if (e)
		arp_confirm(st, e, a + 8);
	if (!for_us) {
		net_drop(nif, &nif->stats.arp_ignored);
		return;
	}
	if (net_get16(a + 6) == ARP_OP_REQUEST) {
		/* A probe (sender 0.0.0.0) is answered too: we defend. */
		arp_send(st, ARP_OP_REPLY, a + 8, a + 8, spa);
		nif->stats.arp_replies_sent++;
	}
}

static int arp_may_ask(struct net_stack *st, struct arp_entry *e,
		       uint64_t now)
{
	if (!st->sys || !st->sys->now_ms)
		return 1;	/* no clock: ask every time */
	return !e->asked_ms || now - e->asked_ms >= NET_ARP_RETRY_MS;
}

static void arp_ask(struct net_stack *st, struct arp_entry *e, uint64_t now)
{
	if (!arp_may_ask(st, e, now))
		return;
	e->asked_ms = now ? now : 1;	/* 0 means never asked */
	arp_request(st, e->ip);
}

int arp_output(struct net_stack *st, uint32_t ip, size_t len)
{
	uint64_t now = net_now(st);
	struct arp_entry *e;

	if (ip == st->nif->ip || ip == 0xffffffff) {
		memcpy(st->out, ip == 0xffffffff ? net_bcast_mac : st->nif->mac,
		       6);
		return eth_transmit(st, st->out, len);
	}
	e = arp_find(st, ip);
	if (e && e->state == ARP_RESOLVED) {
		/* Old: keep using it while asking again. */
		if (now - e->updated_ms >= NET_ARP_TTL_MS)
			arp_ask(st, e, now);
		memcpy(st->out, e->mac, 6);
		return eth_transmit(st, st->out, len);
	}
	if (!e)
		e = arp_alloc(st, ip);
	held_add(st, ip, len, now);
	arp_ask(st, e, now);
	return 0;
}

void net_tick(struct net_stack *st)
{
	uint64_t now = net_now(st);

	if (!st->sys || !st->sys->now_ms)
		return;		/* no clock, no time passing */
	held_expire(st, 0, 0, now);
	for (int i = 0; i < NET_ARP_SLOTS; i++) {
		struct arp_entry *e = &st->arp[i];

		if (e->state != ARP_PENDING)
			continue;
		for (int k = 0; k < NET_ARP_HELD; k++)
			if (st->held[k].len && st->held[k].ip == e->ip) {
				arp_ask(st, e, now);
				break;
			}
	}
}

const uint8_t *net_arp_lookup(struct net_stack *st, uint32_t ip)
{
	struct arp_entry *e = arp_find(st, ip);

	return e && e->state == ARP_RESOLVED ? e->mac : NULL;
}
