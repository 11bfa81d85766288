/*
 * The only file that knows kspawn.ko's ioctls (abi/kspawn_ioctl.h):
 * it fills the versioned argument structures and turns the answers into
 * the plain structures of device.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "device.h"
#include "abi/kspawn_ioctl.h"

/* Every argument starts with argsz and version. */
#define IOC_INIT(arg)                                                          \
	do {                                                                   \
		memset(&(arg), 0, sizeof(arg));                                \
		(arg).argsz = sizeof(arg);                                     \
		(arg).version = KSPAWN_IOCTL_VERSION;                          \
	} while (0)

static int call(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int dev_open(const char *path, int *fd)
{
	*fd = open(path, O_RDWR | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

int dev_version(int fd, struct ctl_version *v)
{
	struct kspawn_ioc_version a;
	int e;

	IOC_INIT(a);
	e = call(fd, KSPAWN_IOC_VERSION, &a);
	if (e)
		return e;
	v->abi_major = a.abi_major;
	v->abi_minor = a.abi_minor;
	v->ioctl_version = a.ioctl_version;
	v->max_instances = a.max_instances;
	return 0;
}

static int instance_op(int fd, unsigned long req, uint32_t id,
		       uint32_t flags)
{
	struct kspawn_ioc_instance a;

	IOC_INIT(a);
	a.id = id;
	a.flags = flags;
	return call(fd, req, &a);
}

int dev_load(int fd, const struct ctl_spawn *req, uint32_t *id)
{
	struct kspawn_ioc_load a;
	int e;

	_Static_assert(sizeof(a.disk_path) == CTL_DISK_PATH_MAX,
		       "run_args.c checks --disk against CTL_DISK_PATH_MAX");

	IOC_INIT(a);
	a.image = (uintptr_t)req->image;
	a.image_size = req->image_size;
	a.mem = req->mem;
	a.cpu = req->cpu;
	if (req->ncpus > KSPAWN_MAX_CPUS)
		return -EINVAL;
	a.ncpus = req->ncpus;
	memcpy(a.cpus, req->cpus, req->ncpus * sizeof(a.cpus[0]));
	if (strlen(req->cmdline) >= sizeof(a.cmdline))
		return -E2BIG;
	strcpy(a.cmdline, req->cmdline);
	a.ramdisk_bytes = req->ramdisk;
	a.net_mode = req->net == 2 ? KSPAWN_NET_NETDEV :
		     req->net == 1 ? KSPAWN_NET_LOOPBACK : KSPAWN_NET_NONE;
	if (req->disk) {
		if (strlen(req->disk) >= sizeof(a.disk_path))
			return -ENAMETOOLONG;
		strcpy(a.disk_path, req->disk);
		if (req->writeback)
			a.flags |= KSPAWN_LOAD_WRITEBACK;
	}
	if (req->doorbell_cpu >= 0) {
		a.flags |= KSPAWN_LOAD_DOORBELL_CPU;
		a.doorbell_cpu = (uint32_t)req->doorbell_cpu;
	}
	e = call(fd, KSPAWN_IOC_LOAD, &a);
	if (e)
		return e;
	*id = a.id;
	return 0;
}

int dev_start(int fd, uint32_t id)
{
	return instance_op(fd, KSPAWN_IOC_START, id, 0);
}

static enum ctl_host_state host_state(uint32_t s)
{
	switch (s) {
	case KSPAWN_HOST_LOADED:
		return CTL_HOST_LOADED;
	case KSPAWN_HOST_STARTING:
		return CTL_HOST_STARTING;
	case KSPAWN_HOST_RUNNING:
		return CTL_HOST_RUNNING;
	case KSPAWN_HOST_STOPPING:
		return CTL_HOST_STOPPING;
	case KSPAWN_HOST_DEAD:
		return CTL_HOST_DEAD;
	default:
		return CTL_HOST_UNKNOWN;
	}
}

int dev_status(int fd, uint32_t id, struct ctl_status *st)
{
	struct kspawn_ioc_status a;
	int e;

	IOC_INIT(a);
	a.id = id;
	e = call(fd, KSPAWN_IOC_STATUS, &a);
	if (e)
		return e;
	memset(st, 0, sizeof(*st));
	st->id = id;
	st->cpu = a.cpu;
	st->apic_id = a.apic_id;
	st->ncpus = a.ncpus <= KSPAWN_MAX_CPUS ? a.ncpus : 0;
	memcpy(st->cpus, a.cpus, sizeof(st->cpus));
	st->host_state = host_state(a.host_state);
	st->guest_state = a.guest_state;
	st->hung = a.hung != 0;
	st->exit_code = a.exit_code;
	st->region_base = a.region_base;
	st->region_size = a.region_size;
	st->shared_base = a.shared_base;
	st->shared_size = a.shared_size;
	st->heartbeat = a.heartbeat;
	st->heartbeat_age_ms = a.heartbeat_age_ms;
	st->tsc_khz = a.tsc_khz;
	memcpy(st->boot_tsc, a.boot_tsc, sizeof(st->boot_tsc));
	st->console_dropped = a.console_dropped;
	memcpy(st->cmdline, a.cmdline, sizeof(st->cmdline));
	st->panic = a.panic;
	st->doorbell_cpu = a.doorbell_cpu;
	st->doorbell_vector = a.doorbell_vector;
	st->stray_irqs = a.stray_irqs;
	st->stray_vector = a.stray_vector;
	st->stray_host_broadcast = !!(a.stray_flags & KSPAWN_STRAY_HOST_BROADCAST);
	return 0;
}

int dev_list(int fd, uint32_t *ids, int max, int *count)
{
	struct kspawn_ioc_list a;
	int e;

	IOC_INIT(a);
	a.max = max < 0 ? 0 : (uint32_t)max;
	a.ids = (uintptr_t)ids;
	e = call(fd, KSPAWN_IOC_LIST, &a);
	if (e)
		return e;
	*count = a.count > a.max ? (int)a.max : (int)a.count;
	return 0;
}

static enum ctl_gone gone_state(uint32_t g)
{
	switch (g) {
	case 0:
		return CTL_GONE_NO;
	case KSPAWN_GONE_HALTED:
		return CTL_GONE_HALTED;
	case KSPAWN_GONE_PANICKED:
		return CTL_GONE_PANICKED;
	case KSPAWN_GONE_HUNG:
		return CTL_GONE_HUNG;
	case KSPAWN_GONE_DEAD:
		return CTL_GONE_DEAD;
	default:
		return CTL_GONE_RUNNING;
	}
}

/* gone: NULL, or where a console read's CTL_GONE_* goes. */
static int io(int fd, unsigned long req, uint32_t id, void *buf, size_t len,
	      size_t *done, enum ctl_gone *gone)
{
	struct kspawn_ioc_io a;
	int e;

	IOC_INIT(a);
	a.id = id;
	a.len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	a.buf = (uintptr_t)buf;
	e = call(fd, req, &a);
	*done = e ? 0 : a.done;
	if (gone)
		*gone = e ? CTL_GONE_NO : gone_state(a.gone);
	return e;
}

int dev_console_read(int fd, uint32_t id, void *buf, size_t len,
		     size_t *got, enum ctl_gone *gone)
{
	return io(fd, KSPAWN_IOC_CONSOLE_READ, id, buf, len, got, gone);
}

int dev_console_write(int fd, uint32_t id, const void *buf, size_t len,
		      size_t *put)
{
	return io(fd, KSPAWN_IOC_CONSOLE_WRITE, id, (void *)buf, len, put,
		  NULL);
}

int dev_debug_read(int fd, uint32_t id, void *buf, size_t len, size_t *got)
{
	return io(fd, KSPAWN_IOC_DEBUG_READ, id, buf, len, got, NULL);
}

int dev_debug_write(int fd, uint32_t id, const void *buf, size_t len,
		    size_t *put)
{
	return io(fd, KSPAWN_IOC_DEBUG_WRITE, id, (void *)buf, len, put,
		  NULL);
}

int dev_debug_break(int fd, uint32_t id)
{
	return instance_op(fd, KSPAWN_IOC_DEBUG_BREAK, id, 0);
}

int dev_cpus(int fd, struct ctl_cpus *c)
{
	struct kspawn_ioc_cpus a;
	int e;

	memset(c, 0, sizeof(*c));
	IOC_INIT(a);
	e = call(fd, KSPAWN_IOC_CPUS, &a);
	if (e)
		return e;
	for (uint32_t cpu = 0; cpu < a.nr_cpus && cpu < CTL_MAX_CPUS; cpu++) {
		c->pooled[cpu] = (a.pooled[cpu / 64] >> (cpu % 64)) & 1;
		c->busy[cpu] = (a.busy[cpu / 64] >> (cpu % 64)) & 1;
		c->doorbells[cpu] = (a.doorbells[cpu / 64] >> (cpu % 64)) & 1;
	}
	return 0;
}

int dev_reserve(int fd, uint32_t cpu, int reserve)
{
	struct kspawn_ioc_cpu a;

	IOC_INIT(a);
	a.cpu = cpu;
	return call(fd, reserve ? KSPAWN_IOC_RESERVE : KSPAWN_IOC_RELEASE, &a);
}

int dev_stop(int fd, uint32_t id, int force)
{
	return instance_op(fd, KSPAWN_IOC_STOP, id,
			   force ? KSPAWN_STOP_FORCE : 0);
}
