/*
 * readers: one thread pinned to each guest CPU, all reading stdin (the
 * console input ring) at once, 64 bytes a read(), until one of them reads
 * a '#'.  Each byte must reach exactly one reader: the test feeds lines
 * of 'x' through `kspawnctl console --input` and wants them counted once
 * each (qemu/console-readers).  The ring has one consumer by design; two
 * CPUs reading it unserialised both take a byte, or move its index back.
 */
#define KSPAWN_INTERNALS
#include <unistd.h>

#include "kspawn.h"

static unsigned long xs, newlines, others;	/* over all readers */
static int hash_seen = -1;			/* the CPU that read '#' */

static int reader(void *arg)
{
	int cpu = (int)(uintptr_t)arg;
	char buf[64];

	while (__atomic_load_n(&hash_seen, __ATOMIC_ACQUIRE) < 0) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		unsigned long x = 0, nl = 0, other = 0;

		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == 'x')
				x++;
			else if (buf[i] == '\n')
				nl++;
			else if (buf[i] == '#')
				__atomic_store_n(&hash_seen, cpu,
						 __ATOMIC_RELEASE);
			else
				other++;
		}
		__atomic_add_fetch(&xs, x, __ATOMIC_ACQ_REL);
		__atomic_add_fetch(&newlines, nl, __ATOMIC_ACQ_REL);
		__atomic_add_fetch(&others, other, __ATOMIC_ACQ_REL);
	}
	return 0;
}

static int readers_main(int argc, char **argv)
{
	unsigned int n = sched_ncpus();

	(void)argc, (void)argv;
	for (unsigned int c = 0; c < n; c++) {
		struct thread_attr a = { .cpus = 1u << c };
		struct thread *t = thread_create("reader", reader,
						 (void *)(uintptr_t)c, &a);

		if (!t) {
			kprintf("readers: cannot create thread %u\n", c);
			return 1;
		}
		thread_detach(t);
	}
	kprintf("readers: %u ready (a '#' ends)\n", n);
	while (__atomic_load_n(&hash_seen, __ATOMIC_ACQUIRE) < 0)
		thread_sleep_ms(10);
	/*
	 * The '#' comes last: any byte before it was taken by a reader that
	 * adds it up as its read() returns, long before this.  The others
	 * stay in read() until the guest ends.
	 */
	thread_sleep_ms(200);
	kprintf("readers: %u CPUs, %lu x, %lu newlines, %lu other bytes, '#' on cpu %d\n",
		n, __atomic_load_n(&xs, __ATOMIC_ACQUIRE),
		__atomic_load_n(&newlines, __ATOMIC_ACQUIRE),
		__atomic_load_n(&others, __ATOMIC_ACQUIRE),
		__atomic_load_n(&hash_seen, __ATOMIC_ACQUIRE));
	return 0;
}
APP(readers, readers_main,
    "read stdin on every CPU at once (one consumer of the input ring: qemu/console-readers)");
