/*
 * Hosted: a driver that breaks the device-level rules on purpose, against
 * host/backend/device.c, blk.c, blk_req.c and net.c (the ring-level rules are
 * vq_hostile.c's, the status machine's device_status.c's).  The driver is
 * the guest's own (guest/lib/virtq.c), the device is polled by hand
 * (device_harness.c), so every case is deterministic.  Each case prints
 * "ok NAME" or "FAIL NAME: why".
 *
 *   blk-seg-max-*         more data segments than the config's seg_max:
 *                         IOERR (seg_max exactly: OK)
 *   blk-size-max-*        a data segment bigger than size_max: IOERR
 *                         (size_max exactly: OK); by one byte, the next
 *                         segment making whole sectors: IOERR too
 *   blk-short-header-*    a header shorter than 16 bytes: IOERR in the
 *                         status byte
 *   blk-get-id-*          GET_ID into 64 bytes and into 8: the 20-byte
 *                         serial, or what fits, and nothing after it
 *   blk-wrong-direction-* a read with readable data after its header, a
 *                         write with writable data before its status:
 *                         UNSUPP
 *   blk-both-max-*        seg_max segments of size_max each, the most the
 *                         config allows: OK, the device live (the
 *                         config once offered twice what a chain may
 *                         carry, and such a request broke the device)
 *   broken-stays-broken-* a bad tx chain and a ctrl MAC_ADDR_SET in one
 *                         poll: the violation stops the device, the
 *                         command is not served, and turning kicks off
 *                         and on writes nothing into its rings
 *   rx-no-writable-*      an rx chain with nothing device-writable comes
 *                         back to the used ring, empty
 *   queue-over-size-max-* a queue set up twice as big as the size_max the
 *                         device gave: DRIVER_OK breaks the device
 *                         (NEEDS_RESET), which never goes live
 *   blk-budget-bytes-*    8 WRITE_ZEROES of 32 MiB on a RAM disk: one
 *                         poll of budget 64 does not do them all (the
 *                         budget counts MiB moved), the next does
 */
#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>

#include "tests/hosted/device_harness.h"
#include "tests/hosted/verdict.h"

/*
 * A header of 8 bytes, not 16, and a status byte: IOERR written there
 * (once the byte was left as it was, and a driver could read it as OK).
 */
static void blk_short_header(const char *layout, int packed)
{
	uint8_t *h = region + REQ_OFF, *status = region + DATA_OFF;
	struct virtq_buf out = { h, 8 }, in = { status, 1 };
	uint32_t len = 0xffff;
	void *got;

	if (blk_up(packed)) {
		verdict("blk-short-header", layout, 0, "device not up");
		return;
	}
	memset(h, 0, 8);
	*status = VIRTIO_BLK_S_OK;
	if (virtq_add(&vd.vq[0], &out, 1, &in, 1, h))
		return;
	virtq_publish(&vd.vq[0]);
	kb_device_poll(&blk.dev, 8);
	got = virtq_get(&vd.vq[0], &len);
	verdict("blk-short-header", layout,
		got == h && *status == VIRTIO_BLK_S_IOERR && len == 1 &&
		blk.dev.live && !blk.dev.broken,
		"back %d, status %u, used length %u (want IOERR in 1 byte)",
		got == h, *status, len);
}

static void blk_limits(const char *layout, int packed)
{
	static const struct {
		const char *name;
		uint32_t type;
		int extra_seg;		/* seg_max + this many segments */
		int extra_bytes;	/* size_max + this many bytes, one segment */
		int want;
	} cases[] = {
		{ "blk-seg-max-out-over", VIRTIO_BLK_T_OUT, 1, -1, VIRTIO_BLK_S_IOERR },
		{ "blk-seg-max-in-over", VIRTIO_BLK_T_IN, 1, -1, VIRTIO_BLK_S_IOERR },
		{ "blk-seg-max-out-exact", VIRTIO_BLK_T_OUT, 0, -1, VIRTIO_BLK_S_OK },
		{ "blk-size-max-in-over", VIRTIO_BLK_T_IN, -1, 512, VIRTIO_BLK_S_IOERR },
		{ "blk-size-max-out-over", VIRTIO_BLK_T_OUT, -1, 512, VIRTIO_BLK_S_IOERR },
		{ "blk-size-max-in-exact", VIRTIO_BLK_T_IN, -1, 0, VIRTIO_BLK_S_OK },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t seg_max, size_max, nseg = 1, len = 512;
		int got;

		if (blk_up(packed)) {
			verdict(cases[i].name, layout, 0, "device not live");
			continue;
		}
		seg_max = blk_config(offsetof(struct virtio_blk_config, seg_max));
		size_max = blk_config(offsetof(struct virtio_blk_config, size_max));
		if (cases[i].extra_seg >= 0)
			nseg = seg_max + (uint32_t)cases[i].extra_seg;
		else
			len = size_max + (uint32_t)cases[i].extra_bytes;
		got = blk_request(cases[i].type, nseg, len);
		verdict(cases[i].name, layout,
			got == cases[i].want &&
			!(slot.status & VIRTIO_CONFIG_S_NEEDS_RESET),
			"%u segments of %u bytes (seg_max %u, size_max %u): status %d, want %d%s",
			nseg, len, seg_max, size_max, got, cases[i].want,
			slot.status & VIRTIO_CONFIG_S_NEEDS_RESET ?
			", device needs reset" : "");
	}
}

/*
 * A read of seg_max segments of size_max bytes each, all into one buffer
 * (the bytes read do not matter here): within what the config offers.
 */
static void blk_both_max(const char *layout, int packed)
{
	static struct virtq_buf bufs[KB_MAX_SEGS + 1];
	struct virtio_blk_outhdr *h = (void *)(region + REQ_OFF);
	uint8_t *status = region + REQ_OFF + sizeof(*h);
	uint32_t seg_max, size_max, n = 0;
	void *got = NULL;

	if (blk_up(packed)) {
		verdict("blk-both-max", layout, 0, "device not live");
		return;
	}
	seg_max = blk_config(offsetof(struct virtio_blk_config, seg_max));
	size_max = blk_config(offsetof(struct virtio_blk_config, size_max));
	if (seg_max > KB_MAX_SEGS - 1 ||
	    size_max > REGION_BYTES - DATA_OFF) {
		verdict("blk-both-max", layout, 0,
			"seg_max %u, size_max %u: more than the test holds",
			seg_max, size_max);
		return;
	}
	*h = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN };
	*status = 0xff;
	bufs[n++] = (struct virtq_buf){ h, sizeof(*h) };
	for (uint32_t i = 0; i < seg_max; i++)
		bufs[n++] = (struct virtq_buf){ region + DATA_OFF, size_max };
	bufs[n++] = (struct virtq_buf){ status, 1 };
	if (!virtq_add(&vd.vq[0], bufs, 1, bufs + 1, n - 1, h)) {
		virtq_publish(&vd.vq[0]);
		kb_device_poll(&blk.dev, 8);
		got = virtq_get(&vd.vq[0], NULL);
	}
	verdict("blk-both-max", layout,
		got == h && *status == VIRTIO_BLK_S_OK &&
		!(slot.status & VIRTIO_CONFIG_S_NEEDS_RESET),
		"%u segments of %u bytes: %s, status %d%s", seg_max, size_max,
		got == h ? "back" : "not back", *status,
		slot.status & VIRTIO_CONFIG_S_NEEDS_RESET ?
		", device needs reset" : "");
}

/*
 * A read whose first data segment is size_max + 1 bytes and whose second
 * makes the total whole sectors: one byte over the limit is over it.
 */
static void blk_size_max_byte(const char *layout, int packed)
{
	struct virtio_blk_outhdr *h = (void *)(region + REQ_OFF);
	uint8_t *data = region + DATA_OFF, *status;
	uint32_t size_max;
	struct virtq_buf out, in[2];
	void *got = NULL;

	if (blk_up(packed)) {
		verdict("blk-size-max-byte-over", layout, 0, "device not live");
		return;
	}
	size_max = blk_config(offsetof(struct virtio_blk_config, size_max));
	if (size_max + 512 + 1 > REGION_BYTES - DATA_OFF) {
		verdict("blk-size-max-byte-over", layout, 0,
			"size_max %u: more than the test holds", size_max);
		return;
	}
	status = data + size_max + 512;
	*h = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN };
	*status = 0xff;
	out = (struct virtq_buf){ h, sizeof(*h) };
	in[0] = (struct virtq_buf){ data, size_max + 1 };
	in[1] = (struct virtq_buf){ data + size_max + 1, 511 + 1 };
	if (!virtq_add(&vd.vq[0], &out, 1, in, 2, h)) {
		virtq_publish(&vd.vq[0]);
		kb_device_poll(&blk.dev, 8);
		got = virtq_get(&vd.vq[0], NULL);
	}
	verdict("blk-size-max-byte-over", layout,
		got == h && *status == VIRTIO_BLK_S_IOERR,
		"segments of %u and 511 bytes: %s, status %d (want IOERR)",
		size_max + 1, got == h ? "back" : "not back", *status);
}

/*
 * A read with readable data after its header, a write with writable data
 * before its status byte: neither is a request the device knows (UNSUPP).
 */
static void blk_wrong_direction(const char *layout, int packed)
{
	struct virtio_blk_outhdr *h = (void *)(region + REQ_OFF);
	uint8_t *data = region + DATA_OFF, *status = data + 1024;
	static const uint32_t type[2] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT };
	int st[2] = { -1, -1 };

	if (blk_up(packed)) {
		verdict("blk-wrong-direction", layout, 0, "device not live");
		return;
	}
	for (int i = 0; i < 2; i++) {
		struct virtq_buf out[2] = { { h, sizeof(*h) }, { data, 512 } };
		struct virtq_buf in[2] = { { data + 512, 512 }, { status, 1 } };

		*h = (struct virtio_blk_outhdr){ .type = type[i] };
		*status = 0xff;
		if (virtq_add(&vd.vq[0], out, 2, in, 2, h))
			break;
		virtq_publish(&vd.vq[0]);
		kb_device_poll(&blk.dev, 8);
		if (virtq_get(&vd.vq[0], NULL) == h)
			st[i] = *status;
	}
	verdict("blk-wrong-direction", layout,
		st[0] == VIRTIO_BLK_S_UNSUPP && st[1] == VIRTIO_BLK_S_UNSUPP,
		"a read with data to the device: status %d, a write with data from it: %d (want UNSUPP, UNSUPP)",
		st[0], st[1]);
}

/*
 * GET_ID into 64 bytes, then into 8: the 20-byte serial ("hosted" and
 * zeroes) and no more, then the 8 that fit; the bytes after it left as
 * they were, the status byte OK, the used length what was written.
 */
static void blk_get_id(const char *layout, int packed)
{
	struct virtio_blk_outhdr *h = (void *)(region + REQ_OFF);
	uint8_t *id = region + DATA_OFF, *status = id + 64;
	static const uint32_t room[2] = { 64, 8 }, want[2] = { 20, 8 };
	uint32_t len[2] = { 0, 0 };
	int ok = 1, st[2] = { -1, -1 };

	if (blk_up(packed)) {
		verdict("blk-get-id", layout, 0, "device not live");
		return;
	}
	for (int i = 0; i < 2; i++) {
		struct virtq_buf out = { h, sizeof(*h) };
		struct virtq_buf in[2] = { { id, room[i] }, { status, 1 } };

		*h = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_GET_ID };
		memset(id, 0xaa, 64);
		*status = 0xff;
		if (virtq_add(&vd.vq[0], &out, 1, in, 2, h))
			break;
		virtq_publish(&vd.vq[0]);
		kb_device_poll(&blk.dev, 8);
		if (virtq_get(&vd.vq[0], &len[i]) != h)
			continue;
		st[i] = *status;
		ok &= !memcmp(id, "hosted", 6) &&
		      !memchr(id + 6, 0xaa, want[i] - 6);
		for (uint32_t k = want[i]; k < 64; k++)
			ok &= id[k] == 0xaa;
	}
	verdict("blk-get-id", layout,
		ok && st[0] == VIRTIO_BLK_S_OK && st[1] == VIRTIO_BLK_S_OK &&
		len[0] == 21 && len[1] == 9,
		"into 64 and 8 bytes: statuses %d %d, used lengths %u %u (want 21, 9), only the serial written %d",
		st[0], st[1], len[0], len[1], ok);
}

/* Point the first descriptor of a fresh queue outside the region. */
static void spoil_first_desc(struct virtq *q)
{
	if (q->packed)
		q->ring[0].addr = BASE + REGION_BYTES + 4096;
	else
		q->desc[0].addr = BASE + REGION_BYTES + 4096;
}

static void broken_stays_broken(const char *layout, int packed)
{
	uint8_t *frame = region + DATA_OFF, *cmd = region + REQ_OFF;
	uint8_t *ack = cmd + 64;
	const uint8_t set[8] = { VIRTIO_NET_CTRL_MAC,
				 VIRTIO_NET_CTRL_MAC_ADDR_SET,
				 0x02, 0x6b, 0x73, 0, 0, 0x66 };
	struct virtq_buf tx = { frame, KB_NET_HDR + 60 };
	struct virtq_buf out = { cmd, sizeof(set) }, in = { ack, 1 };
	int served, written = 0;
	uint8_t acked;

	if (net_up(packed)) {
		verdict("broken-stays-broken", layout, 0, "device not live");
		return;
	}

	memcpy(cmd, set, sizeof(set));
	*ack = 0xff;
	virtq_add(&vd.vq[1], &tx, 1, NULL, 0, frame);
	spoil_first_desc(&vd.vq[1]);
	virtq_publish(&vd.vq[1]);
	virtq_add(&vd.vq[2], &out, 1, &in, 1, cmd);
	virtq_publish(&vd.vq[2]);
	kb_device_poll(&net.dev, 64);
	acked = *ack;
	served = !memcmp(slot.config, mac, 6) && !memcmp(net.mac, mac, 6) &&
		 acked == 0xff && !virtq_get(&vd.vq[2], NULL);
	/*
	 * Broken: the thread's kick control (before it sleeps, as it wakes)
	 * writes nothing into the region, which holds the rings.
	 */
	memset(region, 0xee, REGION_BYTES);
	kb_device_kicks_on(&net.dev);
	kb_device_kicks_off(&net.dev);
	for (uint32_t i = 0; i < REGION_BYTES; i++)
		written += region[i] != 0xee;
	verdict("broken-stays-broken", layout,
		(slot.status & VIRTIO_CONFIG_S_NEEDS_RESET) && served &&
		!written,
		"status %#x, MAC in config %02x:..:%02x, ack %#x, %d bytes written by kick control: served or written after the violation",
		slot.status, slot.config[0], slot.config[5], acked, written);
}

static void rx_no_writable(const char *layout, int packed)
{
	static const uint8_t frame[60] = { 0x02, 0x6b, 0x73, 0, 0, 1 };
	uint8_t *buf = region + DATA_OFF, *good = buf + 4096;
	struct virtq_buf ro = { buf, 2048 }, rw = { good, 2048 };
	uint32_t len = 0xdead;
	void *got;
	int r;

	if (net_up(packed)) {
		verdict("rx-no-writable", layout, 0, "device not live");
		return;
	}
	virtq_add(&vd.vq[0], &ro, 1, NULL, 0, buf);
	virtq_publish(&vd.vq[0]);
	r = kb_net_rx(&net, 0, frame, sizeof(frame), NULL);
	got = virtq_get(&vd.vq[0], &len);
	if (!verdict("rx-no-writable", layout,
		     r == -EINVAL && got == buf && len == 0 &&
		     !(slot.status & VIRTIO_CONFIG_S_NEEDS_RESET),
		     "kb_net_rx %d, the read-only chain %s (len %u)", r,
		     got == buf ? "came back" : "was kept", len))
		return;
	/* And the device still delivers into a proper buffer. */
	virtq_add(&vd.vq[0], NULL, 0, &rw, 1, good);
	virtq_publish(&vd.vq[0]);
	r = kb_net_rx(&net, 0, frame, sizeof(frame), NULL);
	kb_net_rx_flush(&net, 0);
	got = virtq_get(&vd.vq[0], &len);
	verdict("rx-after-no-writable", layout,
		r == 0 && got == good && len == KB_NET_HDR + sizeof(frame),
		"kb_net_rx %d, len %u", r, len);
}

static void queue_over_size_max(const char *layout, int packed)
{
	uint16_t max;

	fresh();
	kb_blk_init(&blk, &slot, &kr, &ops, NULL, &kb_ram_ops, ram,
		    DISK_BYTES, "hosted");
	if (handshake_but_ready(&blk.dev, packed, 1)) {
		verdict("queue-over-size-max", layout, 0, "handshake failed");
		return;
	}
	max = slot.queues[0].size_max;
	slot.queues[0].size = (uint16_t)(2 * max);
	virtio_ready(&vd);
	kb_device_poll(&blk.dev, 1);
	verdict("queue-over-size-max", layout,
		!blk.dev.live && (slot.status & VIRTIO_CONFIG_S_NEEDS_RESET),
		"a queue of %u with size_max %u: live %d, status %#x (want not live, NEEDS_RESET)",
		2 * max, max, blk.dev.live, slot.status);
}

/*
 * Eight WRITE_ZEROES of 32 MiB each (a RAM disk zeroes them in the
 * device thread) in one poll of budget 64: the budget counts the MiB a
 * request moves, so not all are done in that poll; all are in the next.
 */
static void blk_budget_bytes(const char *layout, int packed)
{
	uint8_t *at = region + REQ_OFF;
	int first = 0, all = 0;

	if (blk_up(packed)) {
		verdict("blk-budget-bytes", layout, 0, "device not live");
		return;
	}
	for (int i = 0; i < 8; i++, at += 64) {
		struct virtio_blk_outhdr *h = (void *)at;
		struct virtio_blk_discard_write_zeroes *rg = (void *)(at + 16);

		*h = (struct virtio_blk_outhdr){
			.type = VIRTIO_BLK_T_WRITE_ZEROES };
		*rg = (struct virtio_blk_discard_write_zeroes){
			.sector = (uint64_t)(i % 2) * 65536,
			.num_sectors = 65536 };
		at[32] = 0xff;
		virtq_add(&vd.vq[0], (struct virtq_buf[]){ { h, 16 }, { rg, 16 } },
			  2, (struct virtq_buf[]){ { at + 32, 1 } }, 1, h);
	}
	virtq_publish(&vd.vq[0]);
	kb_device_poll(&blk.dev, 64);
	while (virtq_get(&vd.vq[0], NULL))
		first++;
	kb_device_poll(&blk.dev, 64 * 33);
	all = first;
	while (virtq_get(&vd.vq[0], NULL))
		all++;
	verdict("blk-budget-bytes", layout, first >= 1 && first <= 2 && all == 8,
		"%d done in the first poll (want 1 or 2), %d in all (want 8)",
		first, all);
}

int main(void)
{
	harness_start();
	for (int packed = 0; packed < 2; packed++) {
		const char *layout = packed ? "packed" : "split";

		blk_limits(layout, packed);
		blk_size_max_byte(layout, packed);
		blk_wrong_direction(layout, packed);
		blk_get_id(layout, packed);
		blk_short_header(layout, packed);
		blk_both_max(layout, packed);
		broken_stays_broken(layout, packed);
		rx_no_writable(layout, packed);
		queue_over_size_max(layout, packed);
		blk_budget_bytes(layout, packed);
	}
	harness_end();
	printf("device_hostile: %d failed\n", failures);
	return failures != 0;
}
