# Build prerequisites made by scripts/: Debian packages, newlib, UAPI headers.

DEPS_STAMP := $(B)/deps/installed
NEWLIB := $(B)/newlib/x86_64-elf
NEWLIB_LIBC := $(NEWLIB)/lib/libc.a
UAPI := $(B)/uapi

$(DEPS_STAMP): scripts/packages.txt scripts/install-deps.sh
	$(Q)scripts/install-deps.sh $@

$(NEWLIB_LIBC): scripts/build-newlib.sh | $(DEPS_STAMP)
	$(Q)scripts/build-newlib.sh $(B)/newlib

# Only the kernel UAPI headers, without the rest of /usr/include, so that a
# freestanding build cannot pick up a glibc header by accident.
$(UAPI)/.stamp: | $(DEPS_STAMP)
	$(Q)mkdir -p $(UAPI)
	$(Q)ln -sfn /usr/include/linux $(UAPI)/linux
	$(Q)ln -sfn /usr/include/asm-generic $(UAPI)/asm-generic
	$(Q)ln -sfn /usr/include/$$(gcc -print-multiarch)/asm $(UAPI)/asm
	$(Q)touch $@

.PHONY: deps
deps: $(DEPS_STAMP) $(NEWLIB_LIBC) ## install Debian packages and build newlib
