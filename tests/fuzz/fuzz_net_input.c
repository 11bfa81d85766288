/*
 * libFuzzer: hostile frames into the guest's network stack (guest/lib/net)
 * on a fake link that answers nothing.  A UDP echo socket (callback) on
 * port 7 and a queued socket on port 9 make replies and ARP resolution
 * run too.  Every parser must stay inside its frame (ASan, and the frame
 * is copied to an exact-size heap buffer), every frame sent must be a
 * sane size with a correct IPv4 header checksum, and the drop counters
 * must add up.
 *
 * Input: records of [length: 2 bytes big-endian][seconds to advance the
 * clock: 1 byte][frame]; a length past the end takes what is left.
 *
 * fuzz-sources: guest/lib/net/stack.c guest/lib/net/eth.c guest/lib/net/arp.c guest/lib/net/ipv4.c guest/lib/net/icmp.c guest/lib/net/udp.c guest/lib/net/csum.c guest/lib/net/addr.c
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/net/udp.h"
#include "lib/net/csum.h"

static uint64_t now_ms;

static uint64_t clock_ms(void *ctx)
{
	(void)ctx;
	return now_ms;
}

static const struct net_sys sys = { .now_ms = clock_ms };

static void check_sent(const uint8_t *f, size_t len)
{
	size_t ihl;

	assert(len >= NET_FRAME_MIN && len <= NET_FRAME_MAX);
	assert(!(f[6] & 1));			/* our source MAC */
	if (f[12] != 0x08 || f[13] != 0x00)
		return;
	ihl = (size_t)(f[14] & 15) * 4;
	assert(f[14] == 0x45);
	assert(csum_fold(csum_add(0, f + 14, ihl)) == 0);
	assert(14 + (size_t)(f[16] << 8 | f[17]) <= len);
}

static int fake_send(struct netif *nif, const void *frame, size_t len,
		     unsigned int flags)
{
	(void)nif;
	(void)flags;
	check_sent(frame, len);
	return 0;
}

static void echo(struct udp_sock *s, uint32_t ip, uint16_t port,
		 const void *data, size_t len, void *arg)
{
	(void)arg;
	udp_sock_sendto(s, ip, port, data, len);
}

static void feed(struct netif *nif, const uint8_t *data, size_t len)
{
	/* An exact-size copy: ASan catches a read one byte past the end. */
	uint8_t *frame = malloc(len ? len : 1);

	memcpy(frame, data, len);
	net_input(nif, frame, len);
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct net_stack st;
	static struct netif nif;
	static struct udp_sock echo_sock, queue_sock;
	static uint8_t queue[4 * 1480];
	uint8_t out[2048];
	uint64_t frames = 0;

	memset(&nif, 0, sizeof(nif));
	memset(&echo_sock, 0, sizeof(echo_sock));
	memset(&queue_sock, 0, sizeof(queue_sock));
	memcpy(nif.mac, "\x02kspaw", 6);
	nif.ip = net_ip4(169, 254, 1, 2);
	nif.send = fake_send;
	now_ms = 1000;
	net_stack_init(&st, &sys);
	net_stack_attach(&st, &nif);
	assert(udp_sock_open(&st, &echo_sock, 7, echo, NULL) == 0);
	assert(udp_sock_open_queue(&st, &queue_sock, 9, queue, sizeof(queue),
				   1472) == 0);
	while (size >= 3) {
		size_t len = (size_t)(data[0] << 8 | data[1]);

		now_ms += (uint64_t)data[2] * 1000;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		feed(&nif, data, len);
		frames++;
		data += len;
		size -= len;
		while (udp_sock_recv(&queue_sock, out, sizeof(out), NULL,
				     NULL) >= 0)
			;
	}
	assert(nif.stats.rx_frames == frames);
	assert(nif.stats.rx_dropped <= frames);
	udp_sock_close(&echo_sock);
	udp_sock_close(&queue_sock);
	return 0;
}
