# The full stack in QEMU: the host's initramfs, `make run`, and what the
# qemu test suite needs.  Included after the guest, module and kspawnctl
# fragments, whose outputs it packs.
#
# make run          build everything, boot the host, spawn hello on CPU 1:
#                   a shell on a terminal, else the demo (status 0 if it passed)
# make run SMP=3    more CPUs for the host (default 2)

KSPAWN_KO ?= $(B)/kspawn.ko
INITRAMFS := $(B)/initramfs.cpio.gz
QEMU_B := $(B)/qemu
BADIMG_STAMP := $(QEMU_B)/bad.stamp

$(QEMU_B)/mkbadimg: tests/qemu/mkbadimg.c abi/kspawn_abi.h host/loader/elf_check.h | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -Wall -Wextra -Werror -I. -o $@ $<

$(QEMU_B)/fnv64sum $(QEMU_B)/rtrun: $(QEMU_B)/%: tests/qemu/%.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror -o $@ $<

# Small static tools the qemu cases run in the host.
QEMU_TOOLS := $(QEMU_B)/fnv64sum $(QEMU_B)/udpcheck $(QEMU_B)/xdpctl \
	$(QEMU_B)/ioctlabuse $(QEMU_B)/ethq $(QEMU_B)/l2ping \
	$(QEMU_B)/dmctl $(QEMU_B)/logreplay $(QEMU_B)/ipiburst $(QEMU_B)/rtrun
$(QEMU_B)/udpcheck $(QEMU_B)/xdpctl $(QEMU_B)/ethq $(QEMU_B)/l2ping: \
		$(QEMU_B)/%: \
		tests/qemu/%.c abi/kspawn_ioctl.h | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror -I. -o $@ $<

IOCTLABUSE_SRC := tests/qemu/ioctlabuse.c tests/qemu/ioctlabuse_starts.c \
		  tests/qemu/ioctlabuse_stall.c tests/qemu/ioctlabuse_races.c
$(QEMU_B)/ioctlabuse: $(IOCTLABUSE_SRC) tests/qemu/ioctlabuse.h \
		abi/kspawn_ioctl.h | $(DEPS_STAMP)
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror -I. -o $@ \
		$(IOCTLABUSE_SRC) -pthread

# qemu/host-broadcast: the host kernel's IPI broadcasts, by membarrier.
$(QEMU_B)/ipiburst: tests/qemu/ipiburst.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -static -pthread -Wall -Wextra -Werror -o $@ $<

# qemu/power-loss-nvme: device-mapper without dmsetup, and the replay of a
# dm-log-writes log (kernel UAPI headers only).
$(QEMU_B)/dmctl $(QEMU_B)/logreplay: $(QEMU_B)/%: tests/qemu/%.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror -o $@ $<

# Broken variants of the real image, for the tests that must refuse them.
$(BADIMG_STAMP): $(QEMU_B)/mkbadimg $(GUEST_ELF)
	$(call say,GEN,$(QEMU_B)/bad)
	$(Q)rm -rf $(QEMU_B)/bad && mkdir -p $(QEMU_B)/bad
	$(Q)$(QEMU_B)/mkbadimg $(GUEST_ELF) $(QEMU_B)/bad
	$(Q)touch $@

INITRAMFS_SRC := scripts/build-initramfs.sh $(wildcard scripts/initramfs/*) \
	$(shell find tests/qemu/guest -type f 2>/dev/null)

# The host kernel's virtio modules, so that a second QEMU disk shows up as
# /dev/vda for the tests that back a guest's disk with a block device,
# its NVMe driver (with what it needs) for the emulated drive, /dev/nvme0n1,
# veth, for qemu/xdp-native's pair with one end in a namespace,
# netconsole for qemu/netdev-netpoll (ksnetN refuses it), pktgen for
# qemu/netdev-pktgen (shared skbs with a page fragment on ksnetN), and
# device-mapper's log-writes target with a RAM disk for its log, for
# qemu/power-loss-nvme (which loads them itself), null_blk (made
# through configfs) for qemu/blk-4k's disk of 4 KiB sectors, zram for
# its other one, which has a write-zeroes offload, and loop for
# qemu/two-guests' disk file that a loop device holds.
HOST_VIRTIO_KO := kernel/drivers/virtio/virtio.ko \
	kernel/drivers/virtio/virtio_ring.ko \
	kernel/drivers/virtio/virtio_pci_legacy_dev.ko \
	kernel/drivers/virtio/virtio_pci_modern_dev.ko \
	kernel/drivers/virtio/virtio_pci.ko kernel/drivers/block/virtio_blk.ko \
	kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko \
	kernel/crypto/crc32c_generic.ko kernel/fs/ext4/ext4.ko \
	kernel/crypto/crct10dif_common.ko kernel/crypto/crct10dif_generic.ko \
	kernel/lib/crc-t10dif.ko kernel/lib/crc64.ko \
	kernel/crypto/crc64_rocksoft_generic.ko kernel/lib/crc64-rocksoft.ko \
	kernel/block/t10-pi.ko kernel/drivers/nvme/host/nvme-core.ko \
	kernel/drivers/nvme/host/nvme.ko \
	kernel/drivers/net/veth.ko kernel/drivers/net/netconsole.ko \
	kernel/net/core/pktgen.ko \
	kernel/drivers/md/dm-mod.ko kernel/drivers/md/dm-log-writes.ko \
	kernel/drivers/md/dm-delay.ko \
	kernel/fs/fat/fat.ko kernel/fs/fat/msdos.ko kernel/fs/nls/nls_cp437.ko \
	kernel/drivers/block/brd.ko \
	kernel/fs/configfs/configfs.ko \
	kernel/drivers/block/null_blk/null_blk.ko \
	kernel/mm/zsmalloc.ko kernel/drivers/block/zram/zram.ko \
	kernel/drivers/block/loop.ko

$(INITRAMFS): $(HOSTKERNEL_ENV) $(INITRAMFS_SRC) $(KSPAWN_KO) $(KSPAWNCTL) \
		$(GUEST_ELF) $(GUEST_TEST_ELF) \
		$(BADIMG_STAMP) $(QEMU_TOOLS)
	$(if $(KDIR),$(error KDIR=$(KDIR) builds kspawn.ko for another kernel \
		than the QEMU host's, which this initramfs (make run, make test) \
		boots: make module KDIR=... alone, the QEMU targets without KDIR))
	$(call say,CPIO,$@)
	$(Q)scripts/build-initramfs.sh $@ \
		$(KSPAWN_KO):/lib/modules/kspawn.ko \
		$(KSPAWNCTL):/bin/kspawnctl \
		$(QEMU_B)/fnv64sum:/bin/fnv64sum \
		$(QEMU_B)/udpcheck:/bin/udpcheck \
		$(QEMU_B)/xdpctl:/bin/xdpctl \
		$(QEMU_B)/ioctlabuse:/bin/ioctlabuse \
		$(QEMU_B)/ethq:/bin/ethq \
		$(QEMU_B)/l2ping:/bin/l2ping \
		$(QEMU_B)/dmctl:/bin/dmctl \
		$(QEMU_B)/logreplay:/bin/logreplay \
		$(QEMU_B)/ipiburst:/bin/ipiburst \
		$(QEMU_B)/rtrun:/bin/rtrun \
		$(GUEST_ELF):/guest/kspawn-guest.elf \
		$(GUEST_TEST_ELF):/guest/kspawn-guest-test.elf \
		$(QEMU_B)/bad:/guest/bad \
		tests/qemu/guest:/tests \
		$(foreach m,$(HOST_VIRTIO_KO),$(HOSTKERNEL_MODDIR)/$(m):/lib/modules/host/$(notdir $(m)))

.PHONY: initramfs run
initramfs: $(INITRAMFS) ## the QEMU host's initramfs (module, kspawnctl, guest images, tests)

run: $(INITRAMFS) $(HOSTKERNEL_ENV) ## boot the full stack in QEMU and spawn hello on CPU 1 (SMP=N)
	$(Q)SMP=$(or $(SMP),2) scripts/qemu-host.sh --probe $(GUEST_ELF) \
		$(HOSTKERNEL_VMLINUZ) $(INITRAMFS)

# make gdb-spawned [CMDLINE="gdb=wait hello"]: gdb on this machine, the guest
# spawned in the QEMU host, through kspawnctl gdb and a second serial port
# (KSPAWN_IMAGE=kspawn-guest-test.elf for the test apps).
.PHONY: gdb-spawned
gdb-spawned: $(INITRAMFS) $(HOSTKERNEL_ENV) ## debug a spawned guest with gdb, full stack (CMDLINE=...)
	$(Q)scripts/gdb-spawned.sh $(B) $(or $(CMDLINE),gdb=wait hello)

# `make test SUITE=qemu` (and the gdb suite's spawned cases) boot what
# `make run` boots.
ifneq ($(filter qemu gdb stress,$(SUITE)),)
test: $(INITRAMFS) $(HOSTKERNEL_ENV)
endif
