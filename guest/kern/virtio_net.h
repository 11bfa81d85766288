/*
 * virtio-net driver: receive buffers kept posted, frames handed to the
 * stack (lib/net) from the queue's interrupt, frames sent by copy.
 */
#ifndef KERN_VIRTIO_NET_H
#define KERN_VIRTIO_NET_H

#include "lib/net/netif.h"

/* Bring up the first network device with this IPv4 address; NULL if none. */
struct netif *vnet_init(uint32_t ip);

/* Serve received frames now (also done from the interrupt). */
void vnet_poll(void);

#endif
