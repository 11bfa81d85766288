/* The stack as a whole: set-up, locking through net_sys, the way in. */
#include <string.h>

#include "lib/net/proto.h"
#include "lib/net/udp.h"

void net_lock(struct net_stack *st)
{
	if (st->sys && st->sys->lock)
		st->sys->lock(st->sys->ctx);
}

void net_unlock(struct net_stack *st)
{
	if (st->sys && st->sys->unlock)
		st->sys->unlock(st->sys->ctx);
}

uint64_t net_now(struct net_stack *st)
{
	if (st->sys && st->sys->now_ms)
		return st->sys->now_ms(st->sys->ctx);
	return 0;
}

/* The IP MTU, no larger than the frame buffer we build in. */
size_t net_mtu(const struct net_stack *st)
{
	size_t mtu = st->nif && st->nif->mtu ? st->nif->mtu : NET_MTU_DEFAULT;

	return mtu > NET_MTU_DEFAULT ? NET_MTU_DEFAULT : mtu;
}

void net_drop(struct netif *nif, uint64_t *why)
{
	(*why)++;
	nif->stats.rx_dropped++;
}

void net_stack_init(struct net_stack *st, const struct net_sys *sys)
{
	memset(st, 0, sizeof(*st));
	st->sys = sys;
	st->next_port = UDP_EPHEMERAL_FIRST;
	st->ping_id = NET_PING_ID;
}

void net_stack_attach(struct net_stack *st, struct netif *nif)
{
	st->nif = nif;
	nif->stack = st;
	if (nif->ip)
		net_announce(st);
}

void net_announce(struct net_stack *st)
{
	arp_request(st, st->nif->ip);
}

size_t net_udp_max_payload(const struct net_stack *st)
{
	return net_mtu(st) - IP_HLEN - UDP_HLEN;
}

void net_input(struct netif *nif, const void *frame, size_t len)
{
	net_input_flags(nif, frame, len, 0);
}

void net_input_flags(struct netif *nif, const void *frame, size_t len,
		     unsigned int flags)
{
	struct net_stack *st = nif->stack;
	void (*raw)(struct netif *, const void *, size_t) =
		__atomic_load_n(&nif->raw_rx, __ATOMIC_ACQUIRE);

	if (raw) {
		raw(nif, frame, len);
		return;
	}
	if (!st) {
		nif->stats.rx_frames++;
		net_drop(nif, &nif->stats.no_stack);
		return;
	}
	net_lock(st);
	nif->stats.rx_frames++;
	nif->stats.rx_bytes += len;
	st->rx_l4_csum_ok = !!(flags & NET_RX_L4_CSUM_OK);
	eth_input(st, frame, len);
	st->rx_l4_csum_ok = 0;
	net_unlock(st);
}
