/*
 * The network for apps: the first network device, the stack of lib/net
 * on it (ARP, ping and UDP are answered from its interrupt), and UDP
 * sockets with blocking receive.  Addresses are in network byte order
 * (net_parse_ip, net_ip4 in lib/net/stack.h), ports in host order.
 *
 *	struct udp_sock *s;
 *
 *	if (net_up(ip))		-ENODEV: no network device
 *		...
 *	s = udp_bind(7, NULL, NULL);
 *	n = udp_recvfrom(s, buf, sizeof(buf), &peer, &port, NSEC_PER_SEC);
 *	udp_sendto(s, peer, port, buf, n);
 */
#ifndef KERN_NET_H
#define KERN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/net/netif.h"
#include "lib/net/stack.h"
#include "lib/net/udp.h"

#define NET_WAIT_FOREVER UINT64_MAX
#define NET_SOCK_QUEUE 64		/* datagrams a queued socket holds */

/*
 * The network driver's part: the first network device, set up and
 * receiving (its frames go to net_input()), or NULL if there is none.
 * The virtio-net driver (kern/virtio_net.c) provides it.
 */
struct netif *netif_first(void);

/* Its virtio device, for tests that break the rules (apps/test/hostile). */
struct virtio_dev *vnet_dev(void);

/* One queue pair's frames (the driver's, kern/virtio_net.c). */
struct netif_queue_stats {
	uint64_t tx_frames;
	uint64_t rx_frames;		/* handed to the stack */
	uint64_t rx_bad;		/* malformed from the device: dropped */
	uint64_t tx_publishes;		/* sent frames made visible */
	uint64_t tx_kicks;		/* ... the device asked for a kick */
	uint64_t rx_irqs;		/* receive interrupts taken */
};

/*
 * Hold the frames sent from now on in the driver (added to the transmit
 * rings, not published to the device) until the matching release, which
 * publishes them together: one look and at most one kick per burst.
 * Holds nest and are the calling thread's: other threads' frames are not
 * held by it; the driver's (kern/virtio_net.c).
 */
void netif_tx_hold(void);
void netif_tx_release(void);

/*
 * Frames sent between these, on this CPU, with interrupts off, are an
 * interrupt's (the receive interrupt's answers, the stack's timer): never
 * part of a batch the interrupted thread holds.
 */
void netif_irq_enter(void);
void netif_irq_exit(void);

/*
 * The queue pairs in use (one per CPU with VIRTIO_NET_F_MQ, else 1; 0
 * while down), and pair's counters (zeros for one not in use).
 */
unsigned int netif_queue_pairs(void);
void netif_queue_stats(unsigned int pair, struct netif_queue_stats *out);

/*
 * Bring up netif_first() with address ip, attach the stack and announce
 * the address.  Returns 0, -ENODEV (no network device), -EINVAL (ip is
 * 0), or -EALREADY.
 */
int net_up(uint32_t ip);

/* The interface net_up() brought up, or NULL. */
struct netif *net_netif(void);

/*
 * A UDP socket on port (0: an ephemeral port).  With fn, each datagram is
 * handed to fn from the network interrupt (fn must not block; it may
 * send); without, up to NET_SOCK_QUEUE datagrams wait for udp_recvfrom().
 * NULL if the network is down, the port taken, or memory short.
 */
struct udp_sock *udp_bind(uint16_t port, udp_recv_fn fn, void *arg);

/* Send from s's port: 0, or -errno (see udp_sock_sendto). */
int udp_sendto(struct udp_sock *s, uint32_t ip, uint16_t port,
	       const void *data, size_t len);

/*
 * Wait up to timeout_ns (NET_WAIT_FOREVER; 0: do not wait) for a
 * datagram on a queued socket.  Returns its length (at most len bytes
 * copied), -ETIMEDOUT (or -EAGAIN for 0), -EINVAL, or -EBADF: s was
 * closed while the caller waited, or is being closed (udp_close()).
 * Threads only.
 * It polls the device itself and, unless another thread waits here,
 * leaves the receive interrupt off until it is about to block: frames
 * (ARP and ping included) then wait for the caller's next call, so a
 * thread that polls with 0 calls it with a timeout before it idles.
 */
int udp_recvfrom(struct udp_sock *s, void *buf, size_t len, uint32_t *ip,
		 uint16_t *port, uint64_t timeout_ns);

/*
 * A burst of sends: what this thread sends between net_tx_begin() and
 * net_tx_end() reaches the device together at the end (netif_tx_hold).
 * Other threads' frames and the interrupt's do not wait for it; the
 * caller's own do, so it should not block in between.
 */
void net_tx_begin(void);
void net_tx_end(void);

/*
 * Unbind and free s.  A callback of s running on another CPU is waited
 * for, so none runs once this returns; a callback may close its own
 * socket, which is then freed once its last callback returns.  (Two
 * callbacks closing each other's sockets would wait for each other.)
 * Queued datagrams are dropped.  Threads waiting in udp_recvfrom() on s,
 * on any CPU, are woken and return -EBADF; udp_close() does not wait for
 * them (a callback may call it), and s is freed when the last of them
 * leaves udp_recvfrom().  Until then a udp_recvfrom() on s returns -EBADF
 * at once, but s may be gone as soon as udp_close() has returned: only
 * threads already waiting may race with it.
 */
void udp_close(struct udp_sock *s);

/*
 * Ping ip count times, one echo request every interval_ms, and wait up to
 * wait_ms after the last for the replies: how many of ours came back with
 * their data intact (the stack answers others' pings by itself).
 */
unsigned int net_ping(uint32_t ip, unsigned int count, unsigned int interval_ms,
		      unsigned int wait_ms);

/*
 * From the timer interrupt, on one CPU, each tick: every NET_TICK_MS the
 * stack's net_tick() (ARP asks again for what frames wait for).
 */
void net_timer_tick(uint64_t tick);

/* A consistent copy of the interface's counters (zeros when down). */
void net_get_stats(struct net_counters *out);

/*
 * One console line of the main counters, after "who: "; with more than one
 * queue pair, a second line of each pair's frames.
 */
void net_print_stats(const char *who);

#endif
