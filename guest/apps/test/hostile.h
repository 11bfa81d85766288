/*
 * What the hostile app's files share: the modes hostile.c's main hands to
 * hostile_boot.c (stamps) and hostile_flood.c (the doorbell floods), all
 * hostile_-prefixed (the test image links every app into one kernel).
 */
#ifndef APPS_TEST_HOSTILE_H
#define APPS_TEST_HOSTILE_H

#define KSPAWN_INTERNALS
#include "kspawn.h"

int hostile_stamps(void);
int hostile_flood(struct virtio_dev *d, int credit);
int hostile_resetflood(struct virtio_dev *d);
int hostile_netflood(const char *ip_arg);
int hostile_echoflood(void);

#endif
