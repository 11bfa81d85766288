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

# Which kernel tree the module was last built against ($(KMOD_KDIR), written
# by the build): `make module KDIR=...` after a plain `make` (or the other
# way round, or another HOSTKERNEL=) must rebuild kspawn.ko, though no
# source changed, and from no object of the other tree (Kbuild may find
# their command lines unchanged).  Compared when make reads this file, so
# that an up-to-date tree stays one for `make -q`.
KMOD_KDIR := $(KMOD_B)/kdir
KMOD_KDIR_NOW := $(if $(KDIR),$(abspath $(KDIR)),hostkernel $(abspath $(HOSTKERNEL)))
KMOD_KDIR_WAS := $(shell cat $(KMOD_KDIR) 2>/dev/null)
ifneq ($(KMOD_KDIR_WAS),$(KMOD_KDIR_NOW))
$(KSPAWN_KO): kmod-other-tree
endif
.PHONY: kmod-other-tree
kmod-other-tree:
	$(KMOD_KDIR_CHECK)
	$(Q)rm -rf $(KMOD_B)

# A KDIR that is no kernel build tree: said before anything is removed.
KMOD_KDIR_CHECK = $(if $(KDIR),$(Q)test -f $(KDIR)/Makefile || { echo \
	"error: KDIR=$(KDIR) is not a kernel build tree (no Makefile there):" \
	"for the running kernel: apt-get install linux-headers-$$(uname -r)" \
	>&2; exit 2; })

ifneq ($(KDIR),)
$(KSPAWN_KO): $(KMOD_SRC) | $(DEPS_STAMP)
	$(KMOD_KDIR_CHECK)
	$(call say,KBUILD,$@ (KDIR=$(KDIR)))
	$(Q)scripts/kmod-tree.sh $(KMOD_B)
	$(Q)$(MAKE) --no-print-directory -C $(KDIR) M=$(abspath $(KMOD_B)) \
		W=1 modules > $(KMOD_B)/build.log 2>&1 || \
		{ cat $(KMOD_B)/build.log; exit 1; }
	$(Q)grep -A4 'warning:' $(KMOD_B)/build.log || true	# your kernel: shown only
	$(Q)cp $(KMOD_B)/kspawn.ko $@
	$(Q)echo '$(KMOD_KDIR_NOW)' > $(KMOD_KDIR)
else
$(KSPAWN_KO): $(KMOD_SRC) $(HOSTKERNEL_ENV) | $(DEPS_STAMP)
	$(call say,KBUILD,$@ (Linux $(HOSTKERNEL_RELEASE)))
	$(Q)scripts/kmod-tree.sh $(KMOD_B)
	$(Q)$(MAKE) --no-print-directory -C $(HOSTKERNEL_KDIR) \
		M=$(abspath $(KMOD_B)) W=1 KCFLAGS=-Werror modules \
		> $(KMOD_B)/build.log 2>&1 || \
		{ cat $(KMOD_B)/build.log; exit 1; }
	$(Q)cp $(KMOD_B)/kspawn.ko $@
	$(Q)echo '$(KMOD_KDIR_NOW)' > $(KMOD_KDIR)
endif

.PHONY: module
module: $(KSPAWN_KO) ## build kspawn.ko (KDIR= for another kernel's headers)
