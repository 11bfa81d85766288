/*
 * kspawnctl run IMAGE [--cpu N | --cpus LIST] [--mem SIZE] [--cmdline STR]
 *                     [--doorbell-cpu N] ...
 * The image, the device, the CPUs, then the spawn, and what its refusal
 * means; the command line is run_args.c's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "cpus.h"
#include "image.h"
#include "json.h"
#include "run_args.h"
#include "term_text.h"

/*
 * An image that does not fit a --mem given is a --mem too small, a bad
 * command line (the image's note decides the minimum); without --mem,
 * the region is the one its note asks for, and the fault the image's.
 */
static int image_exit(enum image_error e, const struct run_args *a)
{
	switch (e) {
	case IMAGE_ERR_ABI:
		return EXIT_ABI;
	case IMAGE_ERR_IO:
		return EXIT_FAIL;
	case IMAGE_ERR_REGION:
		if (!a->mem_arg)
			return EXIT_IMAGE;
		usage("run", 1);
		return EXIT_USAGE;
	default:
		return EXIT_IMAGE;
	}
}

static int check_module_abi(struct ctl *c, const struct image *img,
			    const char *path)
{
	struct ctl_version v;
	int e = dev_version(c->fd, &v);

	if (e)
		return ctl_fail_call("run: asking the module its version", e);
	if (v.abi_major != KSPAWN_ABI_MAJOR) {
		err_msg("run: the loaded kspawn.ko speaks ABI %u.%u, this kspawnctl %u.%u: use the kspawnctl built with the module",
			v.abi_major, v.abi_minor, KSPAWN_ABI_MAJOR,
			KSPAWN_ABI_MINOR);
		return EXIT_ABI;
	}
	if (img->data && img->info.abi_major != v.abi_major) {
		err_msg("run: %s is built for ABI %u.%u, the module speaks %u.%u",
			path, img->info.abi_major, img->info.abi_minor, v.abi_major,
			v.abi_minor);
		return EXIT_ABI;
	}
	return EXIT_OK;
}

/*
 * Every CPU of --cpus must be one a guest may have; so must --cpu.
 * Without either the module chooses, at the load: a CPU chosen here from
 * a look at the pool could be another run's by then.  Then the doorbell's
 * CPU must be one Linux keeps.  The pool is asked for only when one of
 * them names a CPU: nothing else here needs it.
 */
static int check_cpus(struct ctl *c, struct run_args *a)
{
	static struct ctl_cpus pool;
	int rc = 0, e;

	if (a->cpu < 0 && !a->ncpus && a->doorbell_cpu < 0)
		return EXIT_OK;
	/* Not an empty pool: every word about CPUs would be wrong. */
	e = dev_cpus(c->fd, &pool);
	if (e)
		return ctl_fail_call("run: asking the module its CPUs", e);
	if (a->doorbell_cpu >= 0) {
		rc = cpus_check_doorbell(&pool, a->doorbell_cpu);
		if (rc)
			return rc;
		if (a->doorbell_cpu < CTL_MAX_CPUS)
			pool.doorbells[a->doorbell_cpu] = 1;
	}
	if (!a->ncpus)
		return a->cpu < 0 ? EXIT_OK : cpus_check(&pool, a->cpu);
	for (unsigned int i = 0; i < a->ncpus && !rc; i++)
		rc = cpus_check(&pool, (int)a->cpus[i]);
	return rc;
}

/* The module had no CPU to choose (KSPAWN_LOAD_CPU_ANY): why, from now. */
static int no_cpu_to_spare(int fd)
{
	static struct ctl_cpus pool;

	dev_cpus(fd, &pool);
	return cpus_none_to_spare(&pool);
}

/* The options the module may have refused, for its message. */
static void describe_options(const struct run_args *a, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "--mem %llu MiB",
				      (unsigned long long)(a->mem >> 20));

	if (a->ramdisk && len < size)
		len += (size_t)snprintf(buf + len, size - len,
					", --ramdisk %llu MiB",
					(unsigned long long)(a->ramdisk >> 20));
	if (a->disk && len < size)
		len += (size_t)snprintf(buf + len, size - len, ", --disk %s%s",
					a->disk,
					a->writeback ? " --cache writeback" : "");
	if (a->net && len < size)
		len += (size_t)snprintf(buf + len, size - len, ", --net %s",
					a->net == 2 ? "netdev" : "loopback");
	if (a->ncpus && len < size)
		snprintf(buf + len, size - len, ", --cpus (%u CPUs)", a->ncpus);
}

/* The instances listed now and the module's limit: 0, or -1 if unknown. */
static int instance_count(int fd, int *running, uint32_t *max)
{
	static uint32_t ids[1024];
	struct ctl_version v;

	if (dev_version(fd, &v) || !v.max_instances ||
	    dev_list(fd, ids, (int)(sizeof(ids) / sizeof(ids[0])), running))
		return -1;
	*max = v.max_instances;
	return 0;
}

/*
 * The module's limit on instances, or 0 if that is not the trouble: an
 * older module's ENOSPC says either that or that the pool has no region
 * big enough (the module now says EMFILE for the limit).
 */
static uint32_t at_instance_limit(int fd, int *running)
{
	uint32_t max;

	if (instance_count(fd, running, &max))
		return 0;
	return (uint32_t)*running >= max ? max : 0;
}

static int too_many_instances(int running, uint32_t max)
{
	err_msg("run: too many instances: %d running%s, the module's limit is %u (stop one: kspawnctl list, kspawnctl stop ID)",
		running, (uint32_t)running < max ? " and more being started" : "",
		max);
	return EXIT_RESOURCE;
}

/* The module said EMFILE: its limit, whatever list says now. */
static int instance_limit(int fd)
{
	uint32_t max;
	int running = 0;

	if (instance_count(fd, &running, &max)) {
		err_msg("run: too many instances: the module's limit is reached (stop one: kspawnctl list, kspawnctl stop ID)");
		return EXIT_RESOURCE;
	}
	return too_many_instances(running, max);
}

/*
 * dev_spawn(), and a failed start whose instance could not be stopped
 * said; *at_start: the error is the start's.
 */
static int spawn(int fd, const struct ctl_spawn *req, uint32_t *id,
		 int *at_start)
{
	int stop_err, e = dev_spawn(fd, req, id, at_start, &stop_err);

	if (stop_err)
		err_msg("run: instance %u, whose start failed, could not be stopped: %s; it is left loaded (kspawnctl stop %u)",
			*id, strerror(-stop_err), *id);
	return e;
}

/*
 * A start that failed after its guest ran: the module keeps what the
 * guest wrote up to its INIT past the stop (host/kmod/README.md), and it
 * may say why.  Each line to stderr after a prefix, as the module's own
 * log lines after it; anything but printable ASCII as '?', as status
 * shows a guest's text, so a guest cannot send the terminal escapes.
 * At most the module's 64 KiB.
 */
#define WORDS_MAX (64 * 1024)

static void failed_start_words(int fd, uint32_t id)
{
	char buf[4096];
	size_t got, total = 0;
	enum ctl_gone g;
	int bol = 1;

	while (total < WORDS_MAX &&
	       !dev_console_read(fd, id, buf, sizeof(buf), &got, &g) && got) {
		for (size_t i = 0; i < got; i++) {
			unsigned char ch = (unsigned char)buf[i];

			if (bol)
				fputs("  guest console: ", stderr);
			bol = ch == '\n';
			fputc(bol ? ch : term_ascii(ch), stderr);
		}
		total += got;
	}
	if (!bol)
		fputc('\n', stderr);
}

/*
 * What only a start's error means: it names the new instance (ESRCH: gone
 * before it ran), and its CPU may not come up (ETIMEDOUT: what its guest
 * wrote meanwhile is shown).  -1 if the error is not one of these.
 */
static int start_error(int fd, int e, uint32_t id)
{
	switch (-e) {
	case ESRCH:
	case ENOENT:
		err_msg("run: instance %u was stopped by another process before it started (kspawnctl list)",
			id);
		return EXIT_FAIL;
	case ETIMEDOUT:
		/* host/kmod/lifecycle.c: no long mode 2 s after the SIPIs */
		err_msg("run: the guest's CPU did not start: it had not reached long mode 2 s after its STARTUP IPIs (the module's log below says which CPU)");
		failed_start_words(fd, id);
		return EXIT_FAIL;
	default:
		return -1;
	}
}

static int spawn_error(struct ctl *c, const struct run_args *a, int e,
		       int at_start, uint32_t id, struct kmsg_mark *m)
{
	int cpu = a->ncpus ? (int)a->cpus[0] : a->cpu;
	char opts[512];
	uint32_t max;
	int rc, running;

	if (a->doorbell_cpu >= 0 &&
	    (e == -ENODEV || e == -EADDRINUSE || e == -EADDRNOTAVAIL)) {
		err_msg("run: --doorbell-cpu %d: %s", a->doorbell_cpu,
			e == -ENODEV ? "not an online CPU" :
			e == -EADDRINUSE ? "a guest's CPU, or in the pool" :
					   "the module could not put the doorbell there");
		kmsg_report(m);
		return EXIT_RESOURCE;
	}
	rc = at_start ? start_error(c->fd, e, id) : -1;
	if (rc >= 0) {
		kmsg_report(m);
		return rc;
	}
	switch (-e) {
	case EBUSY:
		if (cpu < 0 && !at_start) {
			rc = no_cpu_to_spare(c->fd);
			break;
		}
		if (cpu < 0)	/* taken at the start: Linux kept it */
			err_msg("run: the CPU the module chose is busy: Linux would not take it offline (the module's log below says which)");
		else if (a->ncpus > 1)
			err_msg("run: one of CPUs %s is busy: another instance holds it or has its doorbell there, it is being reserved or released, or Linux would not take it offline (the module's log below may say which)",
				a->cpus_arg);
		else
			err_msg("run: CPU %d is busy: another instance holds it or has its doorbell there, it is being reserved or released, or Linux would not take it offline",
				cpu);
		rc = EXIT_RESOURCE;
		break;
	case ENOENT:
		/* A load names no instance: its --disk is gone, say. */
		if (a->disk)
			err_msg("run: --disk %s: %s", a->disk, strerror(-e));
		else
			err_msg("run: %s", strerror(-e));
		rc = EXIT_FAIL;
		break;
	case ETXTBSY:	/* the module's word for a block device held */
		err_msg("run: --disk %s is busy: another instance has it, or Linux does (mounted, or another driver's); stop that instance (kspawnctl list) or unmount it",
			a->disk ? a->disk : "");
		rc = EXIT_RESOURCE;
		break;
	case EROFS:	/* a block device set read-only, a read-only mount */
		err_msg("run: --disk %s is read-only (blockdev --getro, or its mount): a guest's disk must be writable",
			a->disk ? a->disk : "");
		rc = EXIT_FAIL;
		break;
	case EMFILE:
		rc = instance_limit(c->fd);
		break;
	case EAGAIN:	/* host/kmod/instance.c: none while suspending */
		err_msg("run: the machine is suspending or hibernating: no guest is loaded until it is back");
		rc = EXIT_RESOURCE;
		break;
	case ENOSPC:
		max = at_instance_limit(c->fd, &running);
		if (max) {
			rc = too_many_instances(running, max);
			break;
		}
		err_msg("run: the pool is too small: no free %llu MiB region (stop an instance, ask for less --mem, or reserve a bigger pool with memmap=)",
			(unsigned long long)(a->mem >> 20));
		rc = EXIT_RESOURCE;
		break;
	case ENOMEM:
		/* Not the pool (ENOSPC): the module's own allocations. */
		if (a->ramdisk)
			err_msg("run: the host is short of memory for this guest (its --ramdisk %llu MiB comes from host RAM): free some, or ask for a smaller RAM disk",
				(unsigned long long)(a->ramdisk >> 20));
		else
			err_msg("run: the host is short of memory for this guest's module state: free some and try again");
		rc = EXIT_RESOURCE;
		break;
	case EINVAL:
	case E2BIG:
		/*
		 * The image passed the module's own checker here already
		 * (image.c): what the module refuses is the options.
		 */
		if (!a->no_verify) {
			describe_options(a, opts, sizeof(opts));
			err_msg("run: the module refused the options (%s): %s; its log below says which",
				opts, strerror(-e));
			rc = EXIT_USAGE;
			break;
		}
		/* fall through */
	case ENOEXEC:
	case EFAULT:
		err_msg("run: the module refused %s: %s", a->image,
			strerror(-e));
		rc = EXIT_IMAGE;
		break;
	case ESTALE:
		/* docs/design.md, 3: a start that failed after the SIPI */
		err_msg("run: the module would not start the instance: a start of it had failed already, after its CPU had the STARTUP IPI, so it cannot be started again (its guest may have run over its memory): run the image again");
		rc = EXIT_FAIL;
		break;
	case EPROTO:
		err_msg("run: the module refused %s: ABI version mismatch",
			a->image);
		rc = EXIT_ABI;
		break;
	default:
		rc = ctl_fail_call("run", e);
		break;
	}
	kmsg_report(m);
	return rc;
}

/*
 * The new instance's ID could not be written (a full disk, a closed pipe):
 * nobody could stop a guest nobody knows, so stop it now.  If that fails
 * too, say which instance is still running.
 */
static int id_lost(int fd, uint32_t id)
{
	int e = dev_stop(fd, id, 1);

	if (e)
		err_msg("run: instance %u is still running, its ID unwritten, and stopping it failed: %s (kspawnctl stop %u)",
			id, strerror(-e), id);
	else
		err_msg("run: instance %u stopped again: its ID could not be written",
			id);
	return EXIT_FAIL;
}

/*
 * --json: the new instance and its CPUs, the module's choice without
 * --cpu (null should the instance be gone already), and its region's
 * size, in status's words and layout (cpus a list even of one), so that
 * a script reads both alike; mem is region_size's old name, kept.
 */
static void print_json(int fd, uint32_t id, const struct run_args *a)
{
	struct ctl_status st;
	struct json j;
	int cpu = a->ncpus ? (int)a->cpus[0] : a->cpu;

	if (cpu < 0)
		cpu = dev_status(fd, id, &st) ? -1 : (int)st.cpu;
	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_u64(&j, "id", id);
	if (cpu < 0)
		json_null(&j, "cpu");
	else
		json_u64(&j, "cpu", (uint64_t)cpu);
	json_u64(&j, "ncpus", a->ncpus ? a->ncpus : 1);
	if (cpu < 0) {
		json_null(&j, "cpus");
	} else {
		json_open(&j, "cpus", '[');
		if (a->ncpus)
			for (unsigned int i = 0; i < a->ncpus; i++)
				json_u64(&j, NULL, a->cpus[i]);
		else
			json_u64(&j, NULL, (uint64_t)cpu);
		json_close(&j, ']');
	}
	json_u64(&j, "region_size", a->mem);
	json_u64(&j, "mem", a->mem);
	json_close(&j, '}');
	json_end(&j);
}

/*
 * Ctrl-C, SIGTERM and SIGHUP, held from the load until the ID is out: one
 * that killed run as the START ioctl returned (a start may take seconds)
 * would leave a guest running whose ID nobody saw.  A signal the caller
 * ignores (nohup) or blocks is left out: it would never have ended run,
 * yet would be taken here, pending, as an interruption.
 */
static void hold_signals(sigset_t *held, sigset_t *was)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	sigprocmask(SIG_BLOCK, NULL, was);
	sigemptyset(held);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!sigaction(sigs[i], NULL, &sa) &&
		    sa.sa_handler != SIG_IGN && !sigismember(was, sigs[i]))
			sigaddset(held, sigs[i]);
	sigprocmask(SIG_BLOCK, held, NULL);
}

/*
 * The first held signal that came, taken with any others so that none
 * acts once unblocked (run ends as it asked all the same): 0 if none.
 */
static int release_signals(const sigset_t *held, const sigset_t *was)
{
	static const struct timespec now = { 0, 0 };
	int sig, first = 0;

	while ((sig = sigtimedwait(held, NULL, &now)) > 0 || errno == EINTR)
		if (sig > 0 && !first)
			first = sig;
	sigprocmask(SIG_SETMASK, was, NULL);
	return first;
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	       sig == SIGHUP ? "SIGHUP" : "a signal";
}

int cmd_run(struct ctl *c, int argc, char **argv)
{
	struct run_args a;
	struct image img = { 0 };
	struct ctl_spawn req;
	struct kmsg_mark m;
	sigset_t held, was;
	uint32_t id = 0, max;	/* 0: no instance loaded */
	int rc, e, running, sig, at_start;
	char apps[512];

	rc = run_parse_args(&a, argc, argv);
	if (rc > 0)
		return EXIT_OK;		/* --help */
	if (rc < 0) {
		usage("run", 1);
		return EXIT_USAGE;
	}
	/*
	 * The image first: a wrong one is refused before anything changes.
	 * --no-verify skips the checks of what was read, never the read
	 * (nor a file too big to read, or none: no data).
	 */
	e = image_load(&img, a.image, &a.mem);
	if (e == IMAGE_ERR_IO || (e && !(a.no_verify && img.data))) {
		err_msg("run: %s: %s", a.image, img.error);
		image_free(&img);
		return image_exit(e, &a);
	}
	/* The guest would only say so on its console, and exit 127. */
	if (!e && !a.no_verify &&
	    !image_has_app(&img, a.app, apps, sizeof(apps))) {
		err_msg("run: %s has no app '%s' (--cmdline); its apps: %s",
			a.image, a.app, apps);
		image_free(&img);
		usage("run", 1);
		return EXIT_USAGE;
	}
	if (!a.mem)	/* --no-verify on an image without a readable note */
		a.mem = KSPAWN_REGION_MIN;
	/* In whole chunks, as the module makes it (--mem 9M: 10 MiB). */
	a.mem = elf_check_region(a.mem, &img.info);
	rc = ctl_open(c);
	if (rc)
		goto out;
	rc = check_cpus(c, &a);
	if (rc)
		goto out;
	rc = check_module_abi(c, a.no_verify ? &(struct image){ 0 } : &img,
			      a.image);
	if (rc)
		goto out;
	max = at_instance_limit(c->fd, &running);
	if (max) {
		rc = too_many_instances(running, max);
		goto out;
	}
	req = (struct ctl_spawn){ .image = img.data, .image_size = img.size,
				  .cpu = a.ncpus ? -1 : a.cpu, .mem = a.mem,
				  .ncpus = a.ncpus,
				  .cmdline = a.cmdline, .ramdisk = a.ramdisk,
				  .disk = a.disk, .writeback = a.writeback,
				  .net = a.net, .doorbell_cpu = a.doorbell_cpu };
	memcpy(req.cpus, a.cpus, sizeof(req.cpus));
	kmsg_mark(&m);
	hold_signals(&held, &was);
	e = spawn(c->fd, &req, &id, &at_start);
	if (e) {
		rc = spawn_error(c, &a, e, at_start, id, &m);
		sig = release_signals(&held, &was);
		if (sig)
			rc = EXIT_SIGNAL + sig;
		goto out;
	}
	kmsg_forget(&m);
	if (c->json)
		print_json(c->fd, id, &a);
	else
		printf("%u\n", id);
	if (ctl_flush())
		rc = id_lost(c->fd, id);
	sig = release_signals(&held, &was);
	if (sig) {
		/* Not stopped for the user: a stop may take as long again. */
		if (rc == EXIT_OK)
			err_msg("run: interrupted (%s) while the guest started: it is running as instance %u (kspawnctl stop %u)",
				signal_name(sig), id, id);
		rc = EXIT_SIGNAL + sig;
	}
out:
	image_free(&img);
	return rc;
}
