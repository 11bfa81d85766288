/*
 * Hosted: the guest kernel's raw frames (kern/net_raw.c, l2fwd's way to
 * the device) over its virtio-net driver (kern/virtio_net.c and its
 * receive path, included here) and the net device in loopback mode,
 * over kern_net_harness.c, one device per case:
 *
 *   net-raw-ring: 288 frames come back through the driver while the app
 *     reads none, sent in batches of 32 (each published once): the ring
 *     keeps the first NET_RAW_SLOTS (256), in order and whole, and
 *     counts the other 32 dropped; a read of 5 takes 5; readers are
 *     woken once, as the empty ring took its first frame.
 *   net-raw-long: a frame of NET_FRAME_MAX bytes from the device (over
 *     two mergeable buffers) is taken, one a byte longer is dropped and
 *     counted, never copied into a slot.
 *   net-raw-send: a frame shorter than 60 bytes goes padded with zeros,
 *     one of NET_FRAME_MAX goes; a frame longer than that, or than the
 *     link's 14 + mtu (-long-skipped: 576), is skipped and counted
 *     dropped, the frames after it sent, in order; a frame the driver
 *     refuses (-ring-full: its transmit ring of 16 full) ends the batch,
 *     it and the rest counted dropped.
 *   net-raw-open: a second open is refused (-EALREADY) and the first
 *     keeps its ring; a read of -1 frames is refused, one waiting 20 ms
 *     for nothing returns 0 after them, one of 0 frames at once; a frame
 *     left unread at close is not read after the next open; after close
 *     a read is refused (-EINVAL) and frames go to the stack's path.
 *
 * Prints "ok NAME" / "FAIL NAME: why" per case, "kern_net_raw: N failed".
 */
#include "kern/virtio_net.c"
#include "kern/virtio_net_rx.c"
#include "kern/net_raw.c"

#include <stdio.h>
#include <stdlib.h>

#include "kern_hosted.h"
#include "kern_net_harness.h"
#include "verdict.h"

static struct net_frame f[NET_RAW_SLOTS + 64];

/* Frame i of a test: to our MAC, bytes of its own after the addresses. */
static void mark(struct net_frame *fr, unsigned int i, size_t len)
{
	for (size_t k = 0; k < len; k++)
		fr->data[k] = (uint8_t)(i * 5 + k);
	memcpy(fr->data, kn_mac, 6);
	memcpy(fr->data + 6, kn_mac, 6);
	fr->data[12] = 0x08;
	fr->data[13] = 0;
	fr->len = (uint16_t)len;
}

static unsigned int wakes;

static void count_wake(struct wait_queue *wq)
{
	wakes += wq == &raw.wq;
}

static struct netif *raw_up_mtu(uint16_t mtu)
{
	struct netif *nif = kn_up(0, mtu, 256, 256);

	if (!nif || net_raw_open())
		return NULL;
	return nif;
}

static struct netif *raw_up(void)
{
	return raw_up_mtu(1500);
}

static void ring(void)
{
	struct netif *nif = raw_up();
	static struct net_frame want;
	struct net_raw_stats st;
	int sent = 0, got, five, bad = 0;

	if (!nif) {
		verdict("net-raw-ring", NULL, 0, "no device, or net_raw_open failed");
		return;
	}
	wakes = 0;
	for (unsigned int r = 0; r < 9; r++) {
		for (unsigned int i = 0; i < 32; i++)
			mark(&f[i], 32 * r + i, 60 + r);
		sent += net_raw_send(f, 32);
		kn_device(10);
		nif->poll(nif);
	}
	five = net_raw_recv(f, 5, 0);
	got = five + net_raw_recv(f + 5, NET_RAW_SLOTS + 64 - 5, 0);
	for (int i = 0; i < got; i++) {
		mark(&want, (unsigned int)i, 60 + (unsigned int)i / 32);
		bad += f[i].len != want.len || memcmp(f[i].data, want.data, want.len);
	}
	net_raw_get_stats(&st);
	verdict("net-raw-ring", NULL,
		sent == 288 && five == 5 && got == NET_RAW_SLOTS && !bad &&
		st.rx == NET_RAW_SLOTS && st.rx_dropped == 32 && wakes == 1 &&
		vnet.p[0].st.tx_publishes == 9,
		"%d of 288 sent in 9 batches, published %llu times (want 9); read %d (want 5) then %d in all (want %d), %d not as sent; rx %llu, rx_dropped %llu (want 32); readers woken %u times (want 1: the ring was empty once)",
		sent, (unsigned long long)vnet.p[0].st.tx_publishes, five, got,
		NET_RAW_SLOTS, bad, (unsigned long long)st.rx,
		(unsigned long long)st.rx_dropped, wakes);
	net_raw_close();
}

/* A frame of len bytes from the device over MRG_BUF-sized buffers. */
static int from_device(size_t len, unsigned int i)
{
	struct virtio_net_hdr_v1 h = { .num_buffers = 0 };
	uint32_t lens[4];
	size_t left = len;
	int n = 0;

	mark(&f[0], i, len);
	while (left && n < 4) {
		size_t room = MRG_BUF - (n ? 0 : HDR);
		size_t take = left < room ? left : room;

		lens[n] = (uint32_t)(take + (n ? 0 : HDR));
		left -= take;
		n++;
	}
	h.num_buffers = (uint16_t)n;
	return kn_dev_rx(&h, f[0].data, lens, n) == n;
}

static void long_frame(void)
{
	struct netif *nif = raw_up();
	static struct net_frame want;
	struct net_raw_stats st;
	int dev, got;

	if (!nif) {
		verdict("net-raw-long", NULL, 0, "no device, or net_raw_open failed");
		return;
	}
	dev = from_device(NET_FRAME_MAX, 1);
	dev += from_device(NET_FRAME_MAX + 1, 2);
	wakes = 0;
	nif->poll(nif);
	got = net_raw_recv(f, 4, 0);
	mark(&want, 1, NET_FRAME_MAX);
	net_raw_get_stats(&st);
	verdict("net-raw-long", NULL,
		dev == 2 && got == 1 && f[0].len == NET_FRAME_MAX &&
		!memcmp(f[0].data, want.data, NET_FRAME_MAX) && st.rx == 1 &&
		st.rx_dropped == 1 && wakes == 1,
		"frames of %d and %d bytes: %d read (want 1, the first), %u bytes; rx %llu, rx_dropped %llu (want 1 and 1); readers woken %u times (want 1)",
		NET_FRAME_MAX, NET_FRAME_MAX + 1, got, got ? f[0].len : 0,
		(unsigned long long)st.rx, (unsigned long long)st.rx_dropped,
		wakes);
	net_raw_close();
}

/* The link's mtu is 576: a frame of 1000 skipped, those after it sent. */
static void send_long_skipped(void)
{
	static struct net_frame want[2];
	struct net_raw_stats st;
	int sent, got;

	if (!raw_up_mtu(576)) {
		verdict("net-raw-send", "long-skipped", 0,
			"no device, or net_raw_open failed");
		return;
	}
	mark(&f[0], 5, 60);
	mark(&f[1], 6, 1000);
	mark(&f[2], 7, 60);
	mark(&f[3], 8, 14 + 576);
	mark(&want[0], 5, 60);
	mark(&want[1], 7, 60);
	sent = net_raw_send(f, 4);
	kn_device(10);
	got = net_raw_recv(f, 4, 0);
	net_raw_get_stats(&st);
	verdict("net-raw-send", "long-skipped",
		sent == 3 && got == 3 && !memcmp(f[0].data, want[0].data, 60) &&
		!memcmp(f[1].data, want[1].data, 60) && f[2].len == 14 + 576 &&
		st.tx == 3 && st.tx_dropped == 1,
		"60, 1000 (past the link's 14 + 576), 60 and 590 bytes: %d sent (want 3: the second skipped), %d back (want 3, the first, third and fourth in order: %s, %s, %u bytes); tx %llu, tx_dropped %llu (want 3 and 1)",
		sent, got,
		got > 0 && !memcmp(f[0].data, want[0].data, 60) ? "first" : "not the first",
		got > 1 && !memcmp(f[1].data, want[1].data, 60) ? "third" : "not the third",
		got > 2 ? f[2].len : 0, (unsigned long long)st.tx,
		(unsigned long long)st.tx_dropped);
	net_raw_close();
}

/*
 * A transmit ring of 16 the device does not serve: 20 frames, the first
 * 16 taken, the 17th refused by the driver ends the batch.
 */
static void send_ring_full(void)
{
	struct net_raw_stats st;
	int sent;

	if (!kn_up(0, 1500, 16, 256) || net_raw_open()) {
		verdict("net-raw-send", "ring-full", 0,
			"no device, or net_raw_open failed");
		return;
	}
	for (unsigned int i = 0; i < 20; i++)
		mark(&f[i], i, 60);
	sent = net_raw_send(f, 20);
	net_raw_get_stats(&st);
	verdict("net-raw-send", "ring-full",
		sent == 16 && st.tx == 16 && st.tx_dropped == 4,
		"20 frames on a ring of 16 not served: %d sent (want 16), tx %llu, tx_dropped %llu (want 16 and 4)",
		sent, (unsigned long long)st.tx,
		(unsigned long long)st.tx_dropped);
	net_raw_close();
}

static void send_case(void)
{
	struct netif *nif = raw_up();
	static struct net_frame want;
	struct net_raw_stats st;
	int sent, got;

	if (!nif) {
		verdict("net-raw-send", NULL, 0, "no device, or net_raw_open failed");
		return;
	}
	mark(&f[0], 1, 20);
	memset(f[0].data + 20, 0xee, 40);	/* what padding must clear */
	mark(&want, 1, 20);
	memset(want.data + 20, 0, 40);
	mark(&f[1], 2, NET_FRAME_MAX);
	mark(&f[2], 3, NET_FRAME_MAX + 1);
	mark(&f[3], 4, 60);
	sent = net_raw_send(f, 4);
	kn_device(10);
	got = net_raw_recv(f, 4, 0);
	net_raw_get_stats(&st);
	verdict("net-raw-send", NULL,
		sent == 3 && got == 3 && f[0].len == 60 &&
		!memcmp(f[0].data, want.data, 60) && f[1].len == NET_FRAME_MAX &&
		f[2].len == 60 && f[2].data[20] == (uint8_t)(4 * 5 + 20) &&
		st.tx == 3 && st.tx_dropped == 1,
		"frames of 20, %d, %d and 60 bytes: %d sent (want 3), %d back (want 3, the first 60 bytes, padded with zeros: %u bytes, %s; the second %u bytes; the third the last sent, 60 bytes: %u); tx %llu, tx_dropped %llu (want 3 and 1)",
		NET_FRAME_MAX, NET_FRAME_MAX + 1, sent, got, got ? f[0].len : 0,
		got && !memcmp(f[0].data, want.data, 60) ? "padded" : "not as padded",
		got > 1 ? f[1].len : 0, got > 2 ? f[2].len : 0,
		(unsigned long long)st.tx, (unsigned long long)st.tx_dropped);
	net_raw_close();
	send_long_skipped();
	send_ring_full();
}

static void open_close(void)
{
	struct netif *nif = raw_up();
	int again, got, after, waited, negative, none, reopened, left;
	uint64_t no_stack, t0, took, none_took;

	if (!nif) {
		verdict("net-raw-open", NULL, 0, "no device, or net_raw_open failed");
		return;
	}
	again = net_raw_open();
	mark(&f[0], 7, 60);
	net_raw_send(f, 1);
	kn_device(10);
	got = net_raw_recv(f, 4, 0);
	negative = net_raw_recv(f, -1, 0);
	t0 = time_ns();
	waited = net_raw_recv(f, 4, 20 * NSEC_PER_MSEC);
	took = time_ns() - t0;
	t0 = time_ns();
	none = net_raw_recv(f, 0, NSEC_PER_SEC);
	none_took = time_ns() - t0;
	/* One left unread for close to drop: a new open starts empty. */
	net_raw_send(f, 1);
	kn_device(10);
	nif->poll(nif);
	net_raw_close();
	reopened = net_raw_open();
	left = net_raw_recv(f, 4, 0);
	net_raw_close();
	after = net_raw_recv(f, 4, 0);
	no_stack = nif->stats.no_stack;
	mark(&f[0], 8, 60);
	nif->send(nif, f[0].data, 60, 0);
	kn_device(10);
	nif->poll(nif);
	verdict("net-raw-open", NULL,
		again == -EALREADY && got == 1 && negative == -EINVAL &&
		!waited && took >= 20 * NSEC_PER_MSEC && took < NSEC_PER_SEC &&
		!none && none_took < NSEC_PER_SEC / 2 && !reopened && !left &&
		after == -EINVAL && nif->stats.no_stack == no_stack + 1 &&
		!nif->raw_rx,
		"a second open %d (want %d), a frame read %d (want 1), a read of -1 %d (want %d), a read waiting 20 ms for nothing %d after %llu us, a read of 0 frames waiting 1 s %d after %llu us (want at once); opened again %d with %d frames (want 0); after close a read %d (want %d), a frame to the stack's path %llu (want 1)",
		again, -EALREADY, got, negative, -EINVAL, waited,
		(unsigned long long)took / 1000, none,
		(unsigned long long)none_took / 1000, reopened, left, after,
		-EINVAL, (unsigned long long)(nif->stats.no_stack - no_stack));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf((char *)kspawn_hdr->cmdline, sizeof(kspawn_hdr->cmdline), "netmq=off");
	kh_wake_hook = count_wake;
	ring();
	long_frame();
	send_case();
	open_close();
	printf("kern_net_raw: %d failed\n", failures);
	return failures != 0;
}
