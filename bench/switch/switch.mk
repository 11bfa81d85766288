# bench/switch: the Linux peer of the guest's ctxbench (context switch
# cost).  Static, because it runs inside the QEMU host's busybox initramfs
# as well as on the machine itself.
CTXLINUX := $(B)/bench/ctxlinux

$(CTXLINUX): bench/switch/ctxlinux.c bench/lib/hostbench.c bench/lib/hostbench.h guest/lib/percentile.h \
		| $(DEPS_STAMP)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror -pthread -I. \
		-o $@ bench/switch/ctxlinux.c bench/lib/hostbench.c

all: $(CTXLINUX)
