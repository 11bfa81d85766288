/*
 * kspawnctl run's command line: the options, their values, and what no
 * guest can have (said here, as the option it came from, before the
 * module is asked).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "ctl.h"
#include "cpus.h"
#include "lib/cmdline.h"
#include "run_args.h"

/*
 * The size of a --disk file or block device: 0, or -1 if it cannot be
 * told here (the module then says what it finds).
 */
static int disk_bytes(const char *path, uint64_t *bytes)
{
	struct stat st;
	int fd, r = -1;

	if (stat(path, &st))
		return -1;
	if (S_ISREG(st.st_mode)) {
		*bytes = (uint64_t)st.st_size;
		return 0;
	}
	if (!S_ISBLK(st.st_mode))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, BLKGETSIZE64, bytes) == 0)
		r = 0;
	close(fd);
	return r;
}

/*
 * "16M", "64MiB", "1G", "8388608", "0x1000000": *bytes and 0, or -1 if
 * malformed.  Decimal (010M is 10 MiB, no octal), or hex after an explicit
 * 0x; then K, M or G (either case), which a B or iB may follow.  A
 * well-formed size past 64 bits is UINT64_MAX, and 0 is 0: too big or
 * too small, said as such (check_sizes(), run_option() for a RAM disk of
 * 0), not as malformed.
 */
static int parse_size(const char *s, uint64_t *bytes)
{
	unsigned int base = 10, shift = 0;
	int big = 0;		/* more digits than 64 bits hold */
	uint64_t v = 0;
	const char *p;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (p = s; base == 16 ? isxdigit((unsigned char)*p) :
				isdigit((unsigned char)*p); p++) {
		unsigned int d = isdigit((unsigned char)*p) ?
				 (unsigned int)(*p - '0') :
				 (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);

		if (v > (UINT64_MAX - d) / base)
			big = 1;
		else
			v = v * base + d;
	}
	if (p == s)
		return -1;
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	}
	/* Binary whatever the spelling: 16M, 16MiB, 16MB, 16mib. */
	if (shift && (p[0] == 'i' || p[0] == 'I') &&
	    (p[1] == 'b' || p[1] == 'B'))
		p += 2;
	else if (shift && (p[0] == 'b' || p[0] == 'B'))
		p++;
	if (*p)
		return -1;
	*bytes = big || v > (UINT64_MAX >> shift) ? UINT64_MAX : v << shift;
	return 0;
}

/* "run: OPT", for what cpus.c says. */
static const char *run_opt(const char *opt)
{
	static char what[32];

	snprintf(what, sizeof(what), "run: %s", opt);
	return what;
}

/* A CPU number for opt, or -1 (said why). */
static int parse_cpu(const char *opt, const char *val)
{
	const char *big;
	int n = cpus_number(val, &big);

	if (n == CPUS_TOO_BIG) {
		cpus_say_too_big(run_opt(opt), big);
		return -1;
	}
	if (n < 0) {
		err_msg("run: %s wants a CPU number, not '%s'", opt, val);
		return -1;
	}
	return n;
}

/* --cpus 2-3: the guest's CPUs, its CPU 0 the lowest; one is --cpu. */
static int parse_cpus(struct run_args *a, const char *val)
{
	static unsigned char set[CTL_MAX_CPUS];
	const char *big;
	int n = cpus_parse_big(val, set, &big);

	if (n == CPUS_TOO_BIG) {
		cpus_say_too_big(run_opt("--cpus"), big);
		return -1;
	}
	if (n <= 0 || n > KSPAWN_MAX_CPUS) {
		err_msg("run: --cpus wants a CPU list like 2-3 or 1,3 (at most %d CPUs), not '%s'",
			KSPAWN_MAX_CPUS, val);
		return -1;
	}
	a->ncpus = 0;
	for (int c = 0; c < CTL_MAX_CPUS; c++)
		if (set[c])
			a->cpus[a->ncpus++] = (uint32_t)c;
	if (a->ncpus == 1) {
		a->cpu = (int)a->cpus[0];
		a->ncpus = 0;
	}
	return 0;
}

/*
 * Sizes no guest can have, said here as the option they came from rather
 * than as the module's EINVAL or E2BIG: the region's bounds (the module
 * rounds --mem up to KSPAWN_REGION_ALIGN as elf_check_region() does), the
 * RAM disk's, and a --disk with not one sector.  0, or -1 said why.
 */
static int check_sizes(const struct run_args *a)
{
	uint64_t region = (a->mem + KSPAWN_REGION_ALIGN - 1) &
			  ~(KSPAWN_REGION_ALIGN - 1);
	uint64_t bytes;

	if (a->mem > KSPAWN_REGION_MAX) {
		err_msg("run: --mem %s: a guest's region is at most %llu MiB",
			a->mem_arg, (unsigned long long)(KSPAWN_REGION_MAX >> 20));
		return -1;
	}
	if (a->mem_arg && region < KSPAWN_REGION_MIN) {
		err_msg("run: --mem %s: a guest's region is at least %llu MiB",
			a->mem_arg, (unsigned long long)(KSPAWN_REGION_MIN >> 20));
		return -1;
	}
	if (a->ramdisk > KSPAWN_RAMDISK_MAX_BYTES) {
		err_msg("run: --ramdisk %s: a RAM disk is at most %llu MiB (use --disk with a file for more)",
			a->ramdisk_arg,
			(unsigned long long)(KSPAWN_RAMDISK_MAX_BYTES >> 20));
		return -1;
	}
	if (a->disk && disk_bytes(a->disk, &bytes) == 0 &&
	    bytes < KSPAWN_DISK_MIN_BYTES) {
		err_msg("run: --disk %s is empty (%llu bytes): a disk needs at least one %llu-byte sector (truncate -s 64M %s, say)",
			a->disk, (unsigned long long)bytes,
			(unsigned long long)KSPAWN_DISK_MIN_BYTES, a->disk);
		return -1;
	}
	return 0;
}

/* The options that take a value, as run_option() knows them. */
static const char *const run_options[] = {
	"--cpu", "--cpus", "--doorbell-cpu", "--mem", "--cmdline", "--net",
	"--ramdisk", "--disk", "--cache", NULL
};
_Static_assert(sizeof(run_options) / sizeof(run_options[0]) <= 33,
	       "run_parse_args() marks the options seen in 32 bits");

/* Option opt (one of run_options) with its value: 0, or -1 said why. */
static int run_option(struct run_args *a, const char *opt, const char *val)
{
	struct stat st;

	if (!strcmp(opt, "--cpu")) {
		a->cpu_given = 1;
		a->cpu = parse_cpu(opt, val);
		if (a->cpu < 0)
			return -1;
	} else if (!strcmp(opt, "--doorbell-cpu")) {
		a->doorbell_cpu = parse_cpu(opt, val);
		if (a->doorbell_cpu < 0)
			return -1;
	} else if (!strcmp(opt, "--cpus")) {
		a->cpus_given = 1;
		a->cpus_arg = val;
		if (parse_cpus(a, val))
			return -1;
	} else if (!strcmp(opt, "--mem")) {
		a->mem_arg = val;
		if (parse_size(val, &a->mem)) {
			err_msg("run: --mem wants a size like 16M or 64M, not '%s'",
				val);
			return -1;
		}
	} else if (!strcmp(opt, "--cmdline")) {
		a->cmdline = val;
	} else if (!strcmp(opt, "--net")) {
		if (!strcmp(val, "loopback")) {
			a->net = 1;
		} else if (!strcmp(val, "netdev")) {
			a->net = 2;
		} else {
			err_msg("run: --net wants loopback or netdev, not '%s'",
				val);
			return -1;
		}
	} else if (!strcmp(opt, "--ramdisk")) {
		/* vdpa_sim_blk's size, when the user has no opinion */
		a->ramdisk = 128ULL << 20;
		a->ramdisk_arg = val;
		if (strcmp(val, "default") && parse_size(val, &a->ramdisk)) {
			err_msg("run: --ramdisk wants a size like 16M or 128M, not '%s'",
				val);
			return -1;
		}
		if (!a->ramdisk) {
			err_msg("run: --ramdisk %s: a disk needs at least one 512-byte sector",
				val);
			return -1;
		}
		/* One too big is check_sizes()'s to say, as too big. */
		if (a->ramdisk % 512 && a->ramdisk <= KSPAWN_RAMDISK_MAX_BYTES) {
			err_msg("run: --ramdisk %s: a disk is whole 512-byte sectors, and %llu bytes is not",
				val, (unsigned long long)a->ramdisk);
			return -1;
		}
	} else if (!strcmp(opt, "--disk")) {
		/* An unset variable ("$disk"): not "--disk : No such file". */
		if (!*val) {
			err_msg("run: --disk needs a path, not an empty word");
			return -1;
		}
		/* Said as the option, not as the load's ENAMETOOLONG. */
		if (strlen(val) >= CTL_DISK_PATH_MAX) {
			err_msg("run: --disk path is %zu bytes, at most %d (a shorter path to it, a symlink say)",
				strlen(val), CTL_DISK_PATH_MAX - 1);
			return -1;
		}
		if (access(val, R_OK | W_OK) || stat(val, &st)) {
			err_msg("run: --disk %s: %s", val, strerror(errno));
			return -1;
		}
		/*
		 * The module would refuse anything else at the load, after
		 * the image and the CPUs; a FIFO is not even to be opened.
		 */
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
			err_msg("run: --disk %s: not a regular file or block device",
				val);
			return -1;
		}
		a->disk = val;
	} else if (!strcmp(opt, "--cache")) {
		if (strcmp(val, "none") && strcmp(val, "writeback")) {
			err_msg("run: --cache wants none or writeback, not '%s'",
				val);
			return -1;
		}
		a->writeback = !strcmp(val, "writeback");
		a->cache_given = 1;
	}
	return 0;
}

/* --cmdline as the guest splits it (static: half a KiB and more). */
static struct cmdline words;

int run_parse_args(struct run_args *a, int argc, char **argv)
{
	if (ctl_help("run", argc, argv, run_options))
		return 1;
	memset(a, 0, sizeof(*a));
	a->cpu = -1;
	a->doorbell_cpu = -1;
	a->cmdline = "hello";
	unsigned int given = 0;	/* run_options[i] seen: bit i */
	int operands = 0;	/* after "--": an image named "-x" */
	int stdin_image = 0;	/* IMAGE '-' before any "--" */

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = NULL;
		int k, r = 0;

		if (ctl_end_of_options(opt, &operands))
			continue;
		if (!operands && !strcmp(opt, "--no-verify")) {
			a->no_verify = 1;
			continue;
		}
		/* A lone '-' is an operand too, said below. */
		if (operands || opt[0] != '-' || !opt[1]) {
			if (a->image) {
				err_msg("run: one image only ('%s' and '%s')",
					a->image, opt);
				return -1;
			}
			a->image = opt;
			stdin_image = !operands && !strcmp(opt, "-");
			continue;
		}
		for (k = 0; run_options[k] && !r; k++)
			r = ctl_opt("run", argc, argv, &i, run_options[k], &val);
		if (r < 0)
			return -1;
		if (!r) {
			/* --json, --device: said where they go. */
			ctl_say_bad_option("run", opt);
			return -1;
		}
		/* Not the last one silently: which did the user mean? */
		if (given & (1u << (k - 1))) {
			err_msg("run: %s given twice", run_options[k - 1]);
			return -1;
		}
		given |= 1u << (k - 1);
		if (run_option(a, run_options[k - 1], val))
			return -1;
	}
	if (!a->image) {
		err_msg("run: which image? (kspawnctl run IMAGE)");
		return -1;
	}
	/*
	 * stdin, by custom: the image is read by path (its size, then its
	 * segments), and a file named '-' comes after "--".
	 */
	if (stdin_image) {
		err_msg("run: IMAGE '-': kspawnctl reads the image from a file, not from stdin (-- - for a file named '-')");
		return -1;
	}
	/* An unset variable ("$img"): not "run: : cannot open", status 1. */
	if (!*a->image) {
		err_msg("run: the IMAGE path is an empty word");
		return -1;
	}
	if (a->ramdisk && a->disk) {
		err_msg("run: --disk or --ramdisk, not both");
		return -1;
	}
	/* Neither is dropped in silence. */
	if (a->cpu_given && a->cpus_given) {
		err_msg("run: --cpu or --cpus, not both");
		return -1;
	}
	if (a->cache_given && !a->disk) {
		err_msg("run: --cache is how a --disk is read and written: there is no --disk");
		return -1;
	}
	if (check_sizes(a))
		return -1;
	for (unsigned int i = 0; i < (a->ncpus ? a->ncpus : 1); i++) {
		int cpu = a->ncpus ? (int)a->cpus[i] : a->cpu;

		if (a->doorbell_cpu >= 0 && cpu == a->doorbell_cpu) {
			err_msg("run: --doorbell-cpu %d is the guest's own CPU: the doorbell needs one Linux keeps",
				cpu);
			return -1;
		}
	}
	if (strlen(a->cmdline) >= KSPAWN_CMDLINE_MAX) {
		err_msg("run: --cmdline is %zu bytes, the limit is %d",
			strlen(a->cmdline), KSPAWN_CMDLINE_MAX - 1);
		return -1;
	}
	/*
	 * The guest's own parser: words past what it keeps would be
	 * dropped there, the app run without them, said only on its
	 * console.
	 */
	if (cmdline_parse(&words, a->cmdline, KSPAWN_CMDLINE_MAX)) {
		err_msg("run: --cmdline has more words than the guest keeps: at most %d KEY=VALUE options, then %d words from the app's name on",
			CMDLINE_MAX_OPTS, CMDLINE_MAX_ARGS);
		return -1;
	}
	/* As the guest picks it (kern/main.c): no plain word is "hello". */
	a->app = words.argc ? words.argv[0] : "hello";
	return 0;
}
