# The hosted platform: the portable guest parts as a native library, built
# with AddressSanitizer and UndefinedBehaviorSanitizer, for the unit tests,
# fuzzers and benchmarks; with them the byte ring both kernels share
# (abi/byte_ring.c).  The string functions are the C library's here
# (the guest's are x86 code, in guest/arch/x86_64/string.c).

HB := $(B)/hosted
HOSTED_LIB := $(HB)/libkspawn-guest.a
HOSTED_SRC := $(wildcard guest/lib/*.c guest/lib/net/*.c) \
	$(wildcard guest/gdbstub/*.c) guest/hosted/platform_linux.c \
	abi/byte_ring.c
HOSTED_OBJ := $(patsubst %.c,$(HB)/%.o,$(HOSTED_SRC:guest/%=%))
HOSTED_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror \
	-fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -I. -Iguest -MMD -MP

# hosted-cc: compile $< into $@.
define hosted-cc
	$(call say,HOSTCC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(HOSTED_CFLAGS) -c $< -o $@
endef

$(HB)/%.o: guest/%.c | $(DEPS_STAMP)
	$(hosted-cc)

$(HB)/abi/%.o: abi/%.c | $(DEPS_STAMP)
	$(hosted-cc)

$(HOSTED_LIB): $(HOSTED_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

-include $(HOSTED_OBJ:.o=.d)

.PHONY: hosted
hosted: $(HOSTED_LIB) ## the portable guest parts as a sanitized Linux library

all: hosted
