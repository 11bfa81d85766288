/*
 * Raw frames for packet-processing apps (l2fwd): while open, every frame
 * the first network device receives goes to a ring of copies instead of
 * the stack (no ARP, ping or UDP is answered), and an app takes them in
 * batches and sends whole frames of its own in batches.
 *
 *	struct net_frame *f = ...;	(an array of batch frames)
 *
 *	net_raw_open();
 *	n = net_raw_recv(f, batch, NSEC_PER_SEC);
 *	... edit f[0..n-1] ...
 *	sent = net_raw_send(f, n);
 *	net_raw_close();
 */
#ifndef KERN_NET_RAW_H
#define KERN_NET_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "kern/net.h"

#define NET_RAW_SLOTS 256		/* frames the ring holds */

struct net_frame {
	uint16_t len;			/* bytes of data used */
	uint8_t data[NET_FRAME_MAX];	/* destination MAC first, no FCS */
};

struct net_raw_stats {
	uint64_t rx, rx_dropped;	/* received; lost to a full ring */
	uint64_t tx, tx_dropped;	/* sent; too long, or no room to send */
};

/*
 * Divert the first network device's frames to the ring.  0, -ENODEV (no
 * device), -EALREADY or -ENOMEM.
 */
int net_raw_open(void);

/* The device's MAC address (valid once open). */
const uint8_t *net_raw_mac(void);

/*
 * Up to max frames, oldest first, copied into f; waits up to timeout_ns
 * (0: not at all; NET_WAIT_FOREVER) for the first.  Returns how many
 * (0 on timeout), or -EINVAL if not open.  Threads only.
 */
int net_raw_recv(struct net_frame *f, int max, uint64_t timeout_ns);

/*
 * Send f[0..n-1] in order (each 60..14 + the link's mtu bytes, at most
 * NET_FRAME_MAX; shorter ones are padded with zeros); returns how many
 * the driver took.  A frame longer than that is skipped and the rest
 * sent; a frame the driver has no room for ends the batch.  Every frame
 * not sent is counted in tx_dropped.
 */
int net_raw_send(struct net_frame *f, int n);

void net_raw_get_stats(struct net_raw_stats *out);

/* Give the frames back to the stack; drops what the ring holds. */
void net_raw_close(void);

#endif
