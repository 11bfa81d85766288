# Debian's Linux 6.1 source, the parts of it that run in user space:
# drivers/virtio/virtio_ring.c with tools/virtio's shims, and ringtest.
# The interop tests (tests/hosted/linux_ring*.c) and the ringtest
# benchmark (bench/ringtest/) compile them from here; nothing of it is
# committed.  The tarball is the linux-source-6.1 package.
LINUX_SRC_DIR := $(B)/linux-src
LINUX_SRC := $(LINUX_SRC_DIR)/linux
LINUX_SRC_STAMP := $(LINUX_SRC_DIR)/version

$(LINUX_SRC_STAMP): scripts/unpack-linux-source.sh $(DEPS_STAMP)
	$(Q)scripts/unpack-linux-source.sh $(LINUX_SRC_DIR)
	$(Q)touch $@

.PHONY: linux-src
linux-src: $(LINUX_SRC_STAMP) ## unpack virtio_ring.c and tools/virtio from linux-source-6.1

# The hosted suite builds Linux's virtio_ring.c itself (tests/hosted/run.sh).
test: $(LINUX_SRC_STAMP)
