# The guest kernel, in three images of the same kernel core:
#   build/kspawn-guest.elf       the apps a user runs (guest/apps/*.c)
#   build/kspawn-guest-test.elf  those and the test apps (guest/apps/test/)
#   build/kspawn-guest-min.elf   hello only, for the size benchmark
#
# Kernel code (arch, kern, lib, libc glue) is built with general registers
# only, so interrupt paths never touch FPU/SSE state; apps may use SSE (the
# scheduler saves it per thread).  Each image is linked twice: the second
# pass adds the symbol table that panics use to symbolise backtraces.

GUEST_ELF := $(B)/kspawn-guest.elf
GUEST_TEST_ELF := $(B)/kspawn-guest-test.elf
GUEST_MIN_ELF := $(B)/kspawn-guest-min.elf
GB := $(B)/guest

# abi/byte_ring.c: the console and debug rings, shared with kspawn.ko.
GUEST_CORE_SRC := $(wildcard guest/arch/x86_64/*.c guest/arch/x86_64/*.S \
			     guest/kern/*.c guest/lib/*.c guest/lib/net/*.c \
			     guest/libc/*.c \
			     guest/gdbstub/*.c) abi/byte_ring.c
GUEST_APP_SRC := $(wildcard guest/apps/*.c)
GUEST_TEST_APP_SRC := $(wildcard guest/apps/test/*.c)

GUEST_CORE_OBJ := $(patsubst %,$(GB)/%.o,$(GUEST_CORE_SRC:guest/%=%))
GUEST_APP_OBJ := $(patsubst guest/%,$(GB)/%.o,$(GUEST_APP_SRC))
GUEST_TEST_APP_OBJ := $(patsubst guest/%,$(GB)/%.o,$(GUEST_TEST_APP_SRC))
GUEST_OBJ := $(GUEST_CORE_OBJ) $(GUEST_APP_OBJ) $(GUEST_TEST_APP_OBJ)

# newlib only declares clock_gettime, nanosleep and CLOCK_MONOTONIC for
# targets it knows have them; guest/libc/clock.c provides them here.
GUEST_POSIX_DEFS := -D_POSIX_TIMERS=1 -D_POSIX_MONOTONIC_CLOCK=200112L
GUEST_CFLAGS_BASE := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
	-fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing \
	-nostdinc -isystem $(shell gcc -print-file-name=include) \
	-isystem $(NEWLIB)/include -isystem $(UAPI) -I. -Iguest \
	$(GUEST_POSIX_DEFS) -D__DYNAMIC_REENT__ -MMD -MP
GUEST_CFLAGS_CORE := $(GUEST_CFLAGS_BASE) -mgeneral-regs-only
# Apps see guest/include/kspawn.h, their one header.
GUEST_CFLAGS_APP := $(GUEST_CFLAGS_BASE) -Iguest/include
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack \
	--no-warn-rwx-segments -T linker/guest.ld
GUEST_LIBS := $(NEWLIB)/lib/libc.a $(NEWLIB)/lib/libm.a

GUEST_PREREQ := $(NEWLIB_LIBC) $(UAPI)/.stamp

# guest-cc FLAGS: compile $< into $@.
define guest-cc
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(1) -c $< -o $@
endef

$(GB)/apps/%.c.o: guest/apps/%.c | $(GUEST_PREREQ)
	$(call guest-cc,$(GUEST_CFLAGS_APP))

$(GB)/%.c.o: guest/%.c | $(GUEST_PREREQ)
	$(call guest-cc,$(GUEST_CFLAGS_CORE))

$(GB)/abi/%.c.o: abi/%.c | $(GUEST_PREREQ)
	$(call guest-cc,$(GUEST_CFLAGS_CORE))

$(GB)/%.S.o: guest/%.S | $(GUEST_PREREQ)
	$(call say,AS,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(GUEST_CFLAGS_CORE) -D__ASSEMBLY__ -c $< -o $@

# guest-link: link $@ from the objects among $^, with newlib.
define guest-link
	$(call say,LD,$@)
	$(Q)ld $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^) \
		--start-group $(GUEST_LIBS) --end-group
endef

# guest-image NAME,OBJECTS: $(B)/NAME.elf, linked twice.  Pass 1 has an
# empty symbol table; its symbols fill pass 2's, and check-ksyms.sh makes
# sure that moved nothing.
define guest-image
$(GB)/$(1).pass1.elf: $(2) $(GB)/empty.ksyms.S.o linker/guest.ld
	$$(guest-link)

$(GB)/$(1).ksyms.S: $(GB)/$(1).pass1.elf scripts/gen-ksyms.sh
	$$(call say,KSYMS,$$@)
	$$(Q)scripts/gen-ksyms.sh $$< > $$@

$(B)/$(1).elf: $(2) $(GB)/$(1).ksyms.S.o linker/guest.ld
	$$(guest-link)
	$$(Q)scripts/check-ksyms.sh $(GB)/$(1).pass1.elf $$@
endef

$(GB)/empty.ksyms.S: scripts/gen-ksyms.sh
	$(Q)mkdir -p $(@D)
	$(Q)scripts/gen-ksyms.sh /dev/null > $@

$(GB)/%.ksyms.S.o: $(GB)/%.ksyms.S
	$(Q)gcc $(GUEST_CFLAGS_CORE) -c $< -o $@

$(eval $(call guest-image,kspawn-guest,$(GUEST_CORE_OBJ) $(GUEST_APP_OBJ)))
$(eval $(call guest-image,kspawn-guest-test,$(GUEST_CORE_OBJ) \
	$(GUEST_APP_OBJ) $(GUEST_TEST_APP_OBJ)))
$(eval $(call guest-image,kspawn-guest-min,$(GUEST_CORE_OBJ) \
	$(GB)/apps/hello.c.o))

-include $(GUEST_OBJ:.o=.d)

.PHONY: guest size
guest: $(GUEST_ELF) $(GUEST_TEST_ELF) ## build the guest images (the one a user runs, the test one)

size: $(GUEST_ELF) $(GUEST_TEST_ELF) ## text/data/bss of the kernel core, apart from newlib and apps
	@scripts/size-report.sh $(GUEST_ELF) $(GUEST_CORE_OBJ) -- $(GUEST_APP_OBJ) \
		-- $(GUEST_TEST_APP_OBJ)

.PHONY: gdb
gdb: $(GUEST_ELF) ## debug the guest alone in QEMU under gdb (CMDLINE="hello a b")
	scripts/gdb-guest.sh $(GUEST_ELF) $(or $(CMDLINE),hello)
