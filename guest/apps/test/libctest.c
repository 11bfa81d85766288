/*
 * libctest: newlib as an app sees it - formatted output, memory, signals,
 * strings, conversions, sorting, clocks, and errno per thread.  Each test
 * prints one PASS or FAIL line; the app exits 0 only if every test passed.
 *
 *   libctest [NAME...]
 *
 * The groups on the system-call glue at the edges of its ranges are in
 * libctest_sys.c, those on errno and stdio per thread in
 * libctest_threads.c (libctest.h).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define KSPAWN_INTERNALS
#include "kspawn.h"
#include "apps/test/libctest.h"
#include "apps/test/selftest.h"


/* ---- formatted output --------------------------------------------------- */

static char fmt_mismatch[160];

/* Does printf-formatting give want?  Remembers the first mismatch. */
static int fmt_is(const char *want, const char *fmt, ...)
{
	char got[96];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(got, sizeof(got), fmt, ap);
	va_end(ap);
	if (n == (int)strlen(want) && !strcmp(got, want))
		return 1;
	if (!fmt_mismatch[0])
		snprintf(fmt_mismatch, sizeof(fmt_mismatch),
			 "got \"%s\" (%d), want \"%s\"", got, n, want);
	return 0;
}

static void test_printf(void)
{
	char small[6];
	int ok, n;

	ok = fmt_is("x=42 -7 0x1f 0755", "x=%d %d 0x%x %#o", 42, -7, 31,
		    0755);
	ok &= fmt_is("pi=3.141593 3.14 -2.50", "pi=%f %.2f %.2f",
		     3.14159265, 3.14159, -2.5);
	ok &= fmt_is("1.234568e+05 1e-10 0.0001", "%e %g %g", 123456.789,
		     1e-10, 0.0001);
	ok &= fmt_is("[   hi][hi   ][h]", "[%5s][%-5s][%.1s]", "hi", "hi",
		     "hi");
	ok &= fmt_is("18446744073709551615 -9223372036854775808", "%llu %lld",
		     ULLONG_MAX, LLONG_MIN);
	ok &= fmt_is("inf -inf nan", "%g %g %g", __builtin_inf(),
		     -__builtin_inf(), __builtin_nan(""));
	ok &= fmt_is("100% 0000ff", "%d%% %06x", 100, 255);
	n = snprintf(small, sizeof(small), "truncated");
	if (n != 9 || strcmp(small, "trunc")) {
		ok = 0;
		snprintf(fmt_mismatch, sizeof(fmt_mismatch),
			 "truncation gave \"%s\" (%d)", small, n);
	}
	n = printf("  printf to stdout works: %s %.3f\n", "yes", 2.0 / 3);
	ok &= n == 36;
	report("printf", ok, "integers, %%f/%%e/%%g, strings, widths, "
	       "inf/nan, truncation, stdout: %s",
	       ok ? "as expected" : fmt_mismatch[0] ? fmt_mismatch :
							"printf count wrong");
}

static void test_sscanf(void)
{
	int i = 0, n;
	double d = 0;
	char word[16] = "";

	n = sscanf("  -17 2.5e3 kspawn", "%d %lf %15s", &i, &d, word);
	report("sscanf", n == 3 && i == -17 && d == 2500.0 &&
		     !strcmp(word, "kspawn"),
	       "%d fields: %d %g '%s'", n, i, d, word);
}

/* ---- memory ------------------------------------------------------------- */

#define MALLOC_THREADS 3
#define MALLOC_ROUNDS 3000
#define MALLOC_LIVE 32

/* Allocate, fill, check and free in a pattern that keeps some blocks live. */
static int malloc_churn(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	unsigned char *live[MALLOC_LIVE] = { 0 };
	size_t size[MALLOC_LIVE] = { 0 };
	int bad = 0;

	for (int r = 0; r < MALLOC_ROUNDS; r++) {
		unsigned int k = (unsigned int)rand_r(&seed) % MALLOC_LIVE;
		unsigned char tag = (unsigned char)(k * 7 + 1);

		if (live[k]) {
			for (size_t i = 0; i < size[k]; i++)
				bad += live[k][i] != tag;
			free(live[k]);
		}
		size[k] = 1 + (size_t)rand_r(&seed) % 3000;
		live[k] = malloc(size[k]);
		if (!live[k])
			return -1;
		memset(live[k], tag, size[k]);
	}
	for (int k = 0; k < MALLOC_LIVE; k++)
		free(live[k]);
	return bad;
}

static void test_malloc(void)
{
	struct thread *t[MALLOC_THREADS];
	int bad = 0, zeroed = 1, grown = 1;
	unsigned char *z = calloc(1000, 4);
	char *r = malloc(16);

	for (int i = 0; z && i < 4000; i++)
		zeroed &= z[i] == 0;
	if (r) {
		strcpy(r, "keep me");
		r = realloc(r, 100000);
		grown = r && !strcmp(r, "keep me");
	}
	free(z);
	free(r);
	for (int i = 0; i < MALLOC_THREADS; i++)
		t[i] = thread_create("malloc", malloc_churn,
				     (void *)(uintptr_t)(i + 1), NULL);
	for (int i = 0; i < MALLOC_THREADS; i++)
		bad += t[i] ? thread_join(t[i]) : 1;
	report("malloc", z && zeroed && grown && !bad,
	       "calloc %s, realloc %s, %d threads x %d malloc/free rounds: "
	       "%d corrupted or failed", z && zeroed ? "zeroed" : "NOT ZEROED",
	       grown ? "kept the data" : "LOST DATA", MALLOC_THREADS,
	       MALLOC_ROUNDS, bad);
}

/*
 * What the arena cannot give is refused with ENOMEM, the break left where
 * it was: the most negative increment too, whose negation overflows.  One
 * taken by mistake is taken again, which wraps the break back, so malloc
 * still works for the tests after this one.
 */
static const char *sbrk_said(void *r, int e)
{
	if (r != (void *)-1)
		return "TAKEN";
	return e == ENOMEM ? "ENOMEM" : "wrong errno";
}

static void test_sbrk(void)
{
	char *before = sbrk(0), *after;
	void *lo, *hi;
	int lo_errno, hi_errno;

	errno = 0;
	lo = sbrk(PTRDIFF_MIN);
	lo_errno = errno;
	if (lo != (void *)-1)
		sbrk(PTRDIFF_MIN);
	errno = 0;
	hi = sbrk(PTRDIFF_MAX);
	hi_errno = errno;
	after = sbrk(0);
	report("sbrk", lo == (void *)-1 && lo_errno == ENOMEM &&
		     hi == (void *)-1 && hi_errno == ENOMEM && after == before,
	       "sbrk(PTRDIFF_MIN) %s, sbrk(PTRDIFF_MAX) %s, break %s",
	       sbrk_said(lo, lo_errno), sbrk_said(hi, hi_errno),
	       after == before ? "kept" : "MOVED");
}

/* ---- signals ------------------------------------------------------------ */

/*
 * Signal 0 asks whether a process exists and sends nothing; a number that
 * is no signal is EINVAL.  Neither may end the guest as a real signal does.
 */
static void test_kill(void)
{
	int alive, raised, bad, bad_errno, other, other_errno, ignored;

	alive = kill(getpid(), 0);
	raised = raise(0);
	/* Signals whose default is to be ignored (or to continue): nothing. */
	ignored = raise(SIGCHLD) | raise(SIGURG) | raise(SIGWINCH) |
		  raise(SIGCONT);
	errno = 0;
	bad = kill(getpid(), NSIG);
	bad_errno = errno;
	errno = 0;
	other = kill(getpid() + 1, 0);
	other_errno = errno;
	report("kill", !alive && !raised && !ignored && bad == -1 &&
		     bad_errno == EINVAL && other == -1 && other_errno == ESRCH,
	       "kill(self, 0) %d, raise(0) %d, raise of SIGCHLD/URG/WINCH/CONT %d, "
	       "kill(self, NSIG) %d errno %d (want EINVAL %d), kill(other, 0) "
	       "%d errno %d (want ESRCH %d)",
	       alive, raised, ignored, bad, bad_errno, EINVAL, other,
	       other_errno, ESRCH);
}

/* ---- the console's file descriptors ------------------------------------- */

/*
 * fds 0, 1 and 2 are the console, one terminal, as on a system where
 * login opened the tty read/write and gave it all three: each is a
 * character device (fstat), a tty, and takes a write and a read (of 0
 * bytes here, which waits for nothing).  fd 3 is none of these.
 */
static void test_fds(void)
{
	char msg[] = "  written to fd N\n", buf[1];
	long len = (long)sizeof(msg) - 1;
	int bad = -1, bad_w, bad_r, bad_errno;

	for (int fd = 2; fd >= 0; fd--) {
		struct stat st;

		msg[sizeof(msg) - 3] = (char)('0' + fd);
		if (fstat(fd, &st) || !S_ISCHR(st.st_mode) || !isatty(fd) ||
		    write(fd, msg, (size_t)len) != len ||
		    read(fd, buf, 0) != 0)
			bad = fd;
	}
	errno = 0;
	bad_w = (int)write(3, msg, 1);
	bad_r = (int)read(3, buf, 1);
	bad_errno = errno;
	report("fds", bad < 0 && bad_w == -1 && bad_r == -1 &&
		     bad_errno == EBADF,
	       "0, 1 and 2 the console, read/write (the first that is not: "
	       "%d, -1 none); fd 3 write %d read %d errno %d (want EBADF %d)",
	       bad, bad_w, bad_r, bad_errno, EBADF);
}

/* ---- strings and conversions -------------------------------------------- */

static void test_string(void)
{
	char buf[32] = "hello, world";
	char tok[] = "a,b,,c";
	char *dup = strdup(buf), *p, *save;
	int ok = 1, ntok = 0;

	ok &= strlen(buf) == 12 && !strcmp(dup, buf);
	ok &= strcmp("abc", "abd") < 0 && strncmp("abc", "abd", 2) == 0;
	ok &= strchr(buf, 'w') == buf + 7 && strrchr(buf, 'o') == buf + 8;
	ok &= strstr(buf, "world") == buf + 7 && !strstr(buf, "mars");
	memmove(buf + 2, buf, 5);		/* overlapping */
	ok &= !memcmp(buf, "hehello", 7);
	strncpy(buf, "xy", sizeof(buf));
	ok &= !strcmp(buf, "xy") && buf[31] == 0;
	strcat(buf, "z");
	ok &= !strcmp(buf, "xyz");
	for (p = strtok_r(tok, ",", &save); p; p = strtok_r(NULL, ",", &save))
		ntok++;
	ok &= ntok == 3;
	ok &= !strcmp(strerror(ENOENT), "No such file or directory");
	free(dup);
	report("string", ok, "strlen/strcmp/strchr/strstr/memmove/"
	       "strncpy/strcat/strtok_r/strdup/strerror %s",
	       ok ? "as expected" : "WRONG");
}

static void test_strtol(void)
{
	char *end;
	long a = strtol("  -1234xyz", &end, 10);
	int end_ok = !strcmp(end, "xyz");
	long b = strtol("0x7fff", NULL, 0);
	long c = strtol("777", NULL, 8);
	unsigned long d = strtoul("ff", NULL, 16);
	long e, f;
	int e_errno;

	errno = 0;
	e = strtol("99999999999999999999999", NULL, 10);
	e_errno = errno;
	f = strtol("nothing", &end, 10);
	report("strtol", a == -1234 && end_ok && b == 0x7fff && c == 0777 &&
		     d == 0xff && e == LONG_MAX && e_errno == ERANGE && !f &&
		     !strcmp(end, "nothing") && atoi("42") == 42,
	       "%ld %ld %ld %lu, overflow -> LONG_MAX %s with %s", a, b, c,
	       d, e == LONG_MAX ? "yes" : "NO",
	       e_errno == ERANGE ? "ERANGE" : "wrong errno");
}

/* ---- qsort -------------------------------------------------------------- */

#define SORT_N 2000

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void test_qsort(void)
{
	int *v = malloc(SORT_N * sizeof(*v));
	unsigned int seed = 12345;
	long long sum_before = 0, sum_after = 0;
	int sorted = 1;

	if (!v) {
		report("qsort", 0, "out of memory");
		return;
	}
	for (int i = 0; i < SORT_N; i++) {
		v[i] = rand_r(&seed) % 100000 - 50000;
		sum_before += v[i];
	}
	qsort(v, SORT_N, sizeof(*v), cmp_int);
	for (int i = 0; i < SORT_N; i++) {
		sum_after += v[i];
		if (i && v[i - 1] > v[i])
			sorted = 0;
	}
	report("qsort", sorted && sum_before == sum_after,
	       "%d ints %s, same elements %s (min %d max %d)", SORT_N,
	       sorted ? "sorted" : "NOT SORTED",
	       sum_before == sum_after ? "yes" : "NO", v[0], v[SORT_N - 1]);
	free(v);
}

/* ---- setjmp ------------------------------------------------------------- */

static jmp_buf jump;

static void __attribute__((noinline)) jump_back(int v)
{
	longjmp(jump, v);
}

static void test_setjmp(void)
{
	volatile int passes = 0;
	int v = setjmp(jump);

	passes++;
	if (!v)
		jump_back(7);
	report("setjmp", v == 7 && passes == 2, "longjmp returned %d after "
	       "%d passes", v, passes);
}

/* ---- clocks ------------------------------------------------------------- */

#define CLOCK_SLEEP_MS 30
#define WALL_CLOCK_MIN 1577836800	/* 2020-01-01 */

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

static void test_time(void)
{
	struct timespec m0, m1, r0, r1;
	struct timespec nap = { .tv_nsec = CLOCK_SLEEP_MS * 1000000L };
	struct timeval tv;
	time_t t0 = time(NULL), t1;
	clock_t c0 = clock(), c1;
	int bad_id, bad_errno, wall_ok, ok;
	char date[32];
	struct tm tm;

	clock_gettime(CLOCK_MONOTONIC, &m0);
	clock_gettime(CLOCK_REALTIME, &r0);
	nanosleep(&nap, NULL);
	usleep(1000);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	clock_gettime(CLOCK_REALTIME, &r1);
	gettimeofday(&tv, NULL);
	t1 = time(NULL);
	c1 = clock();
	errno = 0;
	bad_id = clock_gettime((clockid_t)99, &m1);
	bad_errno = errno;
	gmtime_r(&(time_t){ 86400 * 365 }, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	/* Booted alone the wall clock comes from the RTC: a date after 2020. */
	wall_ok = !(kspawn_hdr->flags & KSPAWN_HF_STANDALONE) ||
		  t0 >= WALL_CLOCK_MIN;
	ok = ts_ns(&m1) - ts_ns(&m0) >= (CLOCK_SLEEP_MS + 1) * 1000000ULL &&
	     wall_ok &&
	     ts_ns(&r1) - ts_ns(&r0) >= (CLOCK_SLEEP_MS + 1) * 1000000ULL &&
	     t1 >= t0 && c1 > c0 && tv.tv_sec == r1.tv_sec &&
	     bad_id == -1 && bad_errno == EINVAL &&
	     !strcmp(date, "1971-01-01 00:00");
	report("time", ok, "monotonic +%llu us and realtime +%llu us "
	       "across a %d ms nanosleep + 1 ms usleep, time() %lld -> %lld%s, "
	       "clock() %ld -> %ld, bad clock id %s, strftime '%s'",
	       (unsigned long long)((ts_ns(&m1) - ts_ns(&m0)) / 1000),
	       (unsigned long long)((ts_ns(&r1) - ts_ns(&r0)) / 1000),
	       CLOCK_SLEEP_MS, (long long)t0, (long long)t1,
	       wall_ok ? "" : " (NOT FROM THE RTC)", (long)c0,
	       (long)c1, bad_errno == EINVAL ? "EINVAL" : "wrong errno", date);
}

/*
 * usleep() of more microseconds than 2^64 ns holds is as good as for
 * ever, like nanosleep's: this one, 2^64 / 1000 + 1, wrapped to 384 ns.
 * The sleeper is detached and left asleep; the guest ends with the app.
 */
#define USLEEP_WRAPS (UINT64_MAX / 1000 + 1)
#define USLEEP_WATCH_MS 50

static int long_nap_over;

static int long_nap(void *arg)
{
	(void)arg;
	usleep((useconds_t)USLEEP_WRAPS);
	__atomic_store_n(&long_nap_over, 1, __ATOMIC_RELEASE);
	return 0;
}

static void test_usleep(void)
{
	struct thread_attr a = { .detached = 1 };
	int over;

	if (!thread_create("longnap", long_nap, NULL, &a)) {
		report("usleep", 0, "cannot create a thread");
		return;
	}
	usleep(USLEEP_WATCH_MS * 1000);
	over = __atomic_load_n(&long_nap_over, __ATOMIC_ACQUIRE);
	report("usleep", !over, "usleep(%llu) %s after %d ms",
	       (unsigned long long)USLEEP_WRAPS,
	       over ? "RETURNED" : "still asleep", USLEEP_WATCH_MS);
}

/* ---- driver ------------------------------------------------------------- */

static const struct selftest tests[] = {
	{ "printf", test_printf },
	{ "sscanf", test_sscanf },
	{ "malloc", test_malloc },
	{ "sbrk", test_sbrk },
	{ "sbrk-edge", libctest_test_sbrk_edge },
	{ "kill", test_kill },
	{ "fds", test_fds },
	{ "string", test_string },
	{ "strtol", test_strtol },
	{ "qsort", test_qsort },
	{ "setjmp", test_setjmp },
	{ "time", test_time },
	{ "usleep", test_usleep },
	{ "clock-edges", libctest_test_clock_edges },
	{ "errno", libctest_test_errno },
	{ "errno-smp", libctest_test_errno_smp },
};

static int libctest_main(int argc, char **argv)
{
	return selftest_run(tests, sizeof(tests) / sizeof(tests[0]), argc,
			    argv, "libctest", "test");
}
APP(libctest, libctest_main, "newlib for apps: stdio, malloc, strings, "
    "time, errno per thread");
