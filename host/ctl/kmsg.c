/*
 * The module explains a refusal in the kernel log (one line saying what was
 * wrong); errno alone often cannot.  Mark the log's end before a request
 * and, if it fails, show the module's lines written since.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

void kmsg_mark(struct kmsg_mark *m)
{
	m->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (m->fd >= 0 && lseek(m->fd, 0, SEEK_END) < 0) {
		close(m->fd);
		m->fd = -1;
	}
}

/*
 * The most one /dev/kmsg read returns: Linux formats a record, with its
 * header, escapes (\xNN for each unprintable byte) and dictionary, into a
 * buffer this size (CONSOLE_EXT_LOG_MAX), and a read with less room fails
 * with EINVAL.
 */
#define KMSG_RECORD_MAX 8192

/*
 * Reads in a row that fail with EPIPE or EINVAL before kspawnctl gives up:
 * Linux moves past the record each time, so only a kernel that did not
 * could fail on and on.
 */
#define KMSG_ERRORS_MAX 64

/*
 * The log's lines since the mark that contain what but not skip (if not
 * NULL), each to stderr after prefix; the mark moves past everything read.
 * Lines lost to the log wrapping since the mark (EPIPE), or too long to
 * read (EINVAL), are said, and the lines after them still read.
 */
static void print_lines(struct kmsg_mark *m, const char *what, const char *skip,
			const char *prefix)
{
	char rec[KMSG_RECORD_MAX + 1];
	int errors = 0;
	ssize_t n;

	if (m->fd < 0)
		return;
	/* Each read returns one record: "prio,seq,usec,flags;text\n". */
	while (errors < KMSG_ERRORS_MAX) {
		char *text, *nl;

		n = read(m->fd, rec, sizeof(rec) - 1);
		if (n < 0 && (errno == EPIPE || errno == EINVAL)) {
			fprintf(stderr, "%s(%s)\n", prefix, errno == EPIPE ?
				"some kernel log lines were lost: the log wrapped before kspawnctl read them" :
				"a kernel log line too long for kspawnctl to read was skipped");
			errors++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		errors = 0;
		rec[n] = '\0';
		text = memchr(rec, ';', (size_t)n);
		if (!text)
			continue;
		text++;
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		if (strstr(text, what) && !(skip && strstr(text, skip)))
			fprintf(stderr, "%s%s\n", prefix, text);
	}
}

void kmsg_report(struct kmsg_mark *m)
{
	kmsg_report_except(m, NULL);
}

void kmsg_report_except(struct kmsg_mark *m, const char *relayed)
{
	print_lines(m, "kspawn", relayed, "  kernel log: ");
	kmsg_forget(m);
}

void kmsg_forget(struct kmsg_mark *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

/* The same as they come, for a long request's progress (cmd_stop.c). */
void kmsg_relay(struct kmsg_mark *m, const char *what, const char *prefix)
{
	print_lines(m, what, NULL, prefix);
}
