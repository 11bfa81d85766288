/*
 * The module explains a refusal in the kernel log (one line saying what was
 * wrong); errno alone often cannot.  Mark the log's end before a request
 * and, if it fails, show the module's lines written since.
 */
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
 * The log's lines since the mark that contain what but not skip (if not
 * NULL), each to stderr after prefix; the mark moves past everything read.
 */
static void print_lines(struct kmsg_mark *m, const char *what, const char *skip,
			const char *prefix)
{
	char rec[1024];
	ssize_t n;

	if (m->fd < 0)
		return;
	/* Each read returns one record: "prio,seq,usec,flags;text\n". */
	while ((n = read(m->fd, rec, sizeof(rec) - 1)) > 0) {
		char *text = memchr(rec, ';', (size_t)n);
		char *nl;

		rec[n] = '\0';
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
