/*
 * l2fwd [batch=32] [seconds=N] [count=N]: the packet-processing loop of
 * the seed's "XDP-ringbuffer-based software logic": take the network
 * device's frames in batches (kern/net_raw.h, no stack in the way), swap
 * their source and destination MACs and send each batch back.  Runs until
 * stopped, for N seconds, or until N frames went back; then prints
 * "l2fwd: forwarded=N rx_dropped=N tx_dropped=N batches=N".
 */
#include <stdlib.h>
#include <string.h>

#include "kspawn.h"

#define REPORT_NS (1 * NSEC_PER_SEC)

static void swap_macs(struct net_frame *f)
{
	uint8_t t[6];

	if (f->len < NET_ETH_HLEN)
		return;
	memcpy(t, f->data, 6);
	memcpy(f->data, f->data + 6, 6);
	memcpy(f->data + 6, t, 6);
}

static int l2fwd_main(int argc, char **argv)
{
	long batch = atol(app_opt(argc, argv, "batch", "32"));
	long seconds = atol(app_opt(argc, argv, "seconds", "0"));
	long count = atol(app_opt(argc, argv, "count", "0"));
	uint64_t end = time_ns() + (uint64_t)seconds * NSEC_PER_SEC;
	uint64_t forwarded = 0, batches = 0;
	struct net_raw_stats st;
	struct net_frame *f;
	const uint8_t *mac;
	int err;

	if (batch < 1 || batch > NET_RAW_SLOTS || seconds < 0 || count < 0) {
		kprintf("l2fwd: bad batch= (1..%d), seconds= or count=\n",
			NET_RAW_SLOTS);
		return 2;
	}
	f = malloc((size_t)batch * sizeof(*f));
	err = f ? net_raw_open() : -1;
	if (err) {
		kprintf("l2fwd: no network device or memory (%d)\n", err);
		return 1;
	}
	mac = net_raw_mac();
	kprintf("l2fwd: forwarding on %02x:%02x:%02x:%02x:%02x:%02x, batch %ld\n",
		mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], batch);
	while (!count || forwarded < (uint64_t)count) {
		uint64_t wait = NET_WAIT_FOREVER, now = time_ns();
		int n;

		if (seconds) {
			if (now >= end)
				break;
			wait = end - now;
		}
		if (wait > REPORT_NS)
			wait = REPORT_NS;
		n = net_raw_recv(f, (int)batch, wait);
		if (n <= 0)
			continue;
		for (int i = 0; i < n; i++)
			swap_macs(&f[i]);
		forwarded += (uint64_t)net_raw_send(f, n);
		batches++;
	}
	net_raw_get_stats(&st);
	kprintf("l2fwd: forwarded=%llu rx_dropped=%llu tx_dropped=%llu batches=%llu\n",
		(unsigned long long)forwarded,
		(unsigned long long)st.rx_dropped,
		(unsigned long long)st.tx_dropped,
		(unsigned long long)batches);
	net_raw_close();
	free(f);
	return 0;
}
APP(l2fwd, l2fwd_main,
	"swap MACs and send back every frame, in batches [batch=32] [seconds=N] [count=N]");
