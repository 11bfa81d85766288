/*
 * lib/net UDP: closing a callback socket while a callback of it runs.
 * udp_sock_drain() must wait for one running in another thread (the
 * guest's udp_close() frees the socket right after, and the app its
 * argument), and must not wait for the one it is called from, when a
 * callback closes its own socket: that socket goes to net_sys.release
 * once the callback returns.  Two threads share one stack behind a
 * mutex, as two guest CPUs share it behind the spinlock.
 *
 * And closing a queued socket that threads wait to receive on: they are
 * woken and get -EBADF, and the socket is freed (net_sys.release) by the
 * last of them to leave, never under one still looking at it (ASan).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
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

static void setup_with(const struct net_sys *with)
{
	fake_netif(&nif, &link_, US_MAC, US_IP);
	net_stack_init(&st, with);
	net_stack_attach(&st, &nif);
	released = NULL;
	releases = 0;
}

static int setup(void **state)
{
	(void)state;
	setup_with(&sys);
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

/*
 * A queued socket as the guest's net_sock: the core socket first, then
 * its slots, in one allocation that net_sys.release frees.
 */
struct qsock {
	struct udp_sock us;
	uint8_t queue[4 * (UDP_SLOT_HDR + 64)];
};

static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;

static void wake(void *ctx, struct udp_sock *s)
{
	(void)ctx, (void)s;
	pthread_cond_broadcast(&arrived);
}

static void release_free(void *ctx, struct udp_sock *s)
{
	release(ctx, s);
	free(s);
}

static const struct net_sys sys_rx = {
	.lock = lock, .unlock = unlock, .self = self, .wake = wake,
	.release = release_free,
};

static int setup_rx(void **state)
{
	(void)state;
	setup_with(&sys_rx);
	return 0;
}

static struct udp_sock *open_queued(void)
{
	struct qsock *q = calloc(1, sizeof(*q));

	assert_non_null(q);
	assert_int_equal(udp_sock_open_queue(&st, &q->us, 9, q->queue,
					     sizeof(q->queue), 64), 0);
	return &q->us;
}

/* Receivers asleep in recv_wait() (under the lock). */
static int sleeping;
/* Called where the guest turns its interrupt on, the lock dropped. */
static void (*between)(struct udp_sock *s);

/*
 * What the guest's udp_recvfrom() does, minus the device: look; at the
 * first miss hold s, drop the lock (the guest arms its interrupt there)
 * and look again; then sleep until woken or timeout_ms passes (-1: for
 * ever, 0: no wait), up to its last look.
 */
static int recv_wait(struct udp_sock *s, long timeout_ms)
{
	struct timespec end;
	uint8_t buf[64];
	int n, err, held = 0;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	lock(NULL);
	for (;;) {
		n = udp_sock_recv(s, buf, sizeof(buf), NULL, NULL);
		if (n != -EAGAIN || !timeout_ms)
			break;
		if (!held) {
			udp_sock_wait_begin(s);
			held = 1;
			unlock(NULL);
			if (between)
				between(s);
			lock(NULL);
			continue;
		}
		sleeping++;
		if (timeout_ms < 0)
			err = pthread_cond_wait(&arrived, &mu);
		else
			err = pthread_cond_timedwait(&arrived, &mu, &end);
		sleeping--;
		if (err) {
			n = udp_sock_recv(s, buf, sizeof(buf), NULL, NULL);
			if (n == -EAGAIN)
				n = -ETIMEDOUT;
			break;
		}
	}
	if (held)
		udp_sock_wait_end(&st, s);
	unlock(NULL);
	return n;
}

/* What the guest's udp_close() does, with the free. */
static void close_and_free(struct udp_sock *s)
{
	if (close_and_drain(s))
		free(s);
}

struct receiver {
	pthread_t t;
	struct udp_sock *s;
	long timeout_ms;
	int said;
	int _Atomic done;
};

static void *receive(void *arg)
{
	struct receiver *r = arg;

	r->said = recv_wait(r->s, r->timeout_ms);
	r->done = 1;
	return NULL;
}

/* Start n receivers on s; return once all of them sleep in there. */
static void start_receivers(struct receiver *r, int n, struct udp_sock *s,
			    long timeout_ms)
{
	int waiting;

	for (int i = 0; i < n; i++) {
		r[i] = (struct receiver){ .s = s, .timeout_ms = timeout_ms };
		assert_int_equal(pthread_create(&r[i].t, NULL, receive, &r[i]),
				 0);
	}
	/* Counted under the lock they sleep with: asleep once we have it. */
	do {
		sleep_ms(1);
		lock(NULL);
		waiting = sleeping;
		unlock(NULL);
	} while (waiting < n);
}

static void test_close_wakes_receivers_waiting_for_ever(void **state)
{
	struct receiver r[2];
	struct udp_sock *s;

	(void)state;
	alarm(20);		/* not woken: a hang, failed */
	s = open_queued();
	start_receivers(r, 2, s, -1);
	close_and_free(s);	/* freed by them, not here (ASan) */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(r[i].t, NULL), 0);
		assert_int_equal(r[i].said, -EBADF);
	}
	alarm(0);
	assert_int_equal(releases, 1);	/* by the last to leave */
	assert_ptr_equal(released, s);
	assert_null(st.socks);
}

static void test_close_wakes_a_receiver_with_a_timeout(void **state)
{
	struct timespec t0, t1;
	struct receiver r;
	struct udp_sock *s;

	(void)state;
	alarm(20);
	s = open_queued();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	start_receivers(&r, 1, s, 10000);
	close_and_free(s);
	assert_int_equal(pthread_join(r.t, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	alarm(0);
	/* Woken by the close, not by its timeout of 10 s. */
	assert_int_equal(r.said, -EBADF);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_int_equal(releases, 1);
}

static void *closer_free(void *arg)
{
	close_and_free(arg);
	return NULL;
}

/* The close comes from another thread between the receiver's looks. */
static void close_elsewhere(struct udp_sock *s)
{
	pthread_t cl;

	assert_int_equal(pthread_create(&cl, NULL, closer_free, s), 0);
	assert_int_equal(pthread_join(cl, NULL), 0);
}

/*
 * The close between a receiver's miss and its sleep: nobody to wake, so
 * its look before sleeping must see the close, and s must outlive it.
 */
static void test_close_before_the_receiver_sleeps(void **state)
{
	struct udp_sock *s;

	(void)state;
	alarm(20);		/* asleep on a closed socket: a hang */
	s = open_queued();
	between = close_elsewhere;
	assert_int_equal(recv_wait(s, -1), -EBADF);
	between = NULL;
	alarm(0);
	assert_int_equal(releases, 1);
	assert_ptr_equal(released, s);
}

/*
 * s closing, still held by a receiver not yet gone: a new look, with or
 * without a wait, says -EBADF at once and holds nothing (and a datagram
 * queued before the close is not handed out).
 */
static void test_receive_on_a_closing_socket(void **state)
{
	struct udp_sock *s;

	(void)state;
	alarm(20);		/* waiting on a closed socket: a hang */
	s = open_queued();
	deliver(NULL);
	lock(NULL);
	udp_sock_wait_begin(s);	/* the receiver not yet gone */
	unlock(NULL);
	assert_int_equal(close_and_drain(s), 0);
	assert_int_equal(recv_wait(s, -1), -EBADF);
	assert_int_equal(recv_wait(s, 10000), -EBADF);
	assert_int_equal(recv_wait(s, 0), -EBADF);
	assert_int_equal(s->waiters, 1);
	assert_int_equal(releases, 0);
	alarm(0);
	lock(NULL);
	udp_sock_wait_end(&st, s);	/* it leaves: s is freed */
	unlock(NULL);
	assert_int_equal(releases, 1);
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
		cmocka_unit_test_setup(test_close_wakes_receivers_waiting_for_ever,
				       setup_rx),
		cmocka_unit_test_setup(test_close_wakes_a_receiver_with_a_timeout,
				       setup_rx),
		cmocka_unit_test_setup(test_close_before_the_receiver_sleeps,
				       setup_rx),
		cmocka_unit_test_setup(test_receive_on_a_closing_socket,
				       setup_rx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
