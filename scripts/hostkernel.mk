# Debian's kernel and Kbuild headers for the QEMU host, fetched on demand by
# scripts/fetch-host-kernel.sh (never installed on this machine).
#
# A rule that needs them lists $(HOSTKERNEL_ENV) as a prerequisite and uses
# $(HOSTKERNEL_KDIR), $(HOSTKERNEL_VMLINUZ) ... in its recipe: those are read
# from env.mk when the recipe runs, so that a make that does not need the
# host kernel never downloads it.  HOSTKERNEL=DIR shares one download
# between build directories (e.g. HOSTKERNEL=build/hostkernel).

HOSTKERNEL ?= $(B)/hostkernel
HOSTKERNEL_ENV := $(HOSTKERNEL)/env.mk
hostkernel_var = $(shell sed -n 's/^$(1) := //p' $(HOSTKERNEL_ENV))
HOSTKERNEL_RELEASE = $(call hostkernel_var,HOSTKERNEL_RELEASE)
HOSTKERNEL_VMLINUZ = $(call hostkernel_var,HOSTKERNEL_VMLINUZ)
HOSTKERNEL_KDIR = $(call hostkernel_var,HOSTKERNEL_KDIR)
HOSTKERNEL_MODDIR = $(call hostkernel_var,HOSTKERNEL_MODDIR)

$(HOSTKERNEL_ENV): scripts/fetch-host-kernel.sh | $(DEPS_STAMP)
	$(Q)scripts/fetch-host-kernel.sh $(HOSTKERNEL) && touch $@

.PHONY: hostkernel
hostkernel: $(HOSTKERNEL_ENV) ## fetch Debian's kernel and headers for the QEMU host
