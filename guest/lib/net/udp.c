/*
 * UDP (RFC 768): checksums checked (when the sender set one) and always
 * computed, datagrams delivered to the socket bound to their port, by
 * callback or into the socket's queue of fixed slots.
 */
#include <errno.h>
#include <string.h>

#include "lib/net/udp.h"
#include "lib/net/proto.h"
#include "lib/net/bytes.h"
#include "lib/net/csum.h"

static struct udp_sock *udp_find(struct net_stack *st, uint16_t port)
{
	for (struct udp_sock *s = st->socks; s; s = s->next)
		if (s->port == port)
			return s;
	return NULL;
}

static uint8_t *slot(const struct udp_sock *s, unsigned int i)
{
	return s->slots + (size_t)(i % s->nslots) * s->slot_size;
}

static void udp_enqueue(struct net_stack *st, struct udp_sock *s,
			uint32_t src, uint16_t sport, const uint8_t *data,
			size_t len)
{
	struct netif *nif = st->nif;
	uint8_t *q;

	if (s->count == s->nslots || UDP_SLOT_HDR + len > s->slot_size) {
		net_drop(nif, &nif->stats.udp_queue_full);
		return;
	}
	q = slot(s, s->head + s->count);
	net_put_ip(q, src);
	net_put16(q + 4, sport);
	net_put16(q + 6, (uint16_t)len);
	memcpy(q + UDP_SLOT_HDR, data, len);
	s->count++;
	nif->stats.udp_rx++;
	if (st->sys && st->sys->wake)
		st->sys->wake(st->sys->ctx, s);
}

/*
 * A callback's arguments, copied under the lock, for net_sys.call_app;
 * on its socket's list while it runs, for udp_sock_drain().
 */
struct udp_call {
	udp_recv_fn fn;
	struct udp_sock *s;
	uint32_t src;
	uint16_t sport;
	const uint8_t *data;
	size_t len;
	void *arg;
	void *thread;			/* net_sys.self of the caller */
	struct udp_call *next;
};

static void *self(const struct net_stack *st)
{
	return st->sys && st->sys->self ? st->sys->self(st->sys->ctx) : NULL;
}

/*
 * A closed socket left to its last callback or receiving thread: freed
 * once neither is left (the lock held).
 */
static void udp_release_if_done(struct net_stack *st, struct udp_sock *s)
{
	if (s->orphan && !s->calls && !s->waiters && st->sys &&
	    st->sys->release) {
		s->orphan = 0;		/* the platform's again */
		st->sys->release(st->sys->ctx, s);
	}
}

static void udp_call(void *p)
{
	struct udp_call *c = p;

	c->fn(c->s, c->src, c->sport, c->data, c->len, c->arg);
}

static void udp_deliver(struct net_stack *st, struct udp_sock *s,
			uint32_t src, uint16_t sport, const uint8_t *data,
			size_t len)
{
	struct udp_call c = { s->fn, s, src, sport, data, len, s->arg,
			      self(st), s->calls };
	struct udp_call **pp;

	if (!c.fn) {
		udp_enqueue(st, s, src, sport, data, len);
		return;
	}
	st->nif->stats.udp_rx++;
	s->calls = &c;
	/* Unlocked, so that the callback may send (or even close s). */
	net_unlock(st);
	if (st->sys && st->sys->call_app)
		st->sys->call_app(st->sys->ctx, udp_call, &c);
	else
		udp_call(&c);
	net_lock(st);
	for (pp = &s->calls; *pp != &c; pp = &(*pp)->next)
		;
	*pp = c.next;
	udp_release_if_done(st, s);
}

void udp_input(struct net_stack *st, uint32_t src, uint32_t dst,
	       const uint8_t *u, size_t len)
{
	struct netif *nif = st->nif;
	struct udp_sock *s;
	size_t ulen;

	ulen = len >= UDP_HLEN ? net_get16(u + 4) : 0;
	if (ulen < UDP_HLEN || ulen > len || net_get16(u + 2) == 0) {
		net_drop(nif, &nif->stats.udp_bad);
		return;
	}
	/*
	 * A zero checksum means the sender computed none (IPv4 only); the
	 * device may have checked it already (net_input_flags).
	 */
	if (net_get16(u + 6) && !st->rx_l4_csum_ok &&
	    csum_fold(csum_add(csum_pseudo(src, dst, IP_PROTO_UDP,
					   (uint16_t)ulen), u, ulen))) {
		net_drop(nif, &nif->stats.udp_bad_checksum);
		return;
	}
	s = udp_find(st, net_get16(u + 2));
	if (!s) {
		net_drop(nif, &nif->stats.udp_no_port);
		return;
	}
	udp_deliver(st, s, src, net_get16(u), u + UDP_HLEN, ulen - UDP_HLEN);
}

static int udp_pick_port(struct net_stack *st, uint16_t *port)
{
	for (unsigned int tries = 0; tries < 65536 - UDP_EPHEMERAL_FIRST;
	     tries++) {
		uint16_t p = st->next_port;

		st->next_port = p == 65535 ? UDP_EPHEMERAL_FIRST : p + 1;
		if (!udp_find(st, p)) {
			*port = p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

/*
 * Bound, or closed but still held by a callback or a receiving thread
 * (which will release it): opening it again would change what they
 * read, and let the last of them release a bound socket.
 */
static int udp_in_use(const struct udp_sock *s)
{
	return s->st || s->calls || s->waiters || s->orphan;
}

static int udp_link(struct net_stack *st, struct udp_sock *s, uint16_t port)
{
	if (!port) {
		if (udp_pick_port(st, &port))
			return -EADDRINUSE;
	} else if (udp_find(st, port)) {
		return -EADDRINUSE;
	}
	s->port = port;
	s->st = st;
	s->next = st->socks;
	st->socks = s;
	return 0;
}

int udp_sock_open(struct net_stack *st, struct udp_sock *s, uint16_t port,
		  udp_recv_fn fn, void *arg)
{
	if (!fn || udp_in_use(s))
		return -EINVAL;
	s->fn = fn;
	s->arg = arg;
	s->slots = NULL;
	s->nslots = 0;
	return udp_link(st, s, port);
}

int udp_sock_open_queue(struct net_stack *st, struct udp_sock *s,
			uint16_t port, void *buf, size_t size,
			size_t max_payload)
{
	size_t slot_size = UDP_SLOT_HDR + max_payload;

	if (!buf || !max_payload || max_payload > 65535 || size < slot_size ||
	    udp_in_use(s))
		return -EINVAL;
	s->fn = NULL;
	s->arg = NULL;
	s->slots = buf;
	s->slot_size = slot_size;
	s->nslots = (unsigned int)(size / slot_size);
	s->head = 0;
	s->count = 0;
	return udp_link(st, s, port);
}

void udp_sock_close(struct udp_sock *s)
{
	struct net_stack *st = s->st;
	struct udp_sock **pp;

	if (!st)
		return;
	for (pp = &st->socks; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	s->st = NULL;
	s->next = NULL;
	s->count = 0;
	/*
	 * Under the lock, as their look at s is: a thread either sees s
	 * unbound or is already asleep to be woken here.
	 */
	if (s->waiters && st->sys && st->sys->wake)
		st->sys->wake(st->sys->ctx, s);
}

int udp_sock_drain(struct net_stack *st, struct udp_sock *s)
{
	void *me = self(st);

	for (;;) {
		int others = 0;

		/*
		 * Called from a callback of s: it cannot wait for itself, nor
		 * for others (two callbacks of s closing it would wait for each
		 * other); the last one to return releases s.
		 */
		for (struct udp_call *c = s->calls; c; c = c->next) {
			if (c->thread == me) {
				s->orphan = 1;
				return 0;
			}
			others = 1;
		}
		/*
		 * Receiving threads are not waited for: woken by the close,
		 * they leave on their own, the last one releasing s.
		 */
		if (!others && s->waiters) {
			s->orphan = 1;
			return 0;
		}
		if (!others)
			return 1;
		net_unlock(st);
#if defined(__x86_64__)
		__builtin_ia32_pause();
#endif
		net_lock(st);
	}
}

void udp_sock_wait_begin(struct udp_sock *s)
{
	s->waiters++;
}

void udp_sock_wait_end(struct net_stack *st, struct udp_sock *s)
{
	s->waiters--;
	udp_release_if_done(st, s);
}

int udp_sock_sendto(struct udp_sock *s, uint32_t ip, uint16_t port,
		    const void *data, size_t len)
{
	struct net_stack *st = s->st;
	uint8_t *u, b[4];
	uint16_t sum;
	int err;

	if (!st)
		return -ENOTCONN;
	if (!st->nif || !st->nif->ip)
		return -ENETDOWN;
	net_put_ip(b, ip);
	/* No multicast; the limited broadcast is fine. */
	if (!port || !ip || (b[0] >= 224 && ip != 0xffffffffu))
		return -EINVAL;
	if (len > net_udp_max_payload(st))
		return -EMSGSIZE;
	u = ip_begin(st, ip, IP_PROTO_UDP, UDP_HLEN + len);
	net_put16(u, s->port);
	net_put16(u + 2, port);
	net_put16(u + 4, (uint16_t)(UDP_HLEN + len));
	net_put16(u + 6, 0);
	memcpy(u + UDP_HLEN, data, len);
	if (st->nif->tx_csum_partial) {
		/* The device completes it (and turns 0 into 0xffff). */
		sum = (uint16_t)~csum_fold(csum_pseudo(st->nif->ip, ip,
						       IP_PROTO_UDP,
						       (uint16_t)(UDP_HLEN + len)));
		net_put16(u + 6, sum);
	} else {
		sum = csum_fold(csum_add(csum_pseudo(st->nif->ip, ip,
						     IP_PROTO_UDP,
						     (uint16_t)(UDP_HLEN + len)),
					 u, UDP_HLEN + len));
		net_put16(u + 6, sum ? sum : 0xffff);	/* 0 means "none" */
	}
	err = ip_send(st, ip, NULL, UDP_HLEN + len);
	if (!err)
		st->nif->stats.udp_tx++;
	return err;
}

int udp_sock_recv(struct udp_sock *s, void *buf, size_t len, uint32_t *ip,
		  uint16_t *port)
{
	const uint8_t *q;
	size_t n;

	if (!s->slots)
		return -EINVAL;
	if (!s->st)
		return -EBADF;		/* closed (or never bound) */
	if (!s->count)
		return -EAGAIN;
	q = slot(s, s->head);
	n = net_get16(q + 6);
	if (len)
		memcpy(buf, q + UDP_SLOT_HDR, n < len ? n : len);
	if (ip)
		*ip = net_get_ip(q);
	if (port)
		*port = net_get16(q + 4);
	s->head = (s->head + 1) % s->nslots;
	s->count--;
	return (int)n;
}

unsigned int udp_sock_pending(const struct udp_sock *s)
{
	return s->count;
}

int net_udp_partial(const void *frame, size_t len, uint16_t *csum_start,
		    uint16_t *csum_offset)
{
	const uint8_t *f = frame;
	size_t ihl;

	if (len < NET_ETH_HLEN + IP_HLEN ||
	    net_get16(f + 12) != ETH_TYPE_IP || (f[14] >> 4) != 4)
		return 0;
	ihl = (size_t)(f[14] & 0xf) * 4;
	/* A fragment's offset 6 may be payload: the stack sends none. */
	if (ihl < IP_HLEN || f[14 + 9] != IP_PROTO_UDP ||
	    (net_get16(f + 14 + 6) & 0x3fff) ||
	    len < NET_ETH_HLEN + ihl + UDP_HLEN)
		return 0;
	*csum_start = (uint16_t)(NET_ETH_HLEN + ihl);
	*csum_offset = 6;
	return 1;
}
