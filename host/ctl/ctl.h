/* kspawnctl: what the commands share. */
#ifndef KSPAWNCTL_CTL_H
#define KSPAWNCTL_CTL_H

#include <signal.h>
#include <stdint.h>

#include "device.h"
#include "gdbstub/rsp.h"

/* Exit statuses, documented in `kspawnctl --help` (usage.c). */
enum ctl_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOMODULE = 3,	/* kspawn.ko not loaded (/dev/kspawn missing), or
				 * the --device/$KSPAWN_DEVICE path missing */
	EXIT_PERM = 4,		/* permission denied: not root, or root
				 * refused (nodev, no CAP_SYS_ADMIN) */
	EXIT_IMAGE = 5,		/* bad image */
	EXIT_ABI = 6,		/* ABI major version mismatch */
	EXIT_RESOURCE = 7,	/* pool too small; a CPU busy, absent, the
				 * last online one or CPU 0 */
	EXIT_NOINST = 8,	/* no such instance */
	EXIT_GUEST = 9,		/* console: panicked, hung or dead */
	EXIT_SIGNAL = 128,	/* + the signal (SIGINT, SIGTERM) that ended
				 * console --follow or gdb, as a shell says it */
};

struct ctl {
	int json;
	const char *device;
	/* "--device", "KSPAWN_DEVICE", or NULL for the default path */
	const char *device_from;
	int fd;			/* /dev/kspawn once opened */
};

/* kspawnctl ARGS...: the exit status (cli.c). */
int ctl_main(int argc, char **argv);

int cmd_run(struct ctl *c, int argc, char **argv);
int cmd_list(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_console(struct ctl *c, int argc, char **argv);
/*
 * What kspawnctl console reads at most per turn: more than the module
 * keeps of a guest's console (64 KiB, CONSOLE_KEEP in host/kmod/instance.c),
 * so all it held at the start, but not for ever from a guest that writes
 * as fast as we read.
 */
#define CTL_CONSOLE_TURN (256 * 1024)
int cmd_stop(struct ctl *c, int argc, char **argv);
int cmd_gdb(struct ctl *c, int argc, char **argv);
int cmd_reserve(struct ctl *c, int argc, char **argv);
int cmd_release(struct ctl *c, int argc, char **argv);

/*
 * Where gdb's byte stream is (gdb_break.c): the guest stub's own framing
 * (guest/gdbstub/rsp.c), zeroed for a new peer (between packets).
 */
struct gdb_scan {
	struct rsp_rx rx;
};
/* 1 if buf (the next bytes from gdb) holds a break request. */
int gdb_scan_breaks(struct gdb_scan *s, const char *buf, size_t len);

/* Open the device, or say why not; returns an exit status. */
int ctl_open(struct ctl *c);
/* Message and exit status for a failed request that named instance id. */
int ctl_fail(const char *what, int err, uint32_t id);
/*
 * The same for one that named none (list, version, the pool, a load):
 * its ENOENT or ESRCH is not "no instance".
 */
int ctl_fail_call(const char *what, int err);
/* Decimal digits only, at most max: 0 with *v, or -1 (nothing said). */
int ctl_parse_uint(const char *s, unsigned long max, unsigned long *v);
/* The same at the start of *s, *s moved past them; what follows is not
 * looked at. */
int ctl_parse_digits(const char **s, unsigned long max, unsigned long *v);
/* Parse cmd's instance ID; prints the error and returns -1 if bad. */
int ctl_parse_id(const char *cmd, const char *s, uint32_t *id);

/* A flag a command takes: *set becomes 1 if NAME (or ALIAS) is given. */
struct ctl_flag {
	const char *name, *alias;
	int *set;
};

/*
 * "COMMAND ID [FLAG...]", as status, console and stop take them: flags
 * ends with a NULL name (or is NULL: none).  CTL_GO to go on, or the exit
 * status to return (EXIT_OK after --help, EXIT_USAGE said why).
 */
#define CTL_GO (-1)
int ctl_id_args(const char *cmd, int argc, char **argv,
		const struct ctl_flag *flags, uint32_t *id);

/*
 * -h or --help anywhere in cmd's arguments (but as the value of an option
 * of with_value, NULL-terminated, or NULL): 1, its help printed, or 0.
 */
int ctl_help(const char *cmd, int argc, char **argv,
	     const char *const *with_value);

/*
 * A bad command line for cmd: "kspawnctl: CMD: WHY", then cmd's synopsis;
 * EXIT_USAGE.
 */
int ctl_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * An option cmd does not take: unknown, or a global option (--json,
 * --device) after the command, said to go before it (--json only where
 * it means something).  EXIT_USAGE, cmd's synopsis printed.
 */
int ctl_bad_option(const char *cmd, const char *opt);
/* The same reason, said alone (run says its synopsis itself). */
void ctl_say_bad_option(const char *cmd, const char *opt);
/*
 * 1 if arg is an option: a '-' followed by something not a digit.  "-1"
 * is a negative number, an ID or CPU list to refuse as that, not as an
 * unknown option "-1"; a lone "-" is an operand (stdin, by custom), to
 * refuse as the ID or list it stands for.
 */
int ctl_is_option(const char *arg);
/*
 * 1 if arg is the "--" that ends the options, getopt's way (the first
 * one: *operands was 0, and is 1 now): every word after it is an
 * operand, one that starts with '-' too.  Otherwise 0.
 */
int ctl_end_of_options(const char *arg, int *operands);
/* 1 if cmd prints JSON with --json (run, status, list), else 0. */
int ctl_json_cmd(const char *cmd);

/*
 * Is argv[*i] the option NAME, as "NAME VALUE" or "NAME=VALUE"?  0 if not;
 * 1 with *val its value (and *i on the last word it took); -1 if it has
 * none (said: "CMD: NAME needs a value"; cmd NULL for a global option).
 */
int ctl_opt(const char *cmd, int argc, char **argv, int *i, const char *name,
	    const char **val);

const char *guest_state_name(uint32_t s);
const char *host_state_name(enum ctl_host_state s);
const char *instance_state_name(const struct ctl_status *st);
const char *vector_name(uint64_t v);

/*
 * Flush stdout: 0, or the errno of a write that failed, said on stderr
 * ("writing output: ..."); what was not written is dropped (output.c).
 */
int ctl_flush(void);
/*
 * All of buf to fd: 0, or the errno of a write that failed.  A write a
 * signal interrupts is taken up again, unless *stop is set by then: a
 * reader that stopped reading (a pager, its screen full; a gdb stopped)
 * must not hold back Ctrl-C; the rest is dropped then, and it returns 0.
 */
int ctl_write_all(int fd, const void *buf, size_t len,
		  volatile sig_atomic_t *stop);
/*
 * The same to stdout, past stdio (what it holds flushed first), for
 * console's copy (stdio would take up a partial write by itself, and
 * wait): 0, or ctl_flush()'s errno, said.
 */
int ctl_write(const void *buf, size_t len, volatile sig_atomic_t *stop);
/*
 * SIGINT and SIGTERM to fn, without SA_RESTART (a blocked read or write
 * ends at Ctrl-C), except one ignored when kspawnctl started: a caller
 * that ignores it (a script's background job, nohup) keeps it ignored,
 * as run does.
 */
void ctl_catch_stop_signals(void (*fn)(int));
/* stdout buffered whole (unless a terminal), for ctl_flush() to see. */
void ctl_output_init(void);

void usage(const char *cmd, int to_stderr);
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Module log lines since a mark, to say what the module said on failure. */
struct kmsg_mark {
	int fd;
};
void kmsg_mark(struct kmsg_mark *m);
void kmsg_report(struct kmsg_mark *m);
/* The same without the lines containing relayed (shown as they came). */
void kmsg_report_except(struct kmsg_mark *m, const char *relayed);
void kmsg_forget(struct kmsg_mark *m);
void kmsg_relay(struct kmsg_mark *m, const char *what, const char *prefix);

#endif
