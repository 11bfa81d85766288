/*
 * A network interface: where a driver meets the guest's small network
 * stack (Ethernet, ARP, IPv4, ICMP echo, UDP on one link; lib/net/).
 *
 * The driver fills mac, ip (or leaves it to whoever brings the link up),
 * mtu, send and priv, and calls net_input() for every frame it receives.
 * The stack attaches itself (net_stack_attach, lib/net/stack.h); until
 * then received frames are counted and dropped.
 *
 * Contract with the driver:
 *  - net_input(): any context, interrupt handlers included.  The frame is
 *    only read, and only during the call; it may be any length (it is
 *    untrusted and bounds-checked).  The driver must not hold a lock that
 *    its send() takes while it calls net_input(), because replies (ARP,
 *    ping) are sent from inside net_input().
 *  - send(): one whole Ethernet frame (destination MAC first, no FCS,
 *    60..14+mtu bytes); the frame is only valid during the call, so copy
 *    it.  Called with the stack's lock held (interrupts off in the guest),
 *    from net_input()'s context or from an app thread: it must not block
 *    and must not call back into the stack.  Returns 0 when the frame was
 *    queued for transmission, non-zero when it was not (counted in
 *    stats.tx_errors; the stack does not retry).
 *  - poll(): optional (may be NULL).  Deliver frames that are waiting now,
 *    through net_input(), from the caller's context.  Threads that block
 *    for input call it as a backstop against a lost interrupt.  It
 *    leaves the receive interrupt on.
 *  - busy_poll(): optional.  The same, but leaves the receive interrupt
 *    off: for a thread that will poll again soon and calls poll() before
 *    it blocks, so that frames arriving in between cost no interrupt.
 *  - raw_rx: when set (kern/net_raw.c), net_input() hands every frame to
 *    it instead of the stack, in the driver's context, and nothing else.
 *  - stats: written by the stack; the driver may read them.
 *  - tx_csum_partial: set by the driver before the stack attaches if the
 *    device finishes checksums (virtio's CSUM).  Every UDP/IPv4 datagram
 *    is then sent with its checksum partial: the field holds the
 *    pseudo-header's sum (folded, not complemented), to be completed over
 *    the UDP header and payload, as Linux's CHECKSUM_PARTIAL leaves it.
 *    The stack's frames reach send() with NET_TX_CSUM_PARTIAL in flags,
 *    and the driver finds such a datagram by its headers
 *    (net_udp_partial()); a frame sent raw (kern/net_raw.c: l2fwd's,
 *    forwarded as received) comes without the flag, its checksum
 *    whatever it carries, and must go as it is.
 */
#ifndef LIB_NET_NETIF_H
#define LIB_NET_NETIF_H

#include <stddef.h>
#include <stdint.h>

#define NET_ETH_HLEN 14
#define NET_MTU_DEFAULT 1500		/* used when mtu is 0 */
#define NET_FRAME_MAX (NET_ETH_HLEN + NET_MTU_DEFAULT)
#define NET_FRAME_MIN 60		/* without FCS; shorter is padded */

struct net_stack;

/*
 * What the stack saw, per interface.  rx_dropped is the sum of every
 * reason a received frame was not used; the lines below it say why.
 */
struct net_counters {
	uint64_t rx_frames, rx_bytes, rx_dropped;
	uint64_t tx_frames, tx_bytes, tx_errors;

	uint64_t eth_short;		/* shorter than an Ethernet header */
	uint64_t eth_not_mine;		/* neither our MAC nor broadcast */
	uint64_t eth_bad_src;		/* broadcast or multicast source */
	uint64_t eth_unknown_type;	/* not ARP or IPv4 (IPv6 too) */
	uint64_t no_stack;		/* arrived before the stack attached */

	uint64_t arp_bad;		/* malformed or unsupported ARP */
	uint64_t arp_ignored;		/* well formed, not for us */
	uint64_t arp_replies_sent, arp_requests_sent, arp_conflicts;
	uint64_t arp_held_dropped;	/* waiting frame pushed out or too old */

	uint64_t ip_bad_header;		/* length, version or IHL wrong */
	uint64_t ip_bad_checksum;
	uint64_t ip_fragments;		/* not reassembled: dropped */
	uint64_t ip_not_mine;		/* another destination */
	uint64_t ip_martian;		/* broadcast or multicast source */
	uint64_t ip_unknown_proto;

	uint64_t icmp_bad;		/* short, or bad checksum */
	uint64_t icmp_ignored;		/* not an echo request, or broadcast */
	uint64_t icmp_echo_replies;
	uint64_t ping_sent;		/* our echo requests (net_ping_send) */
	uint64_t ping_answered;		/* replies to them, data intact */

	uint64_t udp_bad;		/* short, or length field wrong */
	uint64_t udp_bad_checksum;
	uint64_t udp_no_port;		/* nobody bound to the port */
	uint64_t udp_queue_full;	/* a queued socket had no room */
	uint64_t udp_rx, udp_tx;	/* datagrams delivered / sent */
};

struct netif {
	uint8_t mac[6];
	uint16_t mtu;			/* largest IP packet; 0 means 1500 */
	uint32_t ip;			/* network byte order; 0: none yet */
	int (*send)(struct netif *nif, const void *frame, size_t len,
		    unsigned int flags);	/* NET_TX_* */
	void (*poll)(struct netif *nif);	/* optional */
	void (*busy_poll)(struct netif *nif);	/* optional */
	void (*raw_rx)(struct netif *nif, const void *frame, size_t len);
	void *priv;			/* the driver's */
	int tx_csum_partial;		/* see above */
	struct net_stack *stack;	/* set by net_stack_attach() */
	struct net_counters stats;
};

/* The driver calls this for every frame it receives (see above). */
void net_input(struct netif *nif, const void *frame, size_t len);

/*
 * The same, with what the device said about the frame: NET_RX_L4_CSUM_OK,
 * its UDP checksum needs no check (virtio's DATA_VALID: verified; or
 * NEEDS_CSUM: it never left the host's memory, so the field holds only
 * the pseudo-header's sum and must not be checked).  IP and ICMP
 * checksums are checked whatever the flags.
 */
#define NET_RX_L4_CSUM_OK 1u
/* send()'s flags: a UDP/IPv4 datagram in it has its checksum partial. */
#define NET_TX_CSUM_PARTIAL 1u
void net_input_flags(struct netif *nif, const void *frame, size_t len,
		     unsigned int flags);

/*
 * For a driver with tx_csum_partial: is frame a UDP/IPv4 datagram (whose
 * checksum the stack left partial)?  Then 1, with where the sum starts
 * and where its field lies from there; else 0.
 */
int net_udp_partial(const void *frame, size_t len, uint16_t *csum_start,
		    uint16_t *csum_offset);

#endif
