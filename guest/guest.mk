# The guest kernel: build/kspawn-guest.elf.
#
# Kernel code (arch, kern, lib, libc glue) is built with general registers
# only, so interrupt paths never touch FPU/SSE state; apps may use SSE (the
# scheduler saves it per thread).  The image is linked twice: the second
# pass adds the symbol table that panics use to symbolise backtraces.

GUEST_ELF := $(B)/kspawn-guest.elf
GB := $(B)/guest

# abi/byte_ring.c: the console and debug rings, shared with kspawn.ko.
GUEST_CORE_SRC := $(wildcard guest/arch/x86_64/*.c guest/arch/x86_64/*.S \
			     guest/kern/*.c guest/lib/*.c guest/lib/net/*.c \
			     guest/libc/*.c \
			     guest/gdbstub/*.c) abi/byte_ring.c
GUEST_APP_SRC := $(wildcard guest/apps/*.c)

GUEST_CORE_OBJ := $(patsubst %,$(GB)/%.o,$(GUEST_CORE_SRC:guest/%=%))
GUEST_APP_OBJ := $(patsubst guest/%,$(GB)/%.o,$(GUEST_APP_SRC))
GUEST_OBJ := $(GUEST_CORE_OBJ) $(GUEST_APP_OBJ)

# newlib only declares clock_gettime, nanosleep and CLOCK_MONOTONIC for
# targets it knows have them; guest/libc/clock.c provides them here.
GUEST_POSIX_DEFS := -D_POSIX_TIMERS=1 -D_POSIX_MONOTONIC_CLOCK=200112L
GUEST_CFLAGS_BASE := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
	-fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing \
	-nostdinc -isystem $(shell gcc -print-file-name=include) \
	-isystem $(NEWLIB)/include -isystem $(UAPI) -I. -Iguest \
	$(GUEST_POSIX_DEFS) -MMD -MP
GUEST_CFLAGS_CORE := $(GUEST_CFLAGS_BASE) -mgeneral-regs-only
GUEST_CFLAGS_APP := $(GUEST_CFLAGS_BASE)
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

# Pass 1 links with an empty symbol table; its symbols fill pass 2's.
$(GB)/pass1.elf: $(GUEST_OBJ) $(GB)/ksyms-empty.S.o linker/guest.ld
	$(call say,LD,$@)
	$(Q)ld $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJ) $(GB)/ksyms-empty.S.o \
		--start-group $(GUEST_LIBS) --end-group

$(GB)/ksyms-empty.S: scripts/gen-ksyms.sh
	$(Q)mkdir -p $(@D)
	$(Q)scripts/gen-ksyms.sh /dev/null > $@

$(GB)/ksyms.S: $(GB)/pass1.elf scripts/gen-ksyms.sh
	$(call say,KSYMS,$@)
	$(Q)scripts/gen-ksyms.sh $< > $@

$(GB)/ksyms.S.o $(GB)/ksyms-empty.S.o: %.S.o: %.S
	$(Q)gcc $(GUEST_CFLAGS_CORE) -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJ) $(GB)/ksyms.S.o linker/guest.ld
	$(call say,LD,$@)
	$(Q)ld $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJ) $(GB)/ksyms.S.o \
		--start-group $(GUEST_LIBS) --end-group
	$(Q)scripts/check-ksyms.sh $(GB)/pass1.elf $@

# The minimal image: the kernel core and one app (hello), linked the same
# two ways, for the size benchmark (bench/README.md).
GUEST_MIN_ELF := $(B)/kspawn-guest-min.elf
GUEST_MIN_OBJ := $(GUEST_CORE_OBJ) $(GB)/apps/hello.c.o

$(GB)/min-pass1.elf: $(GUEST_MIN_OBJ) $(GB)/ksyms-empty.S.o linker/guest.ld
	$(call say,LD,$@)
	$(Q)ld $(GUEST_LDFLAGS) -o $@ $(GUEST_MIN_OBJ) $(GB)/ksyms-empty.S.o \
		--start-group $(GUEST_LIBS) --end-group

$(GB)/min-ksyms.S: $(GB)/min-pass1.elf scripts/gen-ksyms.sh
	$(call say,KSYMS,$@)
	$(Q)scripts/gen-ksyms.sh $< > $@

$(GB)/min-ksyms.S.o: $(GB)/min-ksyms.S
	$(Q)gcc $(GUEST_CFLAGS_CORE) -c $< -o $@

$(GUEST_MIN_ELF): $(GUEST_MIN_OBJ) $(GB)/min-ksyms.S.o linker/guest.ld
	$(call say,LD,$@)
	$(Q)ld $(GUEST_LDFLAGS) -o $@ $(GUEST_MIN_OBJ) $(GB)/min-ksyms.S.o \
		--start-group $(GUEST_LIBS) --end-group
	$(Q)scripts/check-ksyms.sh $(GB)/min-pass1.elf $@

-include $(GUEST_OBJ:.o=.d)

.PHONY: guest size
guest: $(GUEST_ELF) ## build the guest kernel image

size: $(GUEST_ELF) ## text/data/bss of the kernel core, apart from newlib and apps
	@scripts/size-report.sh $(GUEST_ELF) $(GUEST_CORE_OBJ) -- $(GUEST_APP_OBJ)

.PHONY: gdb
gdb: $(GUEST_ELF) ## debug the guest alone in QEMU under gdb (CMDLINE="hello a b")
	scripts/gdb-guest.sh $(GUEST_ELF) $(or $(CMDLINE),hello)
