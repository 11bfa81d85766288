# Test suites; see tests/README.md.  `make test` runs them all.
#
# make test               every suite (TEST_PLAN), then "N passed, N failed,
#                         N skipped"
# make test SUITE=unit    one suite (several: SUITE="unit gdb")
# make test SUITE=gdb REPEAT=20   the suite 20 times in a row (races)
# make test SUITE=qemu CPU=Skylake-Server   QEMU hosts of that CPU model
#
# A suite is a folder with a run.sh (see tests/README.md); list it here.

TEST_SUITES := unit hosted guest interop gdb fuzz qemu stress reboot bench
# make test runs them in this plan (tests/run.sh): the qemu suite keeps
# one CPU of two busy on average, waiting on TCG, so the others run beside
# it, one after another; bench last and alone, since it measures.  Each
# suite in turn with JOBS=1 (one CPU, or asked for).
TEST_PLAN := unit,hosted,guest,interop,gdb,fuzz,stress,reboot+qemu bench
SUITE ?= $(if $(filter 1,$(JOBS)),$(TEST_SUITES),$(TEST_PLAN))
REPEAT ?= 1

# The interop suite checks the guest's disk digests with the qemu suite's
# fnv64sum (scripts/run.mk builds it).
comma := ,
ifneq ($(filter interop,$(subst +, ,$(subst $(comma), ,$(SUITE)))),)
test: $(B)/qemu/fnv64sum
endif

.PHONY: test abi-golden
test: all ## run the test suites (SUITE=unit|guest|gdb|fuzz|..., REPEAT=N)
	@REPEAT=$(REPEAT) $(if $(CPU),KSPAWN_QEMU_CPU=$(CPU)) tests/run.sh $(abspath $(B)) $(SUITE)

abi-golden: ## accept the current ABI layout as abi/layout.golden (on purpose only)
	$(Q)mkdir -p $(B)/unit
	$(Q)gcc -std=gnu11 -Wall -Wextra -Werror -I. tests/unit/abi_layout.c -o $(B)/unit/abi_layout
	$(Q)$(B)/unit/abi_layout > abi/layout.golden
	@echo "abi/layout.golden updated: review the diff, and bump KSPAWN_ABI_MINOR or MAJOR"

.PHONY: fuzz
fuzz: ## run the fuzzers for longer (FUZZ_SECONDS=N, default 300)
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),300) tests/fuzz/run.sh $(abspath $(B))
