/*
 * The gdb stub's protocol layer against a fake target: real packets in,
 * replies checked byte for byte, and malformed or oversized packets that
 * must be refused without touching anything they should not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gdbstub/stub.h"

struct fake {
	char in[8192];
	size_t in_len, in_pos;
	char out[16384];
	size_t out_len;
	uint64_t regs[3][4];		/* 3 threads x 4 registers */
	uint8_t mem[256];		/* guest memory at 0x1000 */
	uint8_t big[4096];		/* and more at 0x10000 */
	int bp_inserted;
	uint64_t bp_addr;
	unsigned int unavailable;	/* bit r: register r has no value */
};

static const uint8_t reg_size[4] = { 8, 8, 4, 4 };

static int f_getc(void *ctx)
{
	struct fake *f = ctx;

	return f->in_pos < f->in_len ? (uint8_t)f->in[f->in_pos++] : -1;
}

static void f_write(void *ctx, const char *buf, size_t len)
{
	struct fake *f = ctx;

	assert_true(f->out_len + len < sizeof(f->out));
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
	f->out[f->out_len] = '\0';
}

static int f_read_reg(void *ctx, int tid, unsigned int reg, void *val)
{
	struct fake *f = ctx;

	if (tid < 1 || tid > 3 || (f->unavailable >> reg & 1))
		return -1;
	memcpy(val, &f->regs[tid - 1][reg], reg_size[reg]);
	return 0;
}

static int f_write_reg(void *ctx, int tid, unsigned int reg, const void *val)
{
	struct fake *f = ctx;

	if (tid < 1 || tid > 3)
		return -1;
	f->regs[tid - 1][reg] = 0;
	memcpy(&f->regs[tid - 1][reg], val, reg_size[reg]);
	return 0;
}

static int in_mem(uint64_t addr, size_t len)
{
	return addr >= 0x1000 && len <= 256 && addr - 0x1000 <= 256 - len;
}

static int f_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	if (addr >= 0x10000 && len <= sizeof(f->big) &&
	    addr - 0x10000 <= sizeof(f->big) - len) {
		memcpy(buf, f->big + (addr - 0x10000), len);
		return 0;
	}
	if (!in_mem(addr, len))
		return -1;
	memcpy(buf, f->mem + (addr - 0x1000), len);
	return 0;
}

static int f_write_mem(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct fake *f = ctx;

	if (!in_mem(addr, len))
		return -1;
	memcpy(f->mem + (addr - 0x1000), buf, len);
	return 0;
}

static int f_insert_bp(void *ctx, enum gdb_bp_type t, uint64_t addr, int kind)
{
	struct fake *f = ctx;

	(void)kind;
	if (t == GDB_WP_READ)
		return -2;
	f->bp_inserted++;
	f->bp_addr = addr;
	return 0;
}

static int f_remove_bp(void *ctx, enum gdb_bp_type t, uint64_t addr, int kind)
{
	struct fake *f = ctx;

	(void)t;
	(void)kind;
	(void)addr;
	f->bp_inserted--;
	return 0;
}

static int f_thread_next(void *ctx, int after)
{
	(void)ctx;
	return after < 3 ? after + 1 : 0;
}

static int f_thread_alive(void *ctx, int tid)
{
	(void)ctx;
	return tid >= 1 && tid <= 3;
}

static void f_describe(void *ctx, int tid, char *buf, size_t size)
{
	(void)ctx;
	snprintf(buf, size, "worker%d running", tid);
}

static struct fake fake;
static struct gdb_target target = {
	.ctx = &fake,
	.getc = f_getc,
	.write = f_write,
	.nregs = 4,
	.reg_size = reg_size,
	.read_reg = f_read_reg,
	.write_reg = f_write_reg,
	.read_mem = f_read_mem,
	.write_mem = f_write_mem,
	.insert_bp = f_insert_bp,
	.remove_bp = f_remove_bp,
	.thread_next = f_thread_next,
	.thread_alive = f_thread_alive,
	.thread_describe = f_describe,
	.target_xml = "<target><architecture>i386:x86-64</architecture></target>",
};
static struct gdb_stub stub;

/* Queue packets as gdb would send them (framed, with checksums). */
static void gdb_sends(const char *payload)
{
	fake.in_len += rsp_frame(payload, strlen(payload), fake.in + fake.in_len,
				 sizeof(fake.in) - fake.in_len);
}

/* The payload of the n-th reply packet ("$...#xx") in the output. */
static const char *reply_n(int n)
{
	static char buf[8192];
	const char *p = fake.out;

	for (int i = 0; i <= n; i++) {
		p = strchr(p, '$');
		assert_non_null(p);
		p++;
	}
	const char *end = strchr(p, '#');

	assert_non_null(end);
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return buf;
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	for (int t = 0; t < 3; t++)
		for (int r = 0; r < 4; r++)
			fake.regs[t][r] = (uint64_t)(t + 1) << 8 | (uint64_t)r;
	for (int i = 0; i < 256; i++)
		fake.mem[i] = (uint8_t)i;
	gdb_stub_init(&stub, &target);
	return 0;
}

static void test_session(void **state)
{
	(void)state;
	gdb_sends("qSupported:multiprocess+;xmlRegisters=i386");
	gdb_sends("?");
	gdb_sends("g");
	gdb_sends("m1010,4");
	gdb_sends("M1010,2:abcd");
	gdb_sends("m100f,3");
	gdb_sends("c");
	gdb_stub_stopped(&stub, 2, GDB_SIGTRAP);

	assert_string_equal(reply_n(0), "PacketSize=1000;qXfer:features:read+;"
					"QStartNoAckMode+;vContSupported+");
	assert_string_equal(reply_n(1), "T05thread:2;");
	/* thread 2: regs 0x200, 0x201 (8 bytes), 0x202, 0x203 (4 bytes) */
	assert_string_equal(reply_n(2), "0002000000000000"
					"0102000000000000"
					"02020000"
					"03020000");
	assert_string_equal(reply_n(3), "10111213");
	assert_string_equal(reply_n(4), "OK");
	assert_string_equal(reply_n(5), "0fabcd");
	assert_int_equal(stub.resume, GDB_RESUME_CONTINUE);
	/* every packet was acknowledged */
	assert_int_equal(fake.out[0], '+');
}

static void test_threads_and_registers(void **state)
{
	(void)state;
	gdb_sends("qfThreadInfo");
	gdb_sends("qsThreadInfo");
	gdb_sends("qThreadExtraInfo,3");
	gdb_sends("Hg3");
	gdb_sends("p1");
	gdb_sends("P1=efbeadde00000000");
	gdb_sends("T9");
	gdb_sends("s");
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);

	assert_string_equal(reply_n(0), "m1,2,3");
	assert_string_equal(reply_n(1), "l");
	/* "worker3 running" in hex */
	assert_string_equal(reply_n(2), "776f726b65723320"
					"72756e6e696e67");
	assert_string_equal(reply_n(3), "OK");
	assert_string_equal(reply_n(4), "0103000000000000");
	assert_string_equal(reply_n(5), "OK");
	assert_int_equal(fake.regs[2][1], 0xdeadbeef);
	assert_string_equal(reply_n(6), "E02");
	assert_int_equal(stub.resume, GDB_RESUME_STEP);
}

/*
 * A register the target has no value for (a thread off its CPU keeps
 * only what its switch saved) is "xx..." in a reply, which gdb shows as
 * <unavailable>.  The g reply had zeros there instead: gdb showed a
 * sleeping thread's rax as 0x0, a value nobody read.
 */
static void test_unavailable_registers(void **state)
{
	(void)state;
	fake.unavailable = 1u << 1 | 1u << 2;
	gdb_sends("Hg3");
	gdb_sends("g");
	gdb_sends("p1");
	gdb_sends("p2");
	gdb_sends("p3");
	gdb_sends("k");
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);

	assert_string_equal(reply_n(0), "OK");
	assert_string_equal(reply_n(1), "0003000000000000"
					"xxxxxxxxxxxxxxxx"
					"xxxxxxxx"
					"03030000");
	assert_string_equal(reply_n(2), "xxxxxxxxxxxxxxxx");
	assert_string_equal(reply_n(3), "xxxxxxxx");
	assert_string_equal(reply_n(4), "03030000");
}

static void test_breakpoints_and_xml(void **state)
{
	(void)state;
	gdb_sends("Z0,1020,1");
	gdb_sends("Z3,1020,1");
	gdb_sends("z0,1020,1");
	gdb_sends("qXfer:features:read:target.xml:0,10");
	gdb_sends("qXfer:features:read:target.xml:10,1000");
	gdb_sends("qXfer:features:read:other.xml:0,10");
	gdb_sends("QStartNoAckMode");
	gdb_sends("vCont?");
	gdb_sends("D");
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);

	assert_string_equal(reply_n(0), "OK");
	assert_int_equal(fake.bp_addr, 0x1020);
	assert_string_equal(reply_n(1), "");	/* unsupported type */
	assert_string_equal(reply_n(2), "OK");
	assert_int_equal(fake.bp_inserted, 0);
	/* offsets and lengths are hex: 0x10 bytes, then the rest */
	assert_string_equal(reply_n(3), "m<target><archite");
	assert_string_equal(reply_n(4), "lcture>i386:x86-64"
					"</architecture></target>");
	assert_string_equal(reply_n(5), "E00");
	assert_string_equal(reply_n(6), "OK");
	assert_string_equal(reply_n(7), "vCont;c;C;s;S");
	assert_int_equal(stub.resume, GDB_RESUME_DETACH);
	assert_int_equal(stub.no_ack, 0);
}

static void test_hostile_packets(void **state)
{
	static const char *const bad[] = {
		"m", "mzz,4", "m1000", "m1000,", "M1000,2:abc", "M1000,2:zzzz",
		"M1000,ffffffffffffffff:00", "X1000,5:ab", "p", "p99",
		"P0=12", "Pzz=00", "Z9,1000,1", "Z0", "Hx1", "Hgzz",
		"qThreadExtraInfo,zz", "m11111111111111111111,1",
		"G0", "vCont;x", "m0,4", "M0,1:00",
		/* registers past the target's: none to write, no size read */
		"P4=00000000", "P99=00",
		/* 17 digits: more than 64 bits, not 0x1000 with one lost */
		"m10000000000001000,4",
		/* a thread ID past int's range, not a negative one */
		"Hg80000000",
	};
	const char *rep;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		gdb_sends(bad[i]);
	gdb_sends("k");
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rep = reply_n((int)i);
		if (rep[0] != 'E' && rep[0] != '\0')
			fail_msg("packet '%s' got reply '%s'", bad[i], rep);
	}
	/* nothing was written to guest memory */
	for (int i = 0; i < 256; i++)
		assert_int_equal(fake.mem[i], (uint8_t)i);
	assert_int_equal(stub.resume, GDB_RESUME_KILL);
}

static void test_big_read_is_clamped(void **state)
{
	(void)state;
	fake.in_len = 0;
	gdb_sends("m1000,100000");	/* far beyond the 256 fake bytes */
	gdb_sends("m1000,100");		/* exactly all of it */
	gdb_sends("k");
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
	assert_string_equal(reply_n(0), "E14");
	assert_int_equal(strlen(reply_n(1)), 512);
}

/*
 * A read of 2048 bytes is answered whole: 4096 hex digits, PacketSize,
 * which the reply buffer holds.  It was cut to 2047, and gdb, which asks
 * for PacketSize / 2 at a time, asked again for the last byte.
 */
static void test_read_fills_a_packet(void **state)
{
	(void)state;
	gdb_sends("m10000,800");
	gdb_sends("m10000,801");
	gdb_sends("k");
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
	assert_int_equal(strlen(reply_n(0)), RSP_PACKET_MAX);
	assert_int_equal(strlen(reply_n(1)), RSP_PACKET_MAX);
}

/* An offset at or past the end of target.xml: nothing after it is read. */
static void test_xml_offset_past_end(void **state)
{
	char at_end[64];

	(void)state;
	snprintf(at_end, sizeof(at_end), "qXfer:features:read:target.xml:%zx,10",
		 strlen(target.target_xml));
	gdb_sends(at_end);
	gdb_sends("qXfer:features:read:target.xml:ffff,10");
	gdb_sends("qXfer:features:read:target.xml:ffffffffffffffff,fff");
	gdb_sends("k");
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
	assert_string_equal(reply_n(0), "l");
	assert_string_equal(reply_n(1), "l");
	assert_string_equal(reply_n(2), "l");
}

/*
 * A gdb that went without D (its disconnect command, a crash, a line
 * dropped) left the stub in no-ack mode.  The next gdb starts with '+'
 * and qSupported, and waits for the ack of it: without one it took the
 * reply for a stale packet, swallowed it and sent qSupported again, and
 * the second session never began.
 */
static void test_new_session_acked(void **state)
{
	const char *second;

	(void)state;
	gdb_sends("QStartNoAckMode");
	gdb_sends("g");
	fake.in[fake.in_len++] = '+';	/* the new gdb's greeting */
	gdb_sends("qSupported:multiprocess+");
	gdb_sends("k");
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
	assert_string_equal(reply_n(0), "OK");
	second = strstr(fake.out, "$PacketSize=");
	assert_non_null(second);
	assert_int_equal(second[-1], '+');
	assert_int_equal(stub.no_ack, 0);
}

/* A packet of PacketSize bytes is taken; one byte more is refused. */
static void test_packet_size_edge(void **state)
{
	char big[RSP_PACKET_MAX + 2];

	(void)state;
	memset(big, 'A', RSP_PACKET_MAX);
	big[RSP_PACKET_MAX] = '\0';
	gdb_sends(big);
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
	assert_int_equal(fake.out[0], '+');
	assert_string_equal(reply_n(0), "");	/* unknown: empty reply */
	setup(NULL);
	memset(big, 'A', RSP_PACKET_MAX + 1);
	big[RSP_PACKET_MAX + 1] = '\0';
	gdb_sends(big);
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
	assert_string_equal(fake.out, "-");
}

/* rsp_frame() fills a buffer exactly, and refuses one a byte short. */
static void test_frame_fits_exactly(void **state)
{
	char fits[9], short_by_one[8];

	(void)state;
	/* '$', four bytes, '#', two checksum digits; no NUL */
	assert_int_equal(rsp_frame("abcd", 4, fits, 8), 8);
	assert_memory_equal(fits, "$abcd#8a", 8);
	assert_int_equal(rsp_frame("abcd", 4, short_by_one, 7), 0);
	/* an escaped byte takes two */
	assert_int_equal(rsp_frame("abc#", 4, fits, 9), 9);
	assert_int_equal(rsp_frame("abc#", 4, short_by_one, 8), 0);
}

static void test_corrupt_and_oversized_frames(void **state)
{
	char big[RSP_PACKET_MAX + 100];

	(void)state;
	memcpy(fake.in, "$g#00", 5);		/* bad checksum */
	fake.in_len = 5;
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gdb_sends(big);				/* longer than PacketSize */
	gdb_sends("k");
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
	assert_int_equal(fake.out[0], '-');
	assert_int_equal(fake.out[1], '-');
	assert_int_equal(stub.resume, GDB_RESUME_KILL);
}

/*
 * k and vKill end the session as D does (the guest cannot be killed; gdb
 * closes the connection after either): the stub no longer takes gdb for
 * attached.  It did, and the next stop, with no gdb there, sent a stop
 * reply nobody asked for: the first thing a new gdb read.
 */
static void test_kill_ends_session(void **state)
{
	static const char *const kill[] = { "k", "vKill;1" };

	(void)state;
	for (size_t i = 0; i < sizeof(kill) / sizeof(kill[0]); i++) {
		setup(NULL);
		gdb_sends("QStartNoAckMode");
		gdb_sends(kill[i]);
		gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
		assert_int_equal(stub.resume, GDB_RESUME_KILL);
		assert_int_equal(stub.attached, 0);
		assert_int_equal(stub.no_ack, 0);
		/* the next stop, with nobody on the line: silence */
		fake.out_len = 0;
		fake.out[0] = '\0';
		gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
		assert_string_equal(fake.out, "");
	}
}

/*
 * A G packet that goes bad part way (a bad digit, a register cut short)
 * is refused whole: its E01 came after the registers before the bad one
 * had been written.
 */
static void test_bad_g_packet_writes_nothing(void **state)
{
	(void)state;
	gdb_sends("G1111111111111111zz00000000000000");
	gdb_sends("G2222222222222222333333");
	gdb_sends("k");
	gdb_stub_stopped(&stub, 1, GDB_SIGTRAP);
	assert_string_equal(reply_n(0), "E01");
	assert_string_equal(reply_n(1), "E01");
	assert_int_equal(fake.regs[0][0], 0x100);
	assert_int_equal(fake.regs[0][1], 0x101);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_session, setup),
		cmocka_unit_test_setup(test_threads_and_registers, setup),
		cmocka_unit_test_setup(test_unavailable_registers, setup),
		cmocka_unit_test_setup(test_breakpoints_and_xml, setup),
		cmocka_unit_test_setup(test_hostile_packets, setup),
		cmocka_unit_test_setup(test_big_read_is_clamped, setup),
		cmocka_unit_test_setup(test_read_fills_a_packet, setup),
		cmocka_unit_test_setup(test_xml_offset_past_end, setup),
		cmocka_unit_test_setup(test_new_session_acked, setup),
		cmocka_unit_test_setup(test_packet_size_edge, setup),
		cmocka_unit_test_setup(test_frame_fits_exactly, setup),
		cmocka_unit_test_setup(test_corrupt_and_oversized_frames, setup),
		cmocka_unit_test_setup(test_kill_ends_session, setup),
		cmocka_unit_test_setup(test_bad_g_packet_writes_nothing, setup),
	};

	return cmocka_run_group_tests_name("gdbstub", tests, NULL, NULL);
}
