/*
 * What the hostile app's files share: the modes hostile.c's main hands to
 * hostile_boot.c (stamps, lateap), hostile_flood.c (the doorbell floods)
 * and hostile_pairs.c (queue pairs), all hostile_-prefixed (the test image links every app into one
 * kernel).
 */
#ifndef APPS_TEST_HOSTILE_H
#define APPS_TEST_HOSTILE_H

#define KSPAWN_INTERNALS
#include "kspawn.h"

int hostile_stamps(void);
int hostile_lateap(void);
int hostile_flood(struct virtio_dev *d, int credit);
int hostile_resetflood(struct virtio_dev *d);
/*
 * The guest's net up at ip=A.B.C.D and its host (.1 of the /30) answering
 * a ping, so that the host's ksnetN is in use: 0, or 1 said why (as mode).
 */
int hostile_net_start(const char *mode, const char *ip_arg,
		      struct virtio_dev **d, uint32_t *host);
int hostile_netflood(const char *ip_arg);
/* hostile_pairs.c: queue pairs set behind the driver's back. */
int hostile_pairs_flap(const char *ip_arg);
int hostile_pairs_stale(const char *ip_arg);
int hostile_pairs_deaf(const char *ip_arg);
int hostile_echoflood(void);

#endif
