# kspawnctl: $(B)/kspawnctl, a static binary so that the QEMU host's
# busybox initramfs can run it as is.

KSPAWNCTL := $(B)/kspawnctl
CTL_B := $(B)/ctl
# The image checker is the module's (host/loader/elf_check.c): one checker;
# gdb's framing is the guest stub's (guest/gdbstub/rsp.c), and the guest's
# command line the guest's own split (guest/lib/cmdline.c): one parser each.
CTL_SRC := $(wildcard host/ctl/*.c) host/loader/elf_check.c \
	guest/gdbstub/rsp.c guest/lib/cmdline.c
CTL_OBJ := $(patsubst %.c,$(CTL_B)/%.o,$(notdir $(CTL_SRC)))
CTL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow \
	-Wformat=2 -Wno-format-nonliteral -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 -I. -Iguest -Ihost/ctl -DKSPAWNCTL_VERSION='"0.1"' -MMD -MP

$(CTL_B)/%.o: host/ctl/%.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(CTL_CFLAGS) -c $< -o $@

$(CTL_B)/%.o: host/loader/%.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(CTL_CFLAGS) -c $< -o $@

$(CTL_B)/%.o: guest/gdbstub/%.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(CTL_CFLAGS) -c $< -o $@

$(CTL_B)/%.o: guest/lib/%.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(CTL_CFLAGS) -c $< -o $@

$(KSPAWNCTL): $(CTL_OBJ)
	$(call say,LD,$@)
	$(Q)gcc -static -o $@ $(CTL_OBJ)

-include $(CTL_OBJ:.o=.d)

.PHONY: kspawnctl
kspawnctl: $(KSPAWNCTL) ## build the kspawnctl CLI
