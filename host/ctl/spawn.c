/*
 * An instance loaded and started in one call, for kspawnctl run and
 * bench/spawn: a start that fails has its instance stopped again, so
 * that no half-made guest is left holding its CPU and memory.  Apart
 * from device.c, which alone knows the ioctls, so that the unit tests'
 * stand-ins for dev_load(), dev_start() and dev_stop() drive it too.
 */
#include "device.h"

int dev_spawn(int fd, const struct ctl_spawn *req, uint32_t *id,
	      int *at_start, int *stop_err)
{
	int e = dev_load(fd, req, id);

	*stop_err = 0;
	*at_start = 0;
	if (e)
		return e;
	*at_start = 1;
	e = dev_start(fd, *id);
	if (e)
		*stop_err = dev_stop(fd, *id, 1);
	return e;
}
