/*
 * A stand-in for netif_first() until the network driver provides its
 * own (a strong definition replaces this weak one at link time): the
 * virtio-net driver's vnet_init(), which brings up the first device,
 * and its vnet_poll() as the interface's poll.
 */
#include "kern/net.h"
#include "kern/virtio_net.h"

static void poll(struct netif *nif)
{
	(void)nif;
	vnet_poll();
}

__attribute__((weak)) struct netif *netif_first(void)
{
	static struct netif *nif;

	if (!nif) {
		nif = vnet_init(0);
		if (nif && !nif->poll)
			nif->poll = poll;
	}
	return nif;
}
