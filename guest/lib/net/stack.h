/*
 * The guest's network stack on one link: Ethernet II, ARP, IPv4, ICMP
 * echo, UDP (lib/net/udp.h for sockets).  Portable: no kernel calls.
 * Whatever runs it (kern/net.c in the guest, the unit tests and the fuzzer
 * natively) passes a struct net_sys for locking, waking and time.
 *
 * Locking: net_input() takes the lock itself through sys->lock.  Every
 * other function in lib/net must be called with that lock held (or from
 * one thread only when sys->lock is NULL, as in the tests).
 *
 * Not handled: TCP, IP fragments (counted and dropped), IP options (their
 * bytes are skipped), routing (everything is on the link), multicast.
 */
#ifndef LIB_NET_STACK_H
#define LIB_NET_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/net/netif.h"

#define NET_ARP_SLOTS 16
#define NET_ARP_TTL_MS (5 * 60 * 1000)	/* ask again after this */
#define NET_ARP_RETRY_MS 1000		/* at most one request a second */
/*
 * Frames waiting for an address to resolve: a burst to a new peer is
 * held, not cut to its last frame.  The pool is shared by all addresses
 * (one unanswered address may hold at most NET_ARP_HELD_PER_IP of it),
 * and a frame held longer than NET_ARP_HOLD_MS is dropped: three requests
 * (one a second, net_tick() or another frame for the address) without an
 * answer, and late is worse than lost.
 */
#define NET_ARP_HELD 16
#define NET_ARP_HELD_PER_IP 8
#define NET_ARP_HOLD_MS (3 * NET_ARP_RETRY_MS)

struct udp_sock;

struct net_sys {
	void (*lock)(void *ctx);	/* NULL: the caller serialises */
	void (*unlock)(void *ctx);
	/*
	 * A datagram was queued on s, or s closed with threads waiting to
	 * receive on it (called with the lock held).
	 */
	void (*wake)(void *ctx, struct udp_sock *s);
	/* Milliseconds, monotonic.  NULL: time stands still. */
	uint64_t (*now_ms)(void *ctx);
	/*
	 * Run app code, run(arg): a socket's callback, lock released.  The
	 * platform may bracket it (the guest keeps the SSE state of the
	 * thread its interrupt came in).  NULL: called directly.
	 */
	void (*call_app)(void *ctx, void (*run)(void *arg), void *arg);
	/*
	 * Who is running: the same value in one thread (and in an interrupt
	 * that came in on it), a different one in another, so that closing a
	 * socket waits for callbacks elsewhere but not for the one it is
	 * called from (udp_sock_drain).  NULL: one thread only.
	 */
	void *(*self)(void *ctx);
	/*
	 * A socket closed from its own callback, or while threads waited to
	 * receive on it, whose last callback has returned and last such
	 * thread left: free it (called with the lock held).  NULL: nothing.
	 */
	void (*release)(void *ctx, struct udp_sock *s);
	void *ctx;
};

enum arp_state { ARP_FREE, ARP_PENDING, ARP_RESOLVED };

struct arp_entry {
	uint32_t ip;			/* network order */
	uint8_t mac[6];
	uint8_t state;			/* enum arp_state */
	uint64_t updated_ms;		/* last confirmed */
	uint64_t asked_ms;		/* last request sent */
};

struct arp_held {
	uint32_t ip;			/* the address it waits for */
	uint32_t seq;			/* order of arrival: sent in order */
	uint64_t held_ms;
	uint16_t len;			/* 0: slot free */
	uint8_t frame[NET_FRAME_MAX];
};

struct net_stack {
	struct netif *nif;
	const struct net_sys *sys;
	struct arp_entry arp[NET_ARP_SLOTS];
	struct arp_held held[NET_ARP_HELD];
	uint32_t held_seq;		/* the next held frame's seq */
	struct udp_sock *socks;		/* bound sockets */
	uint16_t next_port;		/* next ephemeral port to try */
	uint16_t ip_id;
	uint16_t ping_id;		/* the identifier of our pings now */
	uint64_t ping_seen[65536 / 64];	/* this run's sequences answered */
	int rx_l4_csum_ok;		/* the frame in net_input: see netif.h */
	uint8_t out[NET_FRAME_MAX];	/* the frame being built */
};

/* sys may be NULL (no locking, no waking, no clock). */
void net_stack_init(struct net_stack *st, const struct net_sys *sys);

/*
 * Serve nif (its mac, ip and mtu must be set) and announce its address
 * with a gratuitous ARP.  One interface per stack.
 */
void net_stack_attach(struct net_stack *st, struct netif *nif);

/* Send a gratuitous ARP request for our address (others update caches). */
void net_announce(struct net_stack *st);

/*
 * Time passing, called every NET_TICK_MS or so when there is a clock:
 * an address frames wait for is asked again (a request or its answer
 * may have been lost, or the peer come up since), at most once every
 * NET_ARP_RETRY_MS, and frames held too long are dropped.  Nothing
 * without a clock (sys->now_ms).
 */
#define NET_TICK_MS 100
void net_tick(struct net_stack *st);

/* The MAC cached for ip, or NULL if it is not (yet) resolved. */
const uint8_t *net_arp_lookup(struct net_stack *st, uint32_t ip);

/*
 * Ping: an echo request with sequence seq to ip (through ARP if needed),
 * carrying the identifier of the current run of pings; replies carrying
 * it and the data we sent for their sequence count as
 * nif->stats.ping_answered, each sequence once a run (a link may
 * duplicate a reply).  0, or -1 if not sent.
 */
#define NET_PING_ID 0x6b73		/* "ks": a new stack's identifier */
#define NET_PING_DATA 32		/* bytes of data in each request */
int net_ping_send(struct net_stack *st, uint32_t ip, uint16_t seq);
/*
 * A new run of pings: replies to those sent before (late ones, or several
 * at once when ARP resolved and sent what it held) no longer count.  One
 * run at a time: a second would end the first's.
 */
void net_ping_new_run(struct net_stack *st);

/* The largest UDP payload one datagram can carry on this link. */
size_t net_udp_max_payload(const struct net_stack *st);

/* Addresses: a.b.c.d in network order, parse and format. */
uint32_t net_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
int net_parse_ip(const char *s, uint32_t *ip);	/* 0, or -1 if malformed */
#define NET_IP_STRLEN 16
char *net_format_ip(uint32_t ip, char buf[NET_IP_STRLEN]);
int net_ip_is_link_local(uint32_t ip);		/* 169.254.0.0/16 */

#endif
