/*
 * newlib's system calls.  newlib was built with --disable-newlib-supplied-
 * syscalls, and for x86_64-elf it calls them by their plain names (write,
 * not _write: MISSING_SYSCALL_NAMES); only _exit keeps its underscore.
 *
 * File descriptors 0, 1 and 2 are the console; there is no file system
 * and no other process.  The console is one terminal, so each of the
 * three reads and writes alike, as fstat() and isatty() say: on a POSIX
 * system login opens the tty read/write and gives it all three, and
 * write(0) and read(1) work there too.  errno goes through newlib's
 * per-thread reentrancy structure.  sbrk is in sbrk.c, the clocks in
 * clock.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kern/console.h"
#include "kern/panic.h"
#include "kern/power.h"
#include "kern/sched.h"

#define GUEST_PID 1

static int is_console(int fd)
{
	return fd >= 0 && fd <= 2;
}

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t n)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, n);
	return (_READ_WRITE_RETURN_TYPE)n;
}

/*
 * Console input has no interrupt: poll, sleeping a tick between polls.
 * Returns once at least one byte is in, with whatever else is waiting
 * (up to the end of a line).
 */
_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t n)
{
	unsigned char *p = buf;
	size_t got = 0;
	int c;

	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	while (got < n) {
		c = console_getc();
		if (c >= 0) {
			p[got++] = (unsigned char)c;
			if (c == '\n')
				break;
		} else if (got) {
			break;
		} else {
			thread_sleep_ms(1);
		}
	}
	return (_READ_WRITE_RETURN_TYPE)got;
}

int close(int fd)
{
	if (is_console(fd))
		return 0;
	errno = EBADF;
	return -1;
}

int fstat(int fd, struct stat *st)
{
	if (!is_console(fd)) {
		errno = EBADF;
		return -1;
	}
	*st = (struct stat){ .st_mode = S_IFCHR | 0620 };
	return 0;
}

int isatty(int fd)
{
	if (is_console(fd))
		return 1;
	errno = EBADF;
	return 0;
}

off_t lseek(int fd, off_t off, int whence)
{
	(void)off;
	(void)whence;
	errno = is_console(fd) ? ESPIPE : EBADF;
	return -1;
}

int open(const char *path, int flags, ...)
{
	(void)path;
	(void)flags;
	errno = ENOENT;		/* no file system */
	return -1;
}

int stat(const char *path, struct stat *st)
{
	(void)path;
	(void)st;
	errno = ENOENT;
	return -1;
}

int link(const char *old, const char *new)
{
	(void)old;
	(void)new;
	errno = ENOENT;
	return -1;
}

int unlink(const char *path)
{
	(void)path;
	errno = ENOENT;
	return -1;
}

pid_t getpid(void)
{
	return GUEST_PID;
}

/*
 * The only process is the guest: a signal to it (abort()) ends it.  Signal
 * 0 only asks whether the process exists (kill(pid, 0), raise(0)), and a
 * number that is no signal is refused, as POSIX has it: neither is a
 * reason to end the guest.  Nor is a signal whose default action is to be
 * ignored or to continue (SIGCHLD, SIGURG, SIGWINCH, SIGCONT): newlib's
 * raise() comes here for a signal with no handler, and POSIX has those
 * change nothing.
 */
int kill(pid_t pid, int sig)
{
	if (sig < 0 || sig >= NSIG) {
		errno = EINVAL;
		return -1;
	}
	if (pid != GUEST_PID) {
		errno = ESRCH;
		return -1;
	}
	switch (sig) {
	case 0:
	case SIGCHLD:
	case SIGURG:
	case SIGWINCH:
	case SIGCONT:
		return 0;
	}
	if (sig == SIGABRT)
		panic("abort() called by thread '%s'",
		      thread_name(thread_self()));
	panic("signal %d raised by thread '%s'", sig,
	      thread_name(thread_self()));
}

pid_t fork(void)
{
	errno = ENOSYS;
	return -1;
}

pid_t wait(int *status)
{
	(void)status;
	errno = ECHILD;
	return -1;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	(void)path;
	(void)argv;
	(void)envp;
	errno = ENOSYS;
	return -1;
}

/* exit() has run the atexit handlers and flushed stdio by now. */
void _exit(int status)
{
	guest_exit(status);
}
