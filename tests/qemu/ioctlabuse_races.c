/*
 * ioctlabuse IMAGE races: life-cycle ioctls on one instance from several
 * descriptors at once, in every order chance gives them.  Each round loads
 * the image (spin) on CPU 1 and then, from descriptors of their own, a
 * start, a second start, a polite and a forced stop (each after a random
 * delay), and two threads polling STATUS, the console, DEBUG_BREAK and
 * LIST, while the loading descriptor is closed at a random moment too.
 * Every call must end with an answer its race allows, and after the round
 * no instance may be left.  The kernel log must stay clean (the runner).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "ioctlabuse.h"

#define ROUNDS 25		/* each phase; RACE_ROUNDS=N for more */

struct race {
	unsigned int id;
	int devices;			/* RAM disk, ksnetN, doorbell on CPU 2 */
	atomic_int churn_done;
	atomic_int done;		/* the pokers end */
	atomic_int bad;
	atomic_long calls;
	atomic_int started, stopped;	/* answered 0 */
};

struct actor {
	struct race *r;
	pthread_t t;
	int delay_us;
	int force;
};

static int allowed(int r, int err, const int *ok)
{
	if (!r)
		return 1;
	for (; *ok; ok++)
		if (err == *ok)
			return 1;
	return 0;
}

static int judge(struct race *r, const char *what, int ret, const int *ok)
{
	int err = errno;

	if (allowed(ret, err, ok))
		return !ret;
	if (atomic_fetch_add(&r->bad, 1) < 10)
		printf("  FAILED races: %s of instance %u: %s\n", what, r->id,
		       strerror(err));
	return 0;
}

static void *starter(void *arg)
{
	static const int ok[] = { ESRCH, EALREADY, 0 };
	struct actor *a = arg;
	struct kspawn_ioc_instance in;
	int fd = open("/dev/kspawn", O_RDWR);

	usleep(a->delay_us);
	INIT(in);
	in.id = a->r->id;
	if (judge(a->r, "start", ioctl(fd, KSPAWN_IOC_START, &in), ok))
		atomic_fetch_add(&a->r->started, 1);
	close(fd);
	return NULL;
}

static void *stopper(void *arg)
{
	static const int ok[] = { ESRCH, 0 };
	struct actor *a = arg;
	struct kspawn_ioc_instance in;
	int fd = open("/dev/kspawn", O_RDWR);

	usleep(a->delay_us);
	INIT(in);
	in.id = a->r->id;
	in.flags = a->force ? KSPAWN_STOP_FORCE : 0;
	if (judge(a->r, a->force ? "forced stop" : "stop",
		  ioctl(fd, KSPAWN_IOC_STOP, &in), ok))
		atomic_fetch_add(&a->r->stopped, 1);
	close(fd);
	return NULL;
}

static void *poker(void *arg)
{
	static const int gone[] = { ESRCH, 0 };
	/* A loaded guest's debug vector is 0: no break to send. */
	static const int brk[] = { ESRCH, EOPNOTSUPP, 0 };
	struct actor *a = arg;
	struct race *r = a->r;
	int fd = open("/dev/kspawn", O_RDWR);
	struct kspawn_ioc_status st;
	struct kspawn_ioc_instance in;
	struct kspawn_ioc_io io;
	char buf[256] = "x\n";

	while (!atomic_load(&r->done)) {
		INIT(st);
		st.id = r->id;
		/* An answer describes the instance alive, never a gone one. */
		if (judge(r, "status", ioctl(fd, KSPAWN_IOC_STATUS, &st), gone) &&
		    st.host_state == KSPAWN_HOST_NONE &&
		    atomic_fetch_add(&r->bad, 1) < 10)
			printf("  FAILED races: a status of instance %u answered, saying it is gone\n",
			       r->id);
		INIT(io);
		io.id = r->id;
		io.len = sizeof(buf);
		io.buf = (unsigned long)buf;
		judge(r, "console read", ioctl(fd, KSPAWN_IOC_CONSOLE_READ, &io),
		      gone);
		INIT(io);
		io.id = r->id;
		io.len = 2;
		io.buf = (unsigned long)buf;
		judge(r, "console write",
		      ioctl(fd, KSPAWN_IOC_CONSOLE_WRITE, &io), gone);
		INIT(in);
		in.id = r->id;
		judge(r, "break", ioctl(fd, KSPAWN_IOC_DEBUG_BREAK, &in), brk);
		if (count_instances(fd) < 0)
			judge(r, "list", -1, gone + 1);
		atomic_fetch_add(&r->calls, 5);
	}
	close(fd);
	return NULL;
}

static void *(*const roles[])(void *) = {
	starter, starter, stopper, stopper, poker, poker,
};

/* One round; 0 if it left nothing behind. */
static int round_once(void *img, size_t img_size, struct race *r)
{
	struct actor a[sizeof(roles) / sizeof(roles[0])];
	int fd = open("/dev/kspawn", O_RDWR), n = 0, left;
	struct kspawn_ioc_load ld = valid_load(img, img_size, "spin");
	struct kspawn_ioc_instance in;
	unsigned int i;

	if (r->devices) {
		ld.ramdisk_bytes = 1 << 20;
		ld.net_mode = KSPAWN_NET_NETDEV;
		ld.flags = KSPAWN_LOAD_DOORBELL_CPU;
		ld.doorbell_cpu = 2;
	}
	/* With its doorbell: again while CPU 2 is offline or pooled. */
	while (ioctl(fd, KSPAWN_IOC_LOAD, &ld) && r->devices &&
	       (errno == ENODEV || errno == EADDRINUSE))
		usleep(1000);
	if (!ld.id) {
		printf("  FAILED races: load: %s\n", strerror(errno));
		failures++;
		close(fd);
		return -1;
	}
	r->id = ld.id;
	atomic_store(&r->done, 0);
	for (i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		a[i].r = r;
		a[i].delay_us = rand() % 400000;
		a[i].force = i == 3;
		pthread_create(&a[i].t, NULL, roles[i], &a[i]);
	}
	usleep(rand() % 300000);
	close(fd);
	for (i = 0; i < 4; i++)
		pthread_join(a[i].t, NULL);
	atomic_store(&r->done, 1);
	for (; i < sizeof(a) / sizeof(a[0]); i++)
		pthread_join(a[i].t, NULL);
	fd = open("/dev/kspawn", O_RDWR);
	left = count_instances(fd);
	if (left) {
		printf("  FAILED races: instance %u left after its round (%d listed)\n",
		       r->id, left);
		failures++;
		INIT(in);
		in.id = r->id;
		in.flags = KSPAWN_STOP_FORCE;
		ioctl(fd, KSPAWN_IOC_STOP, &in);
		n = -1;
	}
	close(fd);
	return n;
}

static int online(int cpu, int on)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, on ? "1" : "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * CPU 2, the doorbell's, taken offline and back and reserved and released
 * over and over while the rounds run: each refused or done, never a
 * doorbell on a CPU that is not online or a guest's.
 */
static void *churn(void *arg)
{
	static const int rsv[] = { EBUSY, EALREADY, 0 };
	static const int rel[] = { ENOENT, EBUSY, 0 };
	struct race *r = arg;
	int fd = open("/dev/kspawn", O_RDWR);
	struct kspawn_ioc_cpu c;

	while (!atomic_load(&r->churn_done)) {
		online(2, 0);
		usleep(rand() % 20000);
		online(2, 1);
		INIT(c);
		c.cpu = 2;
		judge(r, "reserve of CPU 2", ioctl(fd, KSPAWN_IOC_RESERVE, &c),
		      rsv);
		usleep(rand() % 20000);
		INIT(c);
		c.cpu = 2;
		judge(r, "release of CPU 2", ioctl(fd, KSPAWN_IOC_RELEASE, &c),
		      rel);
		atomic_fetch_add(&r->calls, 4);
		/* Each hotplug step logs: the kernel log must not wrap. */
		usleep(50000);
	}
	INIT(c);
	c.cpu = 2;
	ioctl(fd, KSPAWN_IOC_RELEASE, &c);
	close(fd);
	online(2, 1);
	return NULL;
}

static void phase(void *img, size_t img_size, int devices)
{
	struct race r = { .devices = devices };
	pthread_t t;
	const char *env = getenv("RACE_ROUNDS");
	int left = 0, rounds = env ? atoi(env) : ROUNDS;

	if (devices)
		pthread_create(&t, NULL, churn, &r);
	for (int i = 0; i < rounds && !left; i++)
		left = round_once(img, img_size, &r);
	if (devices) {
		atomic_store(&r.churn_done, 1);
		pthread_join(t, NULL);
	}
	failures += atomic_load(&r.bad) != 0;
	printf("  %s %d rounds of start, start, stop, forced stop and a close of the loader at once%s (%d started, %d stopped by a STOP), %ld other calls beside them: %d unexpected answers\n",
	       atomic_load(&r.bad) || left ? "FAILED" : "ok", rounds,
	       devices ? ", a RAM disk, ksnetN and the doorbell on CPU 2, which goes offline and online and in and out of the pool meanwhile" : "",
	       atomic_load(&r.started), atomic_load(&r.stopped),
	       atomic_load(&r.calls), atomic_load(&r.bad));
}

void races(void *img, size_t img_size)
{
	srand((unsigned int)time(NULL));
	phase(img, img_size, 0);
	if (sysconf(_SC_NPROCESSORS_CONF) >= 3)
		phase(img, img_size, 1);
}
