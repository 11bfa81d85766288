/*
 * lib/net UDP: closing a callback socket while a callback of it runs.
 * udp_sock_drain() must wait for one running in another thread (the
 * guest's udp_close() frees the socket right after, and the app its
 * argument), and must not wait for the one it is called from, when a
 * callback closes its own socket: that socket goes to net_sys.release
 * once the callback returns.  Two threads share one stack behind a
 * mutex, as two guest CPUs share it behind the spinlock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "net_fake.h"

static struct net_stack st;
static struct netif nif;
static struct fake_link link_;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct udp_sock *released;
static int releases;

static void lock(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&mu);
}

static void unlock(void *ctx)
{
	(void)ctx;
	pthread_mutex_unlock(&mu);
}

static void *self(void *ctx)
{
	(void)ctx;
	return (void *)(uintptr_t)pthread_self();
}

static void release(void *ctx, struct udp_sock *s)
{
	(void)ctx;
	released = s;
	releases++;
}

static const struct net_sys sys = {
	.lock = lock, .unlock = unlock, .self = self, .release = release,
};

static int setup(void **state)
{
	(void)state;
	fake_netif(&nif, &link_, US_MAC, US_IP);
	net_stack_init(&st, &sys);
	net_stack_attach(&st, &nif);
	released = NULL;
	releases = 0;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* One datagram to port 9, as the device's interrupt would give it. */
static void *deliver(void *arg)
{
	static const uint8_t data[4] = "ping";
	uint8_t f[256];
	size_t len = build_udp_frame(f, 4000, 9, data, sizeof(data));

	(void)arg;
	net_input(&nif, f, len);
	return NULL;
}

/* A callback that runs until told to return. */
static int _Atomic entered, go, returned;

static void slow(struct udp_sock *s, uint32_t ip, uint16_t port,
		 const void *data, size_t len, void *arg)
{
	(void)s, (void)ip, (void)port, (void)data, (void)len, (void)arg;
	entered = 1;
	while (!go)
		sleep_ms(1);
	returned = 1;
}

/* What the guest's udp_close() does, minus the free. */
static int close_and_drain(struct udp_sock *s)
{
	int unused;

	lock(NULL);
	udp_sock_close(s);
	unused = udp_sock_drain(&st, s);
	unlock(NULL);
	return unused;
}

static int _Atomic closed, close_said;

static void *closer(void *arg)
{
	close_said = close_and_drain(arg);
	closed = 1;
	return NULL;
}

static void test_close_waits_for_a_callback_elsewhere(void **state)
{
	struct udp_sock s = { 0 };
	pthread_t rx, cl;

	(void)state;
	entered = go = returned = closed = 0;
	close_said = -1;
	assert_int_equal(udp_sock_open(&st, &s, 9, slow, NULL), 0);
	assert_int_equal(pthread_create(&rx, NULL, deliver, NULL), 0);
	while (!entered)
		sleep_ms(1);
	assert_int_equal(pthread_create(&cl, NULL, closer, &s), 0);
	/* The callback still runs: the close must still be waiting. */
	sleep_ms(200);
	assert_int_equal(closed, 0);
	go = 1;
	assert_int_equal(pthread_join(cl, NULL), 0);
	assert_int_equal(pthread_join(rx, NULL), 0);
	/* It returned only after the callback had, and s is the caller's. */
	assert_int_equal(returned, 1);
	assert_int_equal(close_said, 1);
	assert_int_equal(releases, 0);
	assert_null(s.calls);
	assert_int_equal(nif.stats.udp_rx, 1);
}

static int own_close_said = -1;
static struct udp_sock *own_after;

static void closes_itself(struct udp_sock *s, uint32_t ip, uint16_t port,
			  const void *data, size_t len, void *arg)
{
	(void)ip, (void)port, (void)data, (void)len, (void)arg;
	own_close_said = close_and_drain(s);
	own_after = released;	/* not yet: the callback still runs */
}

static void test_callback_closes_its_own_socket(void **state)
{
	struct udp_sock s = { 0 };

	(void)state;
	assert_int_equal(udp_sock_open(&st, &s, 9, closes_itself, NULL), 0);
	deliver(NULL);		/* does not wait for itself */
	assert_int_equal(own_close_said, 0);
	assert_null(own_after);
	assert_int_equal(releases, 1);
	assert_ptr_equal(released, &s);
	assert_null(s.calls);
	/* Unbound: a second datagram finds no port. */
	deliver(NULL);
	assert_int_equal(nif.stats.udp_no_port, 1);
	assert_int_equal(releases, 1);
}

/* Two callbacks of one socket, on two threads, each closing it. */
static int _Atomic inside, both_said[2], both_n;

static void closes_with_another(struct udp_sock *s, uint32_t ip,
				uint16_t port, const void *data, size_t len,
				void *arg)
{
	(void)ip, (void)port, (void)data, (void)len, (void)arg;
	inside++;
	while (inside < 2)
		sleep_ms(1);
	both_said[both_n++] = close_and_drain(s);
}

static void test_two_callbacks_close_their_socket(void **state)
{
	struct udp_sock s = { 0 };
	pthread_t a, b;

	(void)state;
	inside = both_n = 0;
	alarm(20);		/* waiting for each other: a hang, failed */
	assert_int_equal(udp_sock_open(&st, &s, 9, closes_with_another,
				       NULL), 0);
	assert_int_equal(pthread_create(&a, NULL, deliver, NULL), 0);
	assert_int_equal(pthread_create(&b, NULL, deliver, NULL), 0);
	assert_int_equal(pthread_join(a, NULL), 0);
	assert_int_equal(pthread_join(b, NULL), 0);
	alarm(0);
	assert_int_equal(both_said[0], 0);
	assert_int_equal(both_said[1], 0);
	assert_int_equal(releases, 1);	/* by the last to return */
	assert_ptr_equal(released, &s);
}

static void test_close_with_no_callback_running(void **state)
{
	struct udp_sock s = { 0 };

	(void)state;
	assert_int_equal(udp_sock_open(&st, &s, 9, slow, NULL), 0);
	assert_int_equal(close_and_drain(&s), 1);
	assert_int_equal(releases, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_close_waits_for_a_callback_elsewhere,
				       setup),
		cmocka_unit_test_setup(test_callback_closes_its_own_socket,
				       setup),
		cmocka_unit_test_setup(test_two_callbacks_close_their_socket,
				       setup),
		cmocka_unit_test_setup(test_close_with_no_callback_running,
				       setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
