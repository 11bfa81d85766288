# The hosted rows of the benchmarks: kspawn's blk and net paths as two
# pinned threads (guest driver, host backend) over one region, and their
# Linux peers (bench/blk/fio.sh needs no build; udplo does).  -O2 and no
# sanitizers: these are measured, not tested (tests/hosted tests the same
# code with ASan/UBSan/TSan).  Included from bench/bench.mk, possibly before
# it sets BENCH_B, so everything here is spelled from $(B).
HOSTED_BENCH_B := $(B)/bench
BLKHOSTED := $(HOSTED_BENCH_B)/blkhosted
NETHOSTED := $(HOSTED_BENCH_B)/nethosted
UDPLO := $(HOSTED_BENCH_B)/udplo

HOSTED_BENCH_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -I. -Iguest
HOSTED_BENCH_LIB := bench/lib/hostbench.c bench/lib/hostbench.h guest/lib/percentile.h
# The guest-and-device half, for the two that run kspawn's own backends.
HOSTED_BENCH_REGION := bench/lib/hostregion.c bench/lib/hostregion.h
HOSTED_BENCH_VQ := guest/lib/virtq.c guest/lib/virtq_in_order.c \
	guest/lib/virtq_packed.c \
	guest/lib/virtio.c guest/lib/virtio_slot.c guest/lib/format.c \
	guest/hosted/virtio_hosted.c \
	$(BACKEND_SRC)
HOSTED_BENCH_HDR := $(wildcard host/backend/*.h guest/lib/virt*.h) \
	guest/hosted/virtio_hosted.h abi/kspawn_abi.h

BLKHOSTED_SRC := bench/blk/blkhosted.c $(HOSTED_BENCH_REGION) $(HOSTED_BENCH_VQ)
NETHOSTED_SRC := bench/net/nethosted.c $(HOSTED_BENCH_REGION) $(HOSTED_BENCH_VQ)
UDPLO_SRC := bench/net/udplo.c

# build-hosted-bench OUTPUT SOURCES: compile and link in one go (few files).
define build-hosted-bench
	$(call say,CC,$(1))
	$(Q)mkdir -p $(dir $(1))
	$(Q)gcc $(HOSTED_BENCH_CFLAGS) -o $(1) $(filter %.c,$(2)) -pthread
endef

$(BLKHOSTED): $(BLKHOSTED_SRC) $(HOSTED_BENCH_LIB) $(HOSTED_BENCH_HDR) | $(DEPS_STAMP)
	$(call build-hosted-bench,$@,$^)

$(NETHOSTED): $(NETHOSTED_SRC) $(HOSTED_BENCH_LIB) $(HOSTED_BENCH_HDR) | $(DEPS_STAMP)
	$(call build-hosted-bench,$@,$^)

$(UDPLO): $(UDPLO_SRC) $(HOSTED_BENCH_LIB) | $(DEPS_STAMP)
	$(call build-hosted-bench,$@,$^)

# make bench needs them too; its rule lives in bench/bench.mk.
bench: $(BLKHOSTED) $(NETHOSTED) $(UDPLO)

all: $(BLKHOSTED) $(NETHOSTED) $(UDPLO)
