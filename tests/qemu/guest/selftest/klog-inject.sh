# For klog-selftest.sh: a case that passes, except that the kernel logs the
# line in KLOG_INJECT (written to /dev/kmsg at warning level).
[ -n "${KLOG_INJECT:-}" ] || { echo "  no KLOG_INJECT"; exit 1; }
echo "<4>$KLOG_INJECT" > /dev/kmsg
exit 0
