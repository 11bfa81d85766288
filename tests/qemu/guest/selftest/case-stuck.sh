# For klog-selftest.sh: a case stuck in the kernel, which no signal ends.
# It becomes the release of a pooled CPU that the test knob
# test_release_delay_ms holds in an uninterruptible sleep (msleep) for
# 10 s, far past the harness's TERM and KILL (klog-selftest.sh reserved
# the CPU and set the knob; STUCK_CPU names the CPU).
exec kspawnctl release "${STUCK_CPU:?}"
