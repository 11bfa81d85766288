/*
 * PCI configuration space through the legacy ports 0xCF8/0xCFC
 * (configuration mechanism #1): bus 0..255, 256 bytes per function, all a
 * guest booted alone under QEMU (pc or q35) needs.  Never used by a
 * spawned guest: those ports are the host machine's.
 */
#ifndef ARCH_X86_64_PCI_H
#define ARCH_X86_64_PCI_H

#include <stdint.h>

/* bdf: bus << 8 | device << 3 | function; size 1, 2 or 4, off aligned. */
uint32_t pci_cfg_read(uint32_t bdf, unsigned int off, unsigned int size);
void pci_cfg_write(uint32_t bdf, unsigned int off, unsigned int size,
		   uint32_t v);

/*
 * The MSI message (x86: address 0xFEExxxxx naming the APIC, data the
 * vector, fixed delivery, edge) that raises vector on this CPU.  0, or -1
 * if this CPU's APIC ID does not fit the message's 8 bits.
 */
int pci_msi_message(uint32_t vector, uint64_t *addr, uint32_t *data);

#endif
