/*
 * What ioctlabuse.c (the garbage, and main) and ioctlabuse_starts.c (the
 * modes around starting and placing an instance) share.
 */
#ifndef IOCTLABUSE_H
#define IOCTLABUSE_H

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "abi/kspawn_ioctl.h"

#define INIT(a) do { memset(&(a), 0, sizeof(a)); (a).argsz = sizeof(a); \
		     (a).version = KSPAWN_IOCTL_VERSION; } while (0)

extern int failures;

/* Count a failure unless r is -1 with errno err; say which. */
void want(const char *what, int r, int err);
/* A valid load of the image on CPU 1, for a case to spoil one field of. */
struct kspawn_ioc_load valid_load(void *img, size_t img_size,
				  const char *cmdline);
int count_instances(int fd);
/* No instance may be listed after what; ok says so.  Returns the count. */
int none_left(int fd, const char *what, const char *ok);

/* A /dev/kmsg reader at the log's end; the lines it has read with what. */
int kmsg_open_at_end(void);
int kmsg_count(int k, const char *what);

/* ioctlabuse_starts.c: the modes other than the default one. */
void failed_start(void *img, size_t img_size);
void failed_start_closed(void *img, size_t img_size);
void doorbell_cpus(void *img, size_t img_size);
void any_cpu(void *img, size_t img_size);
void mac_ids(void *img, size_t img_size);
void disk_busy(void *img, size_t img_size, const char *disk);
void killed_start(void *img, size_t img_size);

/* ioctlabuse_stall.c */
void status_stall(void *img, size_t img_size);

/* ioctlabuse_races.c */
void races(void *img, size_t img_size);

#endif
