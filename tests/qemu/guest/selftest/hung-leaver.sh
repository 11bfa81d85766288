# For klog-selftest.sh: a case that passes but leaves a task behind, as a
# case whose task hung in the kernel does; klog-selftest.sh ends it.
sleep 600 > /dev/null 2>&1 &
echo $! > /tmp/hung-leaver.pid
exit 0
