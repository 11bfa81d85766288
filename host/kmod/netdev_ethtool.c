// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool on ksnetN: driver info, ring sizes, channels (the guest's queue
 * pairs) and statistics, device-wide then per pair.
 *
 * Seen from ksnetN, a pair's transmit ring is the guest's receive queue
 * and its receive ring the guest's transmit queue; the guest sizes them
 * and chooses how many pairs it uses (one per guest CPU), so channels can
 * be read but not set.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>

#include "kspawn.h"
#include "io.h"
#include "ksnet.h"

static void ksnet_get_drvinfo(struct net_device *dev,
			      struct ethtool_drvinfo *info)
{
	struct ksnet *kn = netdev_priv(dev);

	strscpy(info->driver, "kspawn", sizeof(info->driver));
	snprintf(info->bus_info, sizeof(info->bus_info), "kspawn-%u", kn->id);
}

static void ksnet_get_ringparam(struct net_device *dev,
				struct ethtool_ringparam *ring,
				struct kernel_ethtool_ringparam *kring,
				struct netlink_ext_ack *extack)
{
	struct ksnet *kn = netdev_priv(dev);

	ring->rx_max_pending = KB_NET_QUEUE_MAX;
	ring->tx_max_pending = KB_NET_QUEUE_MAX;
	spin_lock_bh(&kn->io->net_lock);
	ring->rx_pending = kb_net_queue_size(&kn->io->net, 1);
	ring->tx_pending = kb_net_queue_size(&kn->io->net, 0);
	spin_unlock_bh(&kn->io->net_lock);
}

/* Combined channels: the pairs the guest uses, of those the device has. */
static void ksnet_get_channels(struct net_device *dev,
			       struct ethtool_channels *ch)
{
	struct ksnet *kn = netdev_priv(dev);

	ch->max_combined = KB_NET_PAIRS_MAX;
	spin_lock_bh(&kn->io->net_lock);
	ch->combined_count = kb_net_pairs(&kn->io->net);
	spin_unlock_bh(&kn->io->net_lock);
}

static const char ksnet_stat_names[][ETH_GSTRING_LEN] = {
	"guest_tx_packets", "guest_tx_bytes", "guest_tx_errors",
	"guest_tx_dropped", "guest_rx_packets", "guest_rx_bytes", "guest_rx_dropped",
	"guest_rx_no_buf", "tx_queue_stops", "tx_queue_wakes", "napi_polls",
	"xdp_pass", "xdp_drop", "xdp_tx", "xdp_tx_drops", "xdp_redirect",
	"xdp_xmit", "xdp_xmit_drops", "queue_pairs", "pairs_set",
	"pairs_resizes",
};

/* Per pair, "qN_" before each. */
static const char ksnet_queue_stat_names[][ETH_GSTRING_LEN] = {
	"guest_tx_packets", "guest_rx_packets", "guest_rx_no_buf",
	"napi_polls",
};

#define KSNET_STATS (ARRAY_SIZE(ksnet_stat_names) + \
		     KB_NET_PAIRS_MAX * ARRAY_SIZE(ksnet_queue_stat_names))

static int ksnet_get_sset_count(struct net_device *dev, int set)
{
	return set == ETH_SS_STATS ? KSNET_STATS : -EOPNOTSUPP;
}

static void ksnet_get_strings(struct net_device *dev, u32 set, u8 *buf)
{
	if (set != ETH_SS_STATS)
		return;
	memcpy(buf, ksnet_stat_names, sizeof(ksnet_stat_names));
	buf += sizeof(ksnet_stat_names);
	for (int p = 0; p < KB_NET_PAIRS_MAX; p++)
		for (int i = 0; i < ARRAY_SIZE(ksnet_queue_stat_names); i++)
			ethtool_sprintf(&buf, "q%d_%s", p,
					ksnet_queue_stat_names[i]);
}

static void ksnet_get_ethtool_stats(struct net_device *dev,
				    struct ethtool_stats *stats, u64 *data)
{
	struct ksnet *kn = netdev_priv(dev);
	struct kb_net *net = &kn->io->net;
	struct kb_net_pair_stats t;
	u64 polls = 0;

	spin_lock_bh(&kn->io->net_lock);
	kb_net_totals(net, &t);
	for (int p = 0; p < KB_NET_PAIRS_MAX; p++)
		polls += kn->q[p].polls;
	*data++ = t.tx_packets;
	*data++ = t.tx_bytes;
	*data++ = t.tx_errors;
	*data++ = t.tx_dropped;
	*data++ = t.rx_packets;
	*data++ = t.rx_bytes;
	*data++ = t.rx_dropped;
	*data++ = t.rx_no_buf;
	*data++ = kn->stops;
	*data++ = kn->wakes;
	*data++ = polls;
	for (int i = 0; i < KSNET_XDP_STATS; i++)
		*data++ = kn->xdp_stats[i];
	*data++ = kb_net_pairs(net);
	*data++ = net->pairs_sets;
	*data++ = READ_ONCE(kn->pairs_resizes);
	for (int p = 0; p < KB_NET_PAIRS_MAX; p++) {
		*data++ = net->stats[p].tx_packets;
		*data++ = net->stats[p].rx_packets;
		*data++ = net->stats[p].rx_no_buf;
		*data++ = kn->q[p].polls;
	}
	spin_unlock_bh(&kn->io->net_lock);
}

const struct ethtool_ops ksnet_ethtool_ops = {
	.get_drvinfo = ksnet_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_ringparam = ksnet_get_ringparam,
	.get_channels = ksnet_get_channels,
	.get_sset_count = ksnet_get_sset_count,
	.get_strings = ksnet_get_strings,
	.get_ethtool_stats = ksnet_get_ethtool_stats,
};
