# kspawn.ko: Kbuild against Debian's kernel for the QEMU host (fetched by
# scripts/fetch-host-kernel.sh), or against KDIR= for bare metal:
#   make module                                  -> build/kspawn.ko
#   make module KDIR=/lib/modules/$(uname -r)/build
KMOD_B := $(B)/kmod
KSPAWN_KO := $(B)/kspawn.ko
KMOD_SRC := $(wildcard host/kmod/*.[chS] host/backend/*.h) \
	$(BACKEND_SRC) host/backend/backend.mk host/kmod/Kbuild \
	host/loader/elf_check.c host/loader/elf_check.h \
	$(wildcard abi/*.[ch]) scripts/kmod-tree.sh

ifneq ($(KDIR),)
$(KSPAWN_KO): $(KMOD_SRC) | $(DEPS_STAMP)
	$(call say,KBUILD,$@ (KDIR=$(KDIR)))
	$(Q)scripts/kmod-tree.sh $(KMOD_B)
	$(Q)$(MAKE) --no-print-directory -C $(KDIR) M=$(abspath $(KMOD_B)) \
		W=1 modules > $(KMOD_B)/build.log 2>&1 || \
		{ cat $(KMOD_B)/build.log; exit 1; }
	$(Q)grep -A4 'warning:' $(KMOD_B)/build.log || true	# your kernel: shown only
	$(Q)cp $(KMOD_B)/kspawn.ko $@
else
$(KSPAWN_KO): $(KMOD_SRC) $(HOSTKERNEL_ENV) | $(DEPS_STAMP)
	$(call say,KBUILD,$@ (Linux $(HOSTKERNEL_RELEASE)))
	$(Q)scripts/kmod-tree.sh $(KMOD_B)
	$(Q)$(MAKE) --no-print-directory -C $(HOSTKERNEL_KDIR) \
		M=$(abspath $(KMOD_B)) W=1 KCFLAGS=-Werror modules \
		> $(KMOD_B)/build.log 2>&1 || \
		{ cat $(KMOD_B)/build.log; exit 1; }
	$(Q)cp $(KMOD_B)/kspawn.ko $@
endif

.PHONY: module
module: $(KSPAWN_KO) ## build kspawn.ko (KDIR= for another kernel's headers)
