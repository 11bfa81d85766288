/*
 * xdpctl IFNAME drop|pass|tx|redirect|off [drv]: attach an XDP program of
 * a few instructions that drops, passes or sends back (tx) every frame,
 * or redirects it to IFNAME itself (bpf_redirect), in generic (skb) mode
 * or, with drv, native mode; or detach it.  The qemu suite uses it to
 * show that generic and native XDP work on ksnetN, without needing
 * iproute2 or libbpf in the initramfs.
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

static int load(int verdict, int ifindex)
{
	struct bpf_insn prog[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0,
		  .imm = verdict },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_insn redirect[4] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1,
		  .imm = ifindex },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insn_cnt = verdict == XDP_REDIRECT ? 4 : 2;
	a.insns = (unsigned long)(verdict == XDP_REDIRECT ? redirect : prog);
	a.license = (unsigned long)"GPL";
	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

static int attach(int ifindex, int fd, __u32 flags)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	struct rtattr *xdp, *rta;
	char reply[512];
	int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
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
	int ifindex = argc == 3 || argc == 4 ? (int)if_nametoindex(argv[1]) : 0;
	int drv = argc == 4 && !strcmp(argv[3], "drv"), fd = -1, e, verdict;
	static const char *const names[] = { "drop", "pass", "tx", "redirect" };
	static const int verdicts[] = { XDP_DROP, XDP_PASS, XDP_TX,
					XDP_REDIRECT };

	if (!ifindex || (argc == 4 && !drv)) {
		fprintf(stderr, "usage: xdpctl IFNAME drop|pass|tx|redirect|off [drv]\n");
		return 2;
	}
	if (strcmp(argv[2], "off")) {
		verdict = -1;
		for (unsigned int i = 0; i < 4; i++)
			if (!strcmp(argv[2], names[i]))
				verdict = verdicts[i];
		if (verdict < 0) {
			fprintf(stderr, "xdpctl: unknown program %s\n", argv[2]);
			return 2;
		}
		fd = load(verdict, ifindex);
		if (fd < 0) {
			perror("xdpctl: BPF_PROG_LOAD");
			return 1;
		}
	}
	e = attach(ifindex, fd, drv ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
	if (e) {
		fprintf(stderr, "xdpctl: attach: %s\n", strerror(-e));
		return 1;
	}
	printf("xdpctl: %s: %s XDP %s\n", argv[1], drv ? "native" : "generic",
	       argv[2]);
	return 0;
}
