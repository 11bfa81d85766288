/*
 * xdpctl IFNAME drop|pass|off: attach a two-instruction XDP program that
 * drops (or passes) every frame, in generic (skb) mode, or detach it.  The
 * qemu suite uses it to show that generic XDP works on ksnetN, without
 * needing iproute2 or libbpf in the initramfs.
 */
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int load(int verdict)
{
	struct bpf_insn prog[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0,
		  .imm = verdict },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insn_cnt = 2;
	a.insns = (unsigned long)prog;
	a.license = (unsigned long)"GPL";
	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

static int attach(int ifindex, int fd)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	struct rtattr *xdp, *rta;
	char reply[512];
	int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	__u32 flags = XDP_FLAGS_SKB_MODE;
	struct nlmsgerr *err;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_SETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	xdp = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	xdp->rta_type = NLA_F_NESTED | IFLA_XDP;
	rta = RTA_DATA(xdp);
	rta->rta_type = IFLA_XDP_FD;
	rta->rta_len = RTA_LENGTH(sizeof(int));
	memcpy(RTA_DATA(rta), &fd, sizeof(fd));
	rta = (struct rtattr *)((char *)rta + RTA_ALIGN(rta->rta_len));
	rta->rta_type = IFLA_XDP_FLAGS;
	rta->rta_len = RTA_LENGTH(sizeof(flags));
	memcpy(RTA_DATA(rta), &flags, sizeof(flags));
	xdp->rta_len = RTA_LENGTH(2 * RTA_ALIGN(RTA_LENGTH(4)));
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(xdp->rta_len);
	if (s < 0 || send(s, &req, req.nh.nlmsg_len, 0) < 0 ||
	    recv(s, reply, sizeof(reply), 0) < 0)
		return -1;
	err = NLMSG_DATA((struct nlmsghdr *)reply);
	return err->error;
}

int main(int argc, char **argv)
{
	int ifindex = argc == 3 ? (int)if_nametoindex(argv[1]) : 0, fd = -1, e;

	if (!ifindex) {
		fprintf(stderr, "usage: xdpctl IFNAME drop|pass|off\n");
		return 2;
	}
	if (strcmp(argv[2], "off")) {
		fd = load(!strcmp(argv[2], "drop") ? XDP_DROP : XDP_PASS);
		if (fd < 0) {
			perror("xdpctl: BPF_PROG_LOAD");
			return 1;
		}
	}
	e = attach(ifindex, fd);
	if (e) {
		fprintf(stderr, "xdpctl: attach: %s\n", strerror(-e));
		return 1;
	}
	printf("xdpctl: %s: generic XDP %s\n", argv[1], argv[2]);
	return 0;
}
