/*
 * The hosted net driver's test bench, shared by kern_net.c,
 * kern_net_rx.c, kern_net_tx.c and kern_net_raw.c (each includes
 * kern/virtio_net.c and its receive path
 * to see the driver's state): one net device in loopback mode
 * (host/backend/net.c) over one region, brought up fresh per case, the
 * frames that come back counted instead of given to a stack, and the
 * device's interrupts counted per queue.
 */
#ifndef TESTS_HOSTED_KERN_NET_HARNESS_H
#define TESTS_HOSTED_KERN_NET_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "host/backend/net.h"
#include "kern/virtio_net.h"

#define F(bit) (1ULL << (bit))

extern struct kspawn_device kn_slot;
extern struct kb_net kn_net;
extern const uint8_t kn_mac[6];
/* up(): the ctrl queue (after the largest pair count) not offered. */
extern int kn_no_ctrlq;
/* up(): max_virtqueue_pairs in the device's config, if not 0. */
extern uint16_t kn_max_pairs;
/* up(): the largest receive queue of every pair but 0, if not 0. */
extern uint16_t kn_rx_other_max;
/* Frames that came back since up(), the last one's bytes. */
extern unsigned long kn_looped;
extern uint8_t kn_last[BIG];
extern size_t kn_last_len;
/* The device's interrupts per queue since up(). */
extern unsigned long kn_irqs[KSPAWN_MAX_QUEUES];
/* Called for each frame that comes back, after it is counted, if set. */
extern void (*kn_rx_hook)(void);

/*
 * A fresh device and driver: the device's features less drop, its mtu,
 * transmit and receive queue 0's largest sizes.  The driver as
 * netif_first() brings it up, every queue's interrupts counted.
 */
struct netif *kn_up(uint64_t drop, uint16_t mtu, uint16_t tx_max,
		    uint16_t rx_max);
/*
 * The device's turns, each taking what the driver published, kicks off
 * meanwhile and on after them, as a device thread's before it sleeps.
 */
void kn_device(int turns);
/* The receive buffers posted on pair's queue. */
int kn_posted(unsigned int pair);
/*
 * The device's side by hand on receive queue 0: f over n buffers of
 * lens[k] bytes each (the first holding h, then f), published.  Returns
 * the buffers used.
 */
int kn_dev_rx(const struct virtio_net_hdr_v1 *h, const uint8_t *f,
	      const uint32_t *lens, int n);
/* The driver's address gpa in the region. */
void *kn_va(uint64_t gpa);
/* A frame of len bytes to our MAC, zeros after it; nif->send()'s result. */
int kn_send_len(struct netif *nif, size_t len);
/* A 60-byte frame to our MAC, every byte after its addresses mark. */
void kn_plain_frame(uint8_t *f, uint8_t mark);
/* Loopback's pair of addresses, 169.254.1.1 and .2, network order. */
#define SRC_IP 0x0101fea9u
#define DST_IP 0x0201fea9u

/*
 * A frame to our own MAC with a UDP/IPv4 datagram from port 7 to 9 of
 * payload bytes ("abcd..."), its IP checksum right, its UDP checksum
 * field 0, at least 60 bytes in
 * all.  Returns the UDP header; the frame's length in *len if len.
 */
uint8_t *kn_udp_frame(uint8_t *frame, size_t payload, size_t *len);
/* n frames through the loopback device, one by one: how many came back whole. */
int kn_frames_whole(struct netif *nif, int n, size_t len);

#endif
