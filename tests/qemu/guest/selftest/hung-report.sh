# For klog-selftest.sh: the case after hung-leaver, during which the
# kernel's hung-task report names hung-leaver's task (written to
# /dev/kmsg as the kernel words it): run-cases.sh must say whose it is.
pid=$(cat /tmp/hung-leaver.pid) || exit 1
echo "<3>INFO: task sleep:$pid blocked for more than 120 seconds." > /dev/kmsg
exit 0
