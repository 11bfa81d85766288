# ioctl abuse from user space (tests/qemu/ioctlabuse.c): structured garbage
# gets the right errno, 200 000 random argument blocks crash nothing, and a
# load whose descriptor closes before start leaves nothing behind.  The
# kernel log must stay clean (the runner checks it).
. /tests/lib.sh
expect 0 ioctlabuse "$IMG"
has 'ioctlabuse: 0 failed'
want_online 1
want_no_instances
finish
