# kspawn: spawn a tiny kernel on cores Linux set aside, with virtio I/O.
# `make help` lists the targets; README.md explains them.
#
# One non-recursive make: each folder contributes a fragment, so that
# dependencies cross folders correctly and an up-to-date tree does no work.

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:

# JOBS jobs at once, one per CPU by default: a fresh clone's `make test`
# spent 275 s building serially, 228 s with -j2 (2 cores).  JOBS=1 or a
# -jN on the command line decides instead.  Not with clean or distclean
# among the goals: they would run beside the build they remove.
JOBS ?= $(shell nproc)
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
MAKEFLAGS += -j$(JOBS)
endif

B := build
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
say = @printf '  %-8s %s\n' '$(1)' '$(2)'

include scripts/scripts.mk
include scripts/linuxsrc.mk
include scripts/hostkernel.mk
include guest/guest.mk
include guest/hosted/hosted.mk
include host/backend/backend.mk
include tests/tests.mk
include host/ctl/ctl.mk
include host/kmod/kmod.mk
include bench/bench.mk
include scripts/run.mk
include bench/fullstack/fullstack.mk

.PHONY: all clean distclean help
all: guest kspawnctl module ## build everything

clean: ## remove build outputs but keep cached downloads (newlib, host kernel)
	rm -rf $(filter-out $(B)/newlib $(B)/deps $(B)/hostkernel,$(wildcard $(B)/*))

distclean: ## remove all of build/
	rm -rf $(B)

help: ## list the targets
	@grep -hE '^[a-z][a-z0-9_-]*:.*## ' $(MAKEFILE_LIST) | \
		sed -E 's/^([^:]*):.*## (.*)/  make \1\t\2/' | expand -t 24
