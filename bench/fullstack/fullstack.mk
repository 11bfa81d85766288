# The full-stack benchmarks' tools and the QEMU host's bench initramfs
# (the test initramfs plus bench/fullstack/initramfs.sh's archive).
# Included after scripts/run.mk: it extends $(INITRAMFS).
SPAWNBENCH := $(BENCH_B)/spawnbench
UDPPING := $(BENCH_B)/udpping
PINGPONG := $(BENCH_B)/pingpong
BENCH_INITRAMFS := $(B)/initramfs-bench.cpio

SPAWNBENCH_SRC := bench/spawn/spawnbench.c host/ctl/device.c host/ctl/spawn.c \
	host/ctl/image.c host/loader/elf_check.c bench/lib/hostbench.c

$(SPAWNBENCH): $(SPAWNBENCH_SRC) host/ctl/device.h host/ctl/image.h bench/lib/hostbench.h guest/lib/percentile.h | $(DEPS_STAMP)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror -pthread -I. -o $@ \
		$(SPAWNBENCH_SRC)

$(UDPPING): bench/net/udpping.c bench/lib/hostbench.h guest/lib/percentile.h | $(DEPS_STAMP)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror -I. -o $@ $<

$(PINGPONG): bench/ring/pingpong.c bench/lib/hostbench.c bench/lib/hostbench.h guest/lib/percentile.h | $(DEPS_STAMP)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror -pthread -I. -o $@ \
		bench/ring/pingpong.c bench/lib/hostbench.c

BENCH_VM_FILES := bench/fullstack/in-vm.sh bench/fullstack/blk.sh bench/fullstack/net.sh \
	bench/fullstack/netprof.sh \
	bench/blk/fio.sh $(SPAWNBENCH) \
	$(UDPPING) $(PINGPONG) $(CTXLINUX) $(QEMU_B)/udpcheck $(GUEST_MIN_ELF)

$(BENCH_INITRAMFS): bench/fullstack/initramfs.sh $(INITRAMFS) $(BENCH_VM_FILES) \
		$(HOSTKERNEL_ENV)
	$(call say,CPIO,$@)
	$(Q)bench/fullstack/initramfs.sh $@ $(INITRAMFS) \
		$(HOSTKERNEL_MODDIR)/kernel/drivers/net/veth.ko $(BENCH_VM_FILES)

all: $(SPAWNBENCH) $(UDPPING) $(GUEST_MIN_ELF)
bench: $(BENCH_INITRAMFS) $(HOSTKERNEL_ENV)
ifneq ($(filter bench,$(SUITE)),)
test: $(BENCH_INITRAMFS) $(HOSTKERNEL_ENV)
endif
