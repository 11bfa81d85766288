/*
 * gdb remote protocol commands.  Every length and address that arrives
 * here is untrusted: counts are clamped to what a reply can carry, and
 * malformed packets get an error reply ("E01"), never a crash.
 */
#include <string.h>

#include "gdbstub/stub.h"

#define ERR_BAD_PACKET "E01"
#define ERR_FAULT "E14"
#define ERR_NO_THREAD "E02"
#define REG_MAX 16		/* bytes in a register: an xmm one */

static const char hexdigits[] = "0123456789abcdef";

void gdb_stub_init(struct gdb_stub *s, const struct gdb_target *t)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	rsp_rx_init(&s->rx);
}

static void send_raw(struct gdb_stub *s, const char *payload, size_t len)
{
	s->out_len = rsp_frame(payload, len, s->out, sizeof(s->out));
	if (s->out_len)
		s->t->write(s->t->ctx, s->out, s->out_len);
}

static void reply(struct gdb_stub *s, const char *text)
{
	send_raw(s, text, strlen(text));
}

/* Append to the reply being built in scratch; returns 0 if it no longer fits. */
static int append(struct gdb_stub *s, size_t *len, const char *text)
{
	size_t n = strlen(text);

	if (*len + n >= sizeof(s->scratch))
		return 0;
	memcpy(s->scratch + *len, text, n + 1);
	*len += n;
	return 1;
}

static void hex_u64(char *buf, uint64_t v)
{
	char tmp[17];
	int n = 0;

	do {
		tmp[n++] = hexdigits[v & 0xf];
		v >>= 4;
	} while (v);
	while (n)
		*buf++ = tmp[--n];
	*buf = '\0';
}

static int reg_tid(struct gdb_stub *s)
{
	return s->g_tid > 0 ? s->g_tid : s->stop_tid;
}

static void send_stop_reply(struct gdb_stub *s)
{
	static const char *const watch_kind[] = {
		[GDB_WP_WRITE] = "watch", [GDB_WP_READ] = "rwatch",
		[GDB_WP_ACCESS] = "awatch",
	};
	char num[20];
	size_t len = 0;

	s->scratch[0] = 'T';
	s->scratch[1] = hexdigits[(s->stop_signal >> 4) & 0xf];
	s->scratch[2] = hexdigits[s->stop_signal & 0xf];
	s->scratch[3] = '\0';
	len = 3;
	if (s->watch_addr && s->watch_type >= GDB_WP_WRITE &&
	    s->watch_type <= GDB_WP_ACCESS) {
		hex_u64(num, s->watch_addr);
		append(s, &len, watch_kind[s->watch_type]);
		append(s, &len, ":");
		append(s, &len, num);
		append(s, &len, ";");
	}
	hex_u64(num, (uint64_t)s->stop_tid);
	append(s, &len, "thread:");
	append(s, &len, num);
	append(s, &len, ";");
	send_raw(s, s->scratch, len);
}

/* Parse "addr,len" and clamp len so that its hex fits in one reply. */
static int parse_addr_len(const char **p, uint64_t *addr, uint64_t *len)
{
	if (rsp_parse_hex(p, addr) || **p != ',')
		return -1;
	(*p)++;
	return rsp_parse_hex(p, len);
}

static void cmd_read_mem(struct gdb_stub *s, const char *p)
{
	uint8_t buf[RSP_PACKET_MAX / 2];
	uint64_t addr, len;

	if (parse_addr_len(&p, &addr, &len) || *p) {
		reply(s, ERR_BAD_PACKET);
		return;
	}
	/* its hex is then PacketSize, which scratch holds with its NUL */
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (s->t->read_mem(s->t->ctx, addr, buf, len)) {
		reply(s, ERR_FAULT);
		return;
	}
	rsp_hex_encode(buf, len, s->scratch, sizeof(s->scratch));
	reply(s, s->scratch);
}

/* M addr,len:hex  and  X addr,len:binary (already unescaped by rsp). */
static void cmd_write_mem(struct gdb_stub *s, const char *p, size_t plen,
			  int binary)
{
	const char *end = p + plen;
	uint8_t buf[RSP_PACKET_MAX];
	uint64_t addr, len;
	const char *data;

	if (parse_addr_len(&p, &addr, &len) || *p != ':' ||
	    len > sizeof(buf)) {
		reply(s, ERR_BAD_PACKET);
		return;
	}
	data = p + 1;
	if (binary) {
		if ((uint64_t)(end - data) != len) {
			reply(s, ERR_BAD_PACKET);
			return;
		}
		memcpy(buf, data, len);
	} else if ((uint64_t)(end - data) != 2 * len ||
		   rsp_hex_decode(data, 2 * len, buf, len) != (long)len) {
		reply(s, ERR_BAD_PACKET);
		return;
	}
	if (len && s->t->write_mem(s->t->ctx, addr, buf, len)) {
		reply(s, ERR_FAULT);
		return;
	}
	reply(s, "OK");
}

/*
 * Register r of the thread gdb looks at, as hex at dst (2 * its size);
 * "xx..." if the target has no value for it, which gdb shows as
 * <unavailable> rather than as a value nobody read.  Bounded by size on
 * its own, whatever its callers checked: cut to the whole bytes that fit
 * with the NUL, as rsp_hex_encode() cuts a value, and a register larger
 * than REG_MAX (a target breaking its word) is unavailable, not read
 * into val.
 */
static void reg_hex(struct gdb_stub *s, unsigned int r, char *dst, size_t size)
{
	uint8_t val[REG_MAX];
	size_t n = s->t->reg_size[r];

	if (n <= sizeof(val) &&
	    !s->t->read_reg(s->t->ctx, reg_tid(s), r, val)) {
		rsp_hex_encode(val, n, dst, size);
		return;
	}
	if (!size)
		return;
	if (n > (size - 1) / 2)
		n = (size - 1) / 2;
	memset(dst, 'x', 2 * n);
	dst[2 * n] = '\0';
}

static void cmd_read_regs(struct gdb_stub *s)
{
	size_t len = 0;

	for (unsigned int r = 0; r < s->t->nregs; r++) {
		size_t n = s->t->reg_size[r];

		if (n > REG_MAX || len + 2 * n >= sizeof(s->scratch))
			break;
		reg_hex(s, r, s->scratch + len, sizeof(s->scratch) - len);
		len += 2 * n;
	}
	send_raw(s, s->scratch, len);
}

/*
 * G's registers in order, each written if write; -1 for a packet that
 * goes bad part way (a bad digit, a register cut short).
 */
static int regs_packet(struct gdb_stub *s, const char *p, size_t plen,
		       int write)
{
	uint8_t val[REG_MAX];
	size_t off = 0;

	for (unsigned int r = 0; r < s->t->nregs && off < plen; r++) {
		size_t n = s->t->reg_size[r];

		if (n > sizeof(val) || off + 2 * n > plen ||
		    rsp_hex_decode(p + off, 2 * n, val, n) != (long)n)
			return -1;
		if (write)
			s->t->write_reg(s->t->ctx, reg_tid(s), r, val);
		off += 2 * n;
	}
	return 0;
}

/* The whole packet is checked first: an error reply has written nothing. */
static void cmd_write_regs(struct gdb_stub *s, const char *p, size_t plen)
{
	if (regs_packet(s, p, plen, 0)) {
		reply(s, ERR_BAD_PACKET);
		return;
	}
	regs_packet(s, p, plen, 1);
	reply(s, "OK");
}

static void cmd_read_one_reg(struct gdb_stub *s, const char *p)
{
	uint64_t r;

	if (rsp_parse_hex(&p, &r) || *p || r >= s->t->nregs ||
	    s->t->reg_size[r] > REG_MAX) {
		reply(s, ERR_BAD_PACKET);
		return;
	}
	reg_hex(s, (unsigned int)r, s->scratch, sizeof(s->scratch));
	reply(s, s->scratch);
}

static void cmd_write_one_reg(struct gdb_stub *s, const char *p)
{
	uint8_t val[REG_MAX];
	uint64_t r;
	size_t n;

	if (rsp_parse_hex(&p, &r) || *p != '=' || r >= s->t->nregs) {
		reply(s, ERR_BAD_PACKET);
		return;
	}
	n = s->t->reg_size[r];
	p++;
	if (n > sizeof(val) || strlen(p) != 2 * n ||
	    rsp_hex_decode(p, 2 * n, val, n) != (long)n) {
		reply(s, ERR_BAD_PACKET);
		return;
	}
	if (s->t->write_reg(s->t->ctx, reg_tid(s), (unsigned int)r, val)) {
		reply(s, ERR_FAULT);
		return;
	}
	reply(s, "OK");
}

/* Z type,addr,kind / z type,addr,kind */
static void cmd_breakpoint(struct gdb_stub *s, const char *p, int insert)
{
	uint64_t type, addr, kind;
	int ret;

	if (rsp_parse_hex(&p, &type) || *p++ != ',' ||
	    rsp_parse_hex(&p, &addr) || *p++ != ',' ||
	    rsp_parse_hex(&p, &kind) || type > GDB_WP_ACCESS) {
		reply(s, ERR_BAD_PACKET);
		return;
	}
	ret = insert ? s->t->insert_bp(s->t->ctx, (enum gdb_bp_type)type, addr,
				       (int)kind) :
		       s->t->remove_bp(s->t->ctx, (enum gdb_bp_type)type, addr,
				       (int)kind);
	if (ret == -2)
		reply(s, "");		/* not supported: gdb falls back */
	else
		reply(s, ret ? ERR_FAULT : "OK");
}

/* Thread ids: hex, "-1" for all, "0" for any. */
static int parse_tid(const char *p, int *tid)
{
	uint64_t v;

	if (p[0] == '-' && p[1] == '1' && !p[2]) {
		*tid = -1;
		return 0;
	}
	if (rsp_parse_hex(&p, &v) || *p || v > 0x7fffffff)
		return -1;
	*tid = (int)v;
	return 0;
}

static void cmd_thread_list(struct gdb_stub *s)
{
	char num[20];
	size_t len = 0;
	int tid = 0, first = 1;

	append(s, &len, "m");
	while ((tid = s->t->thread_next(s->t->ctx, tid)) > 0) {
		hex_u64(num, (uint64_t)tid);
		if ((!first && !append(s, &len, ",")) || !append(s, &len, num))
			break;
		first = 0;
	}
	send_raw(s, s->scratch, len);
}

static void cmd_thread_extra(struct gdb_stub *s, const char *p)
{
	char text[128];
	int tid;

	if (parse_tid(p, &tid) || tid <= 0 || !s->t->thread_alive(s->t->ctx, tid)) {
		reply(s, ERR_NO_THREAD);
		return;
	}
	s->t->thread_describe(s->t->ctx, tid, text, sizeof(text));
	text[sizeof(text) - 1] = '\0';
	rsp_hex_encode(text, strlen(text), s->scratch, sizeof(s->scratch));
	reply(s, s->scratch);
}

/* qXfer:features:read:target.xml:offset,length */
static void cmd_xfer_features(struct gdb_stub *s, const char *p)
{
	const char *xml = s->t->target_xml;
	uint64_t off, len, total = xml ? strlen(xml) : 0;

	if (strncmp(p, "target.xml:", 11) || !xml) {
		reply(s, "E00");
		return;
	}
	p += 11;
	if (parse_addr_len(&p, &off, &len) || *p) {
		reply(s, ERR_BAD_PACKET);
		return;
	}
	if (off > total)
		off = total;
	if (len > RSP_PACKET_MAX - 1)
		len = RSP_PACKET_MAX - 1;
	if (len > total - off)
		len = total - off;
	s->scratch[0] = off + len < total ? 'm' : 'l';
	memcpy(s->scratch + 1, xml + off, len);
	send_raw(s, s->scratch, len + 1);
}

static void cmd_query(struct gdb_stub *s, const char *p)
{
	char num[24];

	if (!strncmp(p, "qSupported", 10)) {
		hex_u64(num, RSP_PACKET_MAX);
		strcpy(s->scratch, "PacketSize=");
		strcat(s->scratch, num);
		strcat(s->scratch, ";qXfer:features:read+;QStartNoAckMode+;"
				   "vContSupported+");
		reply(s, s->scratch);
	} else if (!strncmp(p, "qXfer:features:read:", 20)) {
		cmd_xfer_features(s, p + 20);
	} else if (!strcmp(p, "qAttached")) {
		reply(s, "1");
	} else if (!strcmp(p, "qfThreadInfo")) {
		cmd_thread_list(s);
	} else if (!strcmp(p, "qsThreadInfo")) {
		reply(s, "l");
	} else if (!strncmp(p, "qThreadExtraInfo,", 17)) {
		cmd_thread_extra(s, p + 17);
	} else if (!strcmp(p, "qC")) {
		strcpy(s->scratch, "QC");
		hex_u64(s->scratch + 2, (uint64_t)s->stop_tid);
		reply(s, s->scratch);
	} else if (!strcmp(p, "qSymbol::")) {
		reply(s, "OK");
	} else {
		reply(s, "");
	}
}

/* c/s [addr]: resume, optionally from a new RIP (register 16 on x86-64). */
static int cmd_resume(struct gdb_stub *s, const char *p, enum gdb_resume how)
{
	s->resume = how;
	s->resume_tid = s->stop_tid;
	(void)p;	/* resuming at another address is not supported */
	return 1;
}

/* vCont;action[:tid]...  We are all-stop on the stopped thread: a step
 * action for any thread steps it, anything else continues. */
static int cmd_vcont(struct gdb_stub *s, const char *p)
{
	enum gdb_resume how = GDB_RESUME_CONTINUE;

	if (*p == '?') {
		reply(s, "vCont;c;C;s;S");
		return 0;
	}
	while (*p == ';') {
		p++;
		if (*p == 's' || *p == 'S')
			how = GDB_RESUME_STEP;
		else if (*p != 'c' && *p != 'C') {
			reply(s, ERR_BAD_PACKET);
			return 0;
		}
		while (*p && *p != ';')
			p++;
	}
	return cmd_resume(s, "", how);
}

static void cmd_set_thread(struct gdb_stub *s, const char *p)
{
	int tid;

	if ((p[0] != 'g' && p[0] != 'c') || parse_tid(p + 1, &tid)) {
		reply(s, ERR_BAD_PACKET);
		return;
	}
	if (tid > 0 && !s->t->thread_alive(s->t->ctx, tid)) {
		reply(s, ERR_NO_THREAD);
		return;
	}
	if (p[0] == 'g')
		s->g_tid = tid;
	reply(s, "OK");
}

/*
 * gdb is gone: it detached (D), or killed (k, vKill), which a guest that
 * cannot be killed takes as a detach: it runs on, free of breakpoints
 * (the platform sees how), and gdb closes the connection after either.
 * No gdb waits for a stop reply now, and the next one starts acked.
 */
static int end_session(struct gdb_stub *s, enum gdb_resume how)
{
	s->attached = 0;
	s->no_ack = 0;
	s->resume = how;
	return 1;
}

int gdb_stub_packet(struct gdb_stub *s, const char *pkt, size_t len)
{
	int tid;

	s->attached = 1;
	switch (pkt[0]) {
	case '?':
		send_stop_reply(s);
		return 0;
	case 'g':
		cmd_read_regs(s);
		return 0;
	case 'G':
		cmd_write_regs(s, pkt + 1, len - 1);
		return 0;
	case 'p':
		cmd_read_one_reg(s, pkt + 1);
		return 0;
	case 'P':
		cmd_write_one_reg(s, pkt + 1);
		return 0;
	case 'm':
		cmd_read_mem(s, pkt + 1);
		return 0;
	case 'M':
		cmd_write_mem(s, pkt + 1, len - 1, 0);
		return 0;
	case 'X':
		cmd_write_mem(s, pkt + 1, len - 1, 1);
		return 0;
	case 'c':
	case 'C':
		return cmd_resume(s, pkt + 1, GDB_RESUME_CONTINUE);
	case 's':
	case 'S':
		return cmd_resume(s, pkt + 1, GDB_RESUME_STEP);
	case 'Z':
		cmd_breakpoint(s, pkt + 1, 1);
		return 0;
	case 'z':
		cmd_breakpoint(s, pkt + 1, 0);
		return 0;
	case 'H':
		cmd_set_thread(s, pkt + 1);
		return 0;
	case 'T':
		if (parse_tid(pkt + 1, &tid) || tid <= 0 ||
		    !s->t->thread_alive(s->t->ctx, tid))
			reply(s, ERR_NO_THREAD);
		else
			reply(s, "OK");
		return 0;
	case 'q':
		cmd_query(s, pkt);
		return 0;
	case 'Q':
		if (!strcmp(pkt, "QStartNoAckMode")) {
			reply(s, "OK");
			s->no_ack = 1;
		} else {
			reply(s, "");
		}
		return 0;
	case 'v':
		if (!strncmp(pkt, "vCont", 5))
			return cmd_vcont(s, pkt + 5);
		if (!strncmp(pkt, "vKill", 5)) {
			reply(s, "OK");
			return end_session(s, GDB_RESUME_KILL);
		}
		reply(s, "");
		return 0;
	case 'D':
		reply(s, "OK");
		return end_session(s, GDB_RESUME_DETACH);
	case 'k':
		return end_session(s, GDB_RESUME_KILL);	/* no reply wanted */
	default:
		reply(s, "");
		return 0;
	}
}

void gdb_stub_stopped(struct gdb_stub *s, int tid, int sig)
{
	int c;

	s->stop_tid = tid;
	s->stop_signal = sig;
	s->g_tid = 0;
	/* gdb is waiting for a stop reply only if it resumed us. */
	if (s->attached)
		send_stop_reply(s);
	s->watch_addr = 0;
	while ((c = s->t->getc(s->t->ctx)) >= 0) {
		switch (rsp_rx_byte(&s->rx, (uint8_t)c)) {
		case RSP_PACKET:
			/*
			 * qSupported opens every gdb session.  One that
			 * went without D (disconnect, a crash, a dropped
			 * line) left no-ack mode on, and the new gdb
			 * waits for this packet's '+'.
			 */
			if (!strncmp(s->rx.buf, "qSupported", 10))
				s->no_ack = 0;
			if (!s->no_ack)
				s->t->write(s->t->ctx, "+", 1);
			if (gdb_stub_packet(s, s->rx.buf, s->rx.len))
				return;
			break;
		case RSP_BAD_PACKET:
			s->t->write(s->t->ctx, "-", 1);
			break;
		case RSP_NAK:
			if (s->out_len)
				s->t->write(s->t->ctx, s->out, s->out_len);
			break;
		default:
			break;	/* acks, and break-ins while stopped */
		}
	}
	/* The channel closed: behave as if gdb detached. */
	end_session(s, GDB_RESUME_DETACH);
}
