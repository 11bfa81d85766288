/*
 * xdpctl IFNAME PROGRAM [drv]: attach an XDP program of a few hand-written
 * instructions to IFNAME, in generic (skb) mode or, with drv, native mode:
 *   drop|pass|tx          every frame gets that verdict;
 *   redirect              every frame goes to IFNAME itself (bpf_redirect);
 *   redirect-udp TARGET   UDP/IPv4 frames go to TARGET (bpf_redirect, so
 *                         through TARGET's ndo_xdp_xmit), counted; the
 *                         rest pass;
 *   dropport PORT         UDP/IPv4 frames from or to PORT are dropped,
 *                         counted; the rest pass;
 *   swaptx                every frame goes back out with its MACs swapped
 *                         (the work of an l2fwd, for the benchmarks);
 *   off                   detach.
 * The counting programs print "map N": xdpctl count N prints the count.
 * The qemu suite and the benchmarks use it to show what XDP does with
 * ksnetN without needing clang, iproute2's BPF loader or libbpf in the
 * initramfs.
 */
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_INSNS 48
#define TO_PASS (-32768)	/* a jump's offset until fix_pass() */

struct prog {
	struct bpf_insn i[MAX_INSNS];
	int n;
};

static void emit(struct prog *p, __u8 code, __u8 dst, __u8 src, __s16 off,
		 __s32 imm)
{
	if (p->n < MAX_INSNS)
		p->i[p->n] = (struct bpf_insn){ .code = code, .dst_reg = dst,
			.src_reg = src, .off = off, .imm = imm };
	p->n++;
}

/* Jumps marked TO_PASS go to the tail "return XDP_PASS", added here. */
static void fix_pass(struct prog *p)
{
	int pass = p->n;

	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (int k = 0; k < pass && k < MAX_INSNS; k++)
		if (p->i[k].off == TO_PASS && BPF_CLASS(p->i[k].code) == BPF_JMP)
			p->i[k].off = (__s16)(pass - k - 1);
}

static void ret(struct prog *p, int verdict)
{
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, verdict);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/*
 * r2 = data, r3 = data_end; to PASS unless the frame holds len bytes, is
 * IPv4 (with no options if plain) and carries UDP.
 */
static void want_udp(struct prog *p, int len, int plain)
{
	emit(p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct xdp_md, data), 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, 3, 1,
	     offsetof(struct xdp_md, data_end), 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, len);
	emit(p, BPF_JMP | BPF_JGT | BPF_X, 4, 3, TO_PASS, 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_H, 5, 2, 12, 0);	/* EtherType */
	emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, TO_PASS, htons(0x0800));
	if (plain) {
		emit(p, BPF_LDX | BPF_MEM | BPF_B, 5, 2, 14, 0);
		emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, TO_PASS, 0x45);
	}
	emit(p, BPF_LDX | BPF_MEM | BPF_B, 5, 2, 23, 0);	/* protocol */
	emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, TO_PASS, IPPROTO_UDP);
}

/* map[0] += 1 (atomically: the program may run on two CPUs at once). */
static void count(struct prog *p, int map)
{
	emit(p, BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map);
	emit(p, 0, 0, 0, 0, 0);
	emit(p, BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
	emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1);
	emit(p, BPF_STX | BPF_XADD | BPF_DW, 0, 1, 0, 0);
}

static void redirect(struct prog *p, int ifindex)
{
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, ifindex);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0);
	emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static void build_redirect_udp(struct prog *p, int target, int map)
{
	want_udp(p, 14 + 20, 0);
	count(p, map);
	redirect(p, target);
	fix_pass(p);
}

static void build_dropport(struct prog *p, int port, int map)
{
	want_udp(p, 14 + 20 + 8, 1);
	emit(p, BPF_LDX | BPF_MEM | BPF_H, 5, 2, 34, 0);	/* source */
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 5, 0, 2, htons((__u16)port));
	emit(p, BPF_LDX | BPF_MEM | BPF_H, 5, 2, 36, 0);	/* destination */
	emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, TO_PASS, htons((__u16)port));
	count(p, map);
	ret(p, XDP_DROP);
	fix_pass(p);
}

/* Swap the two MACs (r4..r7 hold them) and send the frame back. */
static void build_swaptx(struct prog *p)
{
	emit(p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct xdp_md, data), 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, 3, 1,
	     offsetof(struct xdp_md, data_end), 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 14);
	emit(p, BPF_JMP | BPF_JGT | BPF_X, 4, 3, TO_PASS, 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, 4, 2, 0, 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_H, 5, 2, 4, 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, 6, 2, 6, 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_H, 7, 2, 10, 0);
	emit(p, BPF_STX | BPF_MEM | BPF_W, 2, 6, 0, 0);
	emit(p, BPF_STX | BPF_MEM | BPF_H, 2, 7, 4, 0);
	emit(p, BPF_STX | BPF_MEM | BPF_W, 2, 4, 6, 0);
	emit(p, BPF_STX | BPF_MEM | BPF_H, 2, 5, 10, 0);
	ret(p, XDP_TX);
	fix_pass(p);
}

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

/* A one-entry array of one u64: the counting programs' counter. */
static int new_map(unsigned int *id)
{
	struct bpf_map_info info;
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 1;
	fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	memset(&info, 0, sizeof(info));
	a.info.bpf_fd = (__u32)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (unsigned long)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a))
		return -1;
	*id = info.id;
	return fd;
}

static int show_count(const char *id)
{
	union bpf_attr a;
	__u64 value = 0;
	__u32 key = 0;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_id = (__u32)strtoul(id, NULL, 10);
	fd = (int)sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
	if (fd < 0) {
		perror("xdpctl: map");
		return 1;
	}
	memset(&a, 0, sizeof(a));
	a.map_fd = (__u32)fd;
	a.key = (unsigned long)&key;
	a.value = (unsigned long)&value;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a)) {
		perror("xdpctl: lookup");
		return 1;
	}
	printf("%llu\n", (unsigned long long)value);
	return 0;
}

static int load(const struct prog *p)
{
	static char log[8192];
	union bpf_attr a;
	int fd;

	if (p->n > MAX_INSNS)
		return -1;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insn_cnt = (__u32)p->n;
	a.insns = (unsigned long)p->i;
	a.license = (unsigned long)"GPL";
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	/* Again, for the verifier's reasons. */
	a.log_buf = (unsigned long)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	if (sys_bpf(BPF_PROG_LOAD, &a) < 0)
		fprintf(stderr, "%s", log);
	return -1;
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

static int usage(void)
{
	fprintf(stderr, "usage: xdpctl IFNAME drop|pass|tx|redirect|redirect-udp TARGET|dropport PORT|swaptx|off [drv]\n"
		"       xdpctl count MAPID\n");
	return 2;
}

/* Build the program argv names (with its argument in arg); 0 or -1. */
static int build(struct prog *p, int ifindex, const char *name,
		 const char *arg, int *map, unsigned int *map_id)
{
	static const char *const names[] = { "drop", "pass", "tx" };
	static const int verdicts[] = { XDP_DROP, XDP_PASS, XDP_TX };

	for (unsigned int i = 0; i < 3; i++) {
		if (!strcmp(name, names[i])) {
			ret(p, verdicts[i]);
			return 0;
		}
	}
	if (!strcmp(name, "redirect")) {
		redirect(p, ifindex);
		return 0;
	}
	if (!strcmp(name, "swaptx")) {
		build_swaptx(p);
		return 0;
	}
	if (strcmp(name, "redirect-udp") && strcmp(name, "dropport"))
		return -1;
	*map = new_map(map_id);
	if (*map < 0) {
		perror("xdpctl: BPF_MAP_CREATE");
		return -1;
	}
	if (!strcmp(name, "dropport")) {
		int port = atoi(arg);

		if (port < 1 || port > 65535)
			return -1;
		build_dropport(p, port, *map);
		return 0;
	}
	if (!if_nametoindex(arg))
		return -1;
	build_redirect_udp(p, (int)if_nametoindex(arg), *map);
	return 0;
}

int main(int argc, char **argv)
{
	int ifindex, drv = 0, fd = -1, map = -1, e, takes_arg;
	unsigned int map_id = 0;
	const char *arg = NULL;
	static struct prog p;

	if (argc == 3 && !strcmp(argv[1], "count"))
		return show_count(argv[2]);
	if (argc < 3)
		return usage();
	ifindex = (int)if_nametoindex(argv[1]);
	takes_arg = !strcmp(argv[2], "redirect-udp") ||
		    !strcmp(argv[2], "dropport");
	if (takes_arg && argc > 3)
		arg = argv[3];
	if (argc > 3 + takes_arg)
		drv = !strcmp(argv[3 + takes_arg], "drv");
	if (!ifindex || (takes_arg && !arg) ||
	    argc != 3 + takes_arg + (argc > 3 + takes_arg) ||
	    (argc > 3 + takes_arg && !drv))
		return usage();
	if (strcmp(argv[2], "off")) {
		if (build(&p, ifindex, argv[2], arg, &map, &map_id)) {
			fprintf(stderr, "xdpctl: unknown program %s or bad argument\n",
				argv[2]);
			return 2;
		}
		fd = load(&p);
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
	printf("xdpctl: %s: %s XDP %s%s%s\n", argv[1], drv ? "native" : "generic",
	       argv[2], arg ? " " : "", arg ? arg : "");
	if (map >= 0)
		printf("map %u\n", map_id);
	return 0;
}
