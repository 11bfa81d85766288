/*
 * ethq: the part of ethtool the qemu cases need (the QEMU host's initramfs
 * has busybox only), printed as ethtool prints it.
 *
 *   ethq -i IFACE      driver information (driver:, bus-info:)
 *   ethq -g IFACE      ring sizes: the maximums, then the current ones
 *   ethq -S IFACE      statistics, "     NAME: VALUE" per line
 *   ethq -l IFACE      channels: the maximums, then the current ones
 *   ethq blast ADDR PORT COUNT SIZE
 *                      COUNT UDP datagrams of SIZE bytes, never waiting
 *                      (MSG_DONTWAIT): prints how many went and how many
 *                      the host refused (a full queue), exits 0
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int fd;
static const char *ifname;

static int ethtool(void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		perror("ethq: SIOCETHTOOL");
		exit(1);
	}
	return 0;
}

static int drvinfo(void)
{
	struct ethtool_drvinfo d = { .cmd = ETHTOOL_GDRVINFO };

	ethtool(&d);
	printf("driver: %s\nversion: %s\nbus-info: %s\n", d.driver,
	       d.version, d.bus_info);
	return 0;
}

static int rings(void)
{
	struct ethtool_ringparam r = { .cmd = ETHTOOL_GRINGPARAM };

	ethtool(&r);
	printf("Ring parameters for %s:\nPre-set maximums:\nRX:\t\t%u\nTX:\t\t%u\n"
	       "Current hardware settings:\nRX:\t\t%u\nTX:\t\t%u\n", ifname,
	       r.rx_max_pending, r.tx_max_pending, r.rx_pending,
	       r.tx_pending);
	return 0;
}

static int channels(void)
{
	struct ethtool_channels c = { .cmd = ETHTOOL_GCHANNELS };

	ethtool(&c);
	printf("Channel parameters for %s:\nPre-set maximums:\nRX:\t\t%u\nTX:\t\t%u\n"
	       "Other:\t\t%u\nCombined:\t%u\nCurrent hardware settings:\n"
	       "RX:\t\t%u\nTX:\t\t%u\nOther:\t\t%u\nCombined:\t%u\n", ifname,
	       c.max_rx, c.max_tx, c.max_other, c.max_combined, c.rx_count,
	       c.tx_count, c.other_count, c.combined_count);
	return 0;
}

static int stats(void)
{
	struct {
		struct ethtool_sset_info i;
		uint32_t n;
	} ss = { .i = { .cmd = ETHTOOL_GSSET_INFO,
			.sset_mask = 1ULL << ETH_SS_STATS } };
	struct ethtool_gstrings *names;
	struct ethtool_stats *vals;
	uint32_t n;

	ethtool(&ss);
	n = ss.i.sset_mask ? ss.n : 0;
	names = calloc(1, sizeof(*names) + n * ETH_GSTRING_LEN);
	vals = calloc(1, sizeof(*vals) + n * sizeof(uint64_t));
	if (!names || !vals)
		return 1;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	ethtool(names);
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = n;
	ethtool(vals);
	printf("NIC statistics:\n");
	for (uint32_t i = 0; i < n; i++)
		printf("     %.*s: %llu\n", ETH_GSTRING_LEN,
		       (char *)names->data + i * ETH_GSTRING_LEN,
		       (unsigned long long)vals->data[i]);
	return 0;
}

static int blast(char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((unsigned short)atoi(argv[1])) };
	long count = atol(argv[2]), size = atol(argv[3]), sent = 0, refused = 0;
	static char buf[65507];
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (inet_pton(AF_INET, argv[0], &to.sin_addr) != 1 || size < 0 ||
	    size > (long)sizeof(buf) || s < 0) {
		fprintf(stderr, "ethq: blast ADDR PORT COUNT SIZE\n");
		return 2;
	}
	memset(buf, 0x5a, (size_t)size);
	for (long i = 0; i < count; i++) {
		if (sendto(s, buf, (size_t)size, MSG_DONTWAIT,
			   (struct sockaddr *)&to, sizeof(to)) == size)
			sent++;
		else
			refused++;
	}
	printf("ethq: blast %ld sent %ld refused\n", sent, refused);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "blast"))
		return blast(argv + 2);
	if (argc != 3) {
		fprintf(stderr, "usage: ethq -i|-g|-S|-l IFACE | blast ADDR PORT COUNT SIZE\n");
		return 2;
	}
	ifname = argv[2];
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("ethq: socket");
		return 1;
	}
	if (!strcmp(argv[1], "-i"))
		return drvinfo();
	if (!strcmp(argv[1], "-g"))
		return rings();
	if (!strcmp(argv[1], "-S"))
		return stats();
	if (!strcmp(argv[1], "-l"))
		return channels();
	fprintf(stderr, "ethq: unknown option %s\n", argv[1]);
	return 2;
}
