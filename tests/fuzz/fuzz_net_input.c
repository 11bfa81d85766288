/*
 * libFuzzer: any frame into the guest's network stack (guest/lib/net),
 * which answers ARP, ping and UDP through a fake link.  Every parser must
 * stay inside the frame (ASan) and every reply must fit a frame.
 *
 * fuzz-sources: guest/lib/net/stack.c
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/net/netif.h"

static int sent;

static int fake_send(struct netif *nif, const void *frame, size_t len)
{
	(void)nif;
	(void)frame;
	assert(len >= 60 && len <= NET_FRAME_MAX);
	sent++;
	return 0;
}

static void echo(struct netif *nif, uint32_t src, uint16_t sport,
		 uint16_t dport, const uint8_t *data, size_t len, void *arg)
{
	(void)arg;
	udp_send(nif, src, dport, sport, data, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct netif nif;

	memset(&nif, 0, sizeof(nif));
	memcpy(nif.mac, "\x02kspaw", 6);
	nif.ip = 0xa9fe0102;	/* 169.254.1.2 */
	nif.send = fake_send;
	udp_bind(&nif, 7, echo, NULL);
	net_input(&nif, data, size);
	return 0;
}
