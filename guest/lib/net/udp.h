/*
 * UDP sockets over lib/net/stack.h.  A socket is bound to one local port
 * and receives either by callback or into a queue of fixed slots the
 * caller provides (kern/net.c adds blocking receive on top).  Ports are in
 * host byte order, addresses in network byte order.  All calls need the
 * stack's lock (see stack.h).
 */
#ifndef LIB_NET_UDP_H
#define LIB_NET_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/net/stack.h"

#define UDP_EPHEMERAL_FIRST 49152
#define UDP_SLOT_HDR 8			/* source address, port, length */

struct udp_sock;
struct udp_call;

/*
 * Called for each datagram, from net_input()'s context (an interrupt
 * handler in the guest) with the stack's lock released: it may send, but
 * it must not block.  data is valid during the call only.
 */
typedef void (*udp_recv_fn)(struct udp_sock *s, uint32_t src_ip,
			    uint16_t src_port, const void *data, size_t len,
			    void *arg);

struct udp_sock {
	struct udp_sock *next;		/* on the stack's list */
	struct net_stack *st;		/* NULL when not bound */
	uint16_t port;
	udp_recv_fn fn;
	void *arg;
	uint8_t *slots;			/* queue mode: nslots * slot_size */
	size_t slot_size;
	unsigned int nslots, head, count;
	void *owner;			/* free for the platform glue */
	struct udp_call *calls;		/* its callbacks running now */
	unsigned int waiters;		/* threads holding it to receive */
	int orphan;			/* closed: net_sys.release when done */
};

/*
 * Bind s to port (0: a free ephemeral port) with a callback.  Returns 0,
 * -EADDRINUSE, or -EINVAL (also when s is bound, or closed but still held
 * by a callback or a receiving thread; s is then left as it was).
 */
int udp_sock_open(struct net_stack *st, struct udp_sock *s, uint16_t port,
		  udp_recv_fn fn, void *arg);

/*
 * Bind s to port with a receive queue in buf: as many slots of
 * UDP_SLOT_HDR + max_payload bytes as fit in size.  A datagram longer than
 * max_payload, or arriving when every slot is full, is dropped and counted
 * (udp_queue_full).  Returns 0, -EADDRINUSE, or -EINVAL (as
 * udp_sock_open()).
 */
int udp_sock_open_queue(struct net_stack *st, struct udp_sock *s,
			uint16_t port, void *buf, size_t size,
			size_t max_payload);

/*
 * Unbind (queued datagrams are dropped) and wake the threads waiting to
 * receive on s (net_sys.wake): from now on udp_sock_recv(s) says -EBADF.
 * Harmless if not bound.
 */
void udp_sock_close(struct udp_sock *s);

/*
 * After udp_sock_close(s) on st: whether s may be freed now.  It first
 * waits, the lock released while it spins, for callbacks of s running in
 * other threads (net_sys.self), so none runs once it returns.  Called from
 * a callback of s (one closing its own socket), it waits for none: then
 * 0, and s goes to net_sys.release when the last callback of s returns.
 * With threads holding s to receive (udp_sock_wait_begin) it does not wait
 * for them either: 0, and the last one's udp_sock_wait_end() releases s.
 * A callback must not close another socket whose callback may be closing
 * its own (the two would wait for each other).
 */
int udp_sock_drain(struct net_stack *st, struct udp_sock *s);

/*
 * A blocking receive (kern/net.c) drops the lock between its looks at s's
 * queue, and a close may come in between: it holds s from before it first
 * drops the lock until its last look, so that s outlives it.  Closing s
 * wakes it (net_sys.wake); udp_sock_wait_end() may release s (net_sys),
 * so s must not be touched after it.
 */
void udp_sock_wait_begin(struct udp_sock *s);
void udp_sock_wait_end(struct net_stack *st, struct udp_sock *s);

/*
 * Send one datagram from s's port.  Without a cached MAC for ip the frame
 * waits for the ARP reply (one frame per address; a newer one replaces
 * it).  Returns 0, -EMSGSIZE (longer than net_udp_max_payload), -EINVAL
 * (port 0 or ip 0), -ENOTCONN (s not bound), -ENETDOWN (no address yet),
 * or -EIO (the driver refused the frame).
 */
int udp_sock_sendto(struct udp_sock *s, uint32_t ip, uint16_t port,
		    const void *data, size_t len);

/*
 * Take the oldest queued datagram: copy at most len bytes into buf, its
 * sender into *ip and *port (either may be NULL), and return its whole
 * length (larger than len if it was truncated), or -EAGAIN if none is
 * queued, -EINVAL if s has no queue, -EBADF if s is not bound (closed).
 */
int udp_sock_recv(struct udp_sock *s, void *buf, size_t len, uint32_t *ip,
		  uint16_t *port);

/* Datagrams waiting in s's queue. */
unsigned int udp_sock_pending(const struct udp_sock *s);

#endif
