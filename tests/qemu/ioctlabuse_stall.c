/*
 * ioctlabuse IMAGE status-stall: a STATUS whose copy out stalls on the
 * caller's page for as long as the caller likes (a userfaultfd
 * write-protected page here; a FUSE mapping does the same) must not hold
 * up a stop of that instance: the stop waits for every reference to the
 * instance, uninterruptibly, so a reference held across the copy let any
 * local process pin a stop (and the reboot notifier's) for ever.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "ioctlabuse.h"

#define STOP_WAIT_S 10

struct stalled {
	int fd;
	struct kspawn_ioc_status *st;
	int ret, err;
};

static void *status_call(void *arg)
{
	struct stalled *s = arg;

	s->ret = ioctl(s->fd, KSPAWN_IOC_STATUS, s->st);
	s->err = errno;
	return NULL;
}

/* Write-protect (wp 1) or release (wp 0, which wakes the faulting). */
static int protect(int uffd, void *page, int wp)
{
	struct uffdio_writeprotect w = {
		.range = { .start = (unsigned long)page, .len = 4096 },
		.mode = wp ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(uffd, UFFDIO_WRITEPROTECT, &w);
}

/*
 * A page holding a STATUS argument block for instance id, whose reads
 * pass and whose writes wait on uffd; NULL if not to be had.
 */
static struct kspawn_ioc_status *wp_status(int *uffd, unsigned int id)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct kspawn_ioc_status *st = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	*uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (st == MAP_FAILED || *uffd < 0 || ioctl(*uffd, UFFDIO_API, &api))
		return NULL;
	/* Written now, so present: from here only writes will wait. */
	INIT(*st);
	st->id = id;
	reg.range.start = (unsigned long)st;
	reg.range.len = 4096;
	if (ioctl(*uffd, UFFDIO_REGISTER, &reg) || protect(*uffd, st, 1))
		return NULL;
	return st;
}

void status_stall(void *img, size_t img_size)
{
	int fd = open("/dev/kspawn", O_RDWR), uffd, st, waited = 0;
	struct kspawn_ioc_load ld = valid_load(img, img_size, "hello");
	struct kspawn_ioc_instance in;
	struct stalled s = { .fd = fd };
	struct pollfd p;
	pthread_t t;
	pid_t stopper;

	if (ioctl(fd, KSPAWN_IOC_LOAD, &ld)) {
		printf("  FAILED status stall: load: %s\n", strerror(errno));
		failures++;
		return;
	}
	s.st = wp_status(&uffd, ld.id);
	if (!s.st) {
		printf("  FAILED status stall: no write-protected page: %s\n",
		       strerror(errno));
		failures++;
		return;
	}
	/* The argument block is read in; only the copy out will wait. */
	pthread_create(&t, NULL, status_call, &s);
	p = (struct pollfd){ .fd = uffd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1) {
		printf("  FAILED status stall: STATUS never wrote its page\n");
		failures++;
	}
	/* Stopped from another process, which may be stuck in D state. */
	stopper = fork();
	if (!stopper) {
		INIT(in);
		in.id = ld.id;
		_exit(ioctl(fd, KSPAWN_IOC_STOP, &in) ? 1 : 0);
	}
	while (waitpid(stopper, &st, WNOHANG) == 0 &&
	       waited < STOP_WAIT_S * 10) {
		usleep(100000);
		waited++;
	}
	printf("  %s a stop while a STATUS of it stalls in its copy out: %s\n",
	       waited < STOP_WAIT_S * 10 ? "ok" : "FAILED",
	       waited < STOP_WAIT_S * 10 ? "done" :
	       "still waiting after 10 s");
	failures += waited >= STOP_WAIT_S * 10;
	/* Release the page: the STATUS, and so a stuck stop, can finish. */
	protect(uffd, s.st, 0);
	pthread_join(t, NULL);
	if (waited >= STOP_WAIT_S * 10)
		waitpid(stopper, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("  FAILED status stall: the stop failed\n");
		failures++;
	}
	none_left(fd, "status stall", "the stalled STATUS's instance is gone");
	close(fd);
	close(uffd);
}
