# make bench [BENCH=prefix] [BENCH_RUNS=N]: the workload benchmarks, side by
# side with their peers; results in bench/results/ (see bench/README.md).
include bench/hosted.mk
include bench/ringtest/ringtest.mk
BENCH_B := $(B)/bench
include bench/switch/switch.mk
RINGBENCH := $(BENCH_B)/ringbench
RINGBENCH_SRC := bench/ring/ringbench.c bench/ring/phases.c bench/lib/hostbench.c $(BACKEND_SRC) \
	guest/lib/virtq.c guest/lib/virtq_in_order.c guest/lib/virtq_packed.c

$(RINGBENCH): $(RINGBENCH_SRC) bench/lib/hostbench.h guest/lib/percentile.h bench/ring/phases.h | $(DEPS_STAMP)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -Wall -Wextra -Werror -I. -Iguest \
		$$(pkg-config --cflags libdpdk) -o $@ $(filter %.c,$^) \
		-lrte_ring -lrte_eal -pthread

.PHONY: bench
bench: $(RINGBENCH) ## run the benchmarks (BENCH=ring_latency, BENCH_RUNS=5)
	@bench/run.sh $(abspath $(B)) $(BENCH)

all: $(RINGBENCH)
