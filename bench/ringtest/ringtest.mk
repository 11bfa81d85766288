# The ringtest rows of make bench: Linux's tools/virtio/ringtest (main.c
# and its rings, from the linux-source-6.1 tree make unpacks) and kspawn's
# split and packed virtqueues behind the same main.c (kspawn_ring.c).
# Every binary is built with ringtest's own flags (its Makefile's), so
# the rings, not the compilers, differ.
RINGTEST_B := $(B)/bench/ringtest
RINGTEST_SRC = $(LINUX_SRC)/tools/virtio/ringtest
RINGTEST_CFLAGS := -Wall -pthread -O2 -ggdb -flto -fwhole-program
RINGTEST_PEERS := virtio_ring_0_9 ring ptr_ring
RINGTEST_KSPAWN_SRC := bench/ringtest/kspawn_ring.c guest/lib/virtq.c \
	guest/lib/virtq_in_order.c guest/lib/virtq_packed.c $(BACKEND_SRC)
RINGTEST_BINS := $(addprefix $(RINGTEST_B)/,$(RINGTEST_PEERS) kspawn_split kspawn_packed)

$(addprefix $(RINGTEST_B)/,$(RINGTEST_PEERS)): $(RINGTEST_B)/%: $(LINUX_SRC_STAMP)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(RINGTEST_CFLAGS) -o $@ $(RINGTEST_SRC)/main.c $(RINGTEST_SRC)/$*.c

$(RINGTEST_B)/kspawn_split: $(RINGTEST_KSPAWN_SRC) $(wildcard host/backend/*.h guest/lib/virtq*.h) $(LINUX_SRC_STAMP)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(RINGTEST_CFLAGS) -I$(RINGTEST_SRC) -I. -Iguest -o $@ \
		$(RINGTEST_SRC)/main.c $(RINGTEST_KSPAWN_SRC)

$(RINGTEST_B)/kspawn_packed: $(RINGTEST_KSPAWN_SRC) $(wildcard host/backend/*.h guest/lib/virtq*.h) $(LINUX_SRC_STAMP)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(RINGTEST_CFLAGS) -DKSPAWN_RING_PACKED -I$(RINGTEST_SRC) -I. \
		-Iguest -o $@ $(RINGTEST_SRC)/main.c $(RINGTEST_KSPAWN_SRC)

.PHONY: ringtest
ringtest: $(RINGTEST_BINS) ## build Linux's ringtest rings and kspawn's behind its main.c

bench: $(RINGTEST_BINS)
all: $(RINGTEST_BINS)
